// SPDX-License-Identifier: Apache-2.0
#include "kinema/graph/Animation.h"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace kinema::graph {

std::string_view interpolationName(Interpolation interp) {
    switch (interp) {
    case Interpolation::Constant:
        return "constant";
    case Interpolation::Linear:
        return "linear";
    case Interpolation::Smooth:
        return "smooth";
    }
    return "smooth";
}

Interpolation interpolationFromName(std::string_view name) {
    if (name == "constant")
        return Interpolation::Constant;
    if (name == "linear")
        return Interpolation::Linear;
    if (name == "smooth")
        return Interpolation::Smooth;
    throw std::invalid_argument("unknown interpolation '" + std::string(name) +
                                "' (expected constant, linear or smooth)");
}

void AnimationCurve::setKey(const Keyframe& key) {
    auto it = std::lower_bound(m_keys.begin(), m_keys.end(), key.frame,
                               [](const Keyframe& k, double f) { return k.frame < f; });
    if (it != m_keys.end() && it->frame == key.frame)
        *it = key;
    else
        m_keys.insert(it, key);
}

bool AnimationCurve::removeKey(double frame) {
    auto it = std::find_if(m_keys.begin(), m_keys.end(), [&](const Keyframe& k) { return k.frame == frame; });
    if (it == m_keys.end())
        return false;
    m_keys.erase(it);
    return true;
}

const Keyframe* AnimationCurve::keyAt(double frame) const {
    for (auto& k : m_keys)
        if (k.frame == frame)
            return &k;
    return nullptr;
}

double AnimationCurve::evaluate(double frame) const {
    if (m_keys.empty())
        return 0.0;
    if (frame <= m_keys.front().frame)
        return m_keys.front().value;
    if (frame >= m_keys.back().frame)
        return m_keys.back().value;
    auto right = std::upper_bound(m_keys.begin(), m_keys.end(), frame,
                                  [](double f, const Keyframe& k) { return f < k.frame; });
    auto left = right - 1;
    const double span = right->frame - left->frame;
    const double t = (frame - left->frame) / span;
    switch (left->interpolation) {
    case Interpolation::Constant:
        return left->value;
    case Interpolation::Linear:
        return left->value + (right->value - left->value) * t;
    case Interpolation::Smooth:
        break;
    }
    // Catmull-Rom tangents (per frame), one-sided at the ends, then a cubic Hermite segment.
    auto slope = [&](std::vector<Keyframe>::const_iterator k) {
        auto prev = k == m_keys.begin() ? k : k - 1;
        auto next = (k + 1) == m_keys.end() ? k : k + 1;
        double df = next->frame - prev->frame;
        return df > 0.0 ? (next->value - prev->value) / df : 0.0;
    };
    const double m0 = slope(left) * span;
    const double m1 = slope(right) * span;
    const double t2 = t * t, t3 = t2 * t;
    return (2 * t3 - 3 * t2 + 1) * left->value + (t3 - 2 * t2 + t) * m0 + (-2 * t3 + 3 * t2) * right->value +
           (t3 - t2) * m1;
}

void AnimationCurve::hash(Hasher& h) const {
    h.append(static_cast<std::uint64_t>(m_keys.size()));
    for (auto& k : m_keys) {
        h.append(k.frame).append(k.value).append(static_cast<int>(k.interpolation));
    }
}

} // namespace kinema::graph
