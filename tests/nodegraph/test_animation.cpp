// SPDX-License-Identifier: Apache-2.0
#include <catch2/catch.hpp>

#include "TestNodes.h"
#include "kinema/graph/Animation.h"
#include "kinema/graph/Param.h"

using namespace kinema::graph;

TEST_CASE("curves interpolate constant, linear and smooth segments", "[animation]") {
    AnimationCurve c;
    c.setKey({0, 0, Interpolation::Linear});
    c.setKey({10, 10, Interpolation::Constant});
    c.setKey({20, 30, Interpolation::Smooth});
    c.setKey({30, 30, Interpolation::Smooth});
    CHECK(c.evaluate(-5) == 0);
    CHECK(c.evaluate(5) == Approx(5));
    CHECK(c.evaluate(2.5) == Approx(2.5)); // fractional frame
    CHECK(c.evaluate(15) == 10);           // constant holds the left value
    CHECK(c.evaluate(20) == 30);
    CHECK(c.evaluate(99) == 30);
    // Smooth: Hermite with Catmull-Rom tangents. Between 20 (30) and 30 (30): m0 = (30-10)/(30-10)*10 = 10,
    // m1 = (30-30)/(30-20)*10 = 0. At t=0.5: h00=.5, h10=.125, h01=.5, h11=-.125 → 15+1.25+15 = 31.25.
    CHECK(c.evaluate(25) == Approx(31.25));
}

TEST_CASE("setting a key at an existing frame replaces it", "[animation]") {
    AnimationCurve c;
    c.setKey({1, 1});
    c.setKey({1, 2});
    REQUIRE(c.keys().size() == 1);
    CHECK(c.keys()[0].value == 2);
    CHECK(c.removeKey(1));
    CHECK(c.empty());
}

TEST_CASE("animated parameters evaluate per component at fractional frames", "[animation][param]") {
    kinema::test::ProbeNode node;
    Param& tint = node.param("tint");
    tint.setKeyAt(0, std::array<double, 4>{0, 0, 0, 1}, Interpolation::Linear);
    tint.setKeyAt(10, std::array<double, 4>{1, 2, 3, 1}, Interpolation::Linear);
    auto v = tint.getVec(2.5);
    CHECK(v[0] == Approx(0.25));
    CHECK(v[1] == Approx(0.5));
    CHECK(v[2] == Approx(0.75));
    CHECK(tint.keyFrames() == std::vector<double>{0, 10});
    CHECK_THROWS_AS(node.param("prompt").setKeyAt(0, std::string("x")), ParamError);
}

TEST_CASE("parameter values are validated and parsed from text", "[param]") {
    kinema::test::ProbeNode node;
    CHECK_THROWS_AS(node.param("gain").setValue(1000.0), ParamError);
    CHECK_THROWS_AS(node.param("gain").setValue(std::string("x")), ParamError);
    CHECK_THROWS_AS(node.param("mode").setValue(std::int64_t{7}), ParamError);
    CHECK(std::get<double>(node.param("gain").parse("2.5")) == 2.5);
    CHECK(std::get<std::int64_t>(node.param("mode").parse("plus")) == 1);
    CHECK(std::get<std::uint64_t>(node.param("seed").parse("18446744073709551615")) ==
          18446744073709551615ull);
    CHECK(std::get<std::array<double, 4>>(node.param("tint").parse("1,2,3")) ==
          std::array<double, 4>{1, 2, 3, 1});
    CHECK(std::get<bool>(node.param("on").parse("off")) == false);
    CHECK_THROWS_AS(node.param("count").parse("1.5"), ParamError);
    CHECK_THROWS_AS(node.param("mode").parse("screen"), ParamError);
    CHECK_THROWS_AS(node.param("seed").parse("-1"), ParamError);
}
