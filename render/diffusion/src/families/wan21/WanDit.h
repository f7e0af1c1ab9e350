// SPDX-License-Identifier: Apache-2.0
#pragma once
/// The Wan 2.1 diffusion transformer (reference `WanModel`): fp32, or the reference's bf16 mixed precision.
///
/// Design: parameters are plain tensors drawn from a WeightMap by their original names (diffusers names are
/// mapped by the caller). forward() works on one sample without batch axis, as the reference's sampling loop
/// calls it: latent [C, F, H, W], an integer timestep and an embedded context. The text embedding (and the
/// CLIP image embedding for i2v/flf2v) is computed once per prompt by embedContext() and reused every step.
/// Self-attention uses 3-axis RoPE on interleaved pairs computed in float64; attention is tiled.
#include "families/wan21/WanConfig.h"
#include "tensor/WeightMap.h"

#include <ATen/ATen.h>

#include <array>
#include <vector>

namespace kinema::diffusion::wan21 {

class WanDit {
public:
    WanDit(const DitConfig& config, WeightMap& weights);

    const DitConfig& config() const { return m_config; }
    std::int64_t parameterCount() const { return m_parameterCount; }

    /// Embeds text features [L, text_dim] (L <= text_len; zero-padded to text_len rows before the MLP),
    /// plus for i2v/flf2v the CLIP features [1, 257 or 514, 1280] (clip_tokens, clip_dim) put in front.
    /// Returns [1, rows, dim].
    at::Tensor embedContext(const at::Tensor& text, const at::Tensor& clipFeatures = {}) const;
    /// Training, t2v models: text features of B prompts [B, L, text_dim] (L <= text_len; rows past each
    /// prompt's length already zero) -> [B, text_len, dim]; row b equals embedContext(text[b] cut to its
    /// length).
    at::Tensor embedContexts(const at::Tensor& texts) const;

    /// Velocity prediction for latent x [in_dim - y channels, F, H, W] at integer timestep t.
    /// `y` ([in_dim - C, F, H, W], i2v/flf2v only) is concatenated to x along channels.
    at::Tensor forward(const at::Tensor& x, std::int64_t t, const at::Tensor& embeddedContext,
                       const at::Tensor& y = {}) const;

    /// The same latent under B contexts in one batched forward (classifier-free guidance: cond and uncond).
    /// `contexts` is [B, rows, dim] (embedContext results concatenated along dim 0, equal row counts);
    /// returns [B, out_dim, F, H, W]. Peak activation memory is B times that of forward().
    at::Tensor forwardBatch(const at::Tensor& x, std::int64_t t, const at::Tensor& contexts,
                            const at::Tensor& y = {}) const;

    /// Training: B samples in one forward, each with its own latent x [B, C, F, H, W], timestep
    /// (`timesteps`, B values), embedded context ([B, rows, dim]) and, for conditioning channels, y
    /// [B, in_dim - C, F, H, W]. Returns [B, out_dim, F, H, W]; sample i is forward(x[i], timesteps[i],
    /// contexts[i], y[i]) up to float rounding.
    at::Tensor forwardSamples(const at::Tensor& x, const std::vector<std::int64_t>& timesteps,
                              const at::Tensor& contexts, const at::Tensor& y = {}) const;

    /// Moves the parameters to `device`, the compute device (with block streaming on, the blocks stay on
    /// the CPU and only the rest moves).
    void to(at::Device device);
    at::Device device() const { return m_device; }

    /// Sequential offload for small GPUs: the transformer blocks' weights stay in CPU memory and each block
    /// is copied to the compute device for its own forward only, so the device holds the shared weights
    /// plus one block. Results are identical; each step pays one host-to-device copy of the blocks.
    void setStreamBlocks(bool stream);
    bool streamsBlocks() const { return m_streamBlocks; }

    /// kFloat (default) or kBFloat16: the mixed-precision map of the reference (wan21 spec 1.11). bf16
    /// converts the Linear/patch matrices to bf16 (one way: reload the weights to go back to fp32) while
    /// the residual stream, modulation, norms, RoPE, time MLP and head stay fp32.
    void setMatmulType(at::ScalarType type);
    at::ScalarType matmulType() const { return m_matmulType; }

    /// Parameter bytes: everything, everything but the blocks, and the largest single block.
    struct WeightBytes {
        std::int64_t total = 0, shared = 0, largestBlock = 0;
    };
    WeightBytes weightBytes();

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
    /// Attention in the configured precision (bf16 inputs, fp32 result on the bf16 path).
    at::Tensor attend(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, double scale) const;
    /// The text MLP over texts [B, L <= text_len, text_dim], zero-padded to text_len rows: [B, text_len,
    /// dim].
    at::Tensor embedText(const at::Tensor& texts) const;
    /// Checks x [B, in_dim, F, H, W] (y already concatenated) and returns its patch tokens
    /// [B, F*H/p*W/p, in_dim*p*p].
    at::Tensor patchTokens(const at::Tensor& x) const;
    /// The blocks and the head over patch-embedded tokens h [B, L, dim] of an F x hp x wp grid, with the
    /// timestep sinusoids [1 or B, freq_dim] and contexts [B, rows, dim]: [B, out_dim, F, hp*p, wp*p].
    at::Tensor transform(at::Tensor h, const at::Tensor& sinusoids, const at::Tensor& contexts,
                         std::int64_t f, std::int64_t hp, std::int64_t wp) const;
    /// A block's Linears (the matrices of the bf16 map), and all of its parameters.
    static std::array<Linear*, 12> blockLinears(Block& b);
    static std::vector<at::Tensor*> blockTensors(Block& b);
    std::vector<at::Tensor*> sharedTensors();
    Block onDevice(const Block& b) const;

    DitConfig m_config;
    std::int64_t m_parameterCount = 0;
    Linear m_patch, m_text0, m_text2, m_time0, m_time2, m_timeProj, m_head;
    at::Tensor m_headModulation;
    // i2v / flf2v image projection
    at::Tensor m_imgNorm0W, m_imgNorm0B, m_imgNorm4W, m_imgNorm4B, m_imgPos;
    Linear m_img1, m_img3;
    std::vector<Block> m_blocks;
    at::Device m_device{at::kCPU};
    bool m_streamBlocks = false;
    at::ScalarType m_matmulType = at::kFloat;
};

/// RoPE angle tables for a patch grid: cos and sin, each [F*H*W, head_dim/2] float64, bands t/h/w.
std::pair<at::Tensor, at::Tensor> ropeTables(std::int64_t headDim, std::int64_t f, std::int64_t h,
                                             std::int64_t w);

/// Rotates interleaved pairs of x [B, L, N, D] by the tables (float64 arithmetic, result in x's dtype).
at::Tensor applyRope(const at::Tensor& x, const at::Tensor& cosTable, const at::Tensor& sinTable);

/// The cos-first timestep sinusoid of width `dim`, computed in float64 and returned as float32 [1, dim].
at::Tensor timestepSinusoid(std::int64_t dim, std::int64_t t);
/// The same for several timesteps: [timesteps.size(), dim].
at::Tensor timestepSinusoids(std::int64_t dim, const std::vector<std::int64_t>& timesteps);

} // namespace kinema::diffusion::wan21
