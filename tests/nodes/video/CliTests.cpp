// SPDX-License-Identifier: Apache-2.0
// kinema-render with a WriteVideo node: several frames in flight, one clip with every frame in order; a
// failing render leaves neither the clip nor a temporary behind.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
#include <sys/wait.h>

#include "TestSupport.h"
#include "VideoTestSupport.h"
#include "io/FFmpegReader.h"
#include "kinema/graph/AtomicFile.h"

namespace fs = std::filesystem;
using namespace kinema;

namespace {

int runRender(const std::string& args, const fs::path& cwd) {
    ::unsetenv("OCIO");
    const std::string cmd =
        "cd '" + cwd.string() + "' && '" KINEMA_RENDER_EXE "' " + args + " > run.log 2>&1";
    const int status = std::system(cmd.c_str());
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string logOf(const fs::path& cwd) {
    std::ifstream in(cwd / "run.log");
    return std::string(std::istreambuf_iterator<char>(in), {});
}

/// Constant (R = 0.3 + frame/100) → WriteVideo, 12 frames at 25 fps, 64×36.
void writeGraph(const fs::path& path, const std::string& file, const std::string& codec) {
    std::ofstream(path) << R"({"kinema":"graph","schema":1,
      "project":{"frameRange":[1,12],"fps":25,"format":{"width":64,"height":36}},
      "nodes":[
        {"type":"Constant","version":1,"name":"C","params":{"color":{"value":[0,0.2,0.2,1],
          "curves":[[[0,0.3,"linear"],[1000,10.3,"linear"]],null,null,null]}}},
        {"type":"WriteVideo","version":1,"name":"V","params":{"file":")"
                        << file << R"(","codec":")" << codec << R"("}}],
      "connections":[{"from":"C","to":"V","input":"in"}]})";
}

int partials(const fs::path& dir) {
    int n = 0;
    if (fs::is_directory(dir))
        for (auto& e : fs::directory_iterator(dir))
            n += graph::isPartialName(e.path().filename().string()) ? 1 : 0;
    return n;
}

} // namespace

TEST_CASE("kinema-render writes a video with frames in order", "[video][cli]") {
    test::TempDir dir("kinema-video-cli");
    writeGraph(dir / "g.kgraph", "out/clip.mov", "prores_hq");
    const int rc = runRender("--threads 8 g.kgraph", dir.path());
    INFO(logOf(dir.path()));
    REQUIRE(rc == 0);
    REQUIRE(fs::exists(dir / "out/clip.mov"));
    CHECK(partials(dir / "out") == 0);
    nodes::VideoDecoder decoder(dir / "out/clip.mov");
    CHECK(decoder.info().frameCount == 12);
    CHECK(decoder.info().fpsNum == 25);
    CHECK(decoder.info().fpsDen == 1);
    CHECK(decoder.info().timecode == "00:00:00:01"); // first frame 1 at 25 fps
    // R grows with the frame: each decoded frame is redder than the one before.
    float previous = -1.0f;
    for (std::int64_t n = 0; n < 12; ++n) {
        const float r = decoder.frame(n).sample("R", 32, 18);
        INFO("frame " << n);
        CHECK(r > previous + 0.005f);
        previous = r;
    }
}

TEST_CASE("kinema-render: a failed video render leaves no file", "[video][cli]") {
    test::TempDir dir("kinema-video-cli");
    writeGraph(dir / "g.kgraph", "out/clip.mp4", "prores_hq"); // ProRes needs .mov
    CHECK(runRender("--threads 8 g.kgraph", dir.path()) == 1);
    CHECK(logOf(dir.path()).find(".mov") != std::string::npos);
    CHECK_FALSE(fs::exists(dir / "out/clip.mp4"));
    CHECK(partials(dir / "out") == 0);
}
