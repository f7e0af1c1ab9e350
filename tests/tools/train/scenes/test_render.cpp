// SPDX-License-Identifier: Apache-2.0
#include "kinema/scenes/Render.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>

using namespace kinema::scenes;

namespace {
SceneSpec oneObject(Background background, Shape shape, Colour colour, Motion motion, bool emissive = false) {
    SceneSpec spec;
    spec.background = background;
    SceneObject o;
    o.shape = shape;
    o.colour = colour;
    o.motion = motion;
    o.emissive = emissive;
    o.size = Size::Large;
    spec.objects.push_back(o);
    return spec;
}

const float* pixel(const Clip& clip, int f, int x, int y) {
    return clip.frame(f) + (std::size_t(y) * clip.width + x) * 3;
}
} // namespace

TEST_CASE("render produces deterministic scene-linear frames of the requested size", "[scenes]") {
    for (int size : {64, 128}) {
        RenderSettings settings;
        settings.width = settings.height = size;
        const SceneSpec spec = sample(42);
        const Clip a = render(spec, settings);
        const Clip b = render(spec, settings);
        CHECK(a.width == size);
        CHECK(a.frames == 17);
        CHECK(a.fps == 16.0);
        REQUIRE(a.rgb.size() == std::size_t(size) * size * 3 * 17);
        CHECK(a.rgb == b.rgb);
        CHECK(std::all_of(a.rgb.begin(), a.rgb.end(), [](float v) { return std::isfinite(v) && v >= 0.0f; }));
    }
}

TEST_CASE("emissive objects and bright skies exceed 1.0, with a glow around emissive objects", "[scenes]") {
    const Clip glowing =
        render(oneObject(Background::Night, Shape::Circle, Colour::Red, Motion::Still, true));
    const float* centre = pixel(glowing, 0, 64, 64);
    CHECK(centre[0] > 2.0f);
    // Just outside the outline the glow lifts the dark night well above its own level.
    const float radius = radiusOf(Size::Large) * 128;
    const float* halo = pixel(glowing, 0, 64 + int(radius) + 3, 64);
    const float* far = pixel(glowing, 0, 2, 64);
    CHECK(halo[0] > 10.0f * far[0]);
    CHECK(halo[0] < 0.5f * centre[0]);

    const Clip sky = render(oneObject(Background::BlueSky, Shape::Circle, Colour::Red, Motion::Still));
    CHECK(pixel(sky, 0, 2, 126)[2] > 1.0f);
}

TEST_CASE("edges are anti-aliased", "[scenes]") {
    const Clip clip = render(oneObject(Background::Night, Shape::Circle, Colour::White, Motion::Still, true));
    int partial = 0;
    for (int x = 0; x < 128; ++x) {
        const float v = pixel(clip, 0, x, 64)[1];
        if (v > 0.6f && v < 3.0f)
            ++partial;
    }
    // A hard-edged disc would jump from glow to emission; coverage gives intermediate values.
    CHECK(partial >= 2);
}

TEST_CASE("the lit side of an object is brighter", "[scenes]") {
    for (auto [direction, sign] :
         {std::pair{LightDirection::Left, -1}, std::pair{LightDirection::Right, 1}}) {
        SceneSpec spec = oneObject(Background::Night, Shape::Square, Colour::White, Motion::Still);
        spec.lighting.direction = direction;
        const Clip clip = render(spec);
        const float left = pixel(clip, 0, 64 - 12, 64)[1], right = pixel(clip, 0, 64 + 12, 64)[1];
        CHECK((right - left) * sign > 0.1f);
    }
    SceneSpec warm = oneObject(Background::Night, Shape::Square, Colour::White, Motion::Still);
    warm.lighting.temperature = Temperature::Warm;
    const float* w = pixel(render(warm), 0, 64, 64);
    CHECK(w[0] > w[2] * 1.2f);
}

TEST_CASE("the object moves as its motion says and the timeline splits into continuing clips", "[scenes]") {
    const SceneSpec spec = oneObject(Background::Night, Shape::Circle, Colour::White, Motion::Right, true);
    RenderSettings whole;
    whole.frames = 33;
    const Clip all = render(spec, whole);
    RenderSettings second = whole;
    second.frames = 17;
    second.firstFrame = 16;
    second.timelineFrames = 33;
    const Clip tail = render(spec, second);
    REQUIRE(tail.frames == 17);
    CHECK(std::equal(tail.rgb.begin(), tail.rgb.end(), all.frame(16)));
    // Centroid of bright pixels moves to the right.
    const auto centroidX = [](const Clip& c, int f) {
        double sum = 0, weight = 0;
        for (int y = 0; y < c.height; ++y)
            for (int x = 0; x < c.width; ++x) {
                const float v = c.frame(f)[(std::size_t(y) * c.width + x) * 3 + 1];
                if (v > 1.0f) {
                    sum += x * v;
                    weight += v;
                }
            }
        return sum / weight;
    };
    CHECK(centroidX(all, 32) - centroidX(all, 0) > 40.0);
}

TEST_CASE("render rejects bad settings with a message", "[scenes]") {
    RenderSettings bad;
    bad.width = 0;
    CHECK_THROWS_WITH(render(sample(1), bad), Catch::Contains("size"));
    RenderSettings range;
    range.firstFrame = 10;
    range.timelineFrames = 20;
    CHECK_THROWS_WITH(render(sample(1), range), Catch::Contains("timeline"));
}
