// SPDX-License-Identifier: Apache-2.0
#include <catch2/catch.hpp>

#include <fstream>
#include <sys/wait.h>
#include <unistd.h>

#include "TestSupport.h"
#include "kinema/graph/AtomicFile.h"

using namespace kinema::graph;
namespace fs = std::filesystem;

TEST_CASE("atomic writes replace files and keep a backup", "[atomic]") {
    kinema::test::TempDir dir;
    writeFileAtomically(dir / "a.txt", "first");
    writeFileAtomically(dir / "a.txt", "second", ".bak");
    CHECK(readFile(dir / "a.txt", 100) == "second");
    CHECK(readFile(dir / "a.txt.bak", 100) == "first");
    int entries = 0;
    for (auto& e : fs::directory_iterator(dir.path()))
        entries += isPartialName(e.path().filename().string()) ? 100 : 1;
    CHECK(entries == 2);
}

TEST_CASE("an uncommitted writer leaves nothing behind and never the final name", "[atomic]") {
    kinema::test::TempDir dir;
    {
        AtomicFileWriter w(dir / "frame.0001.exr");
        std::ofstream(w.tempPath()) << "half";
        CHECK(isPartialName(w.tempPath().filename().string()));
        CHECK(w.tempPath().filename().string().find(".exr.") != std::string::npos);
    }
    CHECK(fs::is_empty(dir.path()));
}

TEST_CASE("temporaries of dead processes are swept, live ones kept", "[atomic]") {
    kinema::test::TempDir dir;
    pid_t child = fork();
    if (child == 0)
        _exit(0);
    waitpid(child, nullptr, 0);
    std::ofstream(dir / (".shot.0001.exr." + std::to_string(child) + ".0.partial")) << "x";
    std::ofstream(dir / (".shot.0002.exr." + std::to_string(getppid()) + ".0.partial")) << "x";
    CHECK(sweepStalePartials(dir.path()) == 1);
    CHECK(fs::exists(dir / (".shot.0002.exr." + std::to_string(getppid()) + ".0.partial")));
}

TEST_CASE("reading enforces a size limit and names the file", "[atomic]") {
    kinema::test::TempDir dir;
    writeFileAtomically(dir / "big", std::string(1000, 'x'));
    CHECK_THROWS_WITH(readFile(dir / "big", 10), Catch::Contains("big: file is larger"));
}
