// SPDX-License-Identifier: Apache-2.0
// Colour matching (diffusion::fitColourMatch / applyColourMatch): an affine change of each channel is
// undone exactly, the fit pools every frame pair, a flat channel keeps gain 1, gains stay within
// [0.25, 4], values are clamped, and the result does not depend on the (affine) encoding.
#include <kinema/diffusion/ColourMatch.h>

#include <catch2/catch.hpp>

#include <cmath>
#include <stdexcept>
#include <vector>

using namespace kinema::diffusion;

namespace {

constexpr std::size_t kPixels = 64;

/// A frame of kPixels RGB values that vary with the pixel, the channel and `seed`.
std::vector<float> pattern(int seed) {
    std::vector<float> f(kPixels * 3);
    for (std::size_t i = 0; i < f.size(); ++i)
        f[i] = 0.3f + 0.2f * static_cast<float>(std::sin(0.37 * static_cast<double>(i) + seed));
    return f;
}

/// v -> gain[c] * v + offset[c].
std::vector<float> affine(std::vector<float> f, const float gain[3], const float offset[3]) {
    for (std::size_t i = 0; i < f.size(); ++i)
        f[i] = gain[i % 3] * f[i] + offset[i % 3];
    return f;
}

} // namespace

TEST_CASE("colour match: an affine change per channel is undone", "[colourmatch]") {
    const float gain[3] = {0.5f, 1.25f, 0.9f}, offset[3] = {0.1f, -0.05f, 0.02f};
    const auto a = pattern(1), b = pattern(2);
    auto ga = affine(a, gain, offset), gb = affine(b, gain, offset);
    const auto match = fitColourMatch({ga.data(), gb.data()}, {a.data(), b.data()}, kPixels);
    for (int c = 0; c < 3; ++c) {
        CHECK(match.gain[static_cast<std::size_t>(c)] == Approx(1.0 / gain[c]).epsilon(1e-4));
        CHECK(match.offset[static_cast<std::size_t>(c)] == Approx(-offset[c] / gain[c]).margin(1e-4));
    }
    applyColourMatch(match, ga.data(), ga.size(), -10.0f, 10.0f);
    for (std::size_t i = 0; i < ga.size(); ++i)
        CHECK(ga[i] == Approx(a[i]).margin(1e-5));
}

TEST_CASE("colour match: the fit pools the frame pairs and is the same in any affine encoding",
          "[colourmatch]") {
    // Frame 0 is 0.1 too bright, frame 1 0.1 too dark: pooled, the means agree (the mean maps to itself)
    // and the spread between the two frames counts (gain below 1); the bright frame alone asks for an
    // offset of -0.1 and no gain.
    const float up[3] = {1.0f, 1.0f, 1.0f}, upOffset[3] = {0.1f, 0.1f, 0.1f},
                downOffset[3] = {-0.1f, -0.1f, -0.1f};
    const auto a = pattern(3);
    const auto bright = affine(a, up, upOffset), dark = affine(a, up, downOffset);
    const auto pooled = fitColourMatch({bright.data(), dark.data()}, {a.data(), a.data()}, kPixels);
    const auto single = fitColourMatch({bright.data()}, {a.data()}, kPixels);
    for (std::size_t c = 0; c < 3; ++c) {
        double mean = 0.0;
        for (std::size_t i = c; i < a.size(); i += 3)
            mean += a[i] / static_cast<double>(kPixels);
        CHECK(pooled.gain[c] * mean + pooled.offset[c] == Approx(mean).margin(1e-4));
        CHECK(pooled.gain[c] < 0.95);
        CHECK(single.offset[c] == Approx(-0.1).margin(1e-4));
        CHECK(single.gain[c] == Approx(1.0).epsilon(1e-4));
    }

    // Code values v = 2u - 1 (the model's encoding) give the same matched values, re-encoded.
    auto encode = [](std::vector<float> f) {
        for (float& v : f)
            v = 2.0f * v - 1.0f;
        return f;
    };
    auto inU = bright;
    auto inV = encode(bright);
    const auto au = a;
    const auto av = encode(a);
    applyColourMatch(fitColourMatch({bright.data()}, {au.data()}, kPixels), inU.data(), inU.size(), 0.0f,
                     1.0f);
    const auto bv = encode(bright);
    applyColourMatch(fitColourMatch({bv.data()}, {av.data()}, kPixels), inV.data(), inV.size(), -1.0f, 1.0f);
    for (std::size_t i = 0; i < inU.size(); ++i)
        CHECK(2.0f * inU[i] - 1.0f == Approx(inV[i]).margin(1e-5));
}

TEST_CASE("colour match: flat channels, gain limits, clamping and bad input", "[colourmatch]") {
    const auto a = pattern(4);
    std::vector<float> flat(kPixels * 3, 0.5f);
    auto match = fitColourMatch({flat.data()}, {a.data()}, kPixels);
    for (double g : match.gain)
        CHECK(g == 1.0); // nothing to scale: only the mean moves
    // A generated frame with a tiny spread would need a huge gain: limited to 4.
    auto faint = flat;
    for (std::size_t i = 0; i < faint.size(); ++i)
        faint[i] += 0.001f * static_cast<float>(i % 7);
    match = fitColourMatch({faint.data()}, {a.data()}, kPixels);
    for (double g : match.gain)
        CHECK(g == 4.0);
    std::vector<float> values{-1.0f, 0.5f, 2.0f};
    applyColourMatch(ColourMatch{}, values.data(), values.size(), 0.0f, 1.0f);
    CHECK(values == std::vector<float>{0.0f, 0.5f, 1.0f});
    // No pairs: the identity.
    match = fitColourMatch({}, {}, kPixels);
    CHECK(match.meanGain() == 1.0);
    CHECK(match.offset[1] == 0.0);
    CHECK_THROWS_AS(fitColourMatch({a.data()}, {}, kPixels), std::invalid_argument);
    CHECK_THROWS_AS(fitColourMatch({nullptr}, {a.data()}, kPixels), std::invalid_argument);
}
