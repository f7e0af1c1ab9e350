// SPDX-License-Identifier: Apache-2.0
#include "engine/ConditioningClip.h"

#include <cstdlib>
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

} // namespace kinema::diffusion
