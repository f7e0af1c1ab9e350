// SPDX-License-Identifier: Apache-2.0
#pragma once
/// The pixel clip the engine encodes for the conditioning latent of one latent frame. Shared by the
/// session (at inference) and the demo-model trainer (which must train on the same latents).
#include "families/wan21/WanVae.h"

#include <ATen/ATen.h>

#include <cstdint>
#include <map>

namespace kinema::diffusion {

/// Latent frame `index` >= 1 covers pixel frames 4·index − 3 … 4·index and is encoded after its context
/// frame 4·index − 4. The clip is those five frames, [1, 3, 5, H, W]: each the given frame at that position
/// (`given`: every pixel frame of the request, [3, H, W] each) or else the nearest key of this latent
/// frame's own group (`group`, not empty). A single key at 4·index gives the key held still.
at::Tensor conditioningClip(std::int64_t index, const std::map<int, at::Tensor>& group,
                            const std::map<int, at::Tensor>& given);

/// The VAE latent [C, F, h, w] (not normalised) of a mid-grey clip of `frames` frames: zeros in the VAE's
/// [-1, 1] pixel space, as the Wan 2.1 reference's image-to-video fills the frames after its key before
/// encoding them. Not uniform: the encoder's zero padding marks the latent's outer rows and columns, so a
/// model that sees it in the conditioning channels of its unkeyed latent frames (kinema.json
/// "unkeyed_condition": "grey") can tell where in the frame each token lies.
at::Tensor greyClipLatent(const wan21::WanVae& vae, std::int64_t frames, std::int64_t height,
                          std::int64_t width);

/// A position pattern in place of a latent, [channels, frames, height, width] (latent sizes, already in the
/// normalised latent space; channels >= 2): channel 0 runs from -1 at the left edge to +1 at the right,
/// channel 1 from -1 at the top to +1 at the bottom (sampled at the latent pixels' centres, the same in
/// every frame), the other channels are 0. A model that sees it in the conditioning channels of its unkeyed
/// latent frames (kinema.json "unkeyed_condition": "position") knows where in the frame every token lies,
/// which the DiT's relative position encoding (3D RoPE) alone never tells it: over a background without
/// landmarks, such as a sky that changes only with height, left and right look the same to it.
at::Tensor positionLatent(std::int64_t channels, std::int64_t frames, std::int64_t height,
                          std::int64_t width);

} // namespace kinema::diffusion
