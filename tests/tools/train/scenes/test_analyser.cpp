// SPDX-License-Identifier: Apache-2.0
#include "kinema/scenes/Analyser.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <iostream>
#include <limits>

using namespace kinema::scenes;

namespace {

struct Rates {
    int clips = 0, colour = 0, shape = 0, motion = 0, emissive = 0, light = 0, lightClips = 0;
    int direction = 0, directionClips = 0;
    double rate(int n) const { return clips ? double(n) / clips : 0.0; }
    double lightRate() const { return lightClips ? double(light) / lightClips : 0.0; }
};

// Stand-in for the imperfections of a generated clip: a 3x3 box blur and +-10 % multiplicative noise.
void degrade(Clip& clip, std::uint64_t seed) {
    const Clip source = clip;
    const int W = clip.width, H = clip.height;
    std::uint64_t state = seed * 0x9E3779B97F4A7C15ull + 1;
    const auto noise = [&] {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        return float(double(state >> 11) / 9007199254740992.0) * 2.0f - 1.0f;
    };
    for (int f = 0; f < clip.frames; ++f)
        for (int y = 0; y < H; ++y)
            for (int x = 0; x < W; ++x)
                for (int c = 0; c < 3; ++c) {
                    float sum = 0.0f;
                    int n = 0;
                    for (int dy = -1; dy <= 1; ++dy)
                        for (int dx = -1; dx <= 1; ++dx) {
                            const int xx = x + dx, yy = y + dy;
                            if (xx < 0 || yy < 0 || xx >= W || yy >= H)
                                continue;
                            sum += source.frame(f)[(std::size_t(yy) * W + xx) * 3 + c];
                            ++n;
                        }
                    clip.frame(f)[(std::size_t(y) * W + x) * 3 + c] =
                        sum / float(n) * (1.0f + 0.1f * noise());
                }
}

Rates measureRates(int size, std::uint64_t firstSeed, int count, bool degraded = false) {
    Rates r;
    const SceneAnalyser analyser;
    RenderSettings settings;
    settings.width = settings.height = size;
    for (int i = 0; i < count; ++i) {
        const SceneSpec spec = sample(firstSeed + std::uint64_t(i));
        Clip clip = render(spec, settings);
        if (degraded)
            degrade(clip, firstSeed + std::uint64_t(i));
        const SceneScore s = SceneAnalyser::score(analyser.analyse(clip), factsOf(spec));
        ++r.clips;
        r.colour += s.colour.value_or(false);
        r.shape += s.shape.value_or(false);
        r.motion += s.motion.value_or(false);
        r.emissive += s.emissive.value_or(false);
        if (s.direction) {
            ++r.directionClips;
            r.direction += *s.direction;
        }
        if (s.light) {
            ++r.lightClips;
            r.light += *s.light;
        }
    }
    std::cout << "scene analyser on " << r.clips << (degraded ? " blurred and noisy" : "") << " rendered "
              << size << "x" << size << " clips: colour " << r.rate(r.colour) << ", shape " << r.rate(r.shape)
              << ", motion " << r.rate(r.motion) << ", direction of travel " << r.direction << " of "
              << r.directionClips << ", emissive " << r.rate(r.emissive) << ", lighting side "
              << r.lightRate() << " (" << r.lightClips << " lit subjects)\n";
    return r;
}

SceneSpec single(Shape shape, Colour colour, Motion motion, Camera camera = Camera::Static) {
    SceneSpec spec;
    spec.background = Background::GreyFloor;
    spec.camera = camera;
    SceneObject o;
    o.shape = shape;
    o.colour = colour;
    o.motion = motion;
    o.size = Size::Medium;
    o.phase = 0.3f;
    if (motion == Motion::Bounce)
        o.y = 0.72f;
    spec.objects.push_back(o);
    return spec;
}

} // namespace

TEST_CASE("the analyser reads colour, shape and motion of rendered 128x128 scenes", "[scenes][analyser]") {
    const Rates r = measureRates(128, 20000, 200);
    CHECK(r.rate(r.colour) >= 0.95);
    CHECK(r.rate(r.shape) >= 0.95);
    CHECK(r.rate(r.motion) >= 0.95);
    CHECK(r.directionClips > 50);
    CHECK(r.direction >= 0.95 * r.directionClips);
    CHECK(r.rate(r.emissive) >= 0.95);
    CHECK(r.lightRate() >= 0.9);
}

TEST_CASE("the analyser reads colour, shape and motion of rendered 64x64 scenes", "[scenes][analyser]") {
    const Rates r = measureRates(64, 30000, 150);
    CHECK(r.rate(r.colour) >= 0.95);
    CHECK(r.rate(r.shape) >= 0.9);
    CHECK(r.rate(r.motion) >= 0.95);
    CHECK(r.direction >= 0.95 * r.directionClips);
    CHECK(r.lightRate() >= 0.9);
}

TEST_CASE("the analyser holds up on blurred, noisy clips", "[scenes][analyser]") {
    const Rates r = measureRates(128, 40000, 60, true);
    CHECK(r.rate(r.colour) >= 0.9);
    CHECK(r.rate(r.shape) >= 0.9);
    CHECK(r.rate(r.motion) >= 0.9);
    CHECK(r.direction >= 0.9 * r.directionClips);
}

TEST_CASE("every motion is told apart under every camera move", "[scenes][analyser]") {
    const SceneAnalyser analyser;
    int right = 0, total = 0;
    for (Motion motion : kAllMotions)
        for (Camera camera : kAllCameras) {
            if (motion == Motion::Grow && camera == Camera::ZoomIn)
                continue; // the sampler never combines them: the object would leave the frame
            const Shape shape = motion == Motion::Spin ? Shape::Star : Shape::Circle;
            const ClipAnalysis a = analyser.analyse(render(single(shape, Colour::Orange, motion, camera)));
            REQUIRE(!a.objects.empty());
            INFO("motion " << toString(motion) << ", camera " << toString(camera) << ": measured "
                           << toString(a.objects[0].motion));
            CHECK(a.objects[0].motion == motion);
            right += a.objects[0].motion == motion;
            if (isDirection(motion))
                CHECK(a.objects[0].travel == motion);
            ++total;
        }
    CHECK(right == total);
}

TEST_CASE("the direction of travel is read apart from a change of size", "[scenes][analyser]") {
    // An orange disc on grey drifting from right to left while it shrinks to half its radius: the motion
    // reads as shrinking, the travel as left, and only a directional caption's score has a direction.
    Clip clip;
    clip.width = clip.height = 64;
    clip.frames = 17;
    clip.rgb.resize(clip.frameFloats() * std::size_t(clip.frames));
    for (int f = 0; f < clip.frames; ++f) {
        const float t = float(f) / float(clip.frames - 1);
        const float cx = 44.0f - 24.0f * t, cy = 32.0f, radius = 10.0f - 5.0f * t;
        for (int y = 0; y < 64; ++y)
            for (int x = 0; x < 64; ++x) {
                const bool inside = std::hypot(x + 0.5f - cx, y + 0.5f - cy) <= radius;
                float* p = clip.frame(f) + (std::size_t(y) * 64 + std::size_t(x)) * 3;
                p[0] = inside ? 0.9f : 0.18f;
                p[1] = inside ? 0.28f : 0.18f;
                p[2] = inside ? 0.03f : 0.18f;
            }
    }
    const ClipAnalysis a = SceneAnalyser().analyse(clip);
    REQUIRE(!a.objects.empty());
    CHECK(a.objects[0].motion == Motion::Shrink);
    CHECK(a.objects[0].travel == Motion::Left);
    const SceneScore left = SceneAnalyser::score(a, parseCaption("an orange circle moving left"));
    CHECK(left.motion == false);
    CHECK(left.direction == true);
    CHECK(SceneAnalyser::score(a, parseCaption("an orange circle moving right")).direction == false);
    const SceneScore shrink = SceneAnalyser::score(a, parseCaption("an orange circle getting smaller"));
    CHECK(shrink.motion == true);
    CHECK_FALSE(shrink.direction.has_value());
}

TEST_CASE("named colours are recognised under warm, cool and neutral light and when glowing",
          "[scenes][analyser]") {
    const SceneAnalyser analyser;
    for (Colour colour : kAllColours)
        for (Temperature temperature : kAllTemperatures)
            for (bool emissive : {false, true}) {
                SceneSpec spec = single(Shape::Square, colour, Motion::Still);
                spec.background = Background::Night;
                spec.lighting.temperature = temperature;
                spec.lighting.intensity = Intensity::Dim;
                spec.objects[0].emissive = emissive;
                const ClipAnalysis a = analyser.analyse(render(spec));
                REQUIRE(!a.objects.empty());
                INFO(toString(colour)
                     << " under " << toString(temperature) << " light, emissive " << emissive);
                CHECK(a.objects[0].colour == colour);
                CHECK(a.objects[0].emissive == emissive);
            }
}

TEST_CASE("every shape and lighting side is recognised", "[scenes][analyser]") {
    const SceneAnalyser analyser;
    for (Shape shape : kAllShapes)
        for (LightDirection light : kAllLightDirections) {
            SceneSpec spec = single(shape, Colour::Yellow, Motion::Still);
            spec.background = Background::Night;
            spec.lighting.direction = light;
            const ClipAnalysis a = analyser.analyse(render(spec));
            REQUIRE(!a.objects.empty());
            INFO(toString(shape) << " lit from " << toString(light));
            CHECK(a.objects[0].shape == shape);
            CHECK(a.objects[0].shapeIoU > 0.85f);
            CHECK(a.objects[0].light == light);
        }
}

TEST_CASE("score compares the subject with a parsed caption", "[scenes][analyser]") {
    const SceneAnalyser analyser;
    const SceneSpec spec = single(Shape::Triangle, Colour::Green, Motion::Right);
    const ClipAnalysis a = analyser.analyse(render(spec));
    const SceneScore good = SceneAnalyser::score(a, parseCaption("a green triangle moving right"));
    CHECK(good.colour == true);
    CHECK(good.shape == true);
    CHECK(good.motion == true);
    CHECK(!good.light); // not stated
    const SceneScore bad = SceneAnalyser::score(a, parseCaption("a blue star moving left, lit from the top"));
    CHECK(bad.colour == false);
    CHECK(bad.shape == false);
    CHECK(bad.motion == false);
    CHECK(bad.light == false);
}

TEST_CASE("a clip without objects measures nothing and scores as wrong", "[scenes][analyser]") {
    Clip clip;
    clip.width = clip.height = 32;
    clip.frames = 5;
    clip.rgb.resize(clip.frameFloats() * 5);
    for (std::size_t i = 0; i < clip.rgb.size(); ++i)
        clip.rgb[i] = 0.2f + 0.3f * float((i / 3 / 32) % 32) / 32.0f; // vertical gradient only
    const SceneAnalyser analyser;
    const ClipAnalysis a = analyser.analyse(clip);
    CHECK(a.objects.empty());
    CHECK(SceneAnalyser::score(a, parseCaption("a red circle moving left")).colour == false);

    Clip poisoned = render(single(Shape::Star, Colour::Pink, Motion::Left));
    poisoned.rgb[100] = std::numeric_limits<float>::quiet_NaN();
    poisoned.rgb[200] = std::numeric_limits<float>::infinity();
    const ClipAnalysis p = analyser.analyse(poisoned);
    REQUIRE(!p.objects.empty());
    CHECK(p.objects[0].colour == Colour::Pink);
    CHECK(std::isfinite(psnr(poisoned, 0, render(single(Shape::Star, Colour::Pink, Motion::Left)), 0)));

    Clip broken = clip;
    broken.rgb.pop_back();
    CHECK_THROWS_AS(analyser.analyse(broken), SceneError);
}
