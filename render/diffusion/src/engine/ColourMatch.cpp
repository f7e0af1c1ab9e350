// SPDX-License-Identifier: Apache-2.0
#include "kinema/diffusion/ColourMatch.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace kinema::diffusion {

ColourMatch fitColourMatch(const std::vector<const float*>& generated,
                           const std::vector<const float*>& reference, std::size_t pixels) {
    if (generated.size() != reference.size())
        throw std::invalid_argument("colour match: " + std::to_string(generated.size()) +
                                    " generated frames against " + std::to_string(reference.size()) +
                                    " reference frames");
    const auto isNull = [](const float* f) { return !f; };
    if (std::any_of(generated.begin(), generated.end(), isNull) ||
        std::any_of(reference.begin(), reference.end(), isNull))
        throw std::invalid_argument("colour match: missing frame data");
    ColourMatch match;
    const double count = static_cast<double>(generated.size() * pixels);
    if (count == 0.0)
        return match;
    double gen[3][2] = {}, ref[3][2] = {}; // per channel: sum, sum of squares
    for (std::size_t k = 0; k < generated.size(); ++k)
        for (std::size_t i = 0; i < pixels * 3; ++i) {
            const double a = generated[k][i], b = reference[k][i];
            gen[i % 3][0] += a;
            gen[i % 3][1] += a * a;
            ref[i % 3][0] += b;
            ref[i % 3][1] += b * b;
        }
    for (std::size_t c = 0; c < 3; ++c) {
        const double mg = gen[c][0] / count, mr = ref[c][0] / count;
        const double sg = std::sqrt(std::max(0.0, gen[c][1] / count - mg * mg));
        const double sr = std::sqrt(std::max(0.0, ref[c][1] / count - mr * mr));
        match.gain[c] = sg > 1e-6 ? std::clamp(sr / sg, 0.25, 4.0) : 1.0;
        match.offset[c] = mr - mg * match.gain[c];
    }
    return match;
}

void applyColourMatch(const ColourMatch& match, float* values, std::size_t count, float lo, float hi) {
    for (std::size_t i = 0; i < count; ++i) {
        const std::size_t c = i % 3;
        values[i] = std::clamp(static_cast<float>(values[i] * match.gain[c] + match.offset[c]), lo, hi);
    }
}

} // namespace kinema::diffusion
