// SPDX-License-Identifier: Apache-2.0
// EXR output of the Write node, checked attribute by attribute with OpenEXR's own API.
#include <catch2/catch.hpp>

#include <OpenEXR/ImfChannelList.h>
#include <OpenEXR/ImfDoubleAttribute.h>
#include <OpenEXR/ImfFrameBuffer.h>
#include <OpenEXR/ImfHeader.h>
#include <OpenEXR/ImfInputPart.h>
#include <OpenEXR/ImfIntAttribute.h>
#include <OpenEXR/ImfMultiPartInputFile.h>
#include <OpenEXR/ImfPartType.h>
#include <OpenEXR/ImfStandardAttributes.h>
#include <OpenEXR/ImfStringAttribute.h>

#include <array>
#include <filesystem>
#include <set>

#include "IoTestSupport.h"
#include "TestSupport.h"
#include "kinema/color/Color.h"
#include "kinema/graph/AtomicFile.h"

namespace fs = std::filesystem;
using kinema::test::IoHarness;
using kinema::test::makeTestImage;
using kinema::test::TempDir;

namespace {

std::vector<std::string> channelNames(const Imf::Header& h) {
    std::vector<std::string> names;
    for (auto c = h.channels().begin(); c != h.channels().end(); ++c)
        names.push_back(c.name());
    return names;
}

std::string stringAttr(const Imf::Header& h, const char* name) {
    auto a = h.findTypedAttribute<Imf::StringAttribute>(name);
    REQUIRE(a);
    return a->value();
}

/// Reads one channel of part 0 as floats over the part's data window.
std::vector<float> readChannel(const fs::path& file, const std::string& channel, int part = 0) {
    Imf::MultiPartInputFile in(file.c_str());
    Imf::InputPart p(in, part);
    const Imath::Box2i dw = p.header().dataWindow();
    const int w = dw.max.x - dw.min.x + 1, h = dw.max.y - dw.min.y + 1;
    std::vector<float> px(static_cast<std::size_t>(w) * h);
    Imf::FrameBuffer fb;
    fb.insert(channel, Imf::Slice::Make(Imf::FLOAT, px.data(), dw, sizeof(float), sizeof(float) * w));
    p.setFrameBuffer(fb);
    p.readPixels(dw.min.y, dw.max.y);
    return px;
}

struct WriteSetup {
    IoHarness h;
    TempDir dir{"kinema-exr-write"};
    kinema::graph::Node* write = nullptr;
    std::shared_ptr<kinema::render::Image> image;

    explicit WriteSetup(kinema::graph::Box2i window = {-3, -2, 10, 9},
                        std::vector<std::string> extra = {"diffuse.R", "diffuse.G", "diffuse.B"}) {
        image = makeTestImage({8, 8, 1.0, ""}, window, extra);
        image->metadata()["kinema/seed"] = std::int64_t{42};
        image->metadata()["kinema/prompt"] = std::string("a red fox");
        image->metadata()["other/key"] = std::string("not written");
        auto& src = h.source("img", image);
        write = &h.add("Write");
        h.connect(src, *write);
        h.set(*write, "file", (dir.path() / "shot.####.exr").string());
    }
};

} // namespace

TEST_CASE("Write EXR defaults: half ZIP1, windows, channel names, metadata", "[io][exr]") {
    WriteSetup s;
    s.h.execute(*s.write, 1.0, 24.0);
    const fs::path file = s.dir.path() / "shot.0001.exr";
    REQUIRE(fs::exists(file));
    for (auto& e : fs::directory_iterator(s.dir.path()))
        CHECK_FALSE(kinema::graph::isPartialName(e.path().filename().string()));

    Imf::MultiPartInputFile in(file.c_str());
    REQUIRE(in.parts() == 1);
    const Imf::Header& h = in.header(0);
    CHECK(h.compression() == Imf::ZIPS_COMPRESSION);
    CHECK(h.displayWindow() == Imath::Box2i(Imath::V2i(0, 0), Imath::V2i(7, 7)));
    CHECK(h.dataWindow() == Imath::Box2i(Imath::V2i(-3, -2), Imath::V2i(9, 8)));
    CHECK(channelNames(h) ==
          std::vector<std::string>{"A", "B", "G", "R", "diffuse.B", "diffuse.G", "diffuse.R"});
    for (auto c = h.channels().begin(); c != h.channels().end(); ++c)
        CHECK(c.channel().type == Imf::HALF);
    REQUIRE(Imf::hasChromaticities(h));
    const Imf::Chromaticities chroma = Imf::chromaticities(h); // ACEScg working space = AP1
    CHECK(chroma.red.x == Approx(0.713));
    CHECK(chroma.red.y == Approx(0.293));
    CHECK(chroma.green.x == Approx(0.165));
    CHECK(chroma.blue.y == Approx(0.044));
    CHECK(chroma.white.x == Approx(0.32168));
    CHECK(chroma.white.y == Approx(0.33767));
    REQUIRE(Imf::hasFramesPerSecond(h));
    CHECK(Imf::framesPerSecond(h).n == 24);
    CHECK(Imf::framesPerSecond(h).d == 1);
    REQUIRE(Imf::hasTimeCode(h));
    CHECK(Imf::timeCode(h).frame() == 1);
    CHECK(Imf::timeCode(h).seconds() == 0);
    CHECK(stringAttr(h, "kinema/node") == s.write->name());
    CHECK(stringAttr(h, "kinema/colorSpace") == "ACEScg");
    CHECK(stringAttr(h, "kinema/graphHash").size() == 32);
    CHECK(stringAttr(h, "kinema/prompt") == "a red fox");
    auto seed = h.findTypedAttribute<Imf::IntAttribute>("kinema/seed");
    REQUIRE(seed);
    CHECK(seed->value() == 42);
    CHECK(h.find("other/key") == h.end());
    CHECK_FALSE(h.findTypedAttribute<Imf::IntAttribute>("acesImageContainerFlag"));

    // Pixels: no conversion (working space out), half precision.
    const auto red = readChannel(file, "R");
    const auto diffuse = readChannel(file, "diffuse.G");
    for (std::size_t i = 0; i < red.size(); ++i) {
        CHECK(red[i] == Approx(s.image->channel("R")[i]).margin(2e-3));
        CHECK(diffuse[i] == Approx(s.image->channel("diffuse.G")[i]).epsilon(1e-3));
    }
}

TEST_CASE("Write EXR: the graph hash changes with the input", "[io][exr]") {
    WriteSetup s;
    s.h.execute(*s.write, 1.0);
    s.h.execute(*s.write, 2.0);
    Imf::MultiPartInputFile a((s.dir.path() / "shot.0001.exr").c_str());
    Imf::MultiPartInputFile b((s.dir.path() / "shot.0002.exr").c_str());
    // The fixed source does not depend on the frame: same upstream hash, different timecodes.
    CHECK(stringAttr(a.header(0), "kinema/graphHash") == stringAttr(b.header(0), "kinema/graphHash"));
    CHECK(Imf::timeCode(b.header(0)).frame() == 2);
    auto img2 = makeTestImage({8, 8, 1.0, ""}, {0, 0, 8, 8});
    auto& other = s.h.source("other", img2);
    s.h.connect(other, *s.write);
    s.h.execute(*s.write, 3.0);
    Imf::MultiPartInputFile c((s.dir.path() / "shot.0003.exr").c_str());
    CHECK(stringAttr(c.header(0), "kinema/graphHash") != stringAttr(a.header(0), "kinema/graphHash"));
}

TEST_CASE("Write EXR: padding from #### and %04d, start frame and offset", "[io][exr]") {
    WriteSetup s;
    s.h.set(*s.write, "file", (s.dir.path() / "a.%06d.exr").string());
    s.h.execute(*s.write, 7.0);
    CHECK(fs::exists(s.dir.path() / "a.000007.exr"));

    s.h.set(*s.write, "file", (s.dir.path() / "b.#.exr").string());
    s.h.execute(*s.write, 12.0);
    CHECK(fs::exists(s.dir.path() / "b.12.exr"));

    s.h.set(*s.write, "file", (s.dir.path() / "c.####.exr").string());
    s.h.setEnum(*s.write, "frameMode", "startAt"); // project starts at 1
    s.h.execute(*s.write, 3.0, 24.0);
    const fs::path started = s.dir.path() / "c.1003.exr";
    REQUIRE(fs::exists(started));
    CHECK(dynamic_cast<kinema::render::OutputNode&>(*s.write).outputPath(3.0) == started.string());
    {
        Imf::MultiPartInputFile in(started.c_str());
        const Imf::TimeCode tc = Imf::timeCode(in.header(0)); // frame 1003 at 24 fps = 00:00:41:19
        CHECK(tc.hours() == 0);
        CHECK(tc.minutes() == 0);
        CHECK(tc.seconds() == 41);
        CHECK(tc.frame() == 19);
    }
    s.h.setEnum(*s.write, "frameMode", "offset");
    s.h.set(*s.write, "frameOffset", std::int64_t{1000});
    s.h.execute(*s.write, 5.0, 23.976);
    const fs::path offset = s.dir.path() / "c.1005.exr";
    REQUIRE(fs::exists(offset));
    Imf::MultiPartInputFile in(offset.c_str());
    CHECK(Imf::framesPerSecond(in.header(0)).n == 24000);
    CHECK(Imf::framesPerSecond(in.header(0)).d == 1001);
}

TEST_CASE("Write EXR: every compression, float data, DWA level", "[io][exr]") {
    const std::vector<std::pair<std::string, Imf::Compression>> cases{
        {"none", Imf::NO_COMPRESSION},   {"rle", Imf::RLE_COMPRESSION},   {"zip1", Imf::ZIPS_COMPRESSION},
        {"zip16", Imf::ZIP_COMPRESSION}, {"piz", Imf::PIZ_COMPRESSION},   {"b44", Imf::B44_COMPRESSION},
        {"b44a", Imf::B44A_COMPRESSION}, {"dwaa", Imf::DWAA_COMPRESSION}, {"dwab", Imf::DWAB_COMPRESSION}};
    WriteSetup s({0, 0, 64, 64}, {});
    for (const char* datatype : {"half", "float"})
        for (auto& [name, expected] : cases) {
            INFO(name << " " << datatype);
            const fs::path file = s.dir.path() / (name + "." + datatype + ".exr");
            s.h.set(*s.write, "file", file.string());
            s.h.setEnum(*s.write, "compression", name);
            s.h.setEnum(*s.write, "datatype", datatype);
            s.h.execute(*s.write, 1.0);
            Imf::MultiPartInputFile in(file.c_str());
            CHECK(in.header(0).compression() == expected);
            CHECK(in.header(0).channels().findChannel("R")->type ==
                  (std::string(datatype) == "half" ? Imf::HALF : Imf::FLOAT));
            const auto green = readChannel(file, "G");
            const float tolerance = name.rfind("dw", 0) == 0 || name.rfind("b44", 0) == 0 ? 0.05f : 2e-3f;
            CHECK(green[64 * 30 + 5] == Approx(3.0f).margin(tolerance * 3.0f));
        }
    // A higher DWA level quantises more: the file gets smaller.
    auto noisy = std::make_shared<kinema::render::Image>(kinema::graph::Format{128, 128, 1.0, ""},
                                                         kinema::graph::Box2i{0, 0, 128, 128},
                                                         kinema::render::Image::rgba());
    for (auto& c : kinema::render::Image::rgba()) {
        float* p = noisy->channel(c);
        for (std::size_t i = 0; i < noisy->pixelCount(); ++i)
            p[i] = static_cast<float>((i * 2654435761u + c[0] * 97u) % 1000u) / 250.0f;
    }
    auto& src = s.h.source("noisy", noisy);
    s.h.connect(src, *s.write);
    s.h.setEnum(*s.write, "compression", "dwaa");
    s.h.setEnum(*s.write, "datatype", "half");
    std::uintmax_t sizes[2];
    int i = 0;
    for (double level : {5.0, 500.0}) {
        const fs::path file = s.dir.path() / ("dwa" + std::to_string(i) + ".exr");
        s.h.set(*s.write, "file", file.string());
        s.h.set(*s.write, "dwaLevel", level);
        s.h.execute(*s.write, 1.0);
        sizes[i++] = fs::file_size(file);
    }
    CHECK(sizes[1] < sizes[0]);
}

TEST_CASE("Write EXR: one part per layer, named after the layer", "[io][exr]") {
    WriteSetup s({0, 0, 8, 8}, {"diffuse.R", "diffuse.G", "diffuse.B", "depth.Z"});
    s.h.set(*s.write, "multipart", true);
    s.h.execute(*s.write, 1.0);
    const fs::path file = s.dir.path() / "shot.0001.exr";
    Imf::MultiPartInputFile in(file.c_str());
    REQUIRE(in.parts() == 3);
    std::map<std::string, std::vector<std::string>> parts;
    for (int p = 0; p < in.parts(); ++p) {
        const Imf::Header& h = in.header(p);
        REQUIRE(h.hasName());
        CHECK(h.type() == Imf::SCANLINEIMAGE);
        CHECK(h.displayWindow() == Imath::Box2i(Imath::V2i(0, 0), Imath::V2i(7, 7)));
        CHECK(Imf::hasChromaticities(h));
        parts[h.name()] = channelNames(h);
    }
    CHECK(in.header(0).name() == "rgba");
    CHECK(parts["rgba"] == std::vector<std::string>{"A", "B", "G", "R"});
    CHECK(parts["diffuse"] == std::vector<std::string>{"diffuse.B", "diffuse.G", "diffuse.R"});
    CHECK(parts["depth"] == std::vector<std::string>{"depth.Z"});
    const auto z = readChannel(file, "depth.Z", 1);
    CHECK(z[3] == Approx(7.03f).epsilon(1e-3));
}

TEST_CASE("Write EXR: ACES container constraints", "[io][exr][color]") {
    WriteSetup s({0, 0, 8, 8}, {"diffuse.R"});
    s.h.set(*s.write, "acesContainer", true);
    s.h.setEnum(*s.write, "compression", "piz"); // overridden by the container mode
    s.h.setEnum(*s.write, "datatype", "float");
    s.h.execute(*s.write, 1.0);
    const fs::path file = s.dir.path() / "shot.0001.exr";
    Imf::MultiPartInputFile in(file.c_str());
    const Imf::Header& h = in.header(0);
    CHECK(h.compression() == Imf::NO_COMPRESSION);
    CHECK(channelNames(h) == std::vector<std::string>{"A", "B", "G", "R"});
    for (auto c = h.channels().begin(); c != h.channels().end(); ++c)
        CHECK(c.channel().type == Imf::HALF);
    auto flag = h.findTypedAttribute<Imf::IntAttribute>("acesImageContainerFlag");
    REQUIRE(flag);
    CHECK(flag->value() == 1);
    const Imf::Chromaticities c = Imf::chromaticities(h);
    CHECK(c.red.x == Approx(0.7347));
    CHECK(c.red.y == Approx(0.2653));
    CHECK(c.green.x == Approx(0.0).margin(1e-6));
    CHECK(c.green.y == Approx(1.0));
    CHECK(c.blue.x == Approx(0.0001));
    CHECK(c.blue.y == Approx(-0.077));
    CHECK(c.white.x == Approx(0.32168));
    CHECK(stringAttr(h, "kinema/colorSpace") == "ACES2065-1");
    REQUIRE(Imf::hasAdoptedNeutral(h));
    // Pixels are ACEScg converted to AP0 by the colour module's processor.
    auto config = kinema::color::ConfigHandle::fromFile(kinema::test::shippedConfigFile());
    auto p = kinema::color::processorFor(config,
                                         kinema::color::ColorTransform::colorSpace("ACEScg", "ACES2065-1"));
    std::array<float, 4> px{s.image->channel("R")[8 * 5 + 6], s.image->channel("G")[8 * 5 + 6],
                            s.image->channel("B")[8 * 5 + 6], 1.0f};
    p->applyPixel(px);
    CHECK(readChannel(file, "R")[8 * 5 + 6] == Approx(px[0]).epsilon(2e-3));
    CHECK(readChannel(file, "B")[8 * 5 + 6] == Approx(px[2]).epsilon(2e-3));
}

TEST_CASE("Write EXR: output colour space through OCIO sets chromaticities and converts",
          "[io][exr][color]") {
    WriteSetup s({0, 0, 8, 8}, {});
    s.h.set(*s.write, "colorspace", std::string("lin_rec709"));
    s.h.setEnum(*s.write, "datatype", "float");
    s.h.execute(*s.write, 1.0);
    const fs::path file = s.dir.path() / "shot.0001.exr";
    Imf::MultiPartInputFile in(file.c_str());
    const Imf::Chromaticities c = Imf::chromaticities(in.header(0));
    CHECK(c.red.x == Approx(0.64));
    CHECK(c.green.y == Approx(0.60));
    CHECK(c.white.x == Approx(0.3127));
    CHECK(stringAttr(in.header(0), "kinema/colorSpace") == "Linear Rec.709");
    auto config = kinema::color::ConfigHandle::fromFile(kinema::test::shippedConfigFile());
    auto p = kinema::color::processorFor(
        config, kinema::color::ColorTransform::colorSpace("ACEScg", "Linear Rec.709"));
    const std::size_t i = 8 * 3 + 4;
    std::array<float, 4> px{s.image->channel("R")[i], s.image->channel("G")[i], s.image->channel("B")[i],
                            1.0f};
    p->applyPixel(px);
    CHECK(readChannel(file, "R")[i] == Approx(px[0]).epsilon(1e-5));
    CHECK(readChannel(file, "G")[i] == Approx(px[1]).epsilon(1e-5));
    CHECK(readChannel(file, "B")[i] == Approx(px[2]).epsilon(1e-5));
    CHECK(readChannel(file, "A")[i] == 1.0f);
}

TEST_CASE("Write: errors name the file and leave no file behind", "[io][exr]") {
    WriteSetup s({0, 0, 8, 8}, {});
    s.h.set(*s.write, "file", (s.dir.path() / "bad.####.xyz").string());
    CHECK_THROWS_WITH(s.h.execute(*s.write, 1.0), Catch::Contains("bad.0001.xyz"));
    s.h.set(*s.write, "file", (s.dir.path() / "cs.####.exr").string());
    s.h.set(*s.write, "colorspace", std::string("no such space"));
    CHECK_THROWS_WITH(s.h.execute(*s.write, 1.0), Catch::Contains("no such space"));
    s.h.set(*s.write, "colorspace", std::string("auto"));
    s.h.set(*s.write, "file", (s.dir.path() / "p.####.png").string());
    s.h.setEnum(*s.write, "bitDepth", "32f");
    CHECK_THROWS_WITH(s.h.execute(*s.write, 1.0), Catch::Contains("p.0001.png"));
    std::set<std::string> left;
    for (auto& e : fs::directory_iterator(s.dir.path()))
        left.insert(e.path().filename().string());
    CHECK(left.empty());
}
