// SPDX-License-Identifier: Apache-2.0
#include "families/wan21/WanVae.h"

#include "nn/Ops.h"

#include <kinema/diffusion/Errors.h>

#include <cmath>

namespace kinema::diffusion::wan21 {

namespace {

constexpr std::int64_t kCacheFrames = 2;

struct CausalConv {
    at::Tensor w, b;
    std::int64_t padT = 0, padH = 0, padW = 0;
    std::int64_t strideT = 1;
};

/// One feature-cache slot: empty, the 'Rep' marker of a first upsample3d chunk, or cached frames.
struct Slot {
    enum State { Empty, Rep, Frames } state = Empty;
    at::Tensor frames;
};

struct FeatureCache {
    std::vector<Slot> slots;
    std::size_t next = 0;
    Slot& take() {
        if (next >= slots.size())
            slots.resize(next + 1);
        return slots[next++];
    }
};

/// The causal conv: zero padding in H and W on both sides, 2*padT frames in front of T (less the cached
/// frames put in front), nothing behind.
at::Tensor runConv(const CausalConv& c, at::Tensor x, const at::Tensor& cached) {
    std::int64_t front = 2 * c.padT;
    if (cached.defined() && front > 0) {
        x = at::cat({cached, x}, 2);
        front -= cached.size(2);
    }
    if (front > 0 || c.padH > 0 || c.padW > 0)
        x = at::constant_pad_nd(x, {c.padW, c.padW, c.padH, c.padH, front, 0}, 0);
    return nn::conv3d(x, c.w, c.b, {c.strideT, 1, 1});
}

/// A conv whose input's last frames are remembered for the next chunk.
at::Tensor cachedConv(const CausalConv& c, const at::Tensor& x, FeatureCache& cache) {
    Slot& slot = cache.take();
    const std::int64_t t = x.size(2);
    at::Tensor keep =
        x.narrow(2, std::max<std::int64_t>(0, t - kCacheFrames), std::min(kCacheFrames, t)).clone();
    if (keep.size(2) < 2 && slot.state == Slot::Frames)
        keep = at::cat({slot.frames.narrow(2, slot.frames.size(2) - 1, 1), keep}, 2);
    auto y = runConv(c, x, slot.state == Slot::Frames ? slot.frames : at::Tensor());
    slot.state = Slot::Frames;
    slot.frames = keep;
    return y;
}

at::Tensor rmsNormChannels(const at::Tensor& x, const at::Tensor& gamma) {
    const double scale = std::sqrt(static_cast<double>(x.size(1)));
    auto n = x / at::norm(x, 2, {1}, true).clamp_min(1e-12);
    return n * scale * gamma;
}

struct Residual {
    at::Tensor gamma1, gamma2;
    CausalConv conv1, conv2, shortcut;
    bool hasShortcut = false;

    at::Tensor forward(const at::Tensor& x, FeatureCache& cache) const {
        const auto h = hasShortcut ? runConv(shortcut, x, {}) : x;
        auto y = cachedConv(conv1, at::silu(rmsNormChannels(x, gamma1)), cache);
        y = cachedConv(conv2, at::silu(rmsNormChannels(y, gamma2)), cache);
        return y + h;
    }
};

/// Per-frame single-head self-attention over the h*w pixels.
struct Attention {
    at::Tensor gamma, qkvW, qkvB, projW, projB;

    at::Tensor forward(const at::Tensor& x) const {
        const auto b = x.size(0), c = x.size(1), t = x.size(2), h = x.size(3), w = x.size(4);
        auto frames = x.permute({0, 2, 1, 3, 4}).reshape({b * t, c, h, w});
        auto n = rmsNormChannels(frames, gamma);
        auto qkv = nn::conv2d(n, qkvW, qkvB).reshape({b * t, 3 * c, h * w}).permute({0, 2, 1});
        auto parts = qkv.chunk(3, -1); // each [bt, hw, c]
        auto out = nn::attention(parts[0].unsqueeze(2), parts[1].unsqueeze(2), parts[2].unsqueeze(2),
                                 1.0 / std::sqrt(static_cast<double>(c)));
        out = out.squeeze(2).permute({0, 2, 1}).reshape({b * t, c, h, w});
        out = nn::conv2d(out, projW, projB);
        return out.reshape({b, t, c, h, w}).permute({0, 2, 1, 3, 4}) + x;
    }
};

enum class ResampleMode { Down2d, Down3d, Up2d, Up3d };

struct Resample {
    ResampleMode mode = ResampleMode::Down2d;
    at::Tensor w, b;
    CausalConv timeConv;

    at::Tensor forward(at::Tensor x, FeatureCache& cache) const {
        const auto bs = x.size(0), c = x.size(1);
        if (mode == ResampleMode::Up3d) {
            Slot& slot = cache.take();
            if (slot.state == Slot::Empty) {
                slot.state = Slot::Rep; // first chunk: frame 0 is not doubled
            } else {
                const std::int64_t t = x.size(2);
                at::Tensor keep =
                    x.narrow(2, std::max<std::int64_t>(0, t - kCacheFrames), std::min(kCacheFrames, t))
                        .clone();
                if (keep.size(2) < 2 && slot.state == Slot::Frames)
                    keep = at::cat({slot.frames.narrow(2, slot.frames.size(2) - 1, 1), keep}, 2);
                else if (keep.size(2) < 2 && slot.state == Slot::Rep)
                    keep = at::cat({at::zeros_like(keep), keep}, 2);
                auto y = runConv(timeConv, x, slot.state == Slot::Frames ? slot.frames : at::Tensor());
                slot.state = Slot::Frames;
                slot.frames = keep;
                // [b, 2c, t, h, w] -> interleave the two halves along time (first half earlier).
                const auto h = y.size(3), w = y.size(4);
                x = y.view({bs, 2, c, t, h, w}).permute({0, 2, 3, 1, 4, 5}).reshape({bs, c, 2 * t, h, w});
            }
        }
        const auto t = x.size(2), h = x.size(3), w = x.size(4);
        auto frames = x.permute({0, 2, 1, 3, 4}).reshape({bs * t, c, h, w});
        if (mode == ResampleMode::Up2d || mode == ResampleMode::Up3d) {
            frames = frames.unsqueeze(-1)
                         .unsqueeze(-3)
                         .expand({bs * t, c, h, 2, w, 2})
                         .reshape({bs * t, c, 2 * h, 2 * w});
            frames = nn::conv2d(frames, this->w, this->b, {1, 1}, {1, 1});
        } else {
            frames = at::constant_pad_nd(frames, {0, 1, 0, 1}, 0);
            frames = nn::conv2d(frames, this->w, this->b, {2, 2});
        }
        x = frames.reshape({bs, t, frames.size(1), frames.size(2), frames.size(3)}).permute({0, 2, 1, 3, 4});
        if (mode == ResampleMode::Down3d) {
            Slot& slot = cache.take();
            if (slot.state == Slot::Empty) {
                slot.state = Slot::Frames; // first chunk: passes through, remembered
                slot.frames = x.clone();
            } else {
                auto keep = x.narrow(2, x.size(2) - 1, 1).clone();
                x = runConv(timeConv, at::cat({slot.frames.narrow(2, slot.frames.size(2) - 1, 1), x}, 2), {});
                slot.frames = keep;
            }
        }
        return x.contiguous();
    }
};

struct Layer {
    enum Kind { Res, Attn, Sample } kind = Res;
    Residual res;
    Attention attn;
    Resample resample;

    at::Tensor forward(const at::Tensor& x, FeatureCache& cache) const {
        switch (kind) {
        case Res:
            return res.forward(x, cache);
        case Attn:
            return attn.forward(x);
        case Sample:
            return resample.forward(x, cache);
        }
        return x;
    }
};

struct Coder {
    CausalConv conv1, head;
    at::Tensor headGamma;
    std::vector<Layer> layers; // body then middle

    at::Tensor forward(const at::Tensor& x, FeatureCache& cache) const {
        auto h = cachedConv(conv1, x, cache);
        for (const auto& layer : layers)
            h = layer.forward(h, cache);
        return cachedConv(head, at::silu(rmsNormChannels(h, headGamma)), cache);
    }
};

class Loader {
public:
    explicit Loader(WeightMap& wm)
        : m_wm(wm) {}

    CausalConv conv(const std::string& name, std::int64_t out, std::int64_t in, std::int64_t kt,
                    std::int64_t ks, std::int64_t padT, std::int64_t padS, std::int64_t strideT = 1) {
        CausalConv c;
        c.w = m_wm.take(name + ".weight", {out, in, kt, ks, ks});
        c.b = m_wm.take(name + ".bias", {out});
        c.padT = padT;
        c.padH = c.padW = padS;
        c.strideT = strideT;
        return c;
    }
    at::Tensor gamma5(const std::string& name, std::int64_t c) {
        return m_wm.take(name, {c, 1, 1, 1}).view({1, c, 1, 1, 1});
    }
    Layer residual(const std::string& p, std::int64_t in, std::int64_t out) {
        Layer l;
        l.kind = Layer::Res;
        l.res.gamma1 = gamma5(p + ".residual.0.gamma", in);
        l.res.conv1 = conv(p + ".residual.2", out, in, 3, 3, 1, 1);
        l.res.gamma2 = gamma5(p + ".residual.3.gamma", out);
        l.res.conv2 = conv(p + ".residual.6", out, out, 3, 3, 1, 1);
        if (in != out) {
            l.res.hasShortcut = true;
            l.res.shortcut = conv(p + ".shortcut", out, in, 1, 1, 0, 0);
        }
        return l;
    }
    Layer attention(const std::string& p, std::int64_t c) {
        Layer l;
        l.kind = Layer::Attn;
        l.attn.gamma = m_wm.take(p + ".norm.gamma", {c, 1, 1}).view({1, c, 1, 1});
        l.attn.qkvW = m_wm.take(p + ".to_qkv.weight", {3 * c, c, 1, 1});
        l.attn.qkvB = m_wm.take(p + ".to_qkv.bias", {3 * c});
        l.attn.projW = m_wm.take(p + ".proj.weight", {c, c, 1, 1});
        l.attn.projB = m_wm.take(p + ".proj.bias", {c});
        return l;
    }
    Layer resample(const std::string& p, std::int64_t c, ResampleMode mode) {
        Layer l;
        l.kind = Layer::Sample;
        l.resample.mode = mode;
        const bool up = mode == ResampleMode::Up2d || mode == ResampleMode::Up3d;
        const std::int64_t out = up ? c / 2 : c;
        l.resample.w = m_wm.take(p + ".resample.1.weight", {out, c, 3, 3});
        l.resample.b = m_wm.take(p + ".resample.1.bias", {out});
        if (mode == ResampleMode::Down3d)
            l.resample.timeConv = conv(p + ".time_conv", c, c, 3, 1, 0, 0, 2);
        else if (mode == ResampleMode::Up3d)
            l.resample.timeConv = conv(p + ".time_conv", 2 * c, c, 3, 1, 1, 0);
        return l;
    }

private:
    WeightMap& m_wm;
};

} // namespace

struct WanVae::Impl {
    bool hasEncoder = false, hasDecoder = false;
    Coder encoder, decoder;
    CausalConv quantConv, postQuantConv; // top-level conv1 / conv2
    at::Tensor mean, stdDev;
    /// Where the weights are, and so where inputs go: a training map synthesizes them on its device
    /// (WeightMap::setDevice), to() moves them.
    at::Device device() const {
        if (hasEncoder)
            return encoder.conv1.w.device();
        return hasDecoder ? decoder.conv1.w.device() : at::Device(at::kCPU);
    }
};

WanVae::WanVae(const VaeConfig& config, WeightMap& wm, bool withEncoder, bool withDecoder)
    : m_config(config)
    , m_impl(std::make_unique<Impl>()) {
    Loader load(wm);
    const auto& c = m_config;
    const std::int64_t stages = static_cast<std::int64_t>(c.dimMult.size());
    if (withEncoder) {
        std::vector<std::int64_t> dims{c.dim};
        for (auto m : c.dimMult)
            dims.push_back(c.dim * m);
        auto& enc = m_impl->encoder;
        enc.conv1 = load.conv("encoder.conv1", dims[0], 3, 3, 3, 1, 1);
        int index = 0;
        std::int64_t out = dims[0];
        for (std::int64_t i = 0; i < stages; ++i) {
            std::int64_t in = dims[static_cast<std::size_t>(i)];
            out = dims[static_cast<std::size_t>(i + 1)];
            for (std::int64_t r = 0; r < c.numResBlocks; ++r) {
                enc.layers.push_back(
                    load.residual("encoder.downsamples." + std::to_string(index++), in, out));
                in = out;
            }
            if (i != stages - 1) {
                const auto mode = c.temporalDownsample[static_cast<std::size_t>(i)] ? ResampleMode::Down3d
                                                                                    : ResampleMode::Down2d;
                enc.layers.push_back(
                    load.resample("encoder.downsamples." + std::to_string(index++), out, mode));
            }
        }
        enc.layers.push_back(load.residual("encoder.middle.0", out, out));
        enc.layers.push_back(load.attention("encoder.middle.1", out));
        enc.layers.push_back(load.residual("encoder.middle.2", out, out));
        enc.headGamma = load.gamma5("encoder.head.0.gamma", out);
        enc.head = load.conv("encoder.head.2", 2 * c.zDim, out, 3, 3, 1, 1);
        m_impl->quantConv = load.conv("conv1", 2 * c.zDim, 2 * c.zDim, 1, 1, 0, 0);
        m_impl->hasEncoder = true;
    }
    if (withDecoder) {
        std::vector<std::int64_t> dims{c.dim * c.dimMult.back()};
        for (auto it = c.dimMult.rbegin(); it != c.dimMult.rend(); ++it)
            dims.push_back(c.dim * *it);
        auto& dec = m_impl->decoder;
        m_impl->postQuantConv = load.conv("conv2", c.zDim, c.zDim, 1, 1, 0, 0);
        dec.conv1 = load.conv("decoder.conv1", dims[0], c.zDim, 3, 3, 1, 1);
        // The reference puts the middle blocks first in the decoder.
        dec.layers.push_back(load.residual("decoder.middle.0", dims[0], dims[0]));
        dec.layers.push_back(load.attention("decoder.middle.1", dims[0]));
        dec.layers.push_back(load.residual("decoder.middle.2", dims[0], dims[0]));
        int index = 0;
        std::int64_t out = dims[0];
        for (std::int64_t i = 0; i < stages; ++i) {
            std::int64_t in = dims[static_cast<std::size_t>(i)];
            out = dims[static_cast<std::size_t>(i + 1)];
            if (i >= 1)
                in /= 2;
            for (std::int64_t r = 0; r < c.numResBlocks + 1; ++r) {
                dec.layers.push_back(load.residual("decoder.upsamples." + std::to_string(index++), in, out));
                in = out;
            }
            if (i != stages - 1) {
                // The decoder uses the temporal flags reversed.
                const bool temporal = c.temporalDownsample[static_cast<std::size_t>(stages - 2 - i)];
                dec.layers.push_back(load.resample("decoder.upsamples." + std::to_string(index++), out,
                                                   temporal ? ResampleMode::Up3d : ResampleMode::Up2d));
            }
        }
        dec.headGamma = load.gamma5("decoder.head.0.gamma", out);
        dec.head = load.conv("decoder.head.2", 3, out, 3, 3, 1, 1);
        m_impl->hasDecoder = true;
    }
    m_impl->mean = at::tensor(c.latentsMean, at::kFloat).view({1, c.zDim, 1, 1, 1});
    m_impl->stdDev = at::tensor(c.latentsStd, at::kFloat).view({1, c.zDim, 1, 1, 1});
    m_parameterCount = wm.parameterCount();
}

namespace {
void collectCoder(Coder& coder, std::vector<at::Tensor*>& out) {
    for (auto* c : {&coder.conv1, &coder.head})
        out.insert(out.end(), {&c->w, &c->b});
    out.push_back(&coder.headGamma);
    for (auto& layer : coder.layers) {
        for (auto* c : {&layer.res.conv1, &layer.res.conv2, &layer.res.shortcut, &layer.resample.timeConv})
            out.insert(out.end(), {&c->w, &c->b});
        out.insert(out.end(), {&layer.res.gamma1, &layer.res.gamma2, &layer.attn.gamma, &layer.attn.qkvW,
                               &layer.attn.qkvB, &layer.attn.projW, &layer.attn.projB, &layer.resample.w,
                               &layer.resample.b});
    }
}
} // namespace

void WanVae::to(at::Device device) {
    auto& m = *m_impl;
    std::vector<at::Tensor*> tensors{&m.quantConv.w,     &m.quantConv.b, &m.postQuantConv.w,
                                     &m.postQuantConv.b, &m.mean,        &m.stdDev};
    collectCoder(m.encoder, tensors);
    collectCoder(m.decoder, tensors);
    nn::moveTensors(tensors, device);
}

at::Device WanVae::device() const {
    return m_impl->device();
}

WanVae::~WanVae() = default;
WanVae::WanVae(WanVae&&) noexcept = default;
WanVae& WanVae::operator=(WanVae&&) noexcept = default;

bool WanVae::hasEncoder() const {
    return m_impl->hasEncoder;
}
bool WanVae::hasDecoder() const {
    return m_impl->hasDecoder;
}

at::Tensor WanVae::encode(const at::Tensor& video) const {
    if (!m_impl->hasEncoder)
        throw ModelError("the VAE was loaded without its encoder");
    if (video.dim() != 5 || video.size(0) < 1 || video.size(1) != 3 || video.size(2) < 1 ||
        video.size(3) % 8 != 0 || video.size(4) % 8 != 0 || video.size(3) == 0 || video.size(4) == 0)
        throw RequestError("VAE encode input must be [B, 3, T, H, W] with H and W positive multiples of 8");
    const auto x = video.to(m_impl->device(), at::kFloat);
    const std::int64_t chunks = 1 + (x.size(2) - 1) / 4;
    FeatureCache cache;
    std::vector<at::Tensor> outs;
    for (std::int64_t i = 0; i < chunks; ++i) {
        cache.next = 0;
        const auto chunk = i == 0 ? x.narrow(2, 0, 1) : x.narrow(2, 1 + 4 * (i - 1), 4);
        outs.push_back(m_impl->encoder.forward(chunk, cache));
    }
    const auto h = runConv(m_impl->quantConv, at::cat(outs, 2), {});
    return h.narrow(1, 0, m_config.zDim).contiguous();
}

at::Tensor WanVae::decode(const at::Tensor& z, const std::function<void(const at::Tensor&)>& onChunk) const {
    if (!m_impl->hasDecoder)
        throw ModelError("the VAE was loaded without its decoder");
    if (z.dim() != 5 || z.size(0) < 1 || z.size(1) != m_config.zDim || z.size(2) < 1 || z.size(3) < 1 ||
        z.size(4) < 1)
        throw RequestError("VAE decode input must be [B, " + std::to_string(m_config.zDim) + ", T, h, w]");
    const auto x = runConv(m_impl->postQuantConv, z.to(m_impl->device(), at::kFloat), {});
    FeatureCache cache;
    std::vector<at::Tensor> outs;
    for (std::int64_t i = 0; i < x.size(2); ++i) {
        cache.next = 0;
        auto frames = m_impl->decoder.forward(x.narrow(2, i, 1), cache).clamp(-1.0, 1.0);
        if (onChunk)
            onChunk(frames);
        outs.push_back(frames);
    }
    return at::cat(outs, 2);
}

at::Tensor WanVae::normalize(const at::Tensor& mu) const {
    return (mu - m_impl->mean.to(mu.device())) * (1.0 / m_impl->stdDev.to(mu.device()));
}

at::Tensor WanVae::denormalize(const at::Tensor& z) const {
    return z * m_impl->stdDev.to(z.device()) + m_impl->mean.to(z.device());
}

} // namespace kinema::diffusion::wan21
