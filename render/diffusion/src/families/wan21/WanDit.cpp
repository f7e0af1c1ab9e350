// SPDX-License-Identifier: Apache-2.0
#include "families/wan21/WanDit.h"

#include "nn/Ops.h"

#include <kinema/diffusion/Errors.h>

#include <cmath>

namespace kinema::diffusion::wan21 {

namespace {

/// x times a Linear's weights in the weights' dtype: fp32, or bf16 (fp32 accumulation) for the matrices
/// the mixed-precision path keeps in bf16, whose output then stays bf16 as under the reference's autocast.
at::Tensor linear(const at::Tensor& x, const at::Tensor& w, const at::Tensor& b) {
    return at::linear(x.scalar_type() == w.scalar_type() ? x : x.to(w.scalar_type()), w, b);
}

/// LayerNorm evaluated in fp32 and returned in x's dtype (the reference's WanLayerNorm).
at::Tensor layerNorm(const at::Tensor& x, std::int64_t dim, const at::Tensor& w, const at::Tensor& b,
                     double eps) {
    return at::layer_norm(x.to(at::kFloat), {dim}, w, b, eps).to(x.scalar_type());
}

at::Tensor gelu(const at::Tensor& x, bool tanhApproximation) {
    return at::gelu(x, tanhApproximation ? "tanh" : "none");
}

std::string shapeOf(const at::Tensor& t) {
    std::string s = "[";
    for (int64_t i = 0; i < t.dim(); ++i)
        s += (i ? ", " : "") + std::to_string(t.size(i));
    return s + "]";
}

} // namespace

at::Tensor timestepSinusoid(std::int64_t dim, std::int64_t t) {
    return timestepSinusoids(dim, {t});
}

at::Tensor timestepSinusoids(std::int64_t dim, const std::vector<std::int64_t>& timesteps) {
    const std::int64_t half = dim / 2;
    const auto opts = at::TensorOptions().dtype(at::kDouble);
    const std::vector<double> values(timesteps.begin(), timesteps.end());
    const auto position = at::tensor(values, opts);
    const auto freqs = at::pow(10000.0, -at::arange(half, opts).div(static_cast<double>(half)));
    const auto sinusoid = at::outer(position, freqs);
    return at::cat({at::cos(sinusoid), at::sin(sinusoid)}, 1).to(at::kFloat);
}

std::pair<at::Tensor, at::Tensor> ropeTables(std::int64_t headDim, std::int64_t f, std::int64_t h,
                                             std::int64_t w) {
    const std::int64_t c = headDim / 2;
    const std::int64_t hw = c / 3;
    const std::int64_t tPairs = c - 2 * hw;
    const auto opts = at::TensorOptions().dtype(at::kDouble);
    auto band = [&](std::int64_t pairs, std::int64_t length) {
        // angle[pos, j] = pos / 10000^(2j / (2 * pairs)), the reference's per-band table.
        const auto inv =
            1.0 / at::pow(10000.0, at::arange(0, 2 * pairs, 2, opts).div(static_cast<double>(2 * pairs)));
        return at::outer(at::arange(length, opts), inv);
    };
    const auto ft = band(tPairs, f).view({f, 1, 1, tPairs}).expand({f, h, w, tPairs});
    const auto fh = band(hw, h).view({1, h, 1, hw}).expand({f, h, w, hw});
    const auto fw = band(hw, w).view({1, 1, w, hw}).expand({f, h, w, hw});
    const auto angles = at::cat({ft, fh, fw}, -1).reshape({f * h * w, c});
    return {at::cos(angles), at::sin(angles)};
}

at::Tensor applyRope(const at::Tensor& x, const at::Tensor& cosTable, const at::Tensor& sinTable) {
    const auto b = x.size(0), l = x.size(1), n = x.size(2), d = x.size(3);
    const auto xd = x.to(at::kDouble).reshape({b, l, n, d / 2, 2});
    const auto a = xd.select(-1, 0), bb = xd.select(-1, 1);
    const auto cs = cosTable.to(x.device()).view({1, l, 1, d / 2});
    const auto sn = sinTable.to(x.device()).view({1, l, 1, d / 2});
    const auto re = a * cs - bb * sn;
    const auto im = a * sn + bb * cs;
    return at::stack({re, im}, -1).reshape({b, l, n, d}).to(x.scalar_type());
}

WanDit::WanDit(const DitConfig& config, WeightMap& wm)
    : m_config(config) {
    const auto& c = m_config;
    const std::int64_t dim = c.dim;
    auto lin = [&](const std::string& name, std::int64_t out, std::int64_t in) {
        return Linear{wm.take(name + ".weight", {out, in}), wm.take(name + ".bias", {out})};
    };
    const std::int64_t patchIn = c.inDim * c.patchSize[0] * c.patchSize[1] * c.patchSize[2];
    m_patch.w =
        wm.take("patch_embedding.weight", {dim, c.inDim, c.patchSize[0], c.patchSize[1], c.patchSize[2]})
            .reshape({dim, patchIn});
    m_patch.b = wm.take("patch_embedding.bias", {dim});
    m_text0 = lin("text_embedding.0", dim, c.textDim);
    m_text2 = lin("text_embedding.2", dim, dim);
    m_time0 = lin("time_embedding.0", dim, c.freqDim);
    m_time2 = lin("time_embedding.2", dim, dim);
    m_timeProj = lin("time_projection.1", 6 * dim, dim);
    m_headModulation = wm.take("head.modulation", {1, 2, dim});
    m_head = lin("head.head", c.outDim * c.patchSize[0] * c.patchSize[1] * c.patchSize[2], dim);
    if (c.hasImageInput()) {
        const auto cd = c.clipDim;
        m_imgNorm0W = wm.take("img_emb.proj.0.weight", {cd});
        m_imgNorm0B = wm.take("img_emb.proj.0.bias", {cd});
        m_img1 = lin("img_emb.proj.1", cd, cd);
        m_img3 = lin("img_emb.proj.3", dim, cd);
        m_imgNorm4W = wm.take("img_emb.proj.4.weight", {dim});
        m_imgNorm4B = wm.take("img_emb.proj.4.bias", {dim});
        if (c.modelType == "flf2v")
            m_imgPos = wm.take("img_emb.emb_pos", {1, 2 * c.clipTokens, cd});
    }
    m_blocks.resize(static_cast<std::size_t>(c.numLayers));
    for (std::int64_t i = 0; i < c.numLayers; ++i) {
        auto& b = m_blocks[static_cast<std::size_t>(i)];
        const std::string p = "blocks." + std::to_string(i) + ".";
        b.modulation = wm.take(p + "modulation", {1, 6, dim});
        b.q = lin(p + "self_attn.q", dim, dim);
        b.k = lin(p + "self_attn.k", dim, dim);
        b.v = lin(p + "self_attn.v", dim, dim);
        b.o = lin(p + "self_attn.o", dim, dim);
        b.normQ = wm.take(p + "self_attn.norm_q.weight", {dim});
        b.normK = wm.take(p + "self_attn.norm_k.weight", {dim});
        b.norm3W = wm.take(p + "norm3.weight", {dim});
        b.norm3B = wm.take(p + "norm3.bias", {dim});
        b.cq = lin(p + "cross_attn.q", dim, dim);
        b.ck = lin(p + "cross_attn.k", dim, dim);
        b.cv = lin(p + "cross_attn.v", dim, dim);
        b.co = lin(p + "cross_attn.o", dim, dim);
        b.cNormQ = wm.take(p + "cross_attn.norm_q.weight", {dim});
        b.cNormK = wm.take(p + "cross_attn.norm_k.weight", {dim});
        if (c.hasImageInput()) {
            b.ckImg = lin(p + "cross_attn.k_img", dim, dim);
            b.cvImg = lin(p + "cross_attn.v_img", dim, dim);
            b.cNormKImg = wm.take(p + "cross_attn.norm_k_img.weight", {dim});
        }
        b.ffn0 = lin(p + "ffn.0", c.ffnDim, dim);
        b.ffn2 = lin(p + "ffn.2", dim, c.ffnDim);
    }
    m_parameterCount = wm.parameterCount();
}

std::array<WanDit::Linear*, 12> WanDit::blockLinears(Block& b) {
    return {&b.q, &b.k, &b.v, &b.o, &b.cq, &b.ck, &b.cv, &b.co, &b.ckImg, &b.cvImg, &b.ffn0, &b.ffn2};
}

std::vector<at::Tensor*> WanDit::blockTensors(Block& b) {
    std::vector<at::Tensor*> out;
    for (auto* l : blockLinears(b)) {
        out.push_back(&l->w);
        out.push_back(&l->b);
    }
    for (auto* t :
         {&b.modulation, &b.normQ, &b.normK, &b.cNormQ, &b.cNormK, &b.cNormKImg, &b.norm3W, &b.norm3B})
        out.push_back(t);
    return out;
}

std::vector<at::Tensor*> WanDit::sharedTensors() {
    std::vector<at::Tensor*> out;
    for (auto* l :
         {&m_patch, &m_text0, &m_text2, &m_time0, &m_time2, &m_timeProj, &m_head, &m_img1, &m_img3}) {
        out.push_back(&l->w);
        out.push_back(&l->b);
    }
    for (auto* t : {&m_headModulation, &m_imgNorm0W, &m_imgNorm0B, &m_imgNorm4W, &m_imgNorm4B, &m_imgPos})
        out.push_back(t);
    return out;
}

namespace {
std::int64_t bytesOf(const std::vector<at::Tensor*>& tensors) {
    std::int64_t n = 0;
    for (auto* t : tensors)
        if (t->defined())
            n += static_cast<std::int64_t>(t->numel() * t->element_size());
    return n;
}
} // namespace

void WanDit::to(at::Device device) {
    m_device = device;
    nn::moveTensors(sharedTensors(), device);
    for (auto& b : m_blocks)
        nn::moveTensors(blockTensors(b), m_streamBlocks ? at::Device(at::kCPU) : device);
}

void WanDit::setStreamBlocks(bool stream) {
    m_streamBlocks = stream;
    to(m_device);
}

void WanDit::setMatmulType(at::ScalarType type) {
    if (type != at::kFloat && type != at::kBFloat16)
        throw RequestError("the DiT computes its matrices in fp32 or bf16 only");
    auto convert = [&](Linear& l) {
        l.w = l.w.to(type);
        l.b = l.b.to(type);
    };
    // The reference's autocast map (wan21 spec 1.11): patch embedding, text embedding, the image projection's
    // Linears, every attention projection and the FFN run in bf16; the time MLP, the head, modulations and
    // norm weights stay fp32.
    for (auto* l : {&m_patch, &m_text0, &m_text2, &m_img1, &m_img3})
        if (l->w.defined())
            convert(*l);
    for (auto& b : m_blocks)
        for (auto* l : blockLinears(b))
            if (l->w.defined())
                convert(*l);
    m_matmulType = type;
}

WanDit::WeightBytes WanDit::weightBytes() {
    WeightBytes out;
    out.shared = out.total = bytesOf(sharedTensors());
    for (auto& b : m_blocks) {
        const auto bytes = bytesOf(blockTensors(b));
        out.largestBlock = std::max(out.largestBlock, bytes);
        out.total += bytes;
    }
    return out;
}

WanDit::Block WanDit::onDevice(const Block& b) const {
    Block copy = b;
    for (auto* t : blockTensors(copy))
        if (t->defined())
            *t = t->to(m_device, /*non_blocking=*/true);
    return copy;
}

at::Tensor WanDit::attend(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, double scale) const {
    if (m_matmulType != at::kBFloat16)
        return nn::attention(q, k, v, scale);
    // The reference's flash attention reads q, k and v in bf16 and returns to q's dtype (fp32).
    return nn::attention(q.to(at::kBFloat16), k.to(at::kBFloat16), v.to(at::kBFloat16), scale).to(at::kFloat);
}

at::Tensor WanDit::embedContext(const at::Tensor& text, const at::Tensor& clipFeatures) const {
    const auto& c = m_config;
    if (text.dim() != 2 || text.size(1) != c.textDim || text.size(0) > c.textLen)
        throw RequestError("text context has shape " + shapeOf(text) + ", expected [L <= " +
                           std::to_string(c.textLen) + ", " + std::to_string(c.textDim) + "]");
    const auto device = m_text0.w.device();
    auto ctx = embedText(text.unsqueeze(0));
    if (!c.hasImageInput())
        return ctx;
    const std::int64_t rows = c.modelType == "flf2v" ? 2 * c.clipTokens : c.clipTokens;
    if (!clipFeatures.defined() || clipFeatures.dim() != 3 || clipFeatures.size(0) != 1 ||
        clipFeatures.size(1) != rows || clipFeatures.size(2) != c.clipDim)
        throw RequestError(c.modelType + " needs CLIP image features [1, " + std::to_string(rows) + ", " +
                           std::to_string(c.clipDim) + "]");
    auto img = clipFeatures.to(device, at::kFloat);
    if (m_imgPos.defined())
        img = img + m_imgPos;
    img = at::layer_norm(img, {c.clipDim}, m_imgNorm0W, m_imgNorm0B, 1e-5);
    img = linear(gelu(linear(img, m_img1.w, m_img1.b), false), m_img3.w, m_img3.b);
    img = at::layer_norm(img, {c.dim}, m_imgNorm4W, m_imgNorm4B, 1e-5);
    return at::cat({img, ctx}, 1);
}

at::Tensor WanDit::embedContexts(const at::Tensor& texts) const {
    const auto& c = m_config;
    if (c.hasImageInput() || texts.dim() != 3 || texts.size(2) != c.textDim || texts.size(1) > c.textLen)
        throw RequestError("text contexts have shape " + shapeOf(texts) + ", expected [B, L <= " +
                           std::to_string(c.textLen) + ", " + std::to_string(c.textDim) + "] (t2v models)");
    return embedText(texts);
}

at::Tensor WanDit::embedText(const at::Tensor& texts) const {
    const auto& c = m_config;
    auto padded = at::zeros({texts.size(0), c.textLen, c.textDim}, m_text0.w.options());
    padded.narrow(1, 0, texts.size(1)).copy_(texts.to(at::kFloat));
    return linear(gelu(linear(padded, m_text0.w, m_text0.b), true), m_text2.w, m_text2.b);
}

at::Tensor WanDit::selfAttention(const Block& b, const at::Tensor& x, const at::Tensor& cosTable,
                                 const at::Tensor& sinTable) const {
    const auto n = m_config.numHeads, d = m_config.headDim();
    const auto bs = x.size(0), l = x.size(1);
    auto q = nn::rmsNorm(linear(x, b.q.w, b.q.b), b.normQ, m_config.eps).view({bs, l, n, d});
    auto k = nn::rmsNorm(linear(x, b.k.w, b.k.b), b.normK, m_config.eps).view({bs, l, n, d});
    auto v = linear(x, b.v.w, b.v.b).view({bs, l, n, d});
    q = applyRope(q, cosTable, sinTable);
    k = applyRope(k, cosTable, sinTable);
    auto out = attend(q, k, v, 1.0 / std::sqrt(static_cast<double>(d)));
    return linear(out.flatten(2), b.o.w, b.o.b);
}

at::Tensor WanDit::crossAttention(const Block& b, const at::Tensor& x, const at::Tensor& context) const {
    const auto n = m_config.numHeads, d = m_config.headDim();
    const auto bs = x.size(0);
    const double scale = 1.0 / std::sqrt(static_cast<double>(d));
    const std::int64_t imageRows = context.size(1) - m_config.textLen;
    const auto text = imageRows > 0 ? context.narrow(1, imageRows, m_config.textLen) : context;
    auto q = nn::rmsNorm(linear(x, b.cq.w, b.cq.b), b.cNormQ, m_config.eps).view({bs, -1, n, d});
    auto k = nn::rmsNorm(linear(text, b.ck.w, b.ck.b), b.cNormK, m_config.eps).view({bs, -1, n, d});
    auto v = linear(text, b.cv.w, b.cv.b).view({bs, -1, n, d});
    auto out = attend(q, k, v, scale).flatten(2);
    if (imageRows > 0 && b.ckImg.w.defined()) {
        const auto img = context.narrow(1, 0, imageRows);
        auto ki =
            nn::rmsNorm(linear(img, b.ckImg.w, b.ckImg.b), b.cNormKImg, m_config.eps).view({bs, -1, n, d});
        auto vi = linear(img, b.cvImg.w, b.cvImg.b).view({bs, -1, n, d});
        out = out + attend(q, ki, vi, scale).flatten(2);
    }
    return linear(out, b.co.w, b.co.b);
}

at::Tensor WanDit::forward(const at::Tensor& x, std::int64_t t, const at::Tensor& context,
                           const at::Tensor& y) const {
    return forwardBatch(x, t, context, y)[0];
}

at::Tensor WanDit::patchTokens(const at::Tensor& x) const {
    const auto& c = m_config;
    const std::int64_t p = c.patchSize[1]; // square spatial patches, one frame deep (validated)
    if (x.dim() != 5 || x.size(1) != c.inDim || x.size(3) % p != 0 || x.size(4) % p != 0 || x.size(2) < 1)
        throw RequestError("DiT input has shape " + shapeOf(x[0]) + ", expected [" + std::to_string(c.inDim) +
                           ", F, H, W] with H and W multiples of " + std::to_string(p));
    const std::int64_t bs = x.size(0), f = x.size(2), hp = x.size(3) / p, wp = x.size(4) / p;
    // Patch embedding as a matmul over non-overlapping (1, p, p) patches.
    return x.view({bs, c.inDim, f, hp, p, wp, p})
        .permute({0, 2, 3, 5, 1, 4, 6})
        .reshape({bs, f * hp * wp, c.inDim * p * p});
}

at::Tensor WanDit::forwardBatch(const at::Tensor& xIn, std::int64_t t, const at::Tensor& context,
                                const at::Tensor& y) const {
    const auto device = m_patch.w.device();
    at::Tensor x = xIn.to(device, at::kFloat);
    if (y.defined())
        x = at::cat({x, y.to(device, at::kFloat)}, 0);
    if (x.dim() != 4)
        throw RequestError("DiT input has shape " + shapeOf(x) + ", expected [" +
                           std::to_string(m_config.inDim) + ", F, H, W]");
    const auto tokens = patchTokens(x.unsqueeze(0));
    if (context.dim() != 3 || context.size(0) < 1)
        throw RequestError("DiT context has shape " + shapeOf(context) + ", expected [B, rows, dim]");
    const std::int64_t bs = context.size(0);
    auto h = linear(tokens, m_patch.w, m_patch.b);
    if (bs > 1)
        h = h.expand({bs, h.size(1), h.size(2)}).contiguous();
    const std::int64_t p = m_config.patchSize[1];
    // The context may have been embedded while the DiT sat elsewhere (model offloading): bring it along.
    return transform(h, timestepSinusoid(m_config.freqDim, t), context.to(device), x.size(1), x.size(2) / p,
                     x.size(3) / p);
}

at::Tensor WanDit::forwardSamples(const at::Tensor& xIn, const std::vector<std::int64_t>& timesteps,
                                  const at::Tensor& contexts, const at::Tensor& y) const {
    const auto device = m_patch.w.device();
    at::Tensor x = xIn.to(device, at::kFloat);
    if (y.defined())
        x = at::cat({x, y.to(device, at::kFloat)}, 1);
    const auto bs = x.dim() == 5 ? x.size(0) : 0;
    if (bs < 1 || static_cast<std::int64_t>(timesteps.size()) != bs || contexts.dim() != 3 ||
        contexts.size(0) != bs)
        throw RequestError("DiT batch: latents " + shapeOf(x) + ", " + std::to_string(timesteps.size()) +
                           " timesteps and contexts " + shapeOf(contexts) + " disagree on the batch size");
    const auto tokens = patchTokens(x);
    const std::int64_t p = m_config.patchSize[1];
    return transform(linear(tokens, m_patch.w, m_patch.b), timestepSinusoids(m_config.freqDim, timesteps),
                     contexts.to(device), x.size(2), x.size(3) / p, x.size(4) / p);
}

at::Tensor WanDit::transform(at::Tensor h, const at::Tensor& sinusoids, const at::Tensor& ctx, std::int64_t f,
                             std::int64_t hp, std::int64_t wp) const {
    const auto& c = m_config;
    const auto device = m_patch.w.device();
    const std::int64_t dim = c.dim, p = c.patchSize[1];
    const std::int64_t bs = h.size(0), steps = sinusoids.size(0);
    const auto e = linear(at::silu(linear(sinusoids.to(device), m_time0.w, m_time0.b)), m_time2.w,
                          m_time2.b);                                                      // [S, dim]
    const auto e0 = linear(at::silu(e), m_timeProj.w, m_timeProj.b).view({steps, 6, dim}); // [S, 6, dim]
    auto [cosCpu, sinCpu] = ropeTables(c.headDim(), f, hp, wp);
    const auto cosTable = cosCpu.to(device), sinTable = sinCpu.to(device); // once per forward, not per block

    for (const auto& stored : m_blocks) {
        // Streaming: this block's weights come to the device for its forward only; the copy is dropped after.
        const Block streamed = m_streamBlocks ? onDevice(stored) : Block{};
        const Block& b = m_streamBlocks ? streamed : stored;
        const auto mod = (b.modulation + e0).chunk(6, 1);
        auto n1 = layerNorm(h, dim, {}, {}, c.eps) * (1 + mod[1]) + mod[0];
        h = h + selfAttention(b, n1, cosTable, sinTable) * mod[2];
        h = h + crossAttention(b, layerNorm(h, dim, b.norm3W, b.norm3B, c.eps), ctx);
        auto n2 = layerNorm(h, dim, {}, {}, c.eps) * (1 + mod[4]) + mod[3];
        h = h + linear(gelu(linear(n2, b.ffn0.w, b.ffn0.b), true), b.ffn2.w, b.ffn2.b) * mod[5];
    }

    const auto headMod = (m_headModulation + e.unsqueeze(1)).chunk(2, 1);
    auto out = linear(layerNorm(h, dim, {}, {}, c.eps) * (1 + headMod[1]) + headMod[0], m_head.w, m_head.b);
    // Unpatchify: token (f, h, w) channel o = (q * p + r) * C + ch -> out[ch, f, p h + q, p w + r].
    return out.view({bs, f, hp, wp, p, p, c.outDim})
        .permute({0, 6, 1, 2, 4, 3, 5})
        .reshape({bs, c.outDim, f, hp * p, wp * p})
        .contiguous();
}

} // namespace kinema::diffusion::wan21
