// SPDX-License-Identifier: Apache-2.0
#include "kinema/scenes/Caption.h"

#include <catch2/catch.hpp>

#include <set>

using namespace kinema::scenes;

TEST_CASE("captions are deterministic and vary with the seed", "[scenes]") {
    const SceneSpec spec = sample(7);
    for (auto style : kAllCaptionStyles) {
        CHECK(caption(spec, style, 3) == caption(spec, style, 3));
        std::set<std::string> distinct;
        for (std::uint64_t seed = 0; seed < 30; ++seed)
            distinct.insert(caption(spec, style, seed));
        CHECK(distinct.size() >= 3);
    }
}

TEST_CASE("the short caption names the subject and its motion", "[scenes]") {
    SceneSpec spec;
    SceneObject o;
    o.colour = Colour::Red;
    o.shape = Shape::Circle;
    o.motion = Motion::Left;
    spec.objects.push_back(o);
    bool sawPlain = false;
    for (std::uint64_t seed = 0; seed < 40; ++seed) {
        const std::string text = caption(spec, CaptionStyle::Short, seed);
        sawPlain = sawPlain || text == "a red circle moving left";
        CHECK(text.find("red") != std::string::npos);
    }
    CHECK(sawPlain);
}

TEST_CASE("parseCaption recovers every field a generated caption states", "[scenes]") {
    int checked = 0;
    for (std::uint64_t seed = 0; seed < 400; ++seed) {
        const SceneSpec spec = sample(seed);
        const CaptionFacts truth = factsOf(spec);
        for (auto style : kAllCaptionStyles) {
            const std::string text = caption(spec, style, seed * 31 + 5);
            INFO("seed " << seed << ": " << text);
            const CaptionFacts parsed = parseCaption(text);
            REQUIRE(!parsed.objects.empty());
            const auto& s = parsed.objects[0];
            CHECK(s.colour == truth.objects[0].colour);
            CHECK(s.shape == truth.objects[0].shape);
            CHECK(s.motion == truth.objects[0].motion);
            CHECK(s.emissive == truth.objects[0].emissive);
            if (style == CaptionStyle::Short) {
                CHECK(parsed.objects.size() == 1);
                CHECK(!parsed.background);
                continue;
            }
            CHECK(s.size == truth.objects[0].size);
            REQUIRE(parsed.objects.size() == truth.objects.size());
            for (std::size_t i = 1; i < truth.objects.size(); ++i) {
                CHECK(parsed.objects[i].colour == truth.objects[i].colour);
                CHECK(parsed.objects[i].shape == truth.objects[i].shape);
                CHECK(parsed.objects[i].size == truth.objects[i].size);
                CHECK(parsed.objects[i].emissive == truth.objects[i].emissive);
                if (truth.objects[i].motion != Motion::Still)
                    CHECK(parsed.objects[i].motion == truth.objects[i].motion);
            }
            CHECK(parsed.background == truth.background);
            CHECK(parsed.camera == truth.camera);
            CHECK(parsed.light == truth.light);
            CHECK(parsed.temperature == truth.temperature);
            CHECK(parsed.intensity == truth.intensity);
            ++checked;
        }
    }
    CHECK(checked == 800);
}

TEST_CASE("parseCaption reads hand-written captions in the same vocabulary", "[scenes]") {
    const auto a =
        parseCaption("A small turquoise disk rising against a starry sky. Lit from above by strong, "
                     "cold light; the camera zooms in.");
    REQUIRE(a.objects.size() == 1);
    CHECK(a.objects[0].colour == Colour::Cyan);
    CHECK(a.objects[0].shape == Shape::Circle);
    CHECK(a.objects[0].size == Size::Small);
    CHECK(a.objects[0].motion == Motion::Up);
    CHECK(a.background == Background::StarryNight);
    CHECK(a.light == LightDirection::Top);
    CHECK(a.intensity == Intensity::Bright);
    CHECK(a.temperature == Temperature::Cool);
    CHECK(a.camera == Camera::ZoomIn);

    const auto b = parseCaption("red, star, up-left, night sky, warm light, left light, pan right");
    REQUIRE(b.objects.size() == 1);
    CHECK(b.objects[0].motion == Motion::UpLeft);
    CHECK(b.light == LightDirection::Left);
    CHECK(b.camera == Camera::PanRight);
    CHECK(b.background == Background::Night);

    // The camera and the light use "left" too; they must not be taken for the object's motion.
    const auto c = parseCaption(
        "a glowing pink ring moving in a circle, the camera pans to the left, light from the right");
    REQUIRE(c.objects.size() == 1);
    CHECK(c.objects[0].emissive);
    CHECK(c.objects[0].shape == Shape::Ring);
    CHECK(c.objects[0].motion == Motion::Orbit);
    CHECK(c.camera == Camera::PanLeft);
    CHECK(c.light == LightDirection::Right);

    CHECK(parseCaption("").objects.empty());
    CHECK(parseCaption("lorem ipsum 42 %%").objects.empty());
}

TEST_CASE("a caption of the reversed spec states every direction the other way round", "[scenes]") {
    int changed = 0, unchanged = 0;
    for (std::uint64_t seed = 0; seed < 300; ++seed) {
        const SceneSpec spec = sample(seed);
        const SceneSpec reversed = withDirectionsReversed(spec);
        REQUIRE_NOTHROW(validate(reversed));
        const CaptionFacts truth = factsOf(spec), turned = factsOf(reversed);
        const Motion m = *truth.objects[0].motion;
        const bool directional =
            m != Motion::Still && m != Motion::Bounce && m != Motion::Orbit && m != Motion::Spin;
        CHECK((*turned.objects[0].motion != m) == directional);
        CHECK((turned.camera != truth.camera) == (*truth.camera != Camera::Static));
        const bool sideLight = *truth.light == LightDirection::Left || *truth.light == LightDirection::Right;
        CHECK((turned.light != truth.light) == sideLight);
        // Reversing twice gives the spec back; the caption differs only where a direction is stated.
        CHECK(factsOf(withDirectionsReversed(reversed)).objects[0].motion == truth.objects[0].motion);
        for (auto style : kAllCaptionStyles) {
            const std::string text = caption(spec, style, seed), other = caption(reversed, style, seed);
            const CaptionFacts parsed = parseCaption(other);
            INFO(text << " | " << other);
            CHECK(parsed.objects[0].motion == turned.objects[0].motion);
            CHECK(parsed.objects[0].colour == truth.objects[0].colour);
            CHECK(parsed.objects[0].shape == truth.objects[0].shape);
            (text == other ? unchanged : changed) += 1;
        }
    }
    CHECK(changed > 300); // most captions state some direction
    CHECK(unchanged > 0);
}

TEST_CASE("reversing directions maps each motion to its opposite", "[scenes]") {
    SceneSpec spec;
    SceneObject o;
    spec.objects.push_back(o);
    const std::pair<Motion, Motion> pairs[] = {
        {Motion::Left, Motion::Right},       {Motion::Up, Motion::Down},
        {Motion::UpLeft, Motion::DownRight}, {Motion::UpRight, Motion::DownLeft},
        {Motion::Grow, Motion::Shrink},      {Motion::Still, Motion::Still},
        {Motion::Bounce, Motion::Bounce}};
    for (const auto& [from, to] : pairs) {
        spec.objects[0].motion = from;
        CHECK(withDirectionsReversed(spec).objects[0].motion == to);
        spec.objects[0].motion = to;
        CHECK(withDirectionsReversed(spec).objects[0].motion == from);
    }
    spec.objects[0].motion = Motion::Orbit;
    CHECK(withDirectionsReversed(spec).objects[0].clockwise == !spec.objects[0].clockwise);
    spec.camera = Camera::ZoomIn;
    spec.lighting.direction = LightDirection::Top;
    const auto r = withDirectionsReversed(spec);
    CHECK(r.camera == Camera::ZoomOut);
    CHECK(r.lighting.direction == LightDirection::Top);
}

TEST_CASE("a caption of the recoloured or reshaped spec changes only the subject's colour or shape",
          "[scenes]") {
    std::set<Colour> newColours;
    std::set<Shape> newShapes;
    for (std::uint64_t seed = 0; seed < 300; ++seed) {
        const SceneSpec spec = sample(seed);
        const SceneSpec recoloured = withSubjectRecoloured(spec, seed * 7);
        const SceneSpec reshaped = withSubjectReshaped(spec, seed * 7);
        REQUIRE_NOTHROW(validate(recoloured));
        REQUIRE_NOTHROW(validate(reshaped)); // a spinning subject never becomes a circle or a ring
        const auto& subject = spec.objects[0];
        // The new colour is one no object of the scene has; the new shape is another one.
        for (const auto& o : spec.objects)
            CHECK(recoloured.objects[0].colour != o.colour);
        CHECK(reshaped.objects[0].shape != subject.shape);
        CHECK(reshaped.objects[0].colour == subject.colour);
        CHECK(recoloured.objects[0].shape == subject.shape);
        for (std::size_t k = 1; k < spec.objects.size(); ++k) {
            CHECK(recoloured.objects[k].colour == spec.objects[k].colour);
            CHECK(reshaped.objects[k].shape == spec.objects[k].shape);
        }
        newColours.insert(recoloured.objects[0].colour);
        newShapes.insert(reshaped.objects[0].shape);
        for (auto style : kAllCaptionStyles) {
            const std::string text = caption(spec, style, seed);
            const std::string colourText = caption(recoloured, style, seed),
                              shapeText = caption(reshaped, style, seed);
            INFO(text << " | " << colourText << " | " << shapeText);
            CHECK(colourText != text);
            CHECK(shapeText != text);
            const CaptionFacts byColour = parseCaption(colourText), byShape = parseCaption(shapeText);
            REQUIRE(!byColour.objects.empty());
            REQUIRE(!byShape.objects.empty());
            CHECK(byColour.objects[0].colour == recoloured.objects[0].colour);
            CHECK(byColour.objects[0].shape == subject.shape);
            CHECK(byColour.objects[0].motion == subject.motion);
            CHECK(byShape.objects[0].shape == reshaped.objects[0].shape);
            CHECK(byShape.objects[0].colour == subject.colour);
            CHECK(byShape.objects[0].motion == subject.motion);
        }
    }
    // The pick reaches every colour and shape.
    CHECK(newColours.size() == kAllColours.size());
    CHECK(newShapes.size() == kAllShapes.size());
}

TEST_CASE("the colour-swapped spec trades the subject's colour with another object's", "[scenes]") {
    int swapped = 0, kept = 0;
    for (std::uint64_t seed = 0; seed < 300; ++seed) {
        const SceneSpec spec = sample(seed);
        const SceneSpec swap = withSubjectColourSwapped(spec);
        REQUIRE_NOTHROW(validate(swap));
        REQUIRE(swap.objects.size() == spec.objects.size());
        std::size_t partner = 0;
        for (std::size_t k = 1; k < spec.objects.size() && partner == 0; ++k)
            if (spec.objects[k].colour != spec.objects[0].colour)
                partner = k;
        for (std::size_t k = 0; k < spec.objects.size(); ++k) {
            CHECK(swap.objects[k].shape == spec.objects[k].shape);
            CHECK(swap.objects[k].motion == spec.objects[k].motion);
            const std::size_t from = partner == 0 || (k != 0 && k != partner) ? k : (k == 0 ? partner : 0);
            CHECK(swap.objects[k].colour == spec.objects[from].colour);
        }
        if (partner == 0) {
            ++kept; // one object, or all of one colour: nothing to swap, the same caption
            CHECK(caption(swap, CaptionStyle::Long, seed) == caption(spec, CaptionStyle::Long, seed));
            continue;
        }
        ++swapped;
        for (auto style : kAllCaptionStyles) {
            const std::string text = caption(spec, style, seed), swapText = caption(swap, style, seed);
            INFO(text << " | " << swapText);
            CHECK(swapText != text);
            const CaptionFacts facts = parseCaption(swapText);
            REQUIRE(!facts.objects.empty());
            CHECK(facts.objects[0].colour == spec.objects[partner].colour);
            CHECK(facts.objects[0].shape == spec.objects[0].shape);
        }
    }
    // Both kinds of scene are common.
    CHECK(swapped > 30);
    CHECK(kept > 30);
}

TEST_CASE("the size-traded spec trades the subject's travel for a change of size and back", "[scenes]") {
    std::set<Motion> reached;
    int traded = 0, kept = 0;
    for (std::uint64_t seed = 0; seed < 300; ++seed) {
        const SceneSpec spec = sample(seed);
        const Motion before = spec.objects[0].motion;
        const SceneSpec trade = withSubjectSizeTraded(spec, seed);
        REQUIRE_NOTHROW(validate(trade));
        REQUIRE(trade.objects.size() == spec.objects.size());
        for (std::size_t k = 1; k < spec.objects.size(); ++k)
            CHECK(trade.objects[k].motion == spec.objects[k].motion);
        CHECK(trade.objects[0].colour == spec.objects[0].colour);
        CHECK(trade.objects[0].shape == spec.objects[0].shape);
        CHECK(trade.camera == spec.camera);
        const Motion after = trade.objects[0].motion;
        if (!isDirection(before) && !isSizeChange(before)) {
            ++kept; // still, bounce, orbit or spin: nothing to trade, the same caption
            CHECK(after == before);
            CHECK(caption(trade, CaptionStyle::Long, seed) == caption(spec, CaptionStyle::Long, seed));
            continue;
        }
        ++traded;
        reached.insert(after);
        if (isSizeChange(before))
            CHECK(isDirection(after));
        else
            CHECK(isSizeChange(after));
        for (auto style : kAllCaptionStyles) {
            const std::string text = caption(trade, style, seed);
            INFO(caption(spec, style, seed) << " | " << text);
            CHECK(text != caption(spec, style, seed));
            const CaptionFacts facts = parseCaption(text);
            REQUIRE(!facts.objects.empty());
            CHECK(facts.objects[0].motion == after);
        }
    }
    // Every direction, growing and shrinking are reached; both kinds of scene are common.
    CHECK(reached.size() == 10);
    CHECK(traded > 100);
    CHECK(kept > 30);
}
