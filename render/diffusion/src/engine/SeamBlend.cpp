// SPDX-License-Identifier: Apache-2.0
#include "kinema/diffusion/SeamBlend.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <stdexcept>
#include <string>

namespace kinema::diffusion {

double seamBlendWeight(int distance, int fadeFrames) {
    if (fadeFrames < 0 || distance < 0 || distance > fadeFrames)
        return 0.0;
    return 0.5 * (1.0 + std::cos(std::numbers::pi * distance / (fadeFrames + 1.0)));
}

void blendSeam(const std::vector<float*>& frames, std::size_t floatsPerFrame, int anchor, const float* target,
               int fadeFrames, SeamSide side, float lo, float hi) {
    const int count = static_cast<int>(frames.size());
    if (anchor < 0 || anchor >= count)
        throw std::invalid_argument("seam blend: anchor frame " + std::to_string(anchor) +
                                    " is outside the clip's " + std::to_string(count) + " frames");
    if (fadeFrames < 0)
        throw std::invalid_argument("seam blend: fade of " + std::to_string(fadeFrames) +
                                    " frames (must be 0 or more)");
    if (!target || std::any_of(frames.begin(), frames.end(), [](const float* f) { return !f; }))
        throw std::invalid_argument("seam blend: missing frame data");
    if (lo > hi)
        throw std::invalid_argument("seam blend: empty value range");

    std::vector<float> difference(floatsPerFrame);
    const float* at = frames[static_cast<std::size_t>(anchor)];
    for (std::size_t i = 0; i < floatsPerFrame; ++i)
        difference[i] = target[i] - at[i];

    const int step = side == SeamSide::After ? 1 : -1;
    for (int j = 0; j <= fadeFrames; ++j) {
        const int index = anchor + step * j;
        if (index < 0 || index >= count)
            break;
        const auto w = static_cast<float>(seamBlendWeight(j, fadeFrames));
        float* f = frames[static_cast<std::size_t>(index)];
        for (std::size_t i = 0; i < floatsPerFrame; ++i)
            f[i] = std::clamp(f[i] + w * difference[i], lo, hi);
    }
}

bool opensLatentFrame(int position) {
    return position == 0 || (position > 0 && position % 4 == 1);
}

int seamLeadFrames(int firstAfterSeam) {
    return opensLatentFrame(firstAfterSeam) ? 1 : 0;
}

} // namespace kinema::diffusion
