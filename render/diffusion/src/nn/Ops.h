// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Model-agnostic building blocks on ATen tensors: attention tiled over queries (libtorch 1.13 has no
/// public fused SDPA, and full score matrices for video token counts do not fit in memory), convolutions
/// routed to oneDNN where libtorch's default 3-D path is slow, and small normalisation helpers.
#include <ATen/ATen.h>

#include <cstdint>
#include <exception>
#include <vector>

namespace kinema::diffusion::nn {

/// Softmax attention. q: [B, Lq, N, D], k and v: [B, Lk, N, D]; returns [B, Lq, N, D] in q's dtype.
/// Scores are computed in fp32 in tiles of queries so that one tile's score matrix stays below
/// `maxScoreBytes`. `keyBias`, if defined, is added to the logits and broadcasts to [B, N, Lq, Lk].
/// bf16 inputs follow a flash kernel's numerics (fp32 scores and softmax, probabilities rounded to bf16,
/// fp32 accumulation). On libtorch >= 2 with CUDA tensors the fused kernel runs instead of the tiles.
at::Tensor attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, double scale,
                     const at::Tensor& keyBias = {}, std::int64_t maxScoreBytes = std::int64_t{256} << 20);

/// RMS normalisation over the last dimension: x * rsqrt(mean(x^2) + eps) * weight, computed in fp32.
at::Tensor rmsNorm(const at::Tensor& x, const at::Tensor& weight, double eps);

/// 3-D convolution without padding; uses oneDNN on CPU when available.
at::Tensor conv3d(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias,
                  at::IntArrayRef stride = {1, 1, 1});

/// 2-D convolution with symmetric `padding`; uses oneDNN on CPU when available.
at::Tensor conv2d(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias,
                  at::IntArrayRef stride = {1, 1}, at::IntArrayRef padding = {0, 0});

/// Moves every defined tensor among `tensors` to `device` in place (the models' `to(device)`).
void moveTensors(const std::vector<at::Tensor*>& tensors, at::Device device);

/// True when `e` reports an allocation failure (CUDA or CPU out of memory), which callers may retry with
/// less memory (smaller tiles, unbatched guidance) instead of failing.
bool isOutOfMemory(const std::exception& e);

/// Sets the number of intra-op threads used by the CPU kernels (<= 0 leaves the default).
void setComputeThreads(int threads);

} // namespace kinema::diffusion::nn
