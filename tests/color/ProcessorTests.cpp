// SPDX-License-Identifier: Apache-2.0
#include "ColorTestSupport.h"
#include "kinema/color/Color.h"

#include <catch2/catch.hpp>

#include <random>
#include <thread>

using namespace kinema::color;
using namespace kinema::color::test;
using Catch::Matchers::WithinAbs;

namespace {

std::array<float, 4> applied(const ConfigHandle& config, const ColorTransform& t, std::array<float, 4> rgba) {
    processorFor(config, t)->applyPixel(rgba);
    return rgba;
}

// Tolerances. Matrix-only paths are float32 products of double matrices: 2e-6 relative. Curves go
// through OCIO's default CPU optimisation, which uses fast log/exp/pow approximations (relative
// error around 1e-5) and float32 arithmetic: 1e-4 absolute on encoded values in [0, 1].
constexpr double kMatrixTolerance = 2e-6;
constexpr double kCurveTolerance = 1e-4;

} // namespace

TEST_CASE("ACEScg to linear Rec.709 / Rec.2020 match matrices computed from the primaries",
          "[color][processor]") {
    const auto config = loadShipped();
    for (const auto& [name, primaries] :
         {std::pair{"Linear Rec.709", kRec709}, std::pair{"Linear Rec.2020", kRec2020}}) {
        const Mat3 expected = acescgTo(primaries);
        const auto t = ColorTransform::colorSpace("ACEScg", name);
        for (const Vec3 in : {Vec3{1, 0, 0}, Vec3{0, 1, 0}, Vec3{0, 0, 1}, Vec3{0.18, 0.18, 0.18},
                              Vec3{4.0, 0.5, 12.0}, Vec3{-0.05, 0.2, 0.01}}) {
            const auto out = applied(config, t, {float(in[0]), float(in[1]), float(in[2]), 0.5f});
            const Vec3 ref = mul(expected, in);
            INFO(name << " input " << in[0] << "," << in[1] << "," << in[2]);
            for (int c = 0; c < 3; ++c)
                CHECK_THAT(out[c], WithinAbs(ref[c], kMatrixTolerance * std::max(1.0, std::abs(ref[c]))));
            CHECK(out[3] == 0.5f); // alpha untouched
        }
    }
}

TEST_CASE("sRGB texture encoding matches the IEC 61966-2-1 formula", "[color][processor]") {
    const auto config = loadShipped();
    const auto toTexture = ColorTransform::colorSpace("Linear Rec.709", "sRGB - Texture");
    for (double v : {0.0, 0.001, 0.0031308, 0.01, 0.05, 0.18, 0.5, 0.9, 1.0}) {
        const auto out = applied(config, toTexture, {float(v), float(v), float(v), 1.0f});
        INFO("linear " << v);
        for (int c = 0; c < 3; ++c)
            CHECK_THAT(out[c], WithinAbs(srgbEncode(v), kCurveTolerance));
        // And back.
        const auto back = applied(config, toTexture.inverted(), out);
        CHECK_THAT(back[0], WithinAbs(v, kCurveTolerance));
    }
}

TEST_CASE("ACEScct encoding matches the S-2016-001 formula", "[color][processor]") {
    const auto config = loadShipped();
    const auto t = ColorTransform::colorSpace("ACEScg", "ACEScct");
    for (double v : {0.0, 0.001, 0.0078125, 0.01, 0.18, 1.0, 16.0, 222.86}) {
        const auto out = applied(config, t, {float(v), float(v), float(v), 1.0f});
        INFO("ACEScg " << v);
        CHECK_THAT(out[0], WithinAbs(acescctEncode(v), kCurveTolerance));
    }
}

TEST_CASE("display views: un-tone-mapped sRGB, Rec.1886 and Display P3 encodings", "[color][processor]") {
    const auto config = loadShipped();
    const Mat3 rec709ToP3 = mul(inverse(npm(kP3, kD65)), npm(kRec709, kD65));
    for (double v : {0.0, 0.002, 0.05, 0.18, 0.5, 1.0}) {
        INFO("linear Rec.709 " << v);
        const std::array<float, 4> grey{float(v), float(v), float(v), 1.0f};
        const auto srgb =
            applied(config, ColorTransform::displayView("Linear Rec.709", "sRGB", "Un-tone-mapped"), grey);
        CHECK_THAT(srgb[1], WithinAbs(srgbEncode(v), kCurveTolerance));
        const auto bt1886 = applied(
            config, ColorTransform::displayView("Linear Rec.709", "Rec.1886", "Un-tone-mapped"), grey);
        CHECK_THAT(bt1886[1], WithinAbs(std::pow(v, 1.0 / 2.4), kCurveTolerance));
    }
    // Saturated Rec.709 red on a Display P3 display: P3-linear coordinates, then the sRGB curve.
    const Vec3 p3 = mul(rec709ToP3, Vec3{0.5, 0.0, 0.0});
    const auto out = applied(
        config, ColorTransform::displayView("Linear Rec.709", "P3-D65", "Un-tone-mapped"), {0.5f, 0, 0, 1});
    for (int c = 0; c < 3; ++c)
        CHECK_THAT(out[c], WithinAbs(srgbEncode(p3[c]), kCurveTolerance));
}

TEST_CASE("ACES SDR-video view: mid grey, monotonic tone curve, HDR roll-off", "[color][processor]") {
    const auto config = loadShipped();
    const auto view = ColorTransform::displayView("ACEScg", "sRGB", "ACES 1.0 SDR-video");
    // ACES 1.0 Rec.709/sRGB output transforms put 18% grey at about 10% display luminance.
    const auto grey = applied(config, view, {0.18f, 0.18f, 0.18f, 1.0f});
    const double greyLuminance = std::pow((grey[1] + 0.055) / 1.055, 2.4);
    CHECK(greyLuminance > 0.08);
    CHECK(greyLuminance < 0.12);
    float previous = -1.0f;
    for (double v = 0.001; v < 1000.0; v *= 1.5) {
        const auto out = applied(config, view, {float(v), float(v), float(v), 1.0f});
        CHECK(out[1] >= previous);
        previous = out[1];
    }
    // The curve saturates: highlights roll off to the display's peak (just above 1.0 in sRGB code
    // values: the builtin output transform is not clamped after the D60 → D65 white conversion).
    const auto bright = applied(config, view, {100.0f, 100.0f, 100.0f, 1.0f});
    const auto brighter = applied(config, view, {1000.0f, 1000.0f, 1000.0f, 1.0f});
    CHECK(bright[1] > 0.99f);
    CHECK(brighter[1] < 1.05f);
    CHECK(brighter[1] - bright[1] < 0.02f);
}

TEST_CASE("data and identity transforms leave pixels alone", "[color][processor]") {
    const auto config = loadShipped();
    CHECK(processorFor(config, ColorTransform::colorSpace("ACEScg", "Raw"))->isNoOp());
    CHECK(processorFor(config, ColorTransform::colorSpace("ACEScg", "lin_ap1"))->isNoOp());
    CHECK(processorFor(config, ColorTransform())->isNoOp());
    CHECK_FALSE(processorFor(config, ColorTransform::colorSpace("ACEScg", "ACEScct"))->isNoOp());
}

TEST_CASE("exposure, gamma, exponent and inverse display transforms", "[color][processor]") {
    const auto config = loadShipped();
    const auto base = ColorTransform::displayView("ACEScg", "sRGB", "Un-tone-mapped");
    const auto plain = applied(config, base, {0.36f, 0.2f, 0.1f, 1});
    const auto exposed = applied(config, base.withExposure(1.0), {0.18f, 0.1f, 0.05f, 1});
    for (int c = 0; c < 3; ++c)
        CHECK_THAT(exposed[c], WithinAbs(plain[c], kCurveTolerance));
    const auto gammaOut = applied(config, base.withGamma(2.0), {0.36f, 0.2f, 0.1f, 1});
    for (int c = 0; c < 3; ++c)
        CHECK_THAT(gammaOut[c], WithinAbs(std::sqrt(plain[c]), kCurveTolerance));

    const auto power =
        applied(config, ColorTransform::exponent({2.2, 2.2, 2.2, 1.0}), {0.5f, 0.25f, 2.0f, 0.7f});
    CHECK_THAT(power[0], WithinAbs(std::pow(0.5, 2.2), kCurveTolerance));
    CHECK_THAT(power[2], WithinAbs(std::pow(2.0, 2.2), kCurveTolerance * 5));
    CHECK_THAT(power[3], WithinAbs(0.7, 1e-6));

    const auto back = applied(config, base.inverted(), plain);
    CHECK_THAT(back[0], WithinAbs(0.36, 1e-3));
    CHECK_THAT(back[2], WithinAbs(0.1, 1e-3));
}

TEST_CASE("planar and packed apply match per-pixel results for any thread count", "[color][processor]") {
    const auto config = loadShipped();
    const auto processor =
        processorFor(config, ColorTransform::displayView("ACEScg", "sRGB", "ACES 1.0 SDR-video"));
    const int width = 67, height = 45, stride = 80;
    std::mt19937 rng(7);
    std::uniform_real_distribution<float> dist(-0.1f, 20.0f);
    std::vector<float> source(4 * stride * height);
    for (auto& v : source)
        v = dist(rng);

    // Expected values, pixel by pixel.
    std::vector<std::array<float, 4>> expected(width * height);
    for (int y = 0; y < height; ++y)
        for (int x = 0; x < width; ++x) {
            const size_t i = size_t(y) * stride + x;
            std::array<float, 4> px{source[i], source[stride * height + i], source[2 * stride * height + i],
                                    source[3 * stride * height + i]};
            processor->applyPixel(px);
            expected[size_t(y) * width + x] = px;
        }

    for (int threads : {1, 2, 3, 8}) {
        for (bool withAlpha : {true, false}) {
            INFO("threads " << threads << " alpha " << withAlpha);
            std::vector<float> planes = source;
            float* base = planes.data();
            const size_t plane = size_t(stride) * height;
            processor->apply(PlanarImageView{base, base + plane, base + 2 * plane,
                                             withAlpha ? base + 3 * plane : nullptr, width, height, stride},
                             threads);
            bool same = true;
            for (int y = 0; y < height; ++y)
                for (int x = 0; x < width; ++x) {
                    const size_t i = size_t(y) * stride + x;
                    const auto& e = expected[size_t(y) * width + x];
                    for (int c = 0; c < 3; ++c)
                        same = same && std::abs(planes[c * plane + i] - e[c]) <= 1e-6f;
                    // Alpha goes through the same (near-identity) alpha ops as applyPixel.
                    if (withAlpha)
                        same = same && std::abs(planes[3 * plane + i] - e[3]) <= 1e-6f;
                }
            CHECK(same);
            // Padding between width and stride is not touched.
            CHECK(planes[width] == source[width]);
        }

        std::vector<float> packed(size_t(height) * stride * 4);
        for (int y = 0; y < height; ++y)
            for (int x = 0; x < width; ++x)
                for (int c = 0; c < 4; ++c)
                    packed[size_t(y) * stride * 4 + x * 4 + c] =
                        source[c * size_t(stride) * height + size_t(y) * stride + x];
        processor->apply(PackedImageView{packed.data(), width, height, 4, stride * 4}, threads);
        bool same = true;
        for (int y = 0; y < height; ++y)
            for (int x = 0; x < width; ++x)
                for (int c = 0; c < 4; ++c)
                    same = same && std::abs(packed[size_t(y) * stride * 4 + x * 4 + c] -
                                            expected[size_t(y) * width + x][c]) <= 1e-6f;
        CHECK(same);
    }
}

TEST_CASE("packed RGB (3 channels) apply", "[color][processor]") {
    const auto config = loadShipped();
    const auto processor = processorFor(config, ColorTransform::colorSpace("ACEScg", "ACEScct"));
    std::vector<float> rgb = {0.18f, 1.0f, 0.0f, 4.0f, 0.5f, 0.01f};
    processor->apply(PackedImageView{rgb.data(), 2, 1, 3, 0});
    CHECK_THAT(rgb[0], WithinAbs(acescctEncode(0.18), kCurveTolerance));
    CHECK_THAT(rgb[3], WithinAbs(acescctEncode(4.0), kCurveTolerance));
    CHECK_THAT(rgb[5], WithinAbs(acescctEncode(0.01), kCurveTolerance));
}

TEST_CASE("invalid images and transforms give ColorError", "[color][processor]") {
    const auto config = loadShipped();
    const auto processor = processorFor(config, ColorTransform::colorSpace("ACEScg", "ACEScct"));
    std::vector<float> data(64, 0.5f);
    CHECK_THROWS_AS(processor->apply(PlanarImageView{data.data(), nullptr, data.data(), nullptr, 4, 4, 4}),
                    ColorError);
    CHECK_THROWS_WITH(
        processor->apply(PlanarImageView{data.data(), data.data(), data.data(), nullptr, 4, 4, 3}),
        Catch::Contains("rowStride"));
    CHECK_THROWS_AS(
        processor->apply(PlanarImageView{data.data(), data.data(), data.data(), nullptr, -1, 4, 0}),
        ColorError);
    CHECK_THROWS_AS(processor->apply(PackedImageView{data.data(), 4, 4, 2, 0}), ColorError);
    CHECK_THROWS_AS(processor->apply(PackedImageView{nullptr, 4, 4, 4, 0}), ColorError);
    CHECK_NOTHROW(processor->apply(PackedImageView{nullptr, 0, 0, 4, 0}));

    CHECK_THROWS_WITH(processorFor(config, ColorTransform::colorSpace("ACEScg", "Nonexistent")),
                      Catch::Contains("Nonexistent") && Catch::Contains("config.ocio"));
    CHECK_THROWS_WITH(processorFor(config, ColorTransform::displayView("ACEScg", "Cinema", "Raw")),
                      Catch::Contains("Cinema"));
    CHECK_THROWS_WITH(processorFor(config, ColorTransform::displayView("ACEScg", "sRGB", "Filmic")),
                      Catch::Contains("Filmic"));
    CHECK_THROWS_WITH(processorFor(config, ColorTransform::look("ACEScg", "ACEScg", "NoLook")),
                      Catch::Contains("NoLook"));
    CHECK_THROWS_AS(processorFor(ConfigHandle(), ColorTransform()), ColorError);
}

TEST_CASE("processor cache: equal keys share, different keys do not", "[color][processor][cache]") {
    clearProcessorCache();
    const auto config = loadShipped();
    const auto a = ColorTransform::displayView("ACEScg", "sRGB", "ACES 1.0 SDR-video");
    const auto p1 = processorFor(config, a);
    const auto p2 = processorFor(config, ColorTransform::fromKey(a.key()));
    CHECK(p1 == p2);
    const auto stats = processorCacheStats();
    CHECK(stats.hits == 1);
    CHECK(stats.misses == 1);

    CHECK(processorFor(config, a.inverted()) != p1);
    CHECK(processorFor(config, ColorTransform::displayView("ACEScg", "Rec.1886", "ACES 1.0 SDR-video")) !=
          p1);
    CHECK(processorFor(config, a.withExposure(0.5)) != p1);

    // A second handle on the same file shares processors; another config does not.
    CHECK(processorFor(ConfigHandle::fromFile(shippedConfig()), a) == p1);
    const auto studio = ConfigHandle::fromFile(studioConfig());
    CHECK(processorFor(
              studio, ColorTransform::displayView("ACEScg", "sRGB - Display", "ACES 1.0 - SDR Video")) != p1);

    // Context variables the transform does not read do not split the cache.
    CHECK(processorFor(config, a, {{"SHOT", "shot020"}}) == p1);

    setProcessorCacheCapacity(2);
    CHECK(processorCacheStats().entries == 2);
    setProcessorCacheCapacity(256);
}

TEST_CASE("studio config: context variables actually used are part of the key", "[color][processor][cache]") {
    const auto studio = ConfigHandle::fromFile(studioConfig());
    const auto grade = ColorTransform::look("ACEScct", "ACEScct", "Shot Grade");

    const auto shot010 = processorFor(studio, grade); // environment default SHOT=shot010
    REQUIRE(shot010->usedContextVariables().size() == 1);
    CHECK(shot010->usedContextVariables()[0] == std::pair<std::string, std::string>{"SHOT", "shot010"});
    std::array<float, 4> px{0.5f, 0.25f, 1.0f, 1.0f};
    shot010->applyPixel(px);
    CHECK_THAT(px[0], WithinAbs(0.45, 1e-5)); // 0.9 gain LUT
    CHECK_THAT(px[1], WithinAbs(0.225, 1e-5));

    const auto shot020 = processorFor(studio, grade, {{"SHOT", "shot020"}});
    CHECK(shot020 != shot010);
    CHECK(shot020->usedContextVariables()[0].second == "shot020");
    px = {0.5f, 0.25f, 1.0f, 1.0f};
    shot020->applyPixel(px);
    CHECK_THAT(px[0], WithinAbs(0.25, 1e-3)); // square LUT, linear interpolation on 33 points
    CHECK_THAT(px[2], WithinAbs(1.0, 1e-5));
    CHECK(processorFor(studio, grade, {{"SHOT", "shot020"}}) == shot020);

    // The look reached through a display/view (extra looks) also reads SHOT.
    const auto view = ColorTransform::displayView("ACEScg", "sRGB - Display", "ACES 1.0 - SDR Video");
    CHECK(processorFor(studio, view)->usedContextVariables().empty());
    CHECK(processorFor(studio, view.withLooks("Shot Grade"))->usedContextVariables().size() == 1);

    // A shot without a LUT file fails with a message naming the file.
    CHECK_THROWS_WITH(processorFor(studio, grade, {{"SHOT", "shot999"}}), Catch::Contains("shot999"));
}

TEST_CASE("studio config: views match the shipped config built from the same builtins",
          "[color][processor]") {
    const auto shipped = loadShipped();
    const auto studio = ConfigHandle::fromFile(studioConfig());
    const auto a = processorFor(shipped, ColorTransform::displayView("ACEScg", "sRGB", "ACES 1.0 SDR-video"));
    const auto b = processorFor(
        studio, ColorTransform::displayView("lin_ap1", "sRGB - Display", "ACES 1.0 - SDR Video"));
    for (float v : {0.0f, 0.01f, 0.18f, 1.0f, 10.0f}) {
        std::array<float, 4> pa{v, v * 0.5f, v * 0.25f, 1}, pb = pa;
        a->applyPixel(pa);
        b->applyPixel(pb);
        for (int c = 0; c < 3; ++c)
            CHECK_THAT(pa[c], WithinAbs(pb[c], 1e-6));
    }
    // The gamut-compression look runs in ACES2065-1 and leaves in-gamut colours unchanged.
    auto lmt = processorFor(studio,
                            ColorTransform::look("ACEScg", "ACEScg", "ACES 1.3 Reference Gamut Compression"));
    std::array<float, 4> px{0.18f, 0.18f, 0.18f, 1};
    lmt->applyPixel(px);
    CHECK_THAT(px[0], WithinAbs(0.18, 1e-5));
}

TEST_CASE("concurrent processorFor calls agree on one cached instance", "[color][processor][cache]") {
    clearProcessorCache();
    const auto config = loadShipped();
    const auto t = ColorTransform::displayView("ACEScg", "Rec.1886", "ACES 1.0 SDR-video");
    std::vector<std::shared_ptr<const Processor>> results(8);
    std::vector<std::thread> threads;
    for (size_t i = 0; i < results.size(); ++i)
        threads.emplace_back([&, i] { results[i] = processorFor(config, t); });
    for (auto& thread : threads)
        thread.join();
    for (const auto& p : results)
        CHECK(p == results[0]);
    CHECK(processorCacheStats().entries == 1);
}

TEST_CASE("every colour space, display and view of the shipped config builds processors", "[color][config]") {
    // The checks ociocheck would make beyond validate(): every space converts to and from the
    // working space, and every display/view works forward and inverse, with finite results.
    const auto config = loadShipped();
    auto finite = [](const std::array<float, 4>& px) {
        return std::isfinite(px[0]) && std::isfinite(px[1]) && std::isfinite(px[2]);
    };
    for (const auto& space : config.colorSpaces(true)) {
        INFO(space);
        std::array<float, 4> px{0.18f, 0.05f, 0.5f, 1.0f};
        processorFor(config, ColorTransform::colorSpace("ACEScg", space))->applyPixel(px);
        CHECK(finite(px));
        processorFor(config, ColorTransform::colorSpace(space, "ACEScg"))->applyPixel(px);
        CHECK(finite(px));
    }
    for (const auto& display : config.displays())
        for (const auto& view : config.views(display)) {
            INFO(display << " / " << view);
            const auto t = ColorTransform::displayView("ACEScg", display, view);
            std::array<float, 4> px{0.18f, 0.05f, 0.5f, 1.0f};
            processorFor(config, t)->applyPixel(px);
            CHECK(finite(px));
            processorFor(config, t.inverted())->applyPixel(px);
            CHECK(finite(px));
            CHECK_NOTHROW(gpuShaderFor(config, t));
        }
}
