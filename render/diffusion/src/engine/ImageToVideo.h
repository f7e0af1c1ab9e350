// SPDX-License-Identifier: Apache-2.0
#pragma once
/// The conditioning inputs of Wan 2.1's image-to-video (i2v) and first-last-frame (flf2v) models, built as
/// the reference pipelines build them: CLIP features of the key image(s) and y = [4-channel frame mask,
/// VAE latents of the key image(s) with black frames between].
///
/// Mask: one value per pixel frame (1 for a given frame), frame 0 repeated four times so that every latent
/// frame covers four mask values, laid out as [4, latent frames, h, w]. So latent frame 0 is all ones, and
/// for flf2v the last latent frame is [0, 0, 0, 1] (only its last pixel frame is given).
#include "families/wan21/WanClip.h"
#include "families/wan21/WanVae.h"

#include <ATen/ATen.h>

#include <string>
#include <vector>

namespace kinema::diffusion {

struct ImageConditioning {
    at::Tensor clipFeatures; ///< [1, tokens, dim] (i2v) or [1, 2 * tokens, dim] (flf2v)
    at::Tensor y;            ///< [4 + z_dim, latent frames, h, w], on the VAE's device
};

/// The mask channels [4, 1 + (frames - 1) / 4, lh, lw] for the given pixel frames.
at::Tensor imageToVideoMask(int frames, const std::vector<int>& givenFrames, std::int64_t lh,
                            std::int64_t lw);

/// `keys`: the first image (i2v), or the first and last (flf2v), each [3, H, W] in [-1, 1] at the output
/// size.
ImageConditioning buildImageConditioning(const std::string& modelType, const wan21::WanClipVision& clip,
                                         const wan21::WanVae& vae, const std::vector<at::Tensor>& keys,
                                         int frames);

} // namespace kinema::diffusion
