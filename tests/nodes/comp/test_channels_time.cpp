// SPDX-License-Identifier: Apache-2.0
// Crop, Shuffle, Copy and the time nodes (hash contracts at the pulled frame, frame ranges, blending).
#include <catch2/catch.hpp>

#include <cmath>

#include "CompTestSupport.h"

using namespace kinema;
using graph::Box2i;
using test::Harness;

namespace {

// Nodes whose hash equals their input's hash (pure pass-throughs and time shifts) are evaluated here after
// their input at the pulled frame is cached: the compute cache's single-flight wait does not yet handle a
// nested request for the key that the same thread is computing.

const std::vector<std::string> kRgba{"R", "G", "B", "A"};

float coded(const std::string& c, int x, int y, double frame) {
    const float base = c == "R" ? 1.0f : c == "G" ? 2.0f : c == "B" ? 3.0f : c == "A" ? 4.0f : 5.0f;
    return base * 1000.0f + static_cast<float>(frame) * 100.0f + static_cast<float>(y * 10 + x);
}

} // namespace

TEST_CASE("Crop limits the data window and optionally reformats", "[comp][crop]") {
    Harness h;
    auto& src = h.source("s", {-2, -2, 8, 6}, kRgba, coded);
    auto& crop = h.add("Crop");
    h.connect(src, crop, 0);
    auto out = h.eval(crop); // empty box = format 8×8
    REQUIRE(out->dataWindow() == Box2i{0, 0, 8, 6});
    h.set(crop, "box", std::array<double, 4>{1.0, 2.0, 5.5, 9.0});
    out = h.eval(crop);
    REQUIRE(out->dataWindow() == Box2i{1, 2, 6, 6});
    REQUIRE(out->sample("G", 3, 4) == coded("G", 3, 4, 1.0));
    h.set(crop, "reformat", true);
    out = h.eval(crop);
    REQUIRE(out->format().width == 5);
    REQUIRE(out->format().height == 7);
    REQUIRE(out->dataWindow() == Box2i{0, 0, 5, 4});
    REQUIRE(out->sample("G", 2, 2) == coded("G", 3, 4, 1.0));
}

TEST_CASE("Shuffle rebuilds RGBA from channels and constants", "[comp][shuffle]") {
    Harness h;
    auto& src = h.source("s", {0, 0, 3, 2}, {"R", "G", "B", "A", "depth.Z", "diffuse.G"}, coded);
    auto& sh = h.add("Shuffle");
    h.connect(src, sh, 0);
    h.setEnum(sh, "red", "B");
    h.setEnum(sh, "blue", "R");
    h.setEnum(sh, "alpha", "1");
    h.setEnum(sh, "green", "0");
    auto out = h.eval(sh);
    REQUIRE(out->sample("R", 2, 1) == coded("B", 2, 1, 1.0));
    REQUIRE(out->sample("B", 2, 1) == coded("R", 2, 1, 1.0));
    REQUIRE(out->sample("G", 2, 1) == 0.0f);
    REQUIRE(out->sample("A", 2, 1) == 1.0f);
    REQUIRE(out->sample("depth.Z", 2, 1) == coded("depth.Z", 2, 1, 1.0));
    // A layer to the main channels.
    h.set(sh, "inLayer", std::string("diffuse"));
    h.setEnum(sh, "red", "G");
    out = h.eval(sh);
    REQUIRE(out->sample("R", 1, 0) == coded("diffuse.G", 1, 0, 1.0));
    REQUIRE(out->sample("B", 1, 0) == 0.0f); // diffuse.R does not exist
}

TEST_CASE("Copy brings channels from A into B's window", "[comp][copy]") {
    Harness h;
    auto& b = h.source("b", {0, 0, 4, 4}, kRgba, coded);
    auto& a = h.source("a", {2, 2, 6, 6}, {"R", "G", "B", "A", "depth.Z"},
                       [](const std::string& c, int x, int y, double f) { return -coded(c, x, y, f); });
    auto& cp = h.add("Copy");
    h.connect(b, cp, 0);
    h.connect(a, cp, 1);
    h.set(cp, "channels", std::string("A, depth.Z"));
    auto out = h.eval(cp);
    REQUIRE(out->dataWindow() == Box2i{0, 0, 4, 4});
    REQUIRE(out->sample("A", 3, 3) == -coded("A", 3, 3, 1.0));
    REQUIRE(out->sample("A", 1, 1) == 0.0f); // outside A's window
    REQUIRE(out->sample("depth.Z", 2, 3) == -coded("depth.Z", 2, 3, 1.0));
    REQUIRE(out->sample("R", 3, 3) == coded("R", 3, 3, 1.0));
}

TEST_CASE("TimeOffset hashes and pulls the input at the shifted frame", "[comp][time]") {
    Harness h;
    auto& src = h.source("s", {0, 0, 2, 2}, kRgba, coded, true);
    auto& to = h.add("TimeOffset");
    h.connect(src, to, 0);
    h.set(to, "offset", std::int64_t{3});
    REQUIRE(h.hash(to, 10.0) == h.hash(src, 7.0));
    REQUIRE(h.hash(to, 10.0) != h.hash(src, 10.0));
    h.eval(src, 7.0);
    REQUIRE(h.eval(to, 10.0)->sample("R", 1, 1) == coded("R", 1, 1, 7.0));
    auto range = h.evaluator.frameRange(to);
    REQUIRE(range.has_value());
    REQUIRE(*range == render::FrameRange{4, 13});
}

TEST_CASE("FrameHold and FrameRange pull fixed or clamped frames", "[comp][time]") {
    Harness h;
    auto& src = h.source("s", {0, 0, 2, 2}, kRgba, coded, true);
    auto& hold = h.add("FrameHold");
    h.connect(src, hold, 0);
    h.set(hold, "frame", std::int64_t{5});
    REQUIRE(h.hash(hold, 1.0) == h.hash(src, 5.0));
    REQUIRE(h.hash(hold, 9.0) == h.hash(src, 5.0));
    h.eval(src, 5.0);
    REQUIRE(h.eval(hold, 9.0)->sample("G", 0, 1) == coded("G", 0, 1, 5.0));

    auto& fr = h.add("FrameRange");
    h.connect(src, fr, 0);
    h.set(fr, "first", std::int64_t{3});
    h.set(fr, "last", std::int64_t{6});
    REQUIRE(h.hash(fr, 4.0) == h.hash(src, 4.0));
    REQUIRE(h.hash(fr, 1.0) == h.hash(src, 3.0));
    REQUIRE(h.hash(fr, 9.0) == h.hash(src, 6.0));
    REQUIRE(*h.evaluator.frameRange(fr) == render::FrameRange{3, 6});
}

TEST_CASE("Retime maps speed and blends fractional frames", "[comp][time]") {
    Harness h;
    auto& src = h.source("s", {0, 0, 2, 2}, kRgba, coded, true);
    auto& rt = h.add("Retime");
    h.connect(src, rt, 0);
    h.set(rt, "speed", 0.5);
    // Output frame 1 → input 1, output 2 → input 1.5, output 3 → input 2.
    REQUIRE(h.hash(rt, 3.0) == h.hash(src, 2.0));
    auto out = h.eval(rt, 2.0);
    REQUIRE(out->sample("B", 1, 0) == Approx(0.5 * coded("B", 1, 0, 1.0) + 0.5 * coded("B", 1, 0, 2.0)));
    REQUIRE(h.hash(rt, 2.0) != h.hash(src, 1.0));
    REQUIRE(*h.evaluator.frameRange(rt) == render::FrameRange{1, 19});
    h.set(rt, "blend", false);
    REQUIRE(h.hash(rt, 2.0) == h.hash(src, 2.0)); // 1.5 rounds to the nearest frame, 2
    h.set(rt, "speed", 2.0);
    REQUIRE(h.hash(rt, 3.0) == h.hash(src, 5.0));
    REQUIRE(*h.evaluator.frameRange(rt) == render::FrameRange{1, 5});
}
