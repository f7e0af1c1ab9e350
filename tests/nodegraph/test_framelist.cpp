// SPDX-License-Identifier: Apache-2.0
#include <catch2/catch.hpp>

#include "kinema/graph/FrameList.h"

using namespace kinema::graph;
using V = std::vector<std::int64_t>;

TEST_CASE("Nuke and Natron frame-range syntaxes", "[frames]") {
    CHECK(parseFrameSpec("1001-1005") == V{1001, 1002, 1003, 1004, 1005});
    CHECK(parseFrameSpec("1-50x10") == V{1, 11, 21, 31, 41});
    CHECK(parseFrameSpec("1-10:2") == V{1, 3, 5, 7, 9});
    CHECK(parseFrameSpec("7") == V{7});
    CHECK(parseFrameSpec("1-3,10,20-22x2") == V{1, 2, 3, 10, 20, 22});
    CHECK(parseFrameSpec("-3--1") == V{-3, -2, -1});
    CHECK(parseFrameSpec("-2-1") == V{-2, -1, 0, 1});
    CHECK(parseFrameSpecs({"1-3", "2-5"}) == V{1, 2, 3, 4, 5});
    CHECK(parseFrameSpec(" 5 , 6 ") == V{5, 6});
}

TEST_CASE("bad frame ranges are refused with the offending text", "[frames]") {
    for (const char* bad : {"", "a-b", "10-1", "1-10x0", "1-10:-2", "1,,2", "5x2", "1-10y2", "1.5"})
        CHECK_THROWS_AS(parseFrameSpec(bad), FrameSpecError);
    CHECK_THROWS_WITH(parseFrameSpec("10-1"), Catch::Contains("'10-1'"));
}

TEST_CASE("frame lists format compactly", "[frames]") {
    CHECK(formatFrameList({1, 2, 3, 5, 7, 8}) == "1-3,5,7-8");
    CHECK(formatFrameList({}) == "");
}
