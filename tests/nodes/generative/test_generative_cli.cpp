// SPDX-License-Identifier: Apache-2.0
// kinema-render end to end on a generative graph: TextToVideo → Write on the tiny model, with the seed
// overridden from the command line, producing EXR frames that carry the generation in their headers.
#include "GenerativeTestSupport.h"

#include <catch2/catch.hpp>

#include <OpenImageIO/imageio.h>

#include <fstream>
#include <sstream>
#include <sys/wait.h>

namespace fs = std::filesystem;

namespace {

int runRender(const std::vector<std::string>& args, const fs::path& cwd, const fs::path& cache,
              std::string& output) {
    const auto r =
        kinema::test::runProgram(KINEMA_RENDER_EXE, args, cwd, "KINEMA_CLIP_CACHE='" + cache.string() + "'");
    output = r.out;
    return r.exitCode;
}

std::vector<float> readPixels(const fs::path& file, std::string* seed) {
    auto in = OIIO::ImageInput::open(file.string());
    REQUIRE(in);
    const auto& spec = in->spec();
    if (seed)
        *seed = spec.get_string_attribute("kinema/gen/seed");
    std::vector<float> px(static_cast<std::size_t>(spec.width * spec.height * spec.nchannels));
    REQUIRE(in->read_image(0, 0, 0, -1, OIIO::TypeDesc::FLOAT, px.data()));
    return px;
}

} // namespace

TEST_CASE("kinema-render renders TextToVideo → Write with --set Gen.seed", "[generative][cli]") {
    kinema::test::TempDir dir{"kinema-gen-cli"};
    kinema::test::TempDir cache{"kinema-gen-cli-cache"};
    std::ofstream(dir.path() / "g.kgraph") << R"({"kinema":"graph","schema":1,
      "project":{"frameRange":[1,5],"fps":24,"format":{"width":32,"height":32}},
      "nodes":[
        {"type":"TextToVideo","version":1,"name":"Gen","params":{"model":")"
                                           << kinema::test::tinyModelDir().string() << R"(",
          "prompt":"a lighthouse at dusk","seed":1,"duration":5,"aspect":"1:1","resolution":32,"steps":2}},
        {"type":"Write","version":1,"name":"W","params":{"file":"out/gen.####.exr","datatype":"float"}}],
      "connections":[{"from":"Gen","to":"W","input":"in"}]})";

    std::string log;
    REQUIRE(runRender({"--set", "Gen.seed=7", "g.kgraph"}, dir.path(), cache.path(), log) == 0);
    INFO(log);
    for (int f = 1; f <= 5; ++f)
        REQUIRE(fs::exists(dir.path() / "out" / ("gen.000" + std::to_string(f) + ".exr")));
    std::string seed;
    const auto seven = readPixels(dir.path() / "out" / "gen.0003.exr", &seed);
    CHECK(seed == "7");

    // Another seed renders another clip; rendering seed 7 again in a new process comes from the disk cache
    // and writes identical pixels.
    REQUIRE(runRender({"--set", "Gen.seed=8", "--set", "W.file=b/gen.####.exr", "-F", "3", "g.kgraph"},
                      dir.path(), cache.path(), log) == 0);
    CHECK(readPixels(dir.path() / "b" / "gen.0003.exr", nullptr) != seven);
    REQUIRE(runRender({"--set", "Gen.seed=7", "--set", "W.file=c/gen.####.exr", "-F", "3", "g.kgraph"},
                      dir.path(), cache.path(), log) == 0);
    CHECK(readPixels(dir.path() / "c" / "gen.0003.exr", nullptr) == seven);
}

namespace {

/// Renders one of resources/examples from a folder where `resources` points at the repository's, so the
/// graph's relative paths (plates, outputs under out/) resolve as they do from the repository root.
int renderExample(const std::string& graph, const fs::path& dir, const fs::path& cache, std::string& log) {
    std::error_code ec;
    fs::create_directory_symlink(kinema::test::resourcesDir(), dir / "resources", ec);
    return runRender({"resources/examples/" + graph}, dir, cache, log);
}

int countFiles(const fs::path& dir, const std::string& extension) {
    int n = 0;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir, ec))
        n += e.path().extension() == extension ? 1 : 0;
    return n;
}

} // namespace

TEST_CASE("the example graphs render on the demo model", "[generative][cli][examples]") {
    kinema::test::TempDir dir{"kinema-examples"};
    kinema::test::TempDir cache{"kinema-examples-cache"};
    std::string log;
    REQUIRE(renderExample("text-to-video.kgraph", dir.path(), cache.path(), log) == 0);
    INFO(log);
    CHECK(countFiles(dir.path() / "out" / "demo", ".exr") == 17);
    CHECK(fs::file_size(dir.path() / "out" / "demo" / "t2v.mp4") > 1000);
    {
        auto in = OIIO::ImageInput::open((dir.path() / "out" / "demo" / "t2v.1009.exr").string());
        REQUIRE(in);
        CHECK(in->spec().full_width == 256); // the display window (the data window is the bounding box)
        CHECK(in->spec().format == OIIO::TypeDesc::HALF);
        CHECK(in->spec().get_string_attribute("kinema/gen/pixelEncoding") == "acescct-linear-rec709");
        CHECK(in->spec().get_string_attribute("kinema/gen/node") == "TextToVideo");
    }
    REQUIRE(renderExample("keyframes.kgraph", dir.path(), cache.path(), log) == 0);
    CHECK(countFiles(dir.path() / "out" / "keyframes", ".exr") == 17);
    REQUIRE(renderExample("extend.kgraph", dir.path(), cache.path(), log) == 0);
    CHECK(countFiles(dir.path() / "out" / "extend", ".exr") == 30);
    REQUIRE(renderExample("loop.kgraph", dir.path(), cache.path(), log) == 0);
    CHECK(countFiles(dir.path() / "out" / "loop", ".exr") == 16);
    {
        auto in = OIIO::ImageInput::open((dir.path() / "out" / "loop" / "loop.1001.exr").string());
        REQUIRE(in);
        CHECK(in->spec().find_attribute("kinema/gen/loopSeam") != nullptr);
    }
    REQUIRE(renderExample("v2v-relight.kgraph", dir.path(), cache.path(), log) == 0);
    CHECK(countFiles(dir.path() / "out" / "v2v", ".exr") == 17);
    CHECK(countFiles(dir.path() / "out" / "relight", ".exr") == 17);
    {
        auto in = OIIO::ImageInput::open((dir.path() / "out" / "relight" / "relight.1001.exr").string());
        REQUIRE(in);
        CHECK(in->spec().full_width == 128); // the plate's resolution, not the model's
    }
    REQUIRE(renderExample("hdr-ramp.kgraph", dir.path(), cache.path(), log) == 0);
    CHECK(countFiles(dir.path() / "out" / "hdr-ramp", ".exr") == 24);
}
