// SPDX-License-Identifier: Apache-2.0
#pragma once
/// The Wan 2.1 diffusion transformer (reference `WanModel`), fp32 on CPU.
///
/// Design: parameters are plain tensors drawn from a WeightMap by their original names (diffusers names are
/// mapped by the caller). forward() works on one sample without batch axis, as the reference's sampling loop
/// calls it: latent [C, F, H, W], an integer timestep and an embedded context. The text embedding (and the
/// CLIP image embedding for i2v/flf2v) is computed once per prompt by embedContext() and reused every step.
/// Self-attention uses 3-axis RoPE on interleaved pairs computed in float64; attention is tiled.
#include "families/wan21/WanConfig.h"
#include "tensor/WeightMap.h"

#include <ATen/ATen.h>

#include <vector>

namespace kinema::diffusion::wan21 {

class WanDit {
public:
    WanDit(const DitConfig& config, WeightMap& weights);

    const DitConfig& config() const { return m_config; }
    std::int64_t parameterCount() const { return m_parameterCount; }

    /// Embeds text features [L, text_dim] (L <= text_len; zero-padded to text_len rows before the MLP),
    /// plus for i2v/flf2v the CLIP features [1, 257 or 514, 1280] put in front. Returns [1, rows, dim].
    at::Tensor embedContext(const at::Tensor& text, const at::Tensor& clipFeatures = {}) const;

    /// Velocity prediction for latent x [in_dim - y channels, F, H, W] at integer timestep t.
    /// `y` ([in_dim - C, F, H, W], i2v/flf2v only) is concatenated to x along channels.
    at::Tensor forward(const at::Tensor& x, std::int64_t t, const at::Tensor& embeddedContext,
                       const at::Tensor& y = {}) const;

    /// The same latent under B contexts in one batched forward (classifier-free guidance: cond and uncond).
    /// `contexts` is [B, rows, dim] (embedContext results concatenated along dim 0, equal row counts);
    /// returns [B, out_dim, F, H, W]. Peak activation memory is B times that of forward().
    at::Tensor forwardBatch(const at::Tensor& x, std::int64_t t, const at::Tensor& contexts,
                            const at::Tensor& y = {}) const;

    /// Moves every parameter to `device` (compute stays fp32).
    void to(at::Device device);

private:
    struct Linear {
        at::Tensor w, b;
    };
    struct Block {
        at::Tensor modulation;
        Linear q, k, v, o, cq, ck, cv, co, ckImg, cvImg, ffn0, ffn2;
        at::Tensor normQ, normK, cNormQ, cNormK, cNormKImg, norm3W, norm3B;
    };

    at::Tensor selfAttention(const Block& b, const at::Tensor& x, const at::Tensor& cosTable,
                             const at::Tensor& sinTable) const;
    at::Tensor crossAttention(const Block& b, const at::Tensor& x, const at::Tensor& context) const;

    DitConfig m_config;
    std::int64_t m_parameterCount = 0;
    Linear m_patch, m_text0, m_text2, m_time0, m_time2, m_timeProj, m_head;
    at::Tensor m_headModulation;
    // i2v / flf2v image projection
    at::Tensor m_imgNorm0W, m_imgNorm0B, m_imgNorm4W, m_imgNorm4B, m_imgPos;
    Linear m_img1, m_img3;
    std::vector<Block> m_blocks;
};

/// RoPE angle tables for a patch grid: cos and sin, each [F*H*W, head_dim/2] float64, bands t/h/w.
std::pair<at::Tensor, at::Tensor> ropeTables(std::int64_t headDim, std::int64_t f, std::int64_t h,
                                             std::int64_t w);

/// Rotates interleaved pairs of x [B, L, N, D] by the tables (float64 arithmetic, result in x's dtype).
at::Tensor applyRope(const at::Tensor& x, const at::Tensor& cosTable, const at::Tensor& sinTable);

/// The cos-first timestep sinusoid of width `dim`, computed in float64 and returned as float32 [1, dim].
at::Tensor timestepSinusoid(std::int64_t dim, std::int64_t t);

} // namespace kinema::diffusion::wan21
