// SPDX-License-Identifier: Apache-2.0
#include "families/wan21/WanT5.h"

#include "nn/Ops.h"

#include <kinema/diffusion/Errors.h>

#include <cmath>
#include <limits>

namespace kinema::diffusion::wan21 {

namespace {
at::Tensor t5Norm(const at::Tensor& x, const at::Tensor& weight, double eps) {
    const auto xf = x.to(at::kFloat);
    return weight * (xf * at::rsqrt(xf.pow(2).mean({-1}, true) + eps));
}
} // namespace

at::Tensor relativePositionBuckets(std::int64_t lq, std::int64_t lk, std::int64_t numBuckets,
                                   std::int64_t maxDistance) {
    const auto opts = at::TensorOptions().dtype(at::kLong);
    auto rel = at::arange(lk, opts).unsqueeze(0) - at::arange(lq, opts).unsqueeze(1);
    const std::int64_t half = numBuckets / 2;
    auto buckets = (rel > 0).to(at::kLong) * half;
    rel = rel.abs();
    const std::int64_t maxExact = half / 2;
    auto large = maxExact + (at::log(rel.to(at::kFloat) / static_cast<double>(maxExact)) /
                             std::log(static_cast<double>(maxDistance) / static_cast<double>(maxExact)) *
                             static_cast<double>(half - maxExact))
                                .to(at::kLong);
    large = at::min(large, at::full_like(large, half - 1));
    return buckets + at::where(rel < maxExact, rel, large);
}

WanT5::WanT5(const T5Config& config, WeightMap& wm)
    : m_config(config) {
    const auto& c = m_config;
    m_embedding = wm.take("token_embedding.weight", {c.vocab, c.dim});
    for (std::int64_t i = 0; i < c.numLayers; ++i) {
        const std::string p = "blocks." + std::to_string(i) + ".";
        Block b;
        b.norm1 = wm.take(p + "norm1.weight", {c.dim});
        b.q = wm.take(p + "attn.q.weight", {c.dimAttn, c.dim});
        b.k = wm.take(p + "attn.k.weight", {c.dimAttn, c.dim});
        b.v = wm.take(p + "attn.v.weight", {c.dimAttn, c.dim});
        b.o = wm.take(p + "attn.o.weight", {c.dim, c.dimAttn});
        b.norm2 = wm.take(p + "norm2.weight", {c.dim});
        b.gate = wm.take(p + "ffn.gate.0.weight", {c.dimFfn, c.dim});
        b.fc1 = wm.take(p + "ffn.fc1.weight", {c.dimFfn, c.dim});
        b.fc2 = wm.take(p + "ffn.fc2.weight", {c.dim, c.dimFfn});
        b.posTable = wm.take(p + "pos_embedding.embedding.weight", {c.numBuckets, c.numHeads});
        m_blocks.push_back(std::move(b));
    }
    m_finalNorm = wm.take("norm.weight", {c.dim});
    m_parameterCount = wm.parameterCount();
}

at::Tensor WanT5::positionBias(const at::Tensor& table, std::int64_t lq, std::int64_t lk) const {
    const auto buckets = relativePositionBuckets(lq, lk, m_config.numBuckets, m_config.maxDistance);
    return at::embedding(table, buckets.to(table.device())).permute({2, 0, 1}).unsqueeze(0); // [1, N, lq, lk]
}

void WanT5::to(at::Device device) {
    std::vector<at::Tensor*> tensors{&m_embedding, &m_finalNorm};
    for (auto& b : m_blocks)
        tensors.insert(tensors.end(),
                       {&b.norm1, &b.q, &b.k, &b.v, &b.o, &b.norm2, &b.gate, &b.fc1, &b.fc2, &b.posTable});
    nn::moveTensors(tensors, device);
}

PromptIds promptIds(const PromptTokenizer::Tokens& tokens) {
    const auto l = static_cast<std::int64_t>(tokens.ids.size());
    PromptIds p;
    p.length = static_cast<std::int64_t>(tokens.length);
    p.ids = at::tensor(tokens.ids, at::kLong).view({1, l});
    p.mask = at::zeros({1, l}, at::kLong);
    p.mask.narrow(1, 0, p.length).fill_(1);
    return p;
}

at::Tensor WanT5::forward(const at::Tensor& ids, const at::Tensor& mask,
                          std::vector<T5AttentionLogits>* logits) const {
    const auto& c = m_config;
    if (ids.dim() != 2 || mask.sizes() != ids.sizes() || ids.scalar_type() != at::kLong)
        throw RequestError("T5 input ids and mask must both be int64 [B, L]");
    if (ids.numel() > 0 && (ids.min().item<std::int64_t>() < 0 || ids.max().item<std::int64_t>() >= c.vocab))
        throw RequestError("T5 token id outside the vocabulary of " + std::to_string(c.vocab));
    const auto b = ids.size(0), l = ids.size(1);
    const auto n = c.numHeads, d = c.dimAttn / c.numHeads;
    const auto device = m_embedding.device();
    auto x = at::embedding(m_embedding, ids.to(device));
    const auto keyMasked = (mask.to(device) == 0).view({b, 1, 1, l});
    const float lowest = std::numeric_limits<float>::lowest();
    for (const auto& blk : m_blocks) {
        auto bias = positionBias(blk.posTable, l, l).expand({b, n, l, l}).clone();
        bias.masked_fill_(keyMasked, lowest);
        const auto h = t5Norm(x, blk.norm1, c.eps);
        const auto q = at::linear(h, blk.q).view({b, l, n, d});
        const auto k = at::linear(h, blk.k).view({b, l, n, d});
        const auto v = at::linear(h, blk.v).view({b, l, n, d});
        if (logits)
            logits->push_back({at::matmul(q.transpose(1, 2), k.permute({0, 2, 3, 1})),
                               positionBias(blk.posTable, l, l).expand({b, n, l, l})});
        const auto attn = nn::attention(q, k, v, 1.0, bias).reshape({b, l, n * d});
        x = x + at::linear(attn, blk.o);
        const auto h2 = t5Norm(x, blk.norm2, c.eps);
        x = x + at::linear(at::linear(h2, blk.fc1) * at::gelu(at::linear(h2, blk.gate), "tanh"), blk.fc2);
    }
    return t5Norm(x, m_finalNorm, c.eps);
}

} // namespace kinema::diffusion::wan21
