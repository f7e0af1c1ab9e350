// SPDX-License-Identifier: Apache-2.0
#pragma once
// Reference colour math computed independently of OpenColorIO (from the published primaries,
// white points and transfer functions), and paths of the configs used by the colour tests.
#include "TestSupport.h"
#include "kinema/color/Config.h"

#include <array>
#include <cmath>
#include <cstdlib>
#include <filesystem>

namespace kinema::color::test {

using Mat3 = std::array<std::array<double, 3>, 3>;
using Vec3 = std::array<double, 3>;

inline std::filesystem::path shippedConfig() {
    return kinema::test::resourcesDir() / "ocio" / "config.ocio";
}
inline std::filesystem::path studioConfig() {
    return std::filesystem::path(KINEMA_COLOR_TEST_DATA) / "studio" / "config.ocio";
}

/// Loads the shipped config from the source tree, with $OCIO cleared so it cannot interfere.
inline ConfigHandle loadShipped() {
    ::unsetenv("OCIO");
    setShippedConfigPath(shippedConfig());
    return loadConfig();
}

inline Mat3 mul(const Mat3& a, const Mat3& b) {
    Mat3 r{};
    for (int i = 0; i < 3; ++i)
        for (int j = 0; j < 3; ++j)
            for (int k = 0; k < 3; ++k)
                r[i][j] += a[i][k] * b[k][j];
    return r;
}

inline Vec3 mul(const Mat3& m, const Vec3& v) {
    return {m[0][0] * v[0] + m[0][1] * v[1] + m[0][2] * v[2],
            m[1][0] * v[0] + m[1][1] * v[1] + m[1][2] * v[2],
            m[2][0] * v[0] + m[2][1] * v[1] + m[2][2] * v[2]};
}

inline Mat3 inverse(const Mat3& m) {
    const double det = m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) -
                       m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0]) +
                       m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
    Mat3 r;
    r[0][0] = (m[1][1] * m[2][2] - m[1][2] * m[2][1]) / det;
    r[0][1] = (m[0][2] * m[2][1] - m[0][1] * m[2][2]) / det;
    r[0][2] = (m[0][1] * m[1][2] - m[0][2] * m[1][1]) / det;
    r[1][0] = (m[1][2] * m[2][0] - m[1][0] * m[2][2]) / det;
    r[1][1] = (m[0][0] * m[2][2] - m[0][2] * m[2][0]) / det;
    r[1][2] = (m[0][2] * m[1][0] - m[0][0] * m[1][2]) / det;
    r[2][0] = (m[1][0] * m[2][1] - m[1][1] * m[2][0]) / det;
    r[2][1] = (m[0][1] * m[2][0] - m[0][0] * m[2][1]) / det;
    r[2][2] = (m[0][0] * m[1][1] - m[0][1] * m[1][0]) / det;
    return r;
}

inline Vec3 xyToXYZ(double x, double y) {
    return {x / y, 1.0, (1.0 - x - y) / y};
}

/// RGB → XYZ normalised primary matrix (SMPTE RP 177) from chromaticities.
inline Mat3 npm(const std::array<std::array<double, 2>, 3>& primaries, std::array<double, 2> white) {
    Mat3 p;
    for (int c = 0; c < 3; ++c) {
        const Vec3 xyz = xyToXYZ(primaries[c][0], primaries[c][1]);
        for (int r = 0; r < 3; ++r)
            p[r][c] = xyz[r];
    }
    const Vec3 s = mul(inverse(p), xyToXYZ(white[0], white[1]));
    for (int r = 0; r < 3; ++r)
        for (int c = 0; c < 3; ++c)
            p[r][c] *= s[c];
    return p;
}

/// Bradford chromatic adaptation from one white to another.
inline Mat3 bradford(std::array<double, 2> from, std::array<double, 2> to) {
    const Mat3 b{{{0.8951, 0.2664, -0.1614}, {-0.7502, 1.7135, 0.0367}, {0.0389, -0.0685, 1.0296}}};
    const Vec3 s = mul(b, xyToXYZ(from[0], from[1]));
    const Vec3 d = mul(b, xyToXYZ(to[0], to[1]));
    const Mat3 scale{{{d[0] / s[0], 0, 0}, {0, d[1] / s[1], 0}, {0, 0, d[2] / s[2]}}};
    return mul(inverse(b), mul(scale, b));
}

constexpr std::array<double, 2> kD65{0.3127, 0.3290};
constexpr std::array<double, 2> kAcesWhite{0.32168, 0.33767};
constexpr std::array<std::array<double, 2>, 3> kRec709{{{0.64, 0.33}, {0.30, 0.60}, {0.15, 0.06}}};
constexpr std::array<std::array<double, 2>, 3> kRec2020{{{0.708, 0.292}, {0.170, 0.797}, {0.131, 0.046}}};
constexpr std::array<std::array<double, 2>, 3> kP3{{{0.680, 0.320}, {0.265, 0.690}, {0.150, 0.060}}};
constexpr std::array<std::array<double, 2>, 3> kAP1{{{0.713, 0.293}, {0.165, 0.830}, {0.128, 0.044}}};
constexpr std::array<std::array<double, 2>, 3> kAP0{{{0.7347, 0.2653}, {0.0, 1.0}, {0.0001, -0.0770}}};

/// ACEScg → a D65 RGB space, through XYZ with a Bradford adaptation of the ACES white to D65.
inline Mat3 acescgTo(const std::array<std::array<double, 2>, 3>& primaries) {
    return mul(inverse(npm(primaries, kD65)), mul(bradford(kAcesWhite, kD65), npm(kAP1, kAcesWhite)));
}

/// IEC 61966-2-1 sRGB encoding.
inline double srgbEncode(double v) {
    return v <= 0.0031308 ? 12.92 * v : 1.055 * std::pow(v, 1.0 / 2.4) - 0.055;
}

/// ACEScct encoding (Academy S-2016-001).
inline double acescctEncode(double v) {
    return v <= 0.0078125 ? 10.5402377416545 * v + 0.0729055341958355 : (std::log2(v) + 9.72) / 17.52;
}

} // namespace kinema::color::test
