// SPDX-License-Identifier: Apache-2.0
#include "kinema/scenes/Analyser.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <iostream>

using namespace kinema::scenes;

namespace {
SceneSpec orbiting() {
    SceneSpec spec;
    spec.background = Background::BlueSky;
    SceneObject o;
    o.shape = Shape::Star;
    o.colour = Colour::Red;
    o.motion = Motion::Orbit;
    spec.objects.push_back(o);
    return spec;
}

Clip concatenate(const Clip& a, int fromA, int toA, const Clip& b, int fromB, int toB) {
    Clip out = a;
    out.frames = (toA - fromA) + (toB - fromB);
    out.rgb.clear();
    out.rgb.insert(out.rgb.end(), a.frame(fromA),
                   a.frame(fromA) + a.frameFloats() * std::size_t(toA - fromA));
    out.rgb.insert(out.rgb.end(), b.frame(fromB),
                   b.frame(fromB) + b.frameFloats() * std::size_t(toB - fromB));
    return out;
}
} // namespace

TEST_CASE("ACEScct encoding matches its published reference points", "[scenes][fidelity]") {
    CHECK(toAcesCct(0.18f) == Approx(0.4135884).epsilon(1e-5));
    CHECK(toAcesCct(0.0f) == Approx(0.0729055).epsilon(1e-5));
    CHECK(toAcesCct(1.0f) == Approx(0.5547945).epsilon(1e-5));
    for (float v : {-0.01f, 0.0f, 0.005f, 0.0078125f, 0.18f, 1.0f, 4.0f, 100.0f})
        CHECK(fromAcesCct(toAcesCct(v)) == Approx(v).margin(1e-6).epsilon(1e-5));
    // Continuous at the break point.
    CHECK(toAcesCct(0.0078125f) == Approx((std::log2(0.0078125) + 9.72) / 17.52).epsilon(1e-4));
}

TEST_CASE("PSNR is infinite for identical frames and falls as the error grows", "[scenes][fidelity]") {
    const Clip clip = render(orbiting());
    CHECK(std::isinf(psnr(clip, 3, clip, 3)));
    Clip small = clip, large = clip;
    for (std::size_t i = 0; i < clip.rgb.size(); ++i) {
        small.rgb[i] *= 1.02f;
        large.rgb[i] *= 1.3f;
    }
    const double a = psnr(small, 3, clip, 3), b = psnr(large, 3, clip, 3);
    CHECK(a > b);
    CHECK(b > 20.0);
    // A 2 % gain is log2(1.02)/17.52 in ACEScct above the linear segment: about 44 dB.
    CHECK(a == Approx(20.0 * std::log10(17.52 / std::log2(1.02))).margin(1.0));
    CHECK(keyframePsnr(large, clip, {0, 16}) ==
          Approx((psnr(large, 0, clip, 0) + psnr(large, 16, clip, 16)) / 2));
    CHECK_THROWS_AS(psnr(clip, 17, clip, 0), SceneError);
    CHECK_THROWS_AS(keyframePsnr(clip, clip, {}), SceneError);
}

TEST_CASE("loop seam is about 1 for a seamless loop and large for a cut", "[scenes][fidelity]") {
    // One orbit over 18 timeline frames: frame 17 would repeat frame 0, so frames 0-16 loop seamlessly.
    RenderSettings loop;
    loop.frames = 17;
    loop.timelineFrames = 18;
    const double seamless = loopSeam(render(orbiting(), loop));
    SceneSpec moving = orbiting();
    moving.objects[0].motion = Motion::Right;
    const double open = loopSeam(render(moving));
    // A cut: the loop ends in another scene.
    const Clip a = render(orbiting(), loop), b = render(sample(11));
    const double cut = loopSeam(concatenate(a, 0, 9, b, 9, 17));
    std::cout << "loop seam: seamless orbit " << seamless << ", left-to-right motion " << open << ", cut "
              << cut << "\n";
    CHECK(open > 2.0);
    CHECK(seamless == Approx(1.0).margin(0.2));
    CHECK(cut > 5.0);
}

TEST_CASE("extension seam is about 1 for a continuation and large for a cut", "[scenes][fidelity]") {
    const SceneSpec spec = sample(5);
    RenderSettings first, second;
    first.timelineFrames = second.timelineFrames = 33;
    second.firstFrame = 16;
    const Clip head = render(spec, first), tail = render(spec, second);
    // Frame 16 is shared: keep it once, then continue from timeline frame 17.
    const Clip continued = concatenate(head, 0, 17, tail, 1, 17);
    REQUIRE(continued.frames == 33);
    const double smooth = extensionSeam(continued, 17);

    const Clip other = render(sample(6), second);
    const Clip cut = concatenate(head, 0, 17, other, 1, 17);
    const double jump = extensionSeam(cut, 17);
    std::cout << "extension seam: continuation " << smooth << ", cut " << jump << "\n";
    CHECK(smooth == Approx(1.0).margin(0.35));
    CHECK(jump > 5.0);
    CHECK_THROWS_AS(extensionSeam(continued, 0), SceneError);
}
