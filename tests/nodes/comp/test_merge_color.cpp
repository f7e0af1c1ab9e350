// SPDX-License-Identifier: Apache-2.0
// Merge, colour nodes, premultiplication and routing nodes against values computed here from their
// published formulas.
#include <catch2/catch.hpp>

#include <cmath>
#include <map>

#include "CompTestSupport.h"

using namespace kinema;
using graph::Box2i;
using test::Harness;

namespace {

const std::vector<std::string> kRgba{"R", "G", "B", "A"};

/// Premultiplied test pattern: alpha varies with position, colour channels never exceed alpha.
float patternA(const std::string& c, int x, int y, double) {
    const float a = 0.25f + 0.1f * static_cast<float>((x + y) % 4);
    if (c == "A")
        return a;
    const float k = c == "R" ? 0.9f : c == "G" ? 0.5f : 0.2f;
    return a * k * (0.5f + 0.1f * static_cast<float>(x % 3));
}

float patternB(const std::string& c, int x, int y, double) {
    const float a = 0.6f + 0.1f * static_cast<float>((x * 3 + y) % 4);
    if (c == "A")
        return a;
    const float k = c == "R" ? 0.3f : c == "G" ? 0.7f : 0.6f;
    return a * k * (0.6f + 0.05f * static_cast<float>(y % 5));
}

void requireClose(float actual, float expected, float tol = 1e-5f) {
    INFO("actual " << actual << " expected " << expected);
    REQUIRE(std::fabs(actual - expected) <= tol * std::max(1.0f, std::fabs(expected)));
}

} // namespace

TEST_CASE("Merge: every operation matches its premultiplied formula and window", "[comp][merge]") {
    struct Case {
        std::string op;
        std::function<float(float A, float B, float a, float b)> f;
        Box2i window; // A = [0,4)², B = [2,7)×[1,6)
    };
    const Box2i aw{0, 0, 4, 4}, bw{2, 1, 7, 6};
    const Box2i uni{0, 0, 7, 6}, inter{2, 1, 4, 4};
    const std::vector<Case> cases{
        {"over", [](float A, float B, float a, float) { return A + B * (1 - a); }, uni},
        {"under", [](float A, float B, float, float b) { return A * (1 - b) + B; }, uni},
        {"plus", [](float A, float B, float, float) { return A + B; }, uni},
        {"multiply", [](float A, float B, float, float) { return A * B; }, inter},
        {"screen", [](float A, float B, float, float) { return A + B - A * B; }, uni},
        {"difference", [](float A, float B, float, float) { return std::fabs(A - B); }, uni},
        {"max", [](float A, float B, float, float) { return std::max(A, B); }, uni},
        {"min", [](float A, float B, float, float) { return std::min(A, B); }, uni},
        {"in", [](float A, float, float, float b) { return A * b; }, inter},
        {"out", [](float A, float, float, float b) { return A * (1 - b); }, aw},
        {"atop", [](float A, float B, float a, float b) { return A * b + B * (1 - a); }, bw},
        {"xor", [](float A, float B, float a, float b) { return A * (1 - b) + B * (1 - a); }, uni},
        {"mask", [](float, float B, float a, float) { return B * a; }, inter},
        {"stencil", [](float, float B, float a, float) { return B * (1 - a); }, bw},
    };
    for (const auto& tc : cases) {
        for (double mix : {1.0, 0.5}) {
            DYNAMIC_SECTION(tc.op << " mix " << mix) {
                Harness h;
                auto& A = h.source("A", aw, kRgba, patternA);
                auto& B = h.source("B", bw, kRgba, patternB);
                auto& m = h.add("Merge");
                h.connect(B, m, 0);
                h.connect(A, m, 1);
                h.setEnum(m, "operation", tc.op);
                h.set(m, "mix", mix);
                auto out = h.eval(m);
                const Box2i expectedWindow = mix < 1.0 ? tc.window.unite(bw) : tc.window;
                REQUIRE(out->dataWindow() == expectedWindow);
                for (int y = expectedWindow.y0; y < expectedWindow.y1; ++y)
                    for (int x = expectedWindow.x0; x < expectedWindow.x1; ++x) {
                        const float a = aw.contains(x, y) ? patternA("A", x, y, 0) : 0.0f;
                        const float b = bw.contains(x, y) ? patternB("A", x, y, 0) : 0.0f;
                        for (const auto& c : kRgba) {
                            const float Av = aw.contains(x, y) ? patternA(c, x, y, 0) : 0.0f;
                            const float Bv = bw.contains(x, y) ? patternB(c, x, y, 0) : 0.0f;
                            const float r = tc.f(Av, Bv, a, b);
                            requireClose(out->sample(c, x, y), static_cast<float>(Bv * (1 - mix) + r * mix));
                        }
                    }
            }
        }
    }
}

TEST_CASE("Merge: without A it outputs B, channels of both inputs are kept", "[comp][merge]") {
    Harness h;
    auto& B = h.source("B", {0, 0, 3, 3}, kRgba, patternB);
    auto& A =
        h.source("A", {0, 0, 3, 3}, {"R", "G", "B", "A", "depth.Z"},
                 [](const std::string& c, int x, int, double) { return c == "depth.Z" ? 5.0f + x : 0.0f; });
    auto& m = h.add("Merge");
    h.connect(B, m, 0);
    REQUIRE(h.eval(m)->sample("G", 1, 1) == patternB("G", 1, 1, 0));
    h.connect(A, m, 1);
    auto out = h.eval(m);
    REQUIRE(out->hasChannel("depth.Z"));
    // Over with a zero-alpha A: depth = A.depth + B.depth·(1 − 0) = 5 + x (B has no depth).
    requireClose(out->sample("depth.Z", 2, 0), 7.0f);
}

TEST_CASE("Grade follows Nuke's formula with gamma and clamps", "[comp][grade]") {
    Harness h;
    const std::map<std::string, float> inVals{{"R", 0.5f}, {"G", -0.2f}, {"B", 2.0f}, {"A", 0.8f}};
    auto& src = h.source("s", {-2, -1, 3, 2}, kRgba, [&](const std::string& c, int x, int, double) {
        return inVals.at(c) * (1.0f + 0.1f * x);
    });
    auto& g = h.add("Grade");
    h.connect(src, g, 0);
    const double bp = 0.1, wp = 0.9, lift = 0.05, gain = 1.2, mul = 1.1, off = 0.01, gamma = 2.2;
    h.set(g, "blackpoint", std::array<double, 4>{bp, bp, bp, bp});
    h.set(g, "whitepoint", std::array<double, 4>{wp, wp, wp, wp});
    h.set(g, "lift", std::array<double, 4>{lift, lift, lift, lift});
    h.set(g, "gain", std::array<double, 4>{gain, gain, gain, gain});
    h.set(g, "multiply", std::array<double, 4>{mul, mul, mul, mul});
    h.set(g, "offset", std::array<double, 4>{off, off, off, off});
    h.set(g, "gamma", std::array<double, 4>{gamma, gamma, gamma, gamma});
    auto expected = [&](double x, bool blackClamp, bool whiteClamp) {
        // Map [bp, wp] to [lift, gain], scale by multiply, add offset, then gamma on positives.
        // multiply scales only the slope; lift and offset are added unscaled.
        double v = (x - bp) / (wp - bp) * (gain - lift) * mul + lift + off;
        if (v > 0)
            v = std::pow(v, 1.0 / gamma);
        if (blackClamp && v < 0)
            v = 0;
        if (whiteClamp && v > 1)
            v = 1;
        return static_cast<float>(v);
    };
    for (bool whiteClamp : {false, true}) {
        h.set(g, "whiteClamp", whiteClamp);
        for (bool blackClamp : {true, false}) {
            h.set(g, "blackClamp", blackClamp);
            auto out = h.eval(g);
            REQUIRE(out->dataWindow() == Box2i{-2, -1, 3, 2});
            for (int x = -2; x < 3; ++x)
                for (const std::string c : {"R", "G", "B"}) {
                    const double in = inVals.at(c) * (1.0f + 0.1f * x);
                    requireClose(out->sample(c, x, 0), expected(in, blackClamp, whiteClamp));
                }
            requireClose(out->sample("A", 1, 1), 0.8f * 1.1f); // alpha untouched
        }
    }
}

TEST_CASE("Grade with unpremult grades colour divided by alpha", "[comp][grade]") {
    Harness h;
    auto& src = h.source("s", {0, 0, 2, 1}, kRgba, [](const std::string& c, int x, int, double) {
        return c == "A" ? (x == 0 ? 0.5f : 0.0f) : (x == 0 ? 0.2f : 0.3f);
    });
    auto& g = h.add("Grade");
    h.connect(src, g, 0);
    h.set(g, "gamma", std::array<double, 4>{2.0, 2.0, 2.0, 1.0});
    h.set(g, "unpremult", true);
    auto out = h.eval(g);
    requireClose(out->sample("R", 0, 0), std::sqrt(0.2f / 0.5f) * 0.5f);
    requireClose(out->sample("R", 1, 0), 0.3f); // zero alpha: unchanged
}

TEST_CASE("Saturation and Exposure", "[comp][color]") {
    Harness h;
    auto& src = h.source("s", {0, 0, 2, 2}, kRgba, [](const std::string& c, int x, int y, double) {
        return c == "R" ? 0.8f + x : c == "G" ? 0.3f + y : c == "B" ? 0.1f : 1.0f;
    });
    auto& sat = h.add("Saturation");
    h.connect(src, sat, 0);
    for (double s : {0.0, 0.5, 2.0}) {
        h.set(sat, "saturation", s);
        auto out = h.eval(sat);
        const float r = 1.8f, g = 1.3f, b = 0.1f;
        const float l = 0.2126f * r + 0.7152f * g + 0.0722f * b;
        requireClose(out->sample("R", 1, 1), l + static_cast<float>(s) * (r - l));
        requireClose(out->sample("G", 1, 1), l + static_cast<float>(s) * (g - l));
        requireClose(out->sample("B", 1, 1), l + static_cast<float>(s) * (b - l));
    }
    auto& ex = h.add("Exposure");
    h.connect(src, ex, 0);
    h.set(ex, "stops", 1.5);
    h.set(ex, "channelStops", std::array<double, 3>{0.0, -1.5, 0.5});
    auto out = h.eval(ex);
    requireClose(out->sample("R", 0, 0), 0.8f * std::pow(2.0f, 1.5f));
    requireClose(out->sample("G", 0, 0), 0.3f);
    requireClose(out->sample("B", 0, 0), 0.1f * 4.0f);
    requireClose(out->sample("A", 0, 0), 1.0f);
}

TEST_CASE("Premult and Unpremult", "[comp][alpha]") {
    Harness h;
    auto& src =
        h.source("s", {0, 0, 3, 1}, {"R", "G", "B", "A", "depth.Z"},
                 [](const std::string& c, int x, int, double) { return c == "A" ? 0.5f * x : 0.6f + x; });
    auto& pm = h.add("Premult");
    auto& um = h.add("Unpremult");
    h.connect(src, pm, 0);
    h.connect(src, um, 0);
    auto p = h.eval(pm);
    auto u = h.eval(um);
    for (int x = 0; x < 3; ++x) {
        const float a = 0.5f * x, v = 0.6f + x;
        requireClose(p->sample("G", x, 0), v * a);
        requireClose(p->sample("depth.Z", x, 0), v * a);
        requireClose(p->sample("A", x, 0), a);
        requireClose(u->sample("G", x, 0), a == 0.0f ? v : v / a);
        requireClose(u->sample("A", x, 0), a);
    }
}

TEST_CASE("Dot and disabled nodes pass the input's hash and image through", "[comp][hash]") {
    Harness h;
    auto& src = h.source("s", {0, 0, 2, 2}, kRgba, patternA);
    auto& dot = h.add("Dot");
    auto& grade = h.add("Grade");
    h.connect(src, dot, 0);
    h.connect(dot, grade, 0);
    REQUIRE(h.hash(dot) == h.hash(src));
    // The input is evaluated first: the compute cache's single-flight wait does not yet handle a nested
    // request for the key the same thread is computing (a pass-through's key is its input's).
    auto srcImage = h.eval(src);
    REQUIRE(h.eval(dot) == srcImage);
    const auto before = h.hash(grade);
    REQUIRE(before != h.hash(src));
    h.set(grade, "gain", std::array<double, 4>{2.0, 2.0, 2.0, 1.0});
    const auto after = h.hash(grade);
    REQUIRE(after != before);
    requireClose(h.eval(grade)->sample("R", 1, 1), 2.0f * patternA("R", 1, 1, 0));
    h.graph.setEnabled(grade, false);
    REQUIRE(h.hash(grade) == h.hash(src));
    REQUIRE(h.eval(grade)->sample("R", 1, 1) == patternA("R", 1, 1, 0));
}

TEST_CASE("Switch outputs the chosen input with its hash, Dissolve blends", "[comp][routing]") {
    Harness h;
    auto& a = h.source("a", {0, 0, 2, 2}, kRgba, patternA);
    auto& b = h.source("b", {1, 1, 4, 3}, kRgba, patternB);
    auto& sw = h.add("Switch");
    h.connect(a, sw, 0);
    h.connect(b, sw, 1);
    REQUIRE(h.hash(sw) == h.hash(a));
    h.set(sw, "which", std::int64_t{1});
    REQUIRE(h.hash(sw) == h.hash(b));
    auto bImage = h.eval(b);
    REQUIRE(h.eval(sw) == bImage);
    h.set(sw, "which", std::int64_t{3});
    REQUIRE_THROWS(h.eval(sw)); // input 3 is not connected

    auto& d = h.add("Dissolve");
    h.connect(a, d, 0);
    h.connect(b, d, 1);
    REQUIRE(h.hash(d) == h.hash(a));
    h.set(d, "which", 1.0);
    REQUIRE(h.hash(d) == h.hash(b));
    h.set(d, "which", 0.25);
    auto out = h.eval(d);
    REQUIRE(out->dataWindow() == Box2i{0, 0, 4, 3});
    for (int y = 0; y < 3; ++y)
        for (int x = 0; x < 4; ++x) {
            const float va = Box2i{0, 0, 2, 2}.contains(x, y) ? patternA("B", x, y, 0) : 0.0f;
            const float vb = Box2i{1, 1, 4, 3}.contains(x, y) ? patternB("B", x, y, 0) : 0.0f;
            requireClose(out->sample("B", x, y), 0.75f * va + 0.25f * vb);
        }
}
