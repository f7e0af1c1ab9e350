// SPDX-License-Identifier: Apache-2.0
#pragma once
/// The pixel clip the engine encodes for the conditioning latent of one latent frame. Shared by the
/// session (at inference) and the demo-model trainer (which must train on the same latents).
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

} // namespace kinema::diffusion
