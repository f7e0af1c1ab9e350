// SPDX-License-Identifier: Apache-2.0
#pragma once
/// The Wan 2.1 causal video VAE (reference `WanVAE_`), fp32.
///
/// Design: encode and decode run chunk by chunk along time exactly like the reference (encode: frame 0
/// alone, then groups of 4; decode: one latent frame per chunk) with a per-convolution feature cache of the
/// last two input frames. Peak activation memory therefore depends on the frame size, not on the clip
/// length. Either half can be loaded alone (an encoder-only or decoder-only weights file).
#include "families/wan21/WanConfig.h"
#include "tensor/WeightMap.h"

#include <ATen/ATen.h>

#include <functional>
#include <vector>

namespace kinema::diffusion::wan21 {

class WanVae {
public:
    WanVae(const VaeConfig& config, WeightMap& weights, bool withEncoder, bool withDecoder);
    ~WanVae();
    WanVae(WanVae&&) noexcept;
    WanVae& operator=(WanVae&&) noexcept;

    const VaeConfig& config() const { return m_config; }
    bool hasEncoder() const;
    bool hasDecoder() const;
    std::int64_t parameterCount() const { return m_parameterCount; }

    /// Raw latent mean of video [B, 3, T, H, W] in [-1, 1], T = 1 + 4k, H and W multiples of 8.
    /// Returns [B, z_dim, 1 + (T-1)/4, H/8, W/8]; each clip of a batch is encoded on its own (the trainer
    /// batches clips; the engine encodes one at a time).
    at::Tensor encode(const at::Tensor& video) const;
    /// Decodes a raw latent [B, z_dim, T', h, w] to video [B, 3, 1 + 4(T'-1), 8h, 8w], clamped to [-1, 1].
    /// `onChunk`, if set, receives each decoded chunk (frames along dim 2) as soon as it is ready.
    at::Tensor decode(const at::Tensor& z, const std::function<void(const at::Tensor&)>& onChunk = {}) const;

    /// Moves the weights to `device`; encode() and decode() take inputs from any device and return results
    /// on this one.
    void to(at::Device device);
    at::Device device() const;

    /// (mu - mean) / std per channel, and its inverse.
    at::Tensor normalize(const at::Tensor& mu) const;
    at::Tensor denormalize(const at::Tensor& z) const;

    struct Impl;

private:
    VaeConfig m_config;
    std::int64_t m_parameterCount = 0;
    std::unique_ptr<Impl> m_impl;
};

} // namespace kinema::diffusion::wan21
