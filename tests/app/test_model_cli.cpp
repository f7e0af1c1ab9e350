// SPDX-License-Identifier: Apache-2.0
// kinema-model end to end: parity fixtures, model info, generation on the embedded demo model to EXR
// frames (scene-linear), latents and an MP4 preview, and clear failures on bad input.
#include <catch2/catch.hpp>

#include <OpenImageIO/imageio.h>

#include <fstream>

#include "TestSupport.h"

namespace fs = std::filesystem;
using kinema::test::TempDir;

namespace {

kinema::test::RunResult runModelTool(const std::vector<std::string>& args, const fs::path& cwd) {
    return kinema::test::runProgram(KINEMA_MODEL_EXE, args, cwd);
}

const fs::path kDemoModel = kinema::test::resourcesDir() / "models" / "kinema-demo";

} // namespace

TEST_CASE("kinema-model check runs the parity fixtures", "[cli][model]") {
    TempDir dir{"kinema-model-check"};
    const auto r = runModelTool({"check", (kinema::test::fixturesDir() / "wan21").string()}, dir.path());
    INFO(r.out);
    CHECK(r.exitCode == 0);
    CHECK_THAT(r.out, Catch::Contains(" passed, 0 failed"));
}

TEST_CASE("kinema-model check --bf16 runs the DiT fixtures in mixed precision", "[cli][model]") {
    TempDir dir{"kinema-model-check"};
    const auto r =
        runModelTool({"check", "--bf16", (kinema::test::fixturesDir() / "wan21").string()}, dir.path());
    INFO(r.out);
    CHECK(r.exitCode == 0);
    CHECK_THAT(r.out, Catch::Contains("8 passed, 0 failed"));
    // The fp32 path matches dit-tiny-a to about 3e-7; bf16 rounding shows as about 3e-3.
    CHECK_THAT(r.out, Catch::Matches("[\\s\\S]*dit-tiny-a +rel_l2 [1-9]\\.[0-9]+e-03[\\s\\S]*"));
}

TEST_CASE("kinema-model info describes the demo model", "[cli][model]") {
    TempDir dir{"kinema-model-info"};
    const auto r =
        runModelTool({"info", kDemoModel.string(), "--size", "64x64", "--frames", "17"}, dir.path());
    INFO(r.out);
    CHECK(r.exitCode == 0);
    CHECK_THAT(r.out, Catch::Contains("wan2.1"));
    CHECK_THAT(r.out, Catch::Contains("parameters"));
}

TEST_CASE("kinema-model generate writes scene-linear EXR frames, latents and an MP4", "[cli][model]") {
    TempDir dir{"kinema-model-generate"};
    const auto r =
        runModelTool({"generate", "--model", kDemoModel.string(), "--prompt",
                      "a large glowing yellow circle moving right against a starry night sky", "--frames",
                      "17", "--size", "64x64", "--steps", "8", "--seed", "5", "--threads", "1", "--offload",
                      "blocks", "--out", (dir.path() / "out").string()},
                     dir.path());
    INFO(r.out);
    REQUIRE(r.exitCode == 0);
    CHECK_THAT(r.out, Catch::Contains("scene-linear"));
    CHECK_THAT(r.out, Catch::Contains("device cpu, fp32 DiT, offload none")); // nothing to offload on a CPU
    int frames = 0;
    for (const auto& e : fs::directory_iterator(dir.path() / "out"))
        frames += e.path().extension() == ".exr" ? 1 : 0;
    CHECK(frames == 17);
    CHECK(fs::file_size(dir.path() / "out" / "latents.safetensors") > 0);
    CHECK(fs::file_size(dir.path() / "out" / "clip.mp4") > 1000);
    auto in = OIIO::ImageInput::open((dir.path() / "out" / "frame.0001.exr").string());
    REQUIRE(in);
    CHECK(in->spec().width == 64);
    CHECK(in->spec().format == OIIO::TypeDesc::HALF);
}

TEST_CASE("kinema-model fails clearly on bad input", "[cli][model]") {
    TempDir dir{"kinema-model-bad"};
    auto r = runModelTool({"info", (dir.path() / "missing").string()}, dir.path());
    CHECK(r.exitCode != 0);
    CHECK_THAT(r.out, Catch::Contains("missing"));
    r = runModelTool({"generate", "--model", kDemoModel.string(), "--prompt", "x", "--size", "60x64", "--out",
                      (dir.path() / "o").string()},
                     dir.path());
    CHECK(r.exitCode != 0);
    CHECK_THAT(r.out, Catch::Contains("60x64"));
    r = runModelTool({"generate", "--model", kDemoModel.string(), "--prompt", "x", "--device", "tpu", "--out",
                      (dir.path() / "o").string()},
                     dir.path());
    CHECK(r.exitCode != 0);
    CHECK_THAT(r.out, Catch::Contains("--device 'tpu'"));
    r = runModelTool({"generate", "--model", kDemoModel.string(), "--prompt", "x", "--offload", "most",
                      "--out", (dir.path() / "o").string()},
                     dir.path());
    CHECK(r.exitCode != 0);
    CHECK_THAT(r.out, Catch::Contains("--offload"));
    std::ofstream(dir.path() / "bad.pth") << "not a zip";
    r = runModelTool({"convert", (dir.path() / "bad.pth").string(), (dir.path() / "o.safetensors").string()},
                     dir.path());
    CHECK(r.exitCode != 0);
    CHECK_THAT(r.out, Catch::Contains("bad.pth"));
    CHECK_FALSE(fs::exists(dir.path() / "o.safetensors"));
}
