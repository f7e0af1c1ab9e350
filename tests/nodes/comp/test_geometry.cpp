// SPDX-License-Identifier: Apache-2.0
// Blur, Transform and Reformat against sums and mappings computed here.
#include <catch2/catch.hpp>

#include <cmath>

#include "CompTestSupport.h"

using namespace kinema;
using graph::Box2i;
using test::Harness;

namespace {

float coded(const std::string& c, int x, int y, double) {
    const float base = c == "R" ? 1.0f : c == "G" ? 2.0f : c == "B" ? 3.0f : 4.0f;
    return base + 0.37f * static_cast<float>(x) - 0.21f * static_cast<float>(y * y % 7) +
           0.05f * static_cast<float>(x * y);
}

const std::vector<std::string> kRG{"R", "A"};

} // namespace

TEST_CASE("Blur equals a direct 2D Gaussian convolution and grows the window", "[comp][blur]") {
    Harness h;
    const Box2i in{1, 2, 6, 6};
    auto& src = h.source("s", in, kRG, coded);
    auto& blur = h.add("Blur");
    h.connect(src, blur, 0);
    const double sx = 1.0, sy = 0.6;
    h.set(blur, "size", std::array<double, 2>{sx, sy});
    auto out = h.eval(blur);
    const int rx = 3, ry = 2; // ceil(3σ)
    REQUIRE(out->dataWindow() == Box2i{in.x0 - rx, in.y0 - ry, in.x1 + rx, in.y1 + ry});
    auto weights = [](double sigma, int r) {
        std::vector<double> w;
        double sum = 0;
        for (int i = -r; i <= r; ++i) {
            w.push_back(std::exp(-(i * i) / (2 * sigma * sigma)));
            sum += w.back();
        }
        for (double& v : w)
            v /= sum;
        return w;
    };
    const auto wx = weights(sx, rx), wy = weights(sy, ry);
    for (int y = in.y0 - ry; y < in.y1 + ry; ++y)
        for (int x = in.x0 - rx; x < in.x1 + rx; ++x)
            for (const auto& c : kRG) {
                double expected = 0;
                for (int j = in.y0; j < in.y1; ++j)
                    for (int i = in.x0; i < in.x1; ++i)
                        if (std::abs(x - i) <= rx && std::abs(y - j) <= ry)
                            expected += wx[static_cast<std::size_t>(i - x + rx)] *
                                        wy[static_cast<std::size_t>(j - y + ry)] * coded(c, i, j, 0);
                REQUIRE(out->sample(c, x, y) == Approx(expected).margin(1e-5));
            }
    h.set(blur, "size", std::array<double, 2>{0.0, 0.0});
    REQUIRE(h.eval(blur)->dataWindow() == in);
}

TEST_CASE("Transform: integer translation is exact for every filter", "[comp][transform]") {
    const Box2i in{0, 0, 5, 4};
    for (const std::string filter : {"impulse", "bilinear", "cubic", "lanczos3"}) {
        DYNAMIC_SECTION(filter) {
            Harness h;
            auto& src = h.source("s", in, kRG, coded);
            auto& t = h.add("Transform");
            h.connect(src, t, 0);
            h.setEnum(t, "filter", filter);
            h.set(t, "translate", std::array<double, 2>{3.0, -2.0});
            auto out = h.eval(t);
            const int pad = filter == "impulse" ? 0 : filter == "bilinear" ? 1 : filter == "cubic" ? 2 : 3;
            REQUIRE(out->dataWindow() == Box2i{3 - pad, -2 - pad, 8 + pad, 2 + pad});
            for (int y = -2 - pad; y < 2 + pad; ++y)
                for (int x = 3 - pad; x < 8 + pad; ++x) {
                    const float expected = in.contains(x - 3, y + 2) ? coded("R", x - 3, y + 2, 0) : 0.0f;
                    REQUIRE(out->sample("R", x, y) == Approx(expected).margin(1e-5));
                }
        }
    }
}

TEST_CASE("Transform: half-pixel shifts use the filter's weights", "[comp][transform]") {
    const Box2i in{0, 0, 8, 2};
    Harness h;
    auto& src = h.source("s", in, kRG, coded);
    auto& t = h.add("Transform");
    h.connect(src, t, 0);
    h.set(t, "translate", std::array<double, 2>{0.5, 0.0});
    auto v = [&](int x) { return in.contains(x, 1) ? static_cast<double>(coded("R", x, 1, 0)) : 0.0; };
    h.setEnum(t, "filter", "bilinear");
    auto out = h.eval(t);
    for (int x = 0; x < 9; ++x)
        REQUIRE(out->sample("R", x, 1) == Approx(0.5 * v(x - 1) + 0.5 * v(x)).margin(1e-5));
    h.setEnum(t, "filter", "cubic");
    out = h.eval(t);
    // Catmull-Rom weights at distances 1.5, 0.5, 0.5, 1.5: −1/16, 9/16, 9/16, −1/16.
    for (int x = 1; x < 8; ++x)
        REQUIRE(
            out->sample("R", x, 1) ==
            Approx(-0.0625 * v(x - 2) + 0.5625 * v(x - 1) + 0.5625 * v(x) - 0.0625 * v(x + 1)).margin(1e-5));
}

TEST_CASE("Transform: rotation turns counter-clockwise on screen, scale about the centre",
          "[comp][transform]") {
    const Box2i in{0, 0, 4, 4};
    Harness h;
    auto& src = h.source("s", in, kRG, coded);
    auto& t = h.add("Transform");
    h.connect(src, t, 0);
    h.setEnum(t, "filter", "impulse");
    h.set(t, "rotate", 90.0);
    h.set(t, "center", std::array<double, 2>{2.0, 2.0});
    auto out = h.eval(t);
    REQUIRE(out->dataWindow() == in);
    // The pixel right of the centre moves to the top: (i, j) → (j, 3 − i).
    for (int j = 0; j < 4; ++j)
        for (int i = 0; i < 4; ++i)
            REQUIRE(out->sample("R", j, 3 - i) == coded("R", i, j, 0));

    h.set(t, "rotate", 0.0);
    h.set(t, "center", std::array<double, 2>{1.0, 0.0});
    h.set(t, "scale", std::array<double, 2>{2.0, 3.0});
    out = h.eval(t);
    REQUIRE(out->dataWindow() == Box2i{-1, 0, 7, 12});
    for (int y = 0; y < 12; ++y)
        for (int x = -1; x < 7; ++x) {
            const int i = static_cast<int>(std::floor((x + 0.5 - 1.0) / 2.0 + 1.0));
            const int j = static_cast<int>(std::floor((y + 0.5) / 3.0));
            REQUIRE(out->sample("R", x, y) == coded("R", i, j, 0));
        }
}

TEST_CASE("Transform: minification filters instead of aliasing", "[comp][transform]") {
    // A one-pixel checkerboard shrunk 4×: output centres land on input pixel centres (translate 1/8), so
    // a filter that did not widen with the shrink would return pure 0 or 1 instead of the mean 0.5.
    Harness h;
    auto& src = h.source("s", {0, 0, 16, 16}, kRG, [](const std::string&, int x, int y, double) {
        return static_cast<float>((x + y) % 2);
    });
    auto& t = h.add("Transform");
    h.connect(src, t, 0);
    h.set(t, "scale", std::array<double, 2>{0.25, 0.25});
    h.set(t, "translate", std::array<double, 2>{0.125, 0.125});
    for (const std::string filter : {"bilinear", "cubic", "lanczos3"}) {
        h.setEnum(t, "filter", filter);
        auto out = h.eval(t);
        for (int y = 1; y < 3; ++y)
            for (int x = 1; x < 3; ++x)
                REQUIRE(out->sample("R", x, y) == Approx(0.5).margin(filter == "bilinear" ? 1e-4 : 0.05));
    }
}

TEST_CASE("Reformat fits, fills and distorts into the new format", "[comp][reformat]") {
    Harness h;
    auto& src = h.source("s", {0, 0, 8, 8}, kRG, coded); // 8×8 format
    auto& r = h.add("Reformat");
    h.connect(src, r, 0);
    h.set(r, "width", std::int64_t{4});
    h.set(r, "height", std::int64_t{2});
    h.setEnum(r, "filter", "impulse");
    struct Case {
        std::string mode;
        double sx, sy, tx, ty;
        Box2i window;
    };
    for (const auto& tc :
         {Case{"fit", 0.25, 0.25, 1.0, 0.0, {1, 0, 3, 2}}, Case{"fill", 0.5, 0.5, 0.0, -1.0, {0, -1, 4, 3}},
          Case{"distort", 0.5, 0.25, 0.0, 0.0, {0, 0, 4, 2}}}) {
        h.setEnum(r, "resize", tc.mode);
        auto out = h.eval(r);
        INFO(tc.mode);
        REQUIRE(out->format().width == 4);
        REQUIRE(out->format().height == 2);
        REQUIRE(out->dataWindow() == tc.window);
        for (int y = tc.window.y0; y < tc.window.y1; ++y)
            for (int x = tc.window.x0; x < tc.window.x1; ++x) {
                const int i = static_cast<int>(std::floor((x + 0.5 - tc.tx) / tc.sx));
                const int j = static_cast<int>(std::floor((y + 0.5 - tc.ty) / tc.sy));
                REQUIRE(out->sample("A", x, y) == coded("A", i, j, 0));
            }
    }
}

TEST_CASE("Long operations stop when the request is cancelled", "[comp][cancel]") {
    // The source fires the canceller while producing its last pixel, after the evaluator's own checks:
    // only the consuming node's row loops can notice it.
    for (const std::string type : {"Blur", "Merge", "Grade", "Transform"}) {
        DYNAMIC_SECTION(type) {
            Harness h;
            auto canceller = std::make_shared<graph::Canceller>();
            auto& src =
                h.source("s", {0, 0, 64, 64}, kRG, [canceller](const std::string& c, int x, int y, double f) {
                    if (c == "A" && x == 63 && y == 63)
                        canceller->cancel();
                    return coded(c, x, y, f);
                });
            auto& node = h.add(type);
            h.connect(src, node, 0);
            if (type == "Merge")
                h.connect(src, node, 1);
            if (type == "Transform")
                h.set(node, "rotate", 10.0);
            graph::Context ctx;
            ctx.canceller = canceller;
            REQUIRE_THROWS_AS(h.evaluator.evaluate(node, ctx), graph::Cancelled);
            ctx.canceller = nullptr;
            REQUIRE(h.evaluator.evaluate(node, ctx)->width() > 0);
        }
    }
}

TEST_CASE("Missing required inputs and singular transforms are errors, not crashes", "[comp][errors]") {
    Harness h;
    auto& merge = h.add("Merge");
    REQUIRE_THROWS_AS(h.eval(merge), render::EvaluationError);
    auto& src = h.source("s", {0, 0, 4, 4}, kRG, coded);
    auto& t = h.add("Transform");
    h.connect(src, t, 0);
    h.set(t, "scale", std::array<double, 2>{0.0, 1.0});
    REQUIRE_THROWS_WITH(h.eval(t), Catch::Contains("singular"));
}
