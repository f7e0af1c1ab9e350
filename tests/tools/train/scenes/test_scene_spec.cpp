// SPDX-License-Identifier: Apache-2.0
#include "kinema/scenes/SceneSpec.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <map>
#include <set>

using namespace kinema::scenes;

TEST_CASE("scene names round-trip and unknown names are rejected", "[scenes]") {
    for (auto v : kAllShapes)
        CHECK(enumFromString<Shape>(toString(v), "shape") == v);
    for (auto v : kAllColours)
        CHECK(enumFromString<Colour>(toString(v), "colour") == v);
    for (auto v : kAllMotions)
        CHECK(enumFromString<Motion>(toString(v), "motion") == v);
    for (auto v : kAllBackgrounds)
        CHECK(enumFromString<Background>(toString(v), "background") == v);
    for (auto v : kAllCameras)
        CHECK(enumFromString<Camera>(toString(v), "camera") == v);
    CHECK_THROWS_WITH(enumFromString<Shape>("hexagon", "objects[0].shape"),
                      Catch::Contains("objects[0].shape") && Catch::Contains("hexagon"));
}

TEST_CASE("the sampler is deterministic and covers the grammar", "[scenes]") {
    std::set<Shape> shapes;
    std::set<Colour> colours;
    std::set<Motion> motions;
    std::set<Background> backgrounds;
    std::set<Camera> cameras;
    std::map<std::size_t, int> counts;
    int emissive = 0;
    for (std::uint64_t seed = 0; seed < 600; ++seed) {
        const SceneSpec a = sample(seed);
        const SceneSpec b = sample(seed);
        REQUIRE(a.objects.size() == b.objects.size());
        CHECK(a.textureSeed == b.textureSeed);
        CHECK(a.objects[0].x == b.objects[0].x);
        REQUIRE_NOTHROW(validate(a));
        counts[a.objects.size()]++;
        for (std::size_t i = 0; i < a.objects.size(); ++i) {
            const auto& o = a.objects[i];
            shapes.insert(o.shape);
            colours.insert(o.colour);
            emissive += o.emissive ? 1 : 0;
            if (i > 0) {
                CHECK(int(o.size) < int(a.objects[0].size)); // the subject is the largest
                CHECK((o.motion == Motion::Still || o.motion == Motion::Spin));
            }
        }
        motions.insert(a.objects[0].motion);
        backgrounds.insert(a.background);
        cameras.insert(a.camera);
    }
    CHECK(shapes.size() == kAllShapes.size());
    CHECK(colours.size() == kAllColours.size());
    CHECK(motions.size() == kAllMotions.size());
    CHECK(backgrounds.size() == kAllBackgrounds.size());
    CHECK(cameras.size() == kAllCameras.size());
    CHECK(counts[1] > 0);
    CHECK(counts[2] > 0);
    CHECK(counts[3] > 0);
    CHECK(emissive > 0);
    CHECK(sample(1).objects[0].x != sample(2).objects[0].x);
}

TEST_CASE("validate rejects specs outside the grammar", "[scenes]") {
    SceneSpec spec;
    CHECK_THROWS_AS(validate(spec), SceneError);
    spec.objects.push_back({});
    CHECK_NOTHROW(validate(spec));
    spec.objects[0].motion = Motion::Spin; // a spinning circle is invisible
    CHECK_THROWS_WITH(validate(spec), Catch::Contains("object 0"));
    spec.objects[0].motion = Motion::Still;
    spec.objects[0].x = 3.0f;
    CHECK_THROWS_AS(validate(spec), SceneError);
    spec.objects[0].x = 0.5f;
    spec.objects.resize(4);
    CHECK_THROWS_WITH(validate(spec), Catch::Contains("4 objects"));
}

TEST_CASE("poses follow the named motion", "[scenes]") {
    SceneObject o;
    const auto delta = [&](Motion m) {
        o.motion = m;
        const auto a = poseAt(o, 0.0), b = poseAt(o, 1.0);
        return std::array<float, 3>{b.x - a.x, b.y - a.y, b.radius / a.radius};
    };
    CHECK(delta(Motion::Left)[0] < -0.3f);
    CHECK(delta(Motion::Right)[0] > 0.3f);
    CHECK(delta(Motion::Up)[1] < -0.3f);
    CHECK(delta(Motion::Down)[1] > 0.3f);
    CHECK(delta(Motion::UpLeft)[0] < -0.2f);
    CHECK(delta(Motion::UpLeft)[1] < -0.2f);
    CHECK(delta(Motion::DownRight)[0] > 0.2f);
    CHECK(delta(Motion::Grow)[2] > 1.5f);
    CHECK(delta(Motion::Shrink)[2] < 0.7f);
    o.motion = Motion::Bounce;
    CHECK(poseAt(o, 0.25).y < poseAt(o, 0.0).y - 0.2f);
    CHECK(poseAt(o, 0.5).y == Approx(poseAt(o, 0.0).y).margin(1e-5));
    o.motion = Motion::Orbit;
    CHECK(poseAt(o, 1.0).x == Approx(poseAt(o, 0.0).x).margin(1e-4));
    CHECK(std::fabs(poseAt(o, 0.5).x - poseAt(o, 0.0).x) > 0.3f);
    CHECK(cameraAt(Camera::ZoomIn, 1.0).zoom > 1.1f);
    CHECK(cameraAt(Camera::PanLeft, 1.0).centreX < cameraAt(Camera::PanLeft, 0.0).centreX);
}
