// SPDX-License-Identifier: Apache-2.0
// Seam blending (diffusion::blendSeam): the anchor takes the target exactly, the frames beyond take a
// raised-cosine share of the same difference that falls to nothing after the fade, nothing else moves,
// and the steps of a blended clip stay small where the unblended seam was a jump.
#include <kinema/diffusion/SeamBlend.h>

#include <catch2/catch.hpp>

#include <cmath>
#include <numbers>
#include <stdexcept>
#include <vector>

using namespace kinema::diffusion;

namespace {

/// `count` frames of `floats` values; frame f holds f * step + i * 0.001 at value i.
std::vector<std::vector<float>> ramp(int count, std::size_t floats, float step) {
    std::vector<std::vector<float>> frames(static_cast<std::size_t>(count), std::vector<float>(floats));
    for (int f = 0; f < count; ++f)
        for (std::size_t i = 0; i < floats; ++i)
            frames[static_cast<std::size_t>(f)][i] =
                static_cast<float>(f) * step + static_cast<float>(i) * 0.001f;
    return frames;
}

std::vector<float*> pointers(std::vector<std::vector<float>>& frames) {
    std::vector<float*> out;
    for (auto& f : frames)
        out.push_back(f.data());
    return out;
}

double meanAbsDiff(const std::vector<float>& a, const std::vector<float>& b) {
    double sum = 0.0;
    for (std::size_t i = 0; i < a.size(); ++i)
        sum += std::abs(static_cast<double>(a[i]) - b[i]);
    return sum / static_cast<double>(a.size());
}

} // namespace

TEST_CASE("seam blend: raised-cosine weights from 1 at the anchor to 0 after the fade", "[diffusion][seam]") {
    CHECK(seamBlendWeight(0, 4) == Approx(1.0));
    CHECK(seamBlendWeight(4, 4) == Approx(0.5 * (1.0 + std::cos(std::numbers::pi * 4.0 / 5.0))));
    CHECK(seamBlendWeight(5, 4) == 0.0);
    CHECK(seamBlendWeight(-1, 4) == 0.0);
    CHECK(seamBlendWeight(0, 0) == Approx(1.0));
    CHECK(seamBlendWeight(1, 0) == 0.0);
    for (int j = 1; j <= 8; ++j)
        CHECK(seamBlendWeight(j, 8) < seamBlendWeight(j - 1, 8));
}

TEST_CASE("seam blend: the anchor becomes the target and the difference fades after it",
          "[diffusion][seam]") {
    const std::size_t floats = 6;
    auto frames = ramp(12, floats, 0.01f);
    const auto before = frames;
    std::vector<float> target(floats);
    for (std::size_t i = 0; i < floats; ++i)
        target[i] = frames[2][i] + (i % 2 ? 0.2f : -0.1f);

    blendSeam(pointers(frames), floats, 2, target.data(), 4, SeamSide::After, -10.0f, 10.0f);
    for (std::size_t i = 0; i < floats; ++i)
        CHECK(frames[2][i] == Approx(target[i]));
    for (int f = 0; f < 12; ++f) {
        const double w = seamBlendWeight(f - 2, 4);
        for (std::size_t i = 0; i < floats; ++i) {
            const double expected = before[static_cast<std::size_t>(f)][i] + w * (target[i] - before[2][i]);
            CHECK(frames[static_cast<std::size_t>(f)][i] == Approx(expected).margin(1e-6));
        }
    }
    // Frames before the anchor and from anchor + 5 on are untouched.
    CHECK(frames[1] == before[1]);
    CHECK(frames[7] == before[7]);
    CHECK(frames[11] == before[11]);
}

TEST_CASE("seam blend: Before blends towards the start, skips past the ends and clamps",
          "[diffusion][seam]") {
    const std::size_t floats = 3;
    auto frames = ramp(5, floats, 0.1f);
    const auto before = frames;
    // The loop case: the last frame should be the first one, and the target points into the clip.
    blendSeam(pointers(frames), floats, 4, frames[0].data(), 8, SeamSide::Before, 0.0f, 1.0f);
    for (std::size_t i = 0; i < floats; ++i)
        CHECK(frames[4][i] == Approx(before[0][i]).margin(1e-6));
    // Frame 3 takes nearly all of the -0.4 difference (clamped at 0); frame 0 is 4 frames back, its weight
    // is still positive, so it moved too, and nothing was written outside the five frames.
    const double w3 = seamBlendWeight(1, 8);
    CHECK(frames[3][2] ==
          Approx(std::max(0.0, before[3][2] + w3 * (before[0][2] - before[4][2]))).margin(1e-6));
    CHECK(frames[3][0] == 0.0f);
    CHECK(frames[0][0] ==
          Approx(std::max(0.0, before[0][0] + seamBlendWeight(4, 8) * (before[0][0] - before[4][0]))));

    // Values are held to the range.
    auto bright = ramp(3, floats, 0.4f); // frame 2 is 0.8 and up
    std::vector<float> white(floats, 1.0f);
    blendSeam(pointers(bright), floats, 0, white.data(), 2, SeamSide::After, 0.0f, 1.0f);
    for (const auto& f : bright)
        for (float v : f)
            CHECK(v <= 1.0f);
}

TEST_CASE("seam blend: a fade of 0 changes only the anchor, bad arguments are named", "[diffusion][seam]") {
    const std::size_t floats = 2;
    auto frames = ramp(4, floats, 0.1f);
    const auto before = frames;
    std::vector<float> target{0.5f, 0.5f};
    blendSeam(pointers(frames), floats, 1, target.data(), 0, SeamSide::After, 0.0f, 1.0f);
    CHECK(frames[1] == target);
    CHECK(frames[0] == before[0]);
    CHECK(frames[2] == before[2]);

    auto p = pointers(frames);
    CHECK_THROWS_WITH(blendSeam(p, floats, 4, target.data(), 2, SeamSide::After, 0.0f, 1.0f),
                      Catch::Contains("anchor frame 4") && Catch::Contains("4 frames"));
    CHECK_THROWS_WITH(blendSeam(p, floats, 0, target.data(), -1, SeamSide::After, 0.0f, 1.0f),
                      Catch::Contains("fade of -1"));
    CHECK_THROWS_AS(blendSeam(p, floats, 0, nullptr, 2, SeamSide::After, 0.0f, 1.0f), std::invalid_argument);
    CHECK_THROWS_AS(blendSeam(p, floats, 0, target.data(), 2, SeamSide::After, 1.0f, 0.0f),
                    std::invalid_argument);
}

TEST_CASE("seam blend: a jump at the seam becomes steps like the clip's own", "[diffusion][seam]") {
    // A slow ramp (0.01 per frame) whose generated copy of the seam frame is 0.3 off in every value: cut
    // from the real seam frame to the next generated one and the step is 29 times the clip's.
    const std::size_t floats = 16;
    auto generated = ramp(17, floats, 0.01f);
    std::vector<float> real = generated[0];
    for (float& v : real)
        v += 0.3f;
    const double rawJump = meanAbsDiff(real, generated[1]);
    CHECK(rawJump / 0.01 > 28.0);

    blendSeam(pointers(generated), floats, 0, real.data(), 8, SeamSide::After, -10.0f, 10.0f);
    const double jump = meanAbsDiff(real, generated[1]);
    double largest = 0.0;
    for (int f = 1; f < 17; ++f)
        largest = std::max(largest, meanAbsDiff(generated[static_cast<std::size_t>(f - 1)],
                                                generated[static_cast<std::size_t>(f)]));
    INFO("jump " << jump << ", largest step " << largest);
    CHECK(jump < 0.03);
    // No step takes more than about 1.6 / 9 of the 0.3 difference on top of the clip's own 0.01.
    CHECK(largest < 0.01 + 0.3 * 1.6 / 9.0);
}

TEST_CASE("seam blend: latent frames open at 0, 1, 5, 9 and a seam is moved off them by one lead frame",
          "[diffusion][seam]") {
    using kinema::diffusion::opensLatentFrame;
    using kinema::diffusion::seamLeadFrames;
    std::vector<int> opening;
    for (int p = 0; p <= 17; ++p)
        if (opensLatentFrame(p))
            opening.push_back(p);
    CHECK(opening == std::vector<int>{0, 1, 5, 9, 13, 17});
    CHECK_FALSE(opensLatentFrame(-1));
    // A forward extension with 5 overlap frames starts its new frames at position 5, the first of the
    // third latent frame: one lead frame moves it to 6, inside it. Overlaps of 2, 3 and 4 need none.
    CHECK(seamLeadFrames(5) == 1);
    CHECK(seamLeadFrames(1) == 1);
    for (int p : {2, 3, 4, 6, 7, 8, 122})
        CHECK(seamLeadFrames(p) == 0);
    // A backward extension of 121 frames meets its source at position 121 = 4 * 30 + 1.
    CHECK(seamLeadFrames(121) == 1);
    for (int p = 1; p < 40; ++p)
        CHECK_FALSE(opensLatentFrame(p + seamLeadFrames(p)));
}
