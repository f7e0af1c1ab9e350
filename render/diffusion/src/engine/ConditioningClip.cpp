// SPDX-License-Identifier: Apache-2.0
#include "engine/ConditioningClip.h"

#include <cstdlib>
#include <stdexcept>
#include <vector>

namespace kinema::diffusion {

at::Tensor conditioningClip(std::int64_t index, const std::map<int, at::Tensor>& group,
                            const std::map<int, at::Tensor>& given) {
    const int first = static_cast<int>(4 * index - 4);
    std::vector<at::Tensor> slots;
    for (int pos = first; pos <= first + 4; ++pos) {
        if (auto it = given.find(pos); it != given.end()) {
            slots.push_back(it->second); // includes the context frame 4k-4 when given
            continue;
        }
        auto nearest = group.begin();
        for (auto it = group.begin(); it != group.end(); ++it)
            if (std::abs(it->first - pos) < std::abs(nearest->first - pos))
                nearest = it;
        slots.push_back(nearest->second);
    }
    return at::stack(slots, 1).unsqueeze(0);
}

at::Tensor greyClipLatent(const wan21::WanVae& vae, std::int64_t frames, std::int64_t height,
                          std::int64_t width) {
    return vae.encode(at::zeros({1, 3, frames, height, width}, at::kFloat))[0];
}

at::Tensor positionLatent(std::int64_t channels, std::int64_t frames, std::int64_t height,
                          std::int64_t width) {
    if (channels < 2 || frames < 1 || height < 1 || width < 1)
        throw std::invalid_argument("positionLatent: needs at least 2 channels and a non-empty latent");
    // Pixel centres: (2 i + 1) / n - 1, symmetric about the frame's centre.
    auto ramp = [](std::int64_t n) {
        return at::arange(n, at::kFloat).mul(2.0).add(1.0).div(static_cast<double>(n)).sub(1.0);
    };
    auto latent = at::zeros({channels, frames, height, width}, at::kFloat);
    latent.select(0, 0).copy_(ramp(width).view({1, 1, width}).expand({frames, height, width}));
    latent.select(0, 1).copy_(ramp(height).view({1, height, 1}).expand({frames, height, width}));
    return latent;
}

} // namespace kinema::diffusion
