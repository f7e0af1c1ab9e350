// SPDX-License-Identifier: Apache-2.0
// Deterministic corrupt-file sweep: truncations and byte flips of small EXR, PNG and TIFF files. Every
// case must end in a clear error (an exception naming the file) or a valid decode; never a crash or hang.
#include <catch2/catch.hpp>

#include <chrono>
#include <fstream>
#include <random>

#include "IoTestSupport.h"
#include "TestSupport.h"
#include "io/ImageFileIO.h"

namespace fs = std::filesystem;
using kinema::test::IoHarness;
using kinema::test::makeTestImage;
using kinema::test::TempDir;

namespace {

void spit(const fs::path& p, const std::string& bytes) {
    std::ofstream(p, std::ios::binary | std::ios::trunc)
        .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

struct SweepStats {
    int errors = 0;
    int decodes = 0;
};

/// Reads a damaged file; any exception must be a std::exception whose message names the file.
void tryRead(const fs::path& file, SweepStats& stats) {
    kinema::nodes::ImageReadLimits limits;
    limits.maxPixels = 1 << 16; // the references are 24x16: a damaged header must not allocate more
    limits.maxDimension = 1 << 12;
    limits.maxBytes = 64 << 20;
    try {
        auto image = kinema::nodes::readImageFile(file, limits);
        ++stats.decodes;
    } catch (const std::exception& e) {
        ++stats.errors;
        const std::string what = e.what();
        if (what.find(file.filename().string()) == std::string::npos)
            FAIL("error without the file name: " << what);
    }
}

/// Writes the reference files: EXR in several compressions, PNG, TIFF (the fixtures from another writer
/// are added to them).
std::vector<fs::path> makeReferences(const fs::path& dir) {
    IoHarness h;
    auto image = makeTestImage({24, 16, 1.0, ""}, {0, 0, 24, 16}, {"diffuse.R"});
    auto& src = h.source("img", image);
    auto& write = h.add("Write");
    h.connect(src, write);
    std::vector<fs::path> files;
    for (const char* compression : {"none", "zip1", "piz", "rle", "dwaa", "b44"}) {
        const fs::path f = dir / (std::string("ref_") + compression + ".exr");
        h.set(write, "file", f.string());
        h.setEnum(write, "compression", compression);
        h.execute(write);
        files.push_back(f);
    }
    h.set(write, "file", (dir / "ref.png").string());
    h.execute(write);
    files.push_back(dir / "ref.png");
    h.set(write, "file", (dir / "ref.tif").string());
    h.execute(write);
    files.push_back(dir / "ref.tif");
    return files;
}

} // namespace

TEST_CASE("corrupt-file sweep: truncations and byte flips give errors or valid decodes", "[io][corrupt]") {
    TempDir dir("kinema-corrupt");
    auto refs = makeReferences(dir.path());
    for (const char* fixture : {"oiio_layers_piz.exr", "oiio_grey8.png", "oiio_rgb16.tif", "oiio_rgb10.dpx"})
        refs.push_back(kinema::test::fixturesDir() / "images" / fixture);
    std::mt19937 rng(20260521u); // fixed seed: the same cases every run
    const auto start = std::chrono::steady_clock::now();
    SweepStats total;
    for (const auto& ref : refs) {
        const std::string original = kinema::test::readFileBytes(ref);
        REQUIRE(original.size() > 64);
        SweepStats stats;
        const auto fileStart = std::chrono::steady_clock::now();
        const fs::path damaged = dir.path() / ("damaged" + ref.extension().string());
        // Truncations: every prefix length on a grid plus the last bytes.
        const std::size_t step = std::max<std::size_t>(1, original.size() / 40);
        for (std::size_t n = 0; n < original.size(); n += step)
            spit(damaged, original.substr(0, n)), tryRead(damaged, stats);
        for (std::size_t cut = 1; cut <= 8; ++cut)
            spit(damaged, original.substr(0, original.size() - cut)), tryRead(damaged, stats);
        // Byte flips anywhere (1–4 bytes) and concentrated on the header (first 400 bytes).
        for (int i = 0; i < 220; ++i) {
            std::string bytes = original;
            const bool header = i % 2 == 0;
            const std::size_t span = header ? std::min<std::size_t>(400, bytes.size()) : bytes.size();
            const int flips = 1 + static_cast<int>(rng() % 4);
            for (int k = 0; k < flips; ++k) {
                const std::size_t pos = rng() % span;
                bytes[pos] = static_cast<char>(rng() % 3 == 0 ? 0xff : bytes[pos] ^ (1 << (rng() % 8)));
            }
            spit(damaged, bytes);
            tryRead(damaged, stats);
        }
        const double fileSeconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - fileStart).count();
        WARN(ref.filename().string() << ": " << stats.errors << " errors, " << stats.decodes << " decodes, "
                                     << fileSeconds << " s");
        CHECK(stats.errors > 0);
        total.errors += stats.errors;
        total.decodes += stats.decodes;
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    WARN("corrupt sweep: " << total.errors << " errors, " << total.decodes << " valid decodes in " << seconds
                           << " s");
}
