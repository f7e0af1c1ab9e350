// SPDX-License-Identifier: Apache-2.0
#pragma once
// Shared by the renderer, the sampler and the analyser: our random generator and the exact shape outlines.
#include "kinema/scenes/SceneSpec.h"

#include <array>
#include <cmath>
#include <cstdint>

namespace kinema::scenes::detail {

inline constexpr double kPi = 3.14159265358979323846;

/// Bounding radius of every shape in its unit outline (the star's points reach it).
inline constexpr double kShapeBound = 1.15;

/// SplitMix64: tiny, fast, and identical everywhere.
class Rng {
public:
    explicit Rng(std::uint64_t seed)
        : m_state(seed) {}
    std::uint64_t next() {
        const std::uint64_t z = splitMix64(m_state);
        m_state += 0x9E3779B97F4A7C15ull;
        return z;
    }
    /// Uniform in [0, 1).
    double uniform() { return double(next() >> 11) * (1.0 / 9007199254740992.0); }
    double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
    /// Uniform integer in [0, n).
    int below(int n) { return int(uniform() * n); }
    bool chance(double p) { return uniform() < p; }

private:
    std::uint64_t m_state;
};

/// Hash of integer coordinates to [0, 1): used for textures and stars.
inline double hash01(std::int64_t a, std::int64_t b, std::uint64_t seed) {
    Rng rng(seed ^ (std::uint64_t(a) * 0x9E3779B97F4A7C15ull) ^ (std::uint64_t(b) * 0xC2B2AE3D27D4EB4Full));
    return rng.uniform();
}

/// Half-planes n.x <= d (n, d) of the five kites that make up the star outline.
using StarKites = std::array<std::array<std::array<double, 3>, 4>, 5>;
inline const StarKites& starKites() {
    static const StarKites kites = [] {
        StarKites out{};
        const auto vertex = [](double angle, double radius) {
            // Angle 0 points up (negative y); angles grow clockwise on screen.
            return std::array<double, 2>{radius * std::sin(angle), -radius * std::cos(angle)};
        };
        for (int k = 0; k < 5; ++k) {
            const double a = 2.0 * kPi * k / 5.0;
            const std::array<std::array<double, 2>, 4> poly{
                vertex(0, 0), vertex(a - kPi / 5.0, 0.5), vertex(a, kShapeBound), vertex(a + kPi / 5.0, 0.5)};
            // Consistent winding: the kite's interior is on the side of each edge where its centroid is.
            double gx = 0, gy = 0;
            for (const auto& p : poly) {
                gx += p[0] / 4.0;
                gy += p[1] / 4.0;
            }
            for (int e = 0; e < 4; ++e) {
                const auto& p = poly[std::size_t(e)];
                const auto& q = poly[std::size_t((e + 1) % 4)];
                double nx = q[1] - p[1], ny = -(q[0] - p[0]);
                double d = nx * p[0] + ny * p[1];
                if (nx * gx + ny * gy > d) {
                    nx = -nx;
                    ny = -ny;
                    d = -d;
                }
                out[std::size_t(k)][std::size_t(e)] = {nx, ny, d};
            }
        }
        return out;
    }();
    return kites;
}

/// Whether a point of a unit shape outline (already rotated into the shape frame, y down) is inside.
inline bool insideShape(Shape shape, double a, double b) {
    switch (shape) {
    case Shape::Circle:
        return a * a + b * b <= 1.0;
    case Shape::Square:
        return std::fabs(a) <= 0.82 && std::fabs(b) <= 0.82;
    case Shape::Triangle: {
        // Equilateral, pointing up, centroid at the origin, circumradius 1.1 (inradius 0.55).
        constexpr double c = 0.8660254037844386;
        return b <= 0.55 && -c * a - 0.5 * b <= 0.55 && c * a - 0.5 * b <= 0.55;
    }
    case Shape::Star: {
        // Five points of radius 1.15 (first one up) and inner vertices at radius 0.5: the union of five
        // convex kites (centre, inner vertex, point, next inner vertex).
        const double r2 = a * a + b * b;
        if (r2 > kShapeBound * kShapeBound)
            return false;
        if (r2 <= 0.4 * 0.4)
            return true;
        for (const auto& kite : starKites()) {
            bool in = true;
            for (const auto& e : kite)
                in = in && e[0] * a + e[1] * b <= e[2];
            if (in)
                return true;
        }
        return false;
    }
    case Shape::Ring: {
        const double r2 = a * a + b * b;
        return r2 <= 1.0 && r2 >= 0.58 * 0.58;
    }
    }
    return false;
}

/// Rotational symmetry period of a shape, radians (0 for the circle and ring: any angle).
inline double symmetryPeriod(Shape shape) {
    switch (shape) {
    case Shape::Square:
        return kPi / 2.0;
    case Shape::Triangle:
        return 2.0 * kPi / 3.0;
    case Shape::Star:
        return 2.0 * kPi / 5.0;
    default:
        return 0.0;
    }
}

/// Area of a unit shape outline, measured numerically once.
double unitArea(Shape shape);

} // namespace kinema::scenes::detail
