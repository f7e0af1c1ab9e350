// SPDX-License-Identifier: Apache-2.0
#include <catch2/catch.hpp>

#include <OpenImageIO/imageio.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <csignal>
#include <fcntl.h>
#include <fstream>
#include <sstream>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include "TestSupport.h"
#include "kinema/graph/AtomicFile.h"

namespace fs = std::filesystem;
using kinema::test::TempDir;

namespace {

using kinema::test::RunResult;

/// Runs kinema-render with `args`, capturing stdout and stderr together.
RunResult runRender(const std::vector<std::string>& args, const fs::path& cwd) {
    return kinema::test::runProgram(KINEMA_RENDER_EXE, args, cwd);
}

pid_t spawnRender(const std::vector<std::string>& args, const fs::path& cwd) {
    pid_t pid = fork();
    if (pid == 0) {
        if (chdir(cwd.c_str()) != 0)
            _exit(99);
        int devnull = open("/dev/null", O_WRONLY);
        dup2(devnull, 1);
        dup2(devnull, 2);
        std::vector<char*> argv{const_cast<char*>(KINEMA_RENDER_EXE)};
        for (auto& a : args)
            argv.push_back(const_cast<char*>(a.c_str()));
        argv.push_back(nullptr);
        execv(KINEMA_RENDER_EXE, argv.data());
        _exit(98);
    }
    return pid;
}

/// A graph with an animated Constant (R = frame/100) feeding a Write.
void writeGraph(const fs::path& path, const std::string& output, int size = 16,
                const std::string& datatype = "float", const std::string& compression = "zip1") {
    std::ofstream(path) << R"({"kinema":"graph","schema":1,
      "project":{"frameRange":[1,5],"fps":25,"format":{"width":)"
                        << size << R"(,"height":)" << size << R"(}},
      "nodes":[
        {"type":"Constant","version":1,"name":"C","params":{"color":{"value":[0,0.5,0.25,1],
          "curves":[[[0,0,"linear"],[1000,10,"linear"]],null,null,null]}}},
        {"type":"Write","version":1,"name":"W","params":{"file":")"
                        << output << R"(","datatype":")" << datatype << R"(","compression":")" << compression
                        << R"("}}],
      "connections":[{"from":"C","to":"W","input":"in"}]})";
}

float readRed(const fs::path& file) {
    auto in = OIIO::ImageInput::open(file.string());
    REQUIRE(in);
    std::vector<float> px(
        static_cast<std::size_t>(in->spec().width * in->spec().height * in->spec().nchannels));
    REQUIRE(in->read_image(0, 0, 0, -1, OIIO::TypeDesc::FLOAT, px.data()));
    return px[0];
}

std::vector<std::string> finalFiles(const fs::path& dir) {
    std::vector<std::string> out;
    for (auto& e : fs::directory_iterator(dir))
        if (e.path().extension() == ".exr" && !kinema::graph::isPartialName(e.path().filename().string()))
            out.push_back(e.path().filename().string());
    std::sort(out.begin(), out.end());
    return out;
}

/// Waits (up to 60 s) until `dir` holds at least one final frame: the render has really started.
bool waitForFirstFrame(const fs::path& dir) {
    for (int i = 0; i < 600; ++i) {
        if (fs::exists(dir) && !finalFiles(dir).empty())
            return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
}

} // namespace

TEST_CASE("kinema-render writes EXR frames with the right pixels", "[cli]") {
    TempDir dir;
    writeGraph(dir / "g.kgraph", "frames/shot.####.exr");
    auto r = runRender({"g.kgraph"}, dir.path());
    INFO(r.out);
    REQUIRE(r.exitCode == 0);
    CHECK(finalFiles(dir / "frames") == std::vector<std::string>{"shot.0001.exr", "shot.0002.exr",
                                                                 "shot.0003.exr", "shot.0004.exr",
                                                                 "shot.0005.exr"});
    CHECK(readRed(dir / "frames/shot.0003.exr") == Approx(0.03f));
}

TEST_CASE("both frame-range syntaxes and repeated -F select frames", "[cli]") {
    TempDir dir;
    writeGraph(dir / "g.kgraph", "f/a.####.exr");
    REQUIRE(runRender({"-F", "10-30x10", "-F", "100-104:2", "g.kgraph"}, dir.path()).exitCode == 0);
    CHECK(finalFiles(dir / "f") == std::vector<std::string>{"a.0010.exr", "a.0020.exr", "a.0030.exr",
                                                            "a.0100.exr", "a.0102.exr", "a.0104.exr"});
    CHECK(readRed(dir / "f/a.0102.exr") == Approx(1.02f));
}

TEST_CASE("set overrides parameters and dry-run only plans", "[cli]") {
    TempDir dir;
    writeGraph(dir / "g.kgraph", "f/a.####.exr");
    auto plan = runRender({"--dry-run", "-F", "1-3", "g.kgraph"}, dir.path());
    CHECK(plan.exitCode == 0);
    CHECK_THAT(plan.out, Catch::Contains("W: frames 1-3 (3)"));
    CHECK_FALSE(fs::exists(dir / "f"));
    auto r = runRender({"-F", "2", "--set", "W.file=g/b.%03d.exr", "--set", "C.color=4,0,0,1", "g.kgraph"},
                       dir.path());
    INFO(r.out);
    REQUIRE(r.exitCode == 0);
    CHECK(readRed(dir / "g/b.002.exr") == 4.0f);
}

TEST_CASE("json mode prints one event per line", "[cli]") {
    TempDir dir;
    writeGraph(dir / "g.kgraph", "f/a.####.exr");
    auto r = runRender({"--json", "-F", "1-2", "g.kgraph"}, dir.path());
    REQUIRE(r.exitCode == 0);
    std::istringstream lines(r.out);
    std::string line;
    int frames = 0;
    bool end = false;
    while (std::getline(lines, line)) {
        auto j = nlohmann::json::parse(line);
        if (j["event"] == "frame") {
            ++frames;
            CHECK(j["status"] == "done");
        }
        end = end || (j["event"] == "end" && j["status"] == "ok");
    }
    CHECK(frames == 2);
    CHECK(end);
}

TEST_CASE("exit codes: 2 for usage and graph errors, 1 for failed frames", "[cli]") {
    TempDir dir;
    CHECK(runRender({"missing.kgraph"}, dir.path()).exitCode == 2);
    writeGraph(dir / "g.kgraph", "f/a.####.exr");
    CHECK(runRender({"-F", "5-1", "g.kgraph"}, dir.path()).exitCode == 2);
    CHECK(runRender({"-X", "Nope", "g.kgraph"}, dir.path()).exitCode == 2);
    auto bad = runRender({"--set", "C.color=red", "g.kgraph"}, dir.path());
    CHECK(bad.exitCode == 2);
    CHECK_THAT(bad.out, Catch::Contains("C.color"));
    std::ofstream(dir / "r.kgraph") << R"({"kinema":"graph","schema":1,"nodes":[
        {"type":"Read","version":1,"name":"Plate","params":{"file":"nothing.####.exr"}},
        {"type":"Write","version":1,"name":"W","params":{"file":"o/x.####.exr"}}],
        "connections":[{"from":"Plate","to":"W","input":"in"}]})";
    auto failed = runRender({"--cont", "-F", "1-2", "r.kgraph"}, dir.path());
    CHECK(failed.exitCode == 1);
    CHECK_THAT(failed.out, Catch::Contains("Plate (frame 1): frame 1 is missing"));
}

TEST_CASE("kill -9 during a render leaves no partial frame under a final name", "[cli][crash]") {
    TempDir dir;
    // Big uncompressed float frames make each write take long enough to be interrupted.
    writeGraph(dir / "g.kgraph", "k/big.####.exr", 2048, "float", "none");
    for (int attempt = 0; attempt < 3; ++attempt) {
        pid_t pid = spawnRender({"--threads", "2", "-F", "1-400", "g.kgraph"}, dir.path());
        REQUIRE(waitForFirstFrame(dir / "k"));
        // Kill at a different point of a frame's write each time.
        std::this_thread::sleep_for(std::chrono::milliseconds(50 + 130 * attempt));
        kill(pid, SIGKILL);
        waitpid(pid, nullptr, 0);
        for (auto& name : finalFiles(dir / "k")) {
            INFO(name);
            auto in = OIIO::ImageInput::open((dir / "k" / name).string());
            REQUIRE(in);
            std::vector<float> px(static_cast<std::size_t>(2048) * 2048 * 4);
            CHECK(in->read_image(0, 0, 0, -1, OIIO::TypeDesc::FLOAT, px.data()));
        }
    }
    // Resuming renders exactly the missing frames and sweeps the dead process's temporaries.
    const auto before = finalFiles(dir / "k").size();
    auto r = runRender({"--skip-existing", "--json", "-F", "1-" + std::to_string(before + 2), "g.kgraph"},
                       dir.path());
    REQUIRE(r.exitCode == 0);
    CHECK_THAT(r.out, Catch::Contains("\"skipped\":" + std::to_string(before)));
    for (auto& e : fs::directory_iterator(dir / "k"))
        CHECK_FALSE(kinema::graph::isPartialName(e.path().filename().string()));
}

TEST_CASE("SIGINT cancels cleanly with exit code 130", "[cli][signal]") {
    TempDir dir;
    writeGraph(dir / "g.kgraph", "s/big.####.exr", 2048, "float", "none");
    pid_t pid = spawnRender({"-F", "1-400", "g.kgraph"}, dir.path());
    REQUIRE(waitForFirstFrame(dir / "s"));
    kill(pid, SIGINT);
    int status = 0;
    waitpid(pid, &status, 0);
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 130);
    if (fs::exists(dir / "s"))
        for (auto& e : fs::directory_iterator(dir / "s"))
            CHECK_FALSE(kinema::graph::isPartialName(e.path().filename().string()));
}

TEST_CASE("kinema-render links no Qt, needs no OpenGL and runs without a display", "[cli][deps]") {
    TempDir dir;
    auto capture = [&](const std::string& cmd) {
        const std::string full = cmd + " > '" + (dir / "out.txt").string() + "' 2>&1";
        REQUIRE(std::system(full.c_str()) == 0);
        std::ifstream in(dir / "out.txt");
        std::stringstream ss;
        ss << in.rdbuf();
        return ss.str();
    };
    // No Qt library anywhere in the process, directly or through a dependency.
    const std::string all = capture("ldd '" KINEMA_RENDER_EXE "'");
    REQUIRE_THAT(all, Catch::Contains("libkinema_render"));
    CHECK_THAT(all, !Catch::Contains("libQt6"));
    // No OpenGL or windowing library among its own dependencies (system codec libraries may pull some in).
    const std::string needed = capture("readelf -d '" KINEMA_RENDER_EXE "' | grep NEEDED");
    for (const char* forbidden : {"libGL", "libOpenGL", "libEGL", "libX11", "libxcb"})
        CHECK_THAT(needed, !Catch::Contains(forbidden));
    // And it renders with no display at all.
    writeGraph(dir / "g.kgraph", "f/a.####.exr");
    capture("cd '" + dir.path().string() +
            "' && env -u DISPLAY -u WAYLAND_DISPLAY QT_QPA_PLATFORM= '" KINEMA_RENDER_EXE "' -F 1 g.kgraph");
    CHECK(fs::exists(dir / "f/a.0001.exr"));
}
