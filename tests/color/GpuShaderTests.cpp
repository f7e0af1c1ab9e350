// SPDX-License-Identifier: Apache-2.0
#include "ColorTestSupport.h"
#include "kinema/color/Color.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>

using namespace kinema::color;
using namespace kinema::color::test;

namespace {

/// What a GL_LINEAR sampler with GL_CLAMP_TO_EDGE does with OCIO's 3D LUT texture: texel centres
/// at (i + 0.5) / N, coordinates clamped, trilinear interpolation between the 8 neighbours. The
/// texture's x axis is blue, y green, z red (GpuTexture3D's documented layout).
std::array<double, 3> sampleTrilinear(const GpuTexture3D& lut, const std::array<double, 3>& rgb) {
    const int n = static_cast<int>(lut.edgeLength);
    std::array<int, 3> i0;
    std::array<double, 3> f;
    for (int c = 0; c < 3; ++c) {
        const double pos = std::clamp(rgb[c], 0.0, 1.0) * (n - 1);
        i0[c] = std::min(static_cast<int>(std::floor(pos)), n - 2);
        f[c] = pos - i0[c];
    }
    auto texel = [&](int r, int g, int b, int c) {
        return static_cast<double>(lut.values[((static_cast<size_t>(r) * n + g) * n + b) * 3 + c]);
    };
    std::array<double, 3> out{};
    for (int c = 0; c < 3; ++c)
        for (int dr = 0; dr < 2; ++dr)
            for (int dg = 0; dg < 2; ++dg)
                for (int db = 0; db < 2; ++db) {
                    const double w = (dr ? f[0] : 1 - f[0]) * (dg ? f[1] : 1 - f[1]) * (db ? f[2] : 1 - f[2]);
                    out[c] += w * texel(i0[0] + dr, i0[1] + dg, i0[2] + db, c);
                }
    return out;
}

/// The baked program's shaper, written from its documented formula.
double shape(double x, double lo, double hi) {
    const double offset = std::exp2(lo);
    const double v = std::log2(std::max(x + offset, 1e-30));
    return std::clamp((v - lo) / (hi - lo), 0.0, 1.0);
}

} // namespace

TEST_CASE("exact GPU program: GLSL text with the requested function and no OCIO types", "[color][gpu]") {
    const auto config = loadShipped();
    const auto view = ColorTransform::displayView("ACEScg", "sRGB", "ACES 1.0 SDR-video");
    GpuShaderOptions options;
    options.functionName = "viewerDisplay";
    options.resourcePrefix = "kv";
    const auto program = gpuShaderFor(config, view, options);
    CHECK(program->shaderText.find("vec4 viewerDisplay(") != std::string::npos);
    CHECK_FALSE(program->baked);
    CHECK(program->textures3D.empty()); // the ACES output transform is analytic in OCIO 2.1
    CHECK(gpuShaderFor(config, view, options) == program);

    options.language = GpuLanguage::Glsl_1_2;
    const auto legacy = gpuShaderFor(config, view, options);
    CHECK(legacy != program);
    CHECK(legacy->language == GpuLanguage::Glsl_1_2);
}

TEST_CASE("exact GPU program exports LUT textures and their data", "[color][gpu]") {
    const auto studio = ConfigHandle::fromFile(studioConfig());
    const auto grade = ColorTransform::look("ACEScct", "ACEScct", "Shot Grade");
    const auto program = gpuShaderFor(studio, grade, {}, {{"SHOT", "shot020"}});
    REQUIRE(program->textures.size() == 1);
    const auto& lut = program->textures[0];
    CHECK(lut.height == 1);
    CHECK(lut.width == 33);
    REQUIRE(lut.values.size() == size_t(lut.width) * lut.height * lut.channels);
    // The square-curve LUT file's entries, whatever the channel count.
    CHECK(lut.values.front() == Approx(0.0).margin(1e-6));
    CHECK(lut.values[16 * lut.channels] == Approx(0.25).margin(1e-6));
    CHECK(lut.values.back() == Approx(1.0).margin(1e-6));
    CHECK(program->shaderText.find(lut.samplerName) != std::string::npos);
}

TEST_CASE("baked GPU path evaluated on the CPU matches the CPU processor, HDR included", "[color][gpu]") {
    // The baked path samples the CPU processor on a 65³ lattice spaced evenly in log2 over 18 stops
    // (0.28 stop apart) and interpolates trilinearly, so its error grows with the curvature of the
    // transform between lattice points. Measured on this grid (0 to 250 per channel): neutral
    // colours 2.8e-3 (the ACES tone scale's shoulder), colours whose smallest channel is at least
    // a quarter of the largest 2.5e-2, and arbitrary channel ratios up to 1:500000 (far outside
    // any display gamut, where the ACES 1.0 glow and red-modifier stages bend sharply) 7.7e-2.
    // Tolerances are set just above those figures; the exact (default) GPU path has none of this.
    constexpr double kNeutralTolerance = 4e-3;
    constexpr double kModerateTolerance = 4e-2;
    constexpr double kAnyTolerance = 1e-1;
    const auto config = loadShipped();
    GpuShaderOptions options;
    options.bakedLutEdge = 65;
    const std::vector<double> grid = {0.0, 0.0005, 0.003, 0.01, 0.03, 0.08, 0.18,  0.4,
                                      0.8, 1.0,    2.0,   4.5,  10.0, 30.0, 100.0, 250.0};

    const auto view = ColorTransform::displayView("ACEScg", "sRGB", "ACES 1.0 SDR-video");
    const auto program = gpuShaderFor(config, view, options);
    REQUIRE(program->baked);
    REQUIRE(program->textures3D.size() == 1);
    const auto& lut = program->textures3D[0];
    REQUIRE(lut.edgeLength == 65);
    CHECK(lut.interpolation == GpuInterpolation::Linear);
    // GLSL 4.0 output is usable from a core profile: texture(), not texture3D().
    CHECK(program->shaderText.find("texture(" + lut.samplerName) != std::string::npos);
    CHECK(program->shaderText.find("texture3D") == std::string::npos);
    const auto cpu = processorFor(config, view);

    double neutral = 0.0, moderate = 0.0, any = 0.0;
    for (double r : grid)
        for (double g : grid)
            for (double b : grid) {
                std::array<float, 4> expected{float(r), float(g), float(b), 1.0f};
                cpu->applyPixel(expected);
                const double lo = program->shaperLog2Min, hi = program->shaperLog2Max;
                const auto gpu = sampleTrilinear(lut, {shape(r, lo, hi), shape(g, lo, hi), shape(b, lo, hi)});
                const double largest = std::max({r, g, b}), smallest = std::min({r, g, b});
                for (int c = 0; c < 3; ++c) {
                    const double d = std::abs(std::clamp<double>(expected[c], 0.0, 1.0) - gpu[c]);
                    any = std::max(any, d);
                    if (smallest == largest)
                        neutral = std::max(neutral, d);
                    if (smallest >= 0.25 * largest)
                        moderate = std::max(moderate, d);
                }
            }
    INFO("worst differences: neutral " << neutral << ", moderate " << moderate << ", any " << any);
    CHECK(neutral < kNeutralTolerance);
    CHECK(moderate < kModerateTolerance);
    CHECK(any < kAnyTolerance);
}

TEST_CASE("baked GPU path without output clamping follows unbounded HDR output", "[color][gpu]") {
    // Un-tone-mapped sRGB output keeps growing with HDR input (about 7.1 at 100). Along the neutral
    // axis the log-spaced lattice interpolates that power curve with a relative error of 1.9e-3
    // (measured); 3e-3 is allowed.
    const auto config = loadShipped();
    GpuShaderOptions options;
    options.bakedLutEdge = 65;
    options.clampBakedOutput = false;
    const auto view = ColorTransform::displayView("ACEScg", "sRGB", "Un-tone-mapped");
    const auto program = gpuShaderFor(config, view, options);
    REQUIRE(program->textures3D.size() == 1);
    const auto cpu = processorFor(config, view);
    double worst = 0.0;
    for (double v = 0.0; v <= 250.0; v = v == 0.0 ? 0.0002 : v * 1.37) {
        std::array<float, 4> expected{float(v), float(v), float(v), 1.0f};
        cpu->applyPixel(expected);
        const double s = shape(v, program->shaperLog2Min, program->shaperLog2Max);
        const auto gpu = sampleTrilinear(program->textures3D[0], {s, s, s});
        for (int c = 0; c < 3; ++c)
            worst = std::max(worst, std::abs(gpu[c] - expected[c]) / std::max(1.0, double(expected[c])));
    }
    INFO("worst relative difference " << worst);
    CHECK(worst < 3e-3);
    // Clamped and unclamped bakes are different programs.
    options.clampBakedOutput = true;
    CHECK(gpuShaderFor(config, view, options) != program);
}

TEST_CASE("GPU options are validated", "[color][gpu]") {
    const auto config = loadShipped();
    const auto view = ColorTransform::displayView("ACEScg", "sRGB", "Raw");
    GpuShaderOptions options;
    options.bakedLutEdge = 1;
    CHECK_THROWS_AS(gpuShaderFor(config, view, options), ColorError);
    options.bakedLutEdge = 17;
    options.shaperLog2Max = options.shaperLog2Min;
    CHECK_THROWS_AS(gpuShaderFor(config, view, options), ColorError);
    options = {};
    options.functionName.clear();
    CHECK_THROWS_AS(gpuShaderFor(config, view, options), ColorError);
}
