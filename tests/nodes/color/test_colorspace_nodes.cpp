// SPDX-License-Identifier: Apache-2.0
// ColorSpace and OCIODisplay against the colour module's processors and, where it does the same
// operation with the same config, against oiiotool.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "IoTestSupport.h"
#include "TestSupport.h"
#include "kinema/color/Color.h"

namespace fs = std::filesystem;
using kinema::graph::Box2i;
using kinema::test::IoHarness;
using kinema::test::TempDir;
using namespace kinema;

namespace {

/// HDR-ish test values: a ramp from 0 to ~16 in R, fixed ratios in G and B, alpha 1.
std::shared_ptr<render::Image> rampImage() {
    auto image = std::make_shared<render::Image>(graph::Format{16, 4, 1.0, ""}, Box2i{0, 0, 16, 4},
                                                 render::Image::rgba());
    for (std::size_t i = 0; i < image->pixelCount(); ++i) {
        const float v = std::pow(2.0f, static_cast<float>(i % 16) - 8.0f + static_cast<float>(i / 16) * 0.5f);
        image->channel("R")[i] = v;
        image->channel("G")[i] = v * 0.6f;
        image->channel("B")[i] = v * 0.25f + 0.01f;
        image->channel("A")[i] = 1.0f;
    }
    return image;
}

color::ConfigHandle shipped() {
    return color::ConfigHandle::fromFile(test::shippedConfigFile());
}

void checkAgainstProcessor(const render::Image& in, const render::Image& out, const color::Processor& p) {
    for (std::size_t i = 0; i < in.pixelCount(); ++i) {
        std::array<float, 4> px{in.channel("R")[i], in.channel("G")[i], in.channel("B")[i],
                                in.channel("A")[i]};
        p.applyPixel(px);
        INFO("pixel " << i);
        CHECK(out.channel("R")[i] == Approx(px[0]).epsilon(1e-5).margin(1e-6));
        CHECK(out.channel("G")[i] == Approx(px[1]).epsilon(1e-5).margin(1e-6));
        CHECK(out.channel("B")[i] == Approx(px[2]).epsilon(1e-5).margin(1e-6));
        CHECK(out.channel("A")[i] == in.channel("A")[i]);
    }
}

/// Runs oiiotool; returns false (and warns) when it is not installed.
bool runOiiotool(const std::string& args) {
    const std::string exe = OIIOTOOL_EXE;
    if (exe.empty()) {
        WARN("oiiotool not found: oracle comparison skipped");
        return false;
    }
    const std::string cmd = "'" + exe + "' " + args + " >/dev/null 2>&1";
    REQUIRE(std::system(cmd.c_str()) == 0);
    return true;
}

/// Writes `image` as a float EXR (working space, no conversion) and returns the path.
fs::path writeFloatExr(IoHarness& h, graph::Node& src, const fs::path& file) {
    auto& write = h.add("Write");
    h.connect(src, write);
    h.set(write, "file", file.string());
    h.setEnum(write, "datatype", "float");
    h.setEnum(write, "compression", "none");
    h.execute(write);
    return file;
}

render::ImagePtr readRaw(IoHarness& h, const fs::path& file) {
    auto& read = h.add("Read");
    h.set(read, "file", file.string());
    h.set(read, "colorspace", std::string("Raw"));
    return h.eval(read);
}

} // namespace

TEST_CASE("ColorSpace converts like the colour module's processor and like oiiotool --colorconvert",
          "[color][nodes]") {
    IoHarness h;
    TempDir dir("kinema-cs-node");
    auto image = rampImage();
    auto& src = h.source("ramp", image);
    auto& cs = h.add("ColorSpace");
    h.connect(src, cs);
    h.set(cs, "in", std::string("ACEScg"));
    h.set(cs, "out", std::string("sRGB - Texture"));
    auto out = h.eval(cs);
    auto p = color::processorFor(shipped(), color::ColorTransform::colorSpace("ACEScg", "sRGB - Texture"));
    checkAgainstProcessor(*image, *out, *p);
    // A known value: ACEScg (0.18, 0.18, 0.18) is neutral, and sRGB-encodes 0.18 to about 0.4614.
    std::array<float, 4> grey{0.18f, 0.18f, 0.18f, 1.0f};
    p->applyPixel(grey);
    CHECK(grey[0] == Approx(0.4614).margin(2e-3));
    CHECK(grey[1] == Approx(grey[2]).margin(1e-4));

    const fs::path in = writeFloatExr(h, src, dir.path() / "in.exr");
    const fs::path ref = dir.path() / "ref.exr";
    if (runOiiotool("--colorconfig '" + test::shippedConfigFile().string() + "' '" + in.string() +
                    "' --colorconvert ACEScg 'sRGB - Texture' -d float -o '" + ref.string() + "'")) {
        auto oracle = readRaw(h, ref);
        for (const char* c : {"R", "G", "B"})
            for (std::size_t i = 0; i < image->pixelCount(); ++i)
                CHECK(out->channel(c)[i] == Approx(oracle->channel(c)[i]).epsilon(1e-4).margin(1e-5));
    }
}

TEST_CASE("ColorSpace hash covers the transform and the config identity", "[color][nodes]") {
    IoHarness h;
    TempDir dir("kinema-cs-hash");
    auto& src = h.source("ramp", rampImage());
    auto& cs = h.add("ColorSpace");
    h.connect(src, cs);
    h.set(cs, "out", std::string("ACES2065-1"));
    const auto first = h.hash(cs);
    CHECK(h.hash(cs) == first);
    h.set(cs, "out", std::string("Linear Rec.2020"));
    const auto other = h.hash(cs);
    CHECK(other != first);
    // Aliases resolve to the same transform... but parameter text differs, so the hash may differ; the
    // processor is shared. A different config (same content, edited name) changes the hash.
    const fs::path copy = dir.path() / "config.ocio";
    fs::copy_file(test::shippedConfigFile(), copy);
    auto settings = h.graph.settings();
    settings.ocioConfig = copy.string();
    h.graph.setSettings(settings);
    const auto copied = h.hash(cs);
    CHECK(copied != other); // the identity includes the config path
    {
        std::ifstream in(copy);
        std::stringstream ss;
        ss << in.rdbuf();
        std::string text = ss.str();
        const std::string key = "\nname: kinema-default-v1";
        const auto pos = text.find(key);
        REQUIRE(pos != std::string::npos);
        text.insert(pos + key.size(), "-edited");
        std::ofstream(copy, std::ios::trunc) << text;
    }
    fs::last_write_time(copy, fs::last_write_time(copy) + std::chrono::seconds(5));
    h.evaluator.invalidateHashes();
    CHECK(h.hash(cs) != copied);
    // The output is still correct with the copied config.
    auto out = h.eval(cs);
    auto p = color::processorFor(shipped(), color::ColorTransform::colorSpace("ACEScg", "Linear Rec.2020"));
    checkAgainstProcessor(*rampImage(), *out, *p);
}

TEST_CASE("ColorSpace: identical spaces pass the input through, unknown spaces are errors",
          "[color][nodes]") {
    IoHarness h;
    auto image = rampImage();
    auto& src = h.source("ramp", image);
    auto& cs = h.add("ColorSpace");
    h.connect(src, cs);
    CHECK(h.eval(cs) == image); // scene_linear → scene_linear
    h.set(cs, "out", std::string("not a space"));
    CHECK_THROWS_WITH(h.eval(cs), Catch::Contains("not a space"));
}

TEST_CASE("OCIODisplay bakes the display/view like the processor and oiiotool --ociodisplay",
          "[color][nodes]") {
    IoHarness h;
    TempDir dir("kinema-display");
    auto image = rampImage();
    auto& src = h.source("ramp", image);
    auto& disp = h.add("OCIODisplay");
    h.connect(src, disp);
    auto out = h.eval(disp); // defaults: scene_linear → sRGB / ACES 1.0 SDR-video
    auto config = shipped();
    REQUIRE(config.defaultDisplay() == "sRGB");
    REQUIRE(config.defaultView("sRGB") == "ACES 1.0 SDR-video");
    auto p = color::processorFor(config,
                                 color::ColorTransform::displayView("ACEScg", "sRGB", "ACES 1.0 SDR-video"));
    checkAgainstProcessor(*image, *out, *p);
    // Tone mapping: 2^7 in scene-linear comes out below 1.1 on the display.
    CHECK(out->channel("G")[15] < 1.1f);

    const fs::path in = writeFloatExr(h, src, dir.path() / "in.exr");
    const fs::path ref = dir.path() / "ref.exr";
    if (runOiiotool("--colorconfig '" + test::shippedConfigFile().string() + "' '" + in.string() +
                    "' --iscolorspace ACEScg --ociodisplay sRGB 'ACES 1.0 SDR-video' -d float -o '" +
                    ref.string() + "'")) {
        auto oracle = readRaw(h, ref);
        for (const char* c : {"R", "G", "B"})
            for (std::size_t i = 0; i < image->pixelCount(); ++i)
                CHECK(out->channel(c)[i] == Approx(oracle->channel(c)[i]).margin(2e-4));
    }

    // Another view, exposure and the inverse.
    const auto hashDefault = h.hash(disp);
    h.set(disp, "display", std::string("Rec.1886"));
    h.set(disp, "view", std::string("Un-tone-mapped"));
    h.set(disp, "exposure", 1.0);
    CHECK(h.hash(disp) != hashDefault);
    auto q = color::processorFor(
        config, color::ColorTransform::displayView("ACEScg", "Rec.1886", "Un-tone-mapped").withExposure(1.0));
    checkAgainstProcessor(*image, *h.eval(disp), *q);
    auto& inverse = h.add("OCIODisplay");
    h.connect(disp, inverse);
    h.set(inverse, "display", std::string("Rec.1886"));
    h.set(inverse, "view", std::string("Un-tone-mapped"));
    h.set(inverse, "invert", true);
    auto back = h.eval(inverse);
    // Un-tone-mapped round-trips values that the display encodes without clipping (below 0.5 after +1 stop).
    for (std::size_t i = 0; i < image->pixelCount(); ++i)
        if (image->channel("R")[i] < 0.2f && image->channel("R")[i] > 0.01f)
            CHECK(back->channel("G")[i] == Approx(image->channel("G")[i] * 2.0f).epsilon(2e-3));
}
