// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Seam blending for generated clips that must join something they did not draw themselves.
///
/// A continuation (Extend) is conditioned on the source's frame at the seam, but what the model hands
/// back for that frame is the VAE's copy of it, not the frame itself: fine detail the VAE drops (a star
/// field, a texture) and small shifts of colour are missing from every generated frame, so cutting from
/// the source's real frame to the first generated one jumps. A loop (Loop) has the same problem between
/// its generated last frame and the first frame it wraps to.
///
/// The fix is the one a compositor would paint by hand: take the difference between what should be at
/// the seam (`target`) and what the generation has there (the `anchor` frame), add all of it to the
/// anchor and a fading share of it to the frames beyond, so the join is continuous and the generation
/// takes over again a few frames later. The share falls as a raised cosine,
///     w(j) = (1 + cos(pi * j / (fadeFrames + 1))) / 2   for j = 0 .. fadeFrames,
/// which is 1 at the anchor and reaches 0 one frame after the last blended frame, so no step of the
/// clip takes more than about 1.6 / (fadeFrames + 1) of the difference. The operation is per value and
/// works in whatever encoding the frames are in (the nodes use the model's code values).
#include <cstddef>
#include <vector>

namespace kinema::diffusion {

/// Which frames take the fading share: those after the anchor (a forward extension) or before it (a
/// backward extension; a loop's tail, whose frame after the last is the first).
enum class SeamSide { After, Before };

/// The share of the difference that the frame `distance` frames from the anchor takes (1 at the anchor;
/// 0 beyond `fadeFrames`).
double seamBlendWeight(int distance, int fadeFrames);

/// Makes frame `anchor` of `frames` (each `floatsPerFrame` values) equal `target` and moves the
/// `fadeFrames` frames on `side` of it towards the same difference by seamBlendWeight(), clamping every
/// value to [lo, hi]. Frames past either end are skipped. `target` may point into one of the frames: the
/// difference is taken before anything changes. Throws std::invalid_argument for an anchor outside the
/// frames, a negative fadeFrames, null pointers or lo > hi.
void blendSeam(const std::vector<float*>& frames, std::size_t floatsPerFrame, int anchor, const float* target,
               int fadeFrames, SeamSide side, float lo, float hi);

/// Where a seam falls in the latent frames. A Wan-family VAE encodes frame 0 of a clip alone and then
/// groups of 4 frames (1-4, 5-8, ...), one latent frame each. The frames of one latent frame are decoded
/// together and step little from one to the next; the step into the first frame of a latent frame is
/// where a generated clip changes most (its latents differ from one latent frame to the next, and the
/// decoder spreads the change over the start of the group). A cut from a source into a continuation that
/// falls on that step jumps further than one that falls inside a latent frame (docs/demo-model.md,
/// "Where the seam falls").
///
/// True when clip position `position` is the first frame of a latent frame (0, 1, 5, 9, ...).
bool opensLatentFrame(int position);
/// Frames (0 or 1) to generate ahead of a clip so that its first frame after a seam, at position
/// `firstAfterSeam` without them, does not open a latent frame.
int seamLeadFrames(int firstAfterSeam);

} // namespace kinema::diffusion
