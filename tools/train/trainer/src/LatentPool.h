// SPDX-License-Identifier: Apache-2.0
#pragma once
// The dit stage's latent pool (--latent-pool N): N scenes rendered and encoded once, from which every
// training sample is drawn.
//
// Encoding a 17-frame clip with the VAE costs about five times the DiT's forward and backward pass on its
// latents (0.083 s against 0.017 s on one core), so a stage that renders and encodes a fresh clip for every
// sample spends most of its time in the frozen VAE. A pool pays that once per scene; each draw then has its
// own timestep, noise, conditioning mask and caption style. The pool is written to the work directory and
// reused while the VAE weights, the geometry and the seed are the same.
#include "TrainerInternal.h"

namespace kinema::trainer::detail {

class SampleWorkers;

struct LatentPool {
    at::Tensor latents;  ///< [N, C, F, h, w] raw VAE latents (before the latent statistics)
    at::Tensor heldKeys; ///< [N, C, F, h, w] latent frame k's held-key latent (k >= 1; frame 0 unused)
    /// [N, F, h, w] latentObjectMask of each scene; computed (from the renders, not stored) when the dit
    /// stage weights objects (--object-weight), else undefined.
    at::Tensor objectMasks;
    std::uint64_t sceneSeedBase = 0;

    std::int64_t size() const { return latents.defined() ? latents.size(0) : 0; }
    /// The scene of pool entry `index`.
    std::uint64_t sceneSeed(std::int64_t index) const;
};

std::filesystem::path latentPoolPath(const TrainOptions& options);

/// Loads the pool of `options.latentPool` scenes from the work directory when it was built with the same
/// VAE weights (`vaeDigest`), geometry and seed; otherwise renders and encodes it on `workers` and writes it.
/// With `batchVae` (the same weights, on the training device: the batched steps), the workers render
/// batches of scenes and `batchVae` encodes each batch in one pass (equal to `vae`'s per-scene encodes up
/// to float rounding); without, every worker encodes its own scenes with `vae` on the CPU.
LatentPool loadOrBuildLatentPool(const TrainOptions& options, wan21::WanVae& vae,
                                 const std::string& vaeDigest, std::uint64_t sceneSeedBase,
                                 SampleWorkers& workers, wan21::WanVae* batchVae = nullptr);

/// The latent the engine conditions latent frame `index` on when the only frame given near it is its last
/// pixel frame 4·index (a single key): the engine's conditioning clip, encoded, latent frame 1 kept
/// (before normalisation). `video` is [B, 3, T, H, W]; returns [B, C, h, w].
at::Tensor keyChunkLatent(wan21::WanVae& vae, const at::Tensor& video, std::int64_t index);

} // namespace kinema::trainer::detail
