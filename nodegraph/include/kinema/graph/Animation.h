// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Keyframe animation of one scalar component.
///
/// A curve is a sorted list of keys. Between two keys the left key's interpolation applies: Constant holds
/// the left value, Linear interpolates, Smooth is a cubic Hermite segment whose tangents follow
/// Catmull-Rom (the slope between the neighbouring keys; one-sided at the ends). Outside the keyed range
/// the curve holds the first/last value. Curves are evaluated at fractional frames.
#include <string_view>
#include <vector>

#include "kinema/graph/Hash.h"

namespace kinema::graph {

enum class Interpolation { Constant, Linear, Smooth };

std::string_view interpolationName(Interpolation interp);
/// Throws std::invalid_argument for an unknown name.
Interpolation interpolationFromName(std::string_view name);

struct Keyframe {
    double frame = 0.0;
    double value = 0.0;
    Interpolation interpolation = Interpolation::Smooth;
    bool operator==(const Keyframe&) const = default;
};

class AnimationCurve {
public:
    bool empty() const { return m_keys.empty(); }
    const std::vector<Keyframe>& keys() const { return m_keys; }

    /// Inserts a key, replacing any key at the same frame.
    void setKey(const Keyframe& key);
    /// Removes the key at `frame` if there is one; returns whether one was removed.
    bool removeKey(double frame);
    void clear() { m_keys.clear(); }
    const Keyframe* keyAt(double frame) const;

    double evaluate(double frame) const;
    void hash(Hasher& h) const;

    bool operator==(const AnimationCurve&) const = default;

private:
    std::vector<Keyframe> m_keys;
};

} // namespace kinema::graph
