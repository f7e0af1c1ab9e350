// SPDX-License-Identifier: Apache-2.0
#include "kinema/color/ColorError.h"
#include "kinema/color/ColorTransform.h"

#include <catch2/catch.hpp>

#include <unordered_set>

using kinema::color::ColorError;
using kinema::color::ColorTransform;
using Direction = ColorTransform::Direction;

TEST_CASE("transform keys round-trip for every kind", "[color][transform]") {
    const std::vector<ColorTransform> transforms = {
        ColorTransform(),
        ColorTransform::colorSpace("ACEScg", "sRGB - Texture"),
        ColorTransform::displayView("ACEScg", "sRGB", "ACES 1.0 SDR-video"),
        ColorTransform::displayView("ACEScg", "sRGB", "Raw", Direction::Inverse)
            .withLooks("+Shot Grade, -ACES 1.3 Reference Gamut Compression")
            .withExposure(1.5)
            .withGamma(2.2),
        ColorTransform::look("ACEScg", "ACEScg", "Shot Grade", Direction::Inverse),
        ColorTransform::exponent({2.2, 2.4, 2.6, 1.0}),
        // Names containing the key's own delimiters.
        ColorTransform::colorSpace("odd;name:3:x", "with ; and :"),
    };
    for (const auto& t : transforms) {
        INFO(t.key());
        CHECK(ColorTransform::fromKey(t.key()) == t);
        CHECK(ColorTransform::fromKey(t.key()).key() == t.key());
    }
    std::unordered_set<std::string> keys;
    for (const auto& t : transforms)
        keys.insert(t.key());
    CHECK(keys.size() == transforms.size());
}

TEST_CASE("transform equality, hashing and inversion", "[color][transform]") {
    const auto a = ColorTransform::displayView("ACEScg", "sRGB", "Un-tone-mapped");
    const auto b = ColorTransform::displayView("ACEScg", "sRGB", "Un-tone-mapped");
    CHECK(a == b);
    CHECK(a.hash() == b.hash());
    CHECK(std::hash<ColorTransform>()(a) == a.hash());
    CHECK_FALSE(a == a.withExposure(1.0));
    CHECK_FALSE(a == a.inverted());
    CHECK(a.inverted().inverted() == a);
    CHECK(a.inverted().direction() == Direction::Inverse);

    const auto cs = ColorTransform::colorSpace("ACEScg", "ACEScct");
    CHECK(cs.inverted() == ColorTransform::colorSpace("ACEScct", "ACEScg"));
    // An inverse colour space key is canonicalised to the swapped forward form.
    CHECK(ColorTransform::fromKey("colorspace:inv;6:ACEScg;7:ACEScct") == cs.inverted());
}

TEST_CASE("malformed transform keys are rejected with the key in the message", "[color][transform]") {
    for (const char* bad :
         {"", "colorspace", "colorspace:xyz", "colorspace:fwd;6:ACEScg", "colorspace:fwd;99:ACEScg;1:x",
          "colorspace:fwd;x:ACEScg;1:y", "warp:fwd", "exponent:fwd;1:a;1:1;1:1;1:1",
          "displayview:fwd;1:a;1:b;1:c;0:;1:0;1:0", "identity:fwd;1:x"}) {
        INFO(bad);
        CHECK_THROWS_AS(ColorTransform::fromKey(bad), ColorError);
    }
    CHECK_THROWS_WITH(ColorTransform::fromKey("warp:fwd"), Catch::Contains("warp:fwd"));
}

TEST_CASE("display-view modifiers are refused on other kinds", "[color][transform]") {
    const auto cs = ColorTransform::colorSpace("a", "b");
    CHECK_THROWS_AS(cs.withExposure(1.0), ColorError);
    CHECK_THROWS_AS(cs.withLooks("x"), ColorError);
    CHECK_THROWS_AS(ColorTransform::displayView("a", "b", "c").withGamma(0.0), ColorError);
}
