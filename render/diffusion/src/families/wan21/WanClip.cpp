// SPDX-License-Identifier: Apache-2.0
#include "families/wan21/WanClip.h"

#include "nn/Ops.h"

#include <kinema/diffusion/Errors.h>

#include <cmath>

namespace kinema::diffusion::wan21 {

WanClipVision::WanClipVision(const ClipConfig& config, WeightMap& wm)
    : m_config(config) {
    const auto& c = m_config;
    const auto d = c.dim;
    m_patch = wm.take("visual.patch_embedding.weight", {d, 3, c.patchSize, c.patchSize});
    m_cls = wm.take("visual.cls_embedding", {1, 1, d});
    m_pos = wm.take("visual.pos_embedding", {1, c.tokens(), d});
    m_preNormW = wm.take("visual.pre_norm.weight", {d});
    m_preNormB = wm.take("visual.pre_norm.bias", {d});
    for (std::int64_t i = 0; i < c.numLayers; ++i) {
        const std::string p = "visual.transformer." + std::to_string(i) + ".";
        Block b;
        b.norm1W = wm.take(p + "norm1.weight", {d});
        b.norm1B = wm.take(p + "norm1.bias", {d});
        b.qkvW = wm.take(p + "attn.to_qkv.weight", {3 * d, d});
        b.qkvB = wm.take(p + "attn.to_qkv.bias", {3 * d});
        b.projW = wm.take(p + "attn.proj.weight", {d, d});
        b.projB = wm.take(p + "attn.proj.bias", {d});
        b.norm2W = wm.take(p + "norm2.weight", {d});
        b.norm2B = wm.take(p + "norm2.bias", {d});
        b.fc1W = wm.take(p + "mlp.0.weight", {c.mlpDim, d});
        b.fc1B = wm.take(p + "mlp.0.bias", {c.mlpDim});
        b.fc2W = wm.take(p + "mlp.2.weight", {d, c.mlpDim});
        b.fc2B = wm.take(p + "mlp.2.bias", {d});
        if (i + 1 < c.numLayers) // the last block is not run (use_31_block)
            m_blocks.push_back(std::move(b));
    }
    // Checked for shape, not used: the reference's image features skip them.
    wm.take("visual.post_norm.weight", {d});
    wm.take("visual.post_norm.bias", {d});
    wm.take("visual.head", {d, c.embedDim});
    m_parameterCount = wm.parameterCount();
}

void WanClipVision::to(at::Device device) {
    std::vector<at::Tensor*> tensors{&m_patch, &m_cls, &m_pos, &m_preNormW, &m_preNormB};
    for (auto& b : m_blocks)
        tensors.insert(tensors.end(), {&b.norm1W, &b.norm1B, &b.qkvW, &b.qkvB, &b.projW, &b.projB, &b.norm2W,
                                       &b.norm2B, &b.fc1W, &b.fc1B, &b.fc2W, &b.fc2B});
    nn::moveTensors(tensors, device);
}

at::Tensor WanClipVision::encode(const at::Tensor& images) const {
    const auto& c = m_config;
    if (images.dim() != 4 || images.size(1) != 3 || images.size(2) < 1 || images.size(3) < 1)
        throw RequestError("CLIP input must be images [N, 3, H, W]");
    const auto n = images.size(0);
    auto x = images.to(m_patch.device(), at::kFloat);
    x = at::upsample_bicubic2d(x, {c.imageSize, c.imageSize}, /*align_corners=*/false);
    const auto mean = at::tensor({0.48145466f, 0.4578275f, 0.40821073f}, x.options()).view({1, 3, 1, 1});
    const auto stdDev = at::tensor({0.26862954f, 0.26130258f, 0.27577711f}, x.options()).view({1, 3, 1, 1});
    x = (x * 0.5 + 0.5 - mean) / stdDev;
    x = nn::conv2d(x, m_patch, {}, {c.patchSize, c.patchSize}).flatten(2).transpose(1, 2); // [N, 256, d]
    x = at::cat({m_cls.expand({n, 1, c.dim}), x}, 1) + m_pos;
    x = at::layer_norm(x, {c.dim}, m_preNormW, m_preNormB, c.eps);
    const auto heads = c.numHeads, headDim = c.dim / c.numHeads;
    const double scale = 1.0 / std::sqrt(static_cast<double>(headDim));
    const auto l = x.size(1);
    for (const auto& b : m_blocks) {
        const auto qkv = at::linear(at::layer_norm(x, {c.dim}, b.norm1W, b.norm1B, c.eps), b.qkvW, b.qkvB)
                             .view({n, l, 3, heads, headDim});
        const auto attn = nn::attention(qkv.select(2, 0), qkv.select(2, 1), qkv.select(2, 2), scale);
        x = x + at::linear(attn.reshape({n, l, c.dim}), b.projW, b.projB);
        const auto h = at::layer_norm(x, {c.dim}, b.norm2W, b.norm2B, c.eps);
        x = x + at::linear(at::gelu(at::linear(h, b.fc1W, b.fc1B)), b.fc2W, b.fc2B);
    }
    return x;
}

} // namespace kinema::diffusion::wan21
