// SPDX-License-Identifier: Apache-2.0
// Corrupt-file sweep: truncated and byte-flipped MOV (ProRes) and MP4 (H.264) clips must give errors or
// frames, never crashes or hangs.
#include <catch2/catch.hpp>

#include <fstream>
#include <random>

#include "TestSupport.h"
#include "VideoTestSupport.h"
#include "io/FFmpegReader.h"
#include "io/FFmpegWriter.h"

namespace fs = std::filesystem;
using namespace kinema;

namespace {

constexpr int kFrames = 12;

/// A small clip written by Kinema's encoder: a diagonal ramp that changes per frame.
std::string makeClip(const fs::path& path, nodes::VideoCodec codec, const std::string& container) {
    nodes::VideoEncoderSettings settings;
    settings.codec = codec;
    settings.width = 64;
    settings.height = 36;
    settings.container = container;
    settings.timecode = "01:00:00:00";
    nodes::VideoEncoder encoder(path, path.string(), settings);
    std::vector<float> r(64 * 36), g(64 * 36), b(64 * 36), a(64 * 36, 1.0f);
    for (int f = 0; f < kFrames; ++f) {
        for (int y = 0; y < 36; ++y)
            for (int x = 0; x < 64; ++x) {
                const std::size_t i = static_cast<std::size_t>(y * 64 + x);
                r[i] = static_cast<float>((x + f * 4) % 64) / 63.0f;
                g[i] = static_cast<float>(y) / 35.0f;
                b[i] = static_cast<float>(f) / kFrames;
            }
        encoder.append(
            nodes::rgbToYuv({r.data(), g.data(), b.data(), a.data(), 64}, 64, 36, nodes::yuvLayout(codec)));
    }
    encoder.finish();
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

void writeBytes(const fs::path& path, const std::string& bytes) {
    std::ofstream(path, std::ios::binary | std::ios::trunc)
        .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

/// Opens and decodes a damaged file the way a viewer would. Returns true when everything asked for decoded.
bool exercise(const fs::path& path) {
    try {
        nodes::VideoDecoder decoder(path);
        const std::int64_t count = std::min<std::int64_t>(decoder.info().frameCount, 48);
        for (std::int64_t n : {count - 1, std::int64_t{0}, count / 2})
            decoder.frame(n);
        for (std::int64_t n = 0; n < std::min<std::int64_t>(count, kFrames); ++n)
            decoder.frame(n);
        return true;
    } catch (const nodes::VideoError&) {
        return false;
    } catch (const std::exception& e) {
        FAIL("unexpected exception type: " << e.what());
        return false;
    }
}

struct SweepResult {
    int variants = 0;
    int failures = 0;
};

SweepResult sweep(const fs::path& dir, const std::string& name, const std::string& good, std::uint32_t seed) {
    SweepResult result;
    const fs::path path = dir / name;
    auto run = [&](const std::string& bytes) {
        writeBytes(path, bytes);
        ++result.variants;
        if (!exercise(path))
            ++result.failures;
    };
    // Truncations, from empty to one byte short.
    const std::size_t size = good.size();
    for (std::size_t cut :
         {std::size_t{0}, std::size_t{1}, std::size_t{8}, std::size_t{32}, std::size_t{100}, std::size_t{512},
          size / 8, size / 4, size / 2, size * 3 / 4, size - 100, size - 1}) {
        INFO(name << " truncated to " << cut << " bytes");
        run(good.substr(0, cut));
    }
    // Byte flips: in the headers at either end (MP4/MOV indexes sit at the end), and anywhere.
    std::mt19937 rng(seed);
    for (int variant = 0; variant < 150; ++variant) {
        std::string bytes = good;
        const int flips = 1 + variant % 8;
        for (int i = 0; i < flips; ++i) {
            std::size_t pos;
            switch (variant % 3) {
            case 0:
                pos = rng() % std::min<std::size_t>(size, 4096);
                break;
            case 1:
                pos = size - 1 - rng() % std::min<std::size_t>(size, 4096);
                break;
            default:
                pos = rng() % size;
            }
            bytes[pos] = static_cast<char>(bytes[pos] ^ static_cast<char>(1 + rng() % 255));
        }
        INFO(name << " byte-flip variant " << variant);
        run(bytes);
    }
    return result;
}

} // namespace

TEST_CASE("video corrupt-file sweep: errors, never crashes", "[video][corrupt]") {
    test::TempDir dir("kinema-video-corrupt");
    struct Clip {
        const char* name;
        nodes::VideoCodec codec;
        const char* container;
    };
    for (const Clip& clip : {Clip{"clip.mov", nodes::VideoCodec::ProResHQ, "mov"},
                             Clip{"clip.mp4", nodes::VideoCodec::H264, "mp4"}}) {
        const fs::path source = dir / (std::string("good_") + clip.name);
        const std::string good = makeClip(source, clip.codec, clip.container);
        REQUIRE(exercise(source));
        const SweepResult result = sweep(dir.path(), clip.name, good, 20261122u);
        INFO(clip.name << ": " << result.failures << " of " << result.variants << " damaged files refused");
        CHECK(result.variants == 162);
        // Every truncation below the container header fails, and damage to the index is noticed often.
        CHECK(result.failures >= 6);
    }
}

TEST_CASE("video corrupt-file sweep: truncated files fail with the file name", "[video][corrupt]") {
    test::TempDir dir("kinema-video-corrupt");
    const std::string good = makeClip(dir / "good.mov", nodes::VideoCodec::ProResHQ, "mov");
    const fs::path cut = dir / "cut.mov";
    writeBytes(cut, good.substr(0, 100));
    CHECK_THROWS_WITH(nodes::VideoDecoder(cut), Catch::Contains("cut.mov"));
    writeBytes(cut, "");
    CHECK_THROWS_WITH(nodes::VideoDecoder(cut), Catch::Contains("cut.mov"));
}
