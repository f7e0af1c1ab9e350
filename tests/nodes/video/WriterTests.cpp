// SPDX-License-Identifier: Apache-2.0
// WriteVideo and ReadVideo: clips written through the node are read back with the decoder (frame count,
// rate, colour tags, timecode, pixels within codec tolerance) and through ReadVideo into the working space;
// the session contract (out-of-order frames, finalisation, killed renders) is checked on disk.
#include <catch2/catch.hpp>

#include <cmath>
#include <csignal>
#include <sys/wait.h>
#include <unistd.h>

#include "TestSupport.h"
#include "VideoTestSupport.h"
#include "io/FFmpegReader.h"
#include "io/VideoRead.h"
#include "io/VideoWrite.h"
#include "kinema/graph/AtomicFile.h"

using namespace kinema;
namespace fs = std::filesystem;

namespace {

constexpr int kFirst = 1001;
constexpr int kLast = 1024;

/// Scene-linear grey of the left half on a frame; the right half is half as bright.
float greyAt(double frame) {
    return 0.02f + 0.035f * static_cast<float>(frame - kFirst);
}

/// Display encoding of a neutral scene-linear value in the shipped config (colorimetric view, BT.1886
/// EOTF with L = V^2.4): V = L^(1/2.4).
float rec1886(float linear) {
    return std::pow(std::max(linear, 0.0f), 1.0f / 2.4f);
}

struct Setup {
    test::VideoHarness harness;
    nodes::WriteVideo* writer = nullptr;
    graph::Node* source = nullptr;

    Setup(const fs::path& file, const std::string& codec, float rightAlpha, int width = 128,
          int height = 72) {
        graph::ProjectSettings settings = harness.graph.settings();
        settings.frameStart = kFirst;
        settings.frameEnd = kLast;
        settings.fps = 24.0;
        settings.format = graph::Format{width, height, 1.0, {}};
        harness.graph.setSettings(settings);
        const int half = width / 2;
        source = &harness.graph.addNode(std::make_unique<test::PatternSource>(
            settings.format, [half, rightAlpha](int x, int, double frame) {
                const float v = greyAt(frame);
                return x < half ? test::TestPixel{v, v, v, 1.0f}
                                : test::TestPixel{v / 2, v / 2, v / 2, rightAlpha};
            }));
        auto& node = harness.graph.addNode(std::make_unique<nodes::WriteVideo>());
        writer = static_cast<nodes::WriteVideo*>(&node);
        writer->param("file").setValue(file.string());
        writer->param("codec").setValue(writer->param("codec").enumIndex(codec));
        harness.graph.connect(*source, node, 0);
    }
};

std::vector<std::int64_t> allFrames() {
    std::vector<std::int64_t> frames;
    for (int f = kFirst; f <= kLast; ++f)
        frames.push_back(f);
    return frames;
}

int partialCount(const fs::path& dir) {
    int n = 0;
    for (auto& entry : fs::directory_iterator(dir))
        n += graph::isPartialName(entry.path().filename().string()) ? 1 : 0;
    return n;
}

struct CodecCase {
    const char* codec;
    const char* file;
    const char* decodedCodec;
    const char* pixelFormat;
    const char* profile;
    const char* tag;
    float tolerance; // display-encoded units
    bool alpha;
};

void roundTrip(const CodecCase& c) {
    test::TempDir dir("kinema-video");
    const fs::path path = dir / c.file;
    Setup setup(path, c.codec, c.alpha ? 0.5f : 1.0f);

    // Frames arrive as a parallel render delivers them: in pairs out of order, one long overtake.
    const auto frames = allFrames();
    setup.writer->beginSequence(frames);
    std::vector<std::int64_t> order;
    for (std::size_t i = 0; i + 1 < frames.size(); i += 2)
        order.insert(order.end(), {frames[i + 1], frames[i]});
    std::swap(order[3], order[9]);
    for (std::size_t i = 0; i < order.size(); ++i) {
        setup.harness.execute(*setup.writer, static_cast<double>(order[i]));
        if (i + 1 < order.size())
            REQUIRE_FALSE(fs::exists(path)); // never visible under its final name before the end
    }
    setup.writer->endSequence(true);
    REQUIRE(fs::exists(path));
    CHECK(partialCount(dir.path()) == 0);
    CHECK_FALSE(setup.writer->sessionOpen());

    nodes::VideoDecoder decoder(path);
    const auto& info = decoder.info();
    CHECK(info.codec == c.decodedCodec);
    CHECK(info.pixelFormat == c.pixelFormat);
    CHECK(info.profile == c.profile);
    CHECK(info.codecTag == c.tag);
    CHECK(info.width == 128);
    CHECK(info.height == 72);
    CHECK(info.frameCount == 24);
    CHECK(info.fpsNum == 24);
    CHECK(info.fpsDen == 1);
    CHECK(info.colorPrimaries == "bt709");
    CHECK(info.colorTransfer == "bt709");
    CHECK(info.colorMatrix == "bt709");
    CHECK(info.colorRange == "tv");
    CHECK(info.timecode == "00:00:41:17"); // frame 1001 at 24 fps
    CHECK(info.hasAlpha == c.alpha);
    for (std::int64_t n = 0; n < info.frameCount; ++n) {
        INFO("frame " << n);
        const render::Image image = decoder.frame(n);
        const float v = greyAt(static_cast<double>(kFirst + n));
        for (const char* ch : {"R", "G", "B"}) {
            CHECK(std::abs(image.sample(ch, 16, 36) - rec1886(v)) <= c.tolerance);
            CHECK(std::abs(image.sample(ch, 112, 36) - rec1886(v / 2)) <= c.tolerance);
        }
        CHECK(std::abs(image.sample("A", 112, 36) - (c.alpha ? 0.5f : 1.0f)) <= 0.002f);
    }

    // ReadVideo brings it back into the working space, premultiplied, on the project's frames.
    auto& readNode = setup.harness.graph.addNode(std::make_unique<nodes::ReadVideo>());
    readNode.param("file").setValue(path.string());
    const auto range = setup.harness.evaluator.frameRange(readNode);
    REQUIRE(range);
    CHECK(range->first == kFirst);
    CHECK(range->last == kLast);
    for (double frame : {1001.0, 1010.0, 1024.0}) {
        INFO("project frame " << frame);
        auto image = setup.harness.eval(readNode, frame);
        const float v = greyAt(frame);
        const float a = image->sample("A", 112, 36);
        CHECK(std::abs(a - (c.alpha ? 0.5f : 1.0f)) <= 0.002f);
        CHECK(std::abs(rec1886(image->sample("G", 16, 36)) - rec1886(v)) <= c.tolerance + 0.002f);
        CHECK(std::abs(rec1886(image->sample("G", 112, 36) / a) - rec1886(v / 2)) <= c.tolerance + 0.002f);
        CHECK(std::get<std::string>(image->metadata().at("input/timecode")) ==
              nodes::offsetTimecode("00:00:41:17", static_cast<std::int64_t>(frame) - kFirst, 24, 1));
    }
    // Outside the clip the ends hold by default.
    CHECK(test::identicalPixels(*setup.harness.eval(readNode, 990.0), *setup.harness.eval(readNode, 1001.0)));
    CHECK(setup.harness.evaluator.hash(readNode, graph::Context{}.withFrame(2000.0)) ==
          setup.harness.evaluator.hash(readNode, graph::Context{}.withFrame(1024.0)));
}

} // namespace

TEST_CASE("video writer: 24-frame round trip per codec", "[video][writer]") {
    const CodecCase cases[] = {
        {"prores_hq", "clip_hq.mov", "prores", "yuv422p10le", "HQ", "apch", 0.006f, false},
        {"prores_4444", "clip_4444.mov", "prores", "yuva444p12le", "4444", "ap4h", 0.006f, true},
        {"h264", "clip.mp4", "h264", "yuv420p", "High", "avc1", 0.012f, false},
        {"h265", "clip_hevc.mp4", "hevc", "yuv420p10le", "Main 10", "hvc1", 0.008f, false},
    };
    for (const auto& c : cases) {
        SECTION(c.codec) {
            roundTrip(c);
        }
    }
}

TEST_CASE("video writer: in-order frames without a sequence, timecode and NTSC rate", "[video][writer]") {
    test::TempDir dir("kinema-video");
    const fs::path path = dir / "ntsc.mp4";
    Setup setup(path, "h264", 1.0f, 64, 36);
    auto settings = setup.harness.graph.settings();
    settings.fps = 23.976;
    settings.frameEnd = kFirst + 4;
    setup.harness.graph.setSettings(settings);
    setup.writer->param("timecode").setValue(std::string("01:00:00:00"));
    for (int f = kFirst; f < kFirst + 4; ++f)
        setup.harness.execute(*setup.writer, f);
    CHECK(setup.writer->sessionOpen());
    CHECK_FALSE(fs::exists(path));
    CHECK_THROWS_WITH(setup.harness.execute(*setup.writer, kFirst + 1), Catch::Contains("increasing order"));
    // The error ended the session and removed its temporary.
    CHECK_FALSE(setup.writer->sessionOpen());
    CHECK(partialCount(dir.path()) == 0);

    for (int f = kFirst; f <= kFirst + 4; ++f) // the last frame of the project range finalises
        setup.harness.execute(*setup.writer, f);
    REQUIRE(fs::exists(path));
    nodes::VideoDecoder decoder(path);
    CHECK(decoder.info().frameCount == 5);
    CHECK(decoder.info().fpsNum == 24000);
    CHECK(decoder.info().fpsDen == 1001);
    CHECK(decoder.info().timecode == "01:00:00:00");

    // finish() ends a partial range early.
    const fs::path early = dir / "early.mov";
    setup.writer->param("file").setValue(early.string());
    setup.writer->param("codec").setValue(setup.writer->param("codec").enumIndex("prores_hq"));
    setup.harness.execute(*setup.writer, kFirst);
    setup.harness.execute(*setup.writer, kFirst + 1);
    setup.writer->finish();
    REQUIRE(fs::exists(early));
    CHECK(nodes::VideoDecoder(early).info().frameCount == 2);
}

TEST_CASE("video writer: invalid settings and abandoned sequences leave no file", "[video][writer]") {
    test::TempDir dir("kinema-video");
    {
        Setup setup(dir / "wrong.mp4", "prores_hq", 1.0f);
        CHECK_THROWS_WITH(setup.harness.execute(*setup.writer, kFirst), Catch::Contains(".mov"));
    }
    {
        Setup setup(dir / "odd.mp4", "h264", 1.0f, 65, 37);
        CHECK_THROWS_WITH(setup.harness.execute(*setup.writer, kFirst), Catch::Contains("odd.mp4"));
    }
    {
        Setup setup(dir / "abandoned.mov", "prores_hq", 1.0f);
        setup.writer->beginSequence(allFrames());
        for (int f = kFirst; f < kFirst + 5; ++f)
            setup.harness.execute(*setup.writer, f);
        CHECK(partialCount(dir.path()) == 1);
        setup.writer->endSequence(false); // a frame failed or the render was cancelled
        CHECK(partialCount(dir.path()) == 0);
    }
    {
        Setup setup(dir / "short.mov", "prores_hq", 1.0f);
        setup.writer->beginSequence(allFrames());
        setup.harness.execute(*setup.writer, kFirst);
        CHECK_THROWS_WITH(setup.writer->endSequence(true), Catch::Contains("1 of 24"));
        CHECK(partialCount(dir.path()) == 0);
    }
    CHECK(fs::is_empty(dir.path()));
}

TEST_CASE("video writer: a killed render leaves no file under the final name", "[video][writer]") {
    test::TempDir dir("kinema-video");
    const fs::path path = dir / "killed.mov";
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        ::alarm(60);
        try {
            Setup setup(path, "prores_hq", 1.0f);
            setup.writer->beginSequence(allFrames());
            for (int f = kFirst; f < kFirst + 10; ++f)
                setup.harness.execute(*setup.writer, f);
            ::raise(SIGKILL); // killed mid-render, with the session open
        } catch (...) {
            ::_exit(3);
        }
        ::_exit(4);
    }
    int status = 0;
    REQUIRE(::waitpid(child, &status, 0) == child);
    REQUIRE(WIFSIGNALED(status));
    CHECK(WTERMSIG(status) == SIGKILL);
    CHECK_FALSE(fs::exists(path));
    CHECK(partialCount(dir.path()) == 1); // the killed writer's temporary, which a later render sweeps
    CHECK(graph::sweepStalePartials(dir.path()) == 1);
    CHECK(fs::is_empty(dir.path()));
}
