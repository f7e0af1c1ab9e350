// SPDX-License-Identifier: Apache-2.0
#include "TestSupport.h"
#include "kinema/scenes/Caption.h"
#include "kinema/scenes/Render.h"

#include <OpenImageIO/imagebuf.h>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <string>

using namespace kinema::scenes;

namespace {
int run(const std::string& arguments, const std::filesystem::path& log) {
    const std::string command =
        std::string("\"") + KINEMA_SCENES_EXE + "\" " + arguments + " > \"" + log.string() + "\" 2>&1";
    const int status = std::system(command.c_str());
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}
} // namespace

TEST_CASE("kinema-scenes writes EXR frames, a manifest and a contact sheet", "[scenes][cli]") {
    kinema::test::TempDir dir("kinema-scenes");
    const auto out = dir / "out";
    const auto sheet = dir / "sheet.png";
    REQUIRE(run("--seed 40 -n 2 --width 64 --height 64 --exr -o \"" + out.string() + "\" --sheet \"" +
                    sheet.string() + "\"",
                dir / "log.txt") == 0);

    std::ifstream manifest(out / "manifest.jsonl");
    REQUIRE(manifest);
    std::string line;
    int lines = 0;
    while (std::getline(manifest, line)) {
        const auto json = nlohmann::json::parse(line);
        const std::uint64_t seed = json.at("seed").get<std::uint64_t>();
        CHECK(seed == 40u + std::uint64_t(lines));
        const SceneSpec spec = sample(seed);
        CHECK(json.at("spec").at("background").get<std::string>() == toString(spec.background));
        CHECK(json.at("spec").at("objects").size() == spec.objects.size());
        CHECK(json.at("spec").at("objects")[0].at("motion").get<std::string>() ==
              toString(spec.objects[0].motion));
        for (auto style : kAllCaptionStyles) {
            const std::string text = json.at("captions").at(std::string(toString(style))).get<std::string>();
            CHECK(text == caption(spec, style, seed));
            CHECK(parseCaption(text).objects.at(0).colour == spec.objects[0].colour);
        }
        // The EXR frames hold the rendered scene-linear values at half precision.
        RenderSettings settings;
        settings.width = settings.height = 64;
        const Clip clip = render(spec, settings);
        const std::string clipDir = json.at("frames_path").get<std::string>().substr(0, 10);
        for (int f : {0, 16}) {
            char name[32];
            std::snprintf(name, sizeof name, "frame_%04d.exr", f);
            OIIO::ImageBuf image((out / clipDir / name).string());
            REQUIRE(image.read(0, 0, true, OIIO::TypeDesc::FLOAT));
            CHECK(image.nativespec().format == OIIO::TypeDesc::HALF);
            REQUIRE(image.spec().width == 64);
            REQUIRE(image.spec().nchannels == 3);
            std::vector<float> pixels(64 * 64 * 3);
            image.get_pixels(OIIO::ROI(0, 64, 0, 64, 0, 1, 0, 3), OIIO::TypeDesc::FLOAT, pixels.data());
            double worst = 0;
            for (std::size_t i = 0; i < pixels.size(); ++i)
                worst = std::max(worst, double(std::fabs(pixels[i] - clip.frame(f)[i]) /
                                               std::max(1.0f, clip.frame(f)[i])));
            CHECK(worst < 2e-3);
        }
        ++lines;
    }
    CHECK(lines == 2);

    OIIO::ImageBuf png(sheet.string());
    REQUIRE(png.read());
    CHECK(png.spec().width == 5 * (64 + 2) + 2);
    CHECK(png.spec().nchannels == 3);
}

TEST_CASE("kinema-scenes reports usage errors and benchmarks", "[scenes][cli]") {
    kinema::test::TempDir dir("kinema-scenes");
    CHECK(run("", dir / "log.txt") == 2);
    CHECK(run("--count 0 --sheet x.png", dir / "log.txt") != 0);
    REQUIRE(run("--bench -n 2 --width 32 --height 32", dir / "bench.txt") == 0);
    std::ifstream log(dir / "bench.txt");
    const std::string text((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
    CHECK(text.find("render: mean") != std::string::npos);
    CHECK(text.find("analyse: mean") != std::string::npos);
}
