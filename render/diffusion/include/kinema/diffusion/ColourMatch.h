// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Colour matching of a generated clip to frames it was conditioned on.
///
/// A continuation (Extend) is conditioned on source frames that it also draws itself, hidden behind the
/// source's own frames in the output. Its copies of them may sit a little off in brightness or colour, and
/// so then does everything after them. A per-channel gain and offset fitted over those frame pairs, giving
/// the generated frames the mean and spread of the source's, and applied to the whole generation, keeps
/// the colour from drifting at the seam. The fit is affine per channel, so it gives the same result in any
/// affine encoding of the values (the nodes' [0, 1] code values, the model's [-1, 1]).
#include <array>
#include <cstddef>
#include <vector>

namespace kinema::diffusion {

struct ColourMatch {
    std::array<double, 3> gain{1.0, 1.0, 1.0};
    std::array<double, 3> offset{0.0, 0.0, 0.0};
    double meanGain() const { return (gain[0] + gain[1] + gain[2]) / 3.0; }
};

/// Fits the match over pairs of frames, `generated[k]` against `reference[k]`, each `pixels` interleaved RGB
/// values: per channel, gain = spread(reference) / spread(generated) (clamped to [0.25, 4]; 1 where the
/// generated channel is flat) and offset = mean(reference) - gain * mean(generated), over all the pairs.
/// No pairs: the identity. Throws std::invalid_argument for unequal counts or null frames.
ColourMatch fitColourMatch(const std::vector<const float*>& generated,
                           const std::vector<const float*>& reference, std::size_t pixels);

/// v -> gain[c] * v + offset[c] for the interleaved RGB `values` (`count` floats, a multiple of 3), clamped
/// to [lo, hi].
void applyColourMatch(const ColourMatch& match, float* values, std::size_t count, float lo, float hi);

} // namespace kinema::diffusion
