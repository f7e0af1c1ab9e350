// SPDX-License-Identifier: Apache-2.0
/// oiiotool as an independent oracle: for operations it shares with Kinema's nodes, the same inputs are
/// written to EXR (float), processed by `oiiotool` in a separate process, and compared with the node output.
#include <catch2/catch.hpp>

#include <OpenImageIO/imageio.h>

#include <cmath>
#include <cstdlib>

#include "CompTestSupport.h"
#include "TestSupport.h"

using namespace kinema;
using kinema::test::Harness;

namespace {

constexpr int kSize = 8;

float fgValue(const std::string& c, int x, int y) {
    const float a = 0.25f + 0.08f * static_cast<float>((x + 2 * y) % 9); // alpha in [0.25, 0.89]
    if (c == "A")
        return a;
    const float base = c == "R" ? 0.9f : c == "G" ? 0.4f : 1.7f; // HDR blue
    return base * a * (1.0f + 0.05f * static_cast<float>(x));    // premultiplied
}

float bgValue(const std::string& c, int x, int y) {
    if (c == "A")
        return 1.0f;
    return (c == "R"   ? 0.1f
            : c == "G" ? 0.3f
                       : 0.05f) +
           0.02f * static_cast<float>(y) + 0.01f * static_cast<float>(x);
}

bool haveOiiotool() {
    return std::system("oiiotool --help > /dev/null 2>&1") == 0;
}

void writeExr(const render::Image& img, const std::filesystem::path& path) {
    OIIO::ImageSpec spec(img.width(), img.height(), 4, OIIO::TypeDesc::FLOAT);
    spec.channelnames = {"R", "G", "B", "A"};
    spec.alpha_channel = 3;
    std::vector<float> px(static_cast<std::size_t>(img.width() * img.height() * 4));
    for (int c = 0; c < 4; ++c) {
        const float* plane = img.channel(render::Image::rgba()[static_cast<std::size_t>(c)]);
        for (std::size_t i = 0; i < img.pixelCount(); ++i)
            px[i * 4 + static_cast<std::size_t>(c)] = plane[i];
    }
    auto out = OIIO::ImageOutput::create(path.string());
    REQUIRE(out);
    REQUIRE(out->open(path.string(), spec));
    REQUIRE(out->write_image(OIIO::TypeDesc::FLOAT, px.data()));
    out->close();
}

std::vector<float> readExr(const std::filesystem::path& path) {
    auto in = OIIO::ImageInput::open(path.string());
    REQUIRE(in);
    std::vector<float> px(
        static_cast<std::size_t>(in->spec().width * in->spec().height * in->spec().nchannels));
    REQUIRE(in->read_image(0, 0, 0, -1, OIIO::TypeDesc::FLOAT, px.data()));
    return px;
}

/// Compares a node's RGBA output with an interleaved RGBA oiiotool result.
void compare(const render::Image& got, const std::vector<float>& expected, float tolerance) {
    REQUIRE(expected.size() == got.pixelCount() * 4);
    float worst = 0.0f;
    for (int c = 0; c < 4; ++c) {
        const float* plane = got.channel(render::Image::rgba()[static_cast<std::size_t>(c)]);
        for (std::size_t i = 0; i < got.pixelCount(); ++i)
            worst = std::max(worst, std::fabs(plane[i] - expected[i * 4 + static_cast<std::size_t>(c)]));
    }
    INFO("largest difference " << worst);
    CHECK(worst <= tolerance);
}

struct OracleRun {
    kinema::test::TempDir dir;
    Harness h;
    graph::Node* fg = nullptr;
    graph::Node* bg = nullptr;
    OracleRun() {
        const graph::Box2i window{0, 0, kSize, kSize};
        fg = &h.source("fg", window, render::Image::rgba(),
                       [](auto& c, int x, int y, double) { return fgValue(c, x, y); });
        bg = &h.source("bg", window, render::Image::rgba(),
                       [](auto& c, int x, int y, double) { return bgValue(c, x, y); });
        writeExr(*h.eval(*fg), dir / "fg.exr");
        writeExr(*h.eval(*bg), dir / "bg.exr");
    }
    std::vector<float> oiiotool(const std::string& args) {
        const std::string cmd =
            "cd '" + dir.path().string() + "' && oiiotool " + args + " -o out.exr > log.txt 2>&1";
        REQUIRE(std::system(cmd.c_str()) == 0);
        return readExr(dir / "out.exr");
    }
};

} // namespace

TEST_CASE("Merge over, plus, multiply, min and max match oiiotool", "[comp][oracle]") {
    if (!haveOiiotool())
        return;
    struct Case {
        const char* op;
        const char* args;
    };
    for (auto c : {Case{"over", "fg.exr bg.exr --over"}, Case{"plus", "fg.exr bg.exr --add"},
                   Case{"multiply", "fg.exr bg.exr --mul"}, Case{"min", "fg.exr bg.exr --min"},
                   Case{"max", "fg.exr bg.exr --max"}}) {
        INFO(c.op);
        OracleRun run;
        auto& merge = run.h.add("Merge");
        run.h.connect(*run.bg, merge, 0);
        run.h.connect(*run.fg, merge, 1);
        run.h.setEnum(merge, "operation", c.op);
        compare(*run.h.eval(merge), run.oiiotool(c.args), 1e-5f);
    }
}

TEST_CASE("Premult and Unpremult match oiiotool", "[comp][oracle]") {
    if (!haveOiiotool())
        return;
    OracleRun run;
    auto& un = run.h.add("Unpremult");
    run.h.connect(*run.fg, un, 0);
    compare(*run.h.eval(un), run.oiiotool("fg.exr --unpremult"), 1e-5f);
    auto& pre = run.h.add("Premult");
    run.h.connect(*run.bg, pre, 0);
    compare(*run.h.eval(pre), run.oiiotool("bg.exr --premult"), 1e-6f);
}
