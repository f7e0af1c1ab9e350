// SPDX-License-Identifier: Apache-2.0
// VideoDecoder: stream information, frame-accurate random access that matches sequential decoding, and
// sequential access that never seeks. Clips come from the ffmpeg command-line tool.
#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>
#include <random>

#include "TestSupport.h"
#include "VideoTestSupport.h"
#include "io/FFmpegReader.h"

using namespace kinema;
using kinema::nodes::VideoDecoder;
using kinema::nodes::VideoError;

namespace {

struct ClipCase {
    const char* name;
    const char* file;
    const char* encoderArgs;
    const char* codec;
    bool colourTagged; ///< false where the ffmpeg tool writes no colour tags (its ProRes in MOV)
};

const ClipCase kCases[] = {
    {"H.264 long GOP with B-frames", "h264.mp4", "-c:v libx264 -pix_fmt yuv420p -g 12 -bf 3 -crf 12", "h264",
     true},
    {"H.265 open GOP", "h265.mp4", "-c:v libx265 -pix_fmt yuv420p10le -x265-params keyint=12:log-level=error",
     "hevc", true},
    {"ProRes 422 HQ", "prores.mov", "-c:v prores_ks -profile:v hq -pix_fmt yuv422p10le", "prores", false},
    {"DNxHR HQ in MXF", "dnxhr.mxf", "-c:v dnxhd -profile:v dnxhr_hq -pix_fmt yuv422p", "dnxhd", true},
};

void checkClip(const ClipCase& clip) {
    test::TempDir dir("kinema-video");
    const auto path = dir / clip.file;
    test::makeRampClip(path, clip.encoderArgs);

    std::vector<render::Image> sequential;
    {
        VideoDecoder decoder(path);
        const auto& info = decoder.info();
        CHECK(info.codec == clip.codec);
        CHECK(info.width == 256);
        CHECK(info.height == 144);
        CHECK(info.fpsNum == 24);
        CHECK(info.fpsDen == 1);
        REQUIRE(info.frameCount == test::kRampFrames);
        CHECK(info.colorPrimaries == (clip.colourTagged ? "bt709" : "unknown"));
        CHECK(info.colorTransfer == (clip.colourTagged ? "bt709" : "unknown"));
        CHECK(info.timecode == "01:00:00:00");
        for (std::int64_t n = 0; n < info.frameCount; ++n) {
            sequential.push_back(decoder.frame(n));
            INFO("frame " << n);
            CHECK(test::rampFrameNumber(sequential.back()) == n);
        }
        // One seek to the start, then straight decoding: sequential access never seeks.
        CHECK(decoder.stats().seeks == 1);
        CHECK(decoder.stats().convertedFrames == static_cast<std::uint64_t>(test::kRampFrames));
    }

    VideoDecoder decoder(path);
    std::vector<std::int64_t> order(test::kRampFrames);
    for (std::size_t i = 0; i < order.size(); ++i)
        order[i] = static_cast<std::int64_t>(i);
    std::mt19937 rng(1234);
    std::shuffle(order.begin(), order.end(), rng);
    // Add backwards steps, repeats, the last frame and the first frame.
    order.insert(order.end(), {35, 34, 33, 33, 0, 1, 2, 12, 11, 13, 24, 23, 35, 0});
    for (auto n : order) {
        INFO("random access to frame " << n);
        REQUIRE(test::identicalPixels(decoder.frame(n), sequential[static_cast<std::size_t>(n)]));
    }
    // Only requested frames are converted (a repeat is served from the last frame).
    CHECK(decoder.stats().convertedFrames < order.size());
}

} // namespace

TEST_CASE("video decoder: random access matches sequential decoding", "[video][decoder]") {
    if (!test::haveFfmpegCli()) {
        WARN("ffmpeg command-line tool not found: clip generation skipped");
        return;
    }
    for (const auto& clip : kCases) {
        SECTION(clip.name) {
            checkClip(clip);
        }
    }
}

TEST_CASE("video decoder: forward requests within a GOP decode without seeking", "[video][decoder]") {
    if (!test::haveFfmpegCli())
        return;
    test::TempDir dir("kinema-video");
    const auto path = dir / "gop.mp4";
    test::makeRampClip(path, "-c:v libx264 -pix_fmt yuv420p -g 12 -bf 2 -crf 12");
    VideoDecoder decoder(path);
    decoder.frame(1);
    const auto seeks = decoder.stats().seeks;
    decoder.frame(5); // same GOP: decode forward
    decoder.frame(9);
    CHECK(decoder.stats().seeks == seeks);
    decoder.frame(30); // keyframes in between: seek
    CHECK(decoder.stats().seeks == seeks + 1);
    CHECK(test::rampFrameNumber(decoder.frame(30)) == 30);
    // Frames skipped between requests are decoded but not converted.
    CHECK(decoder.stats().convertedFrames == 4);
}

TEST_CASE("video decoder: errors name the file", "[video][decoder]") {
    test::TempDir dir("kinema-video");
    const auto text = dir / "notvideo.mov";
    std::ofstream(text) << "this is not a movie";
    REQUIRE_THROWS_AS(VideoDecoder(text), VideoError);
    REQUIRE_THROWS_WITH(VideoDecoder(dir / "missing.mov"), Catch::Contains("missing.mov"));
    if (!test::haveFfmpegCli())
        return;
    const auto path = dir / "short.mov";
    test::makeRampClip(path, "-c:v prores_ks -pix_fmt yuv422p10le", 3);
    VideoDecoder decoder(path);
    CHECK_THROWS_AS(decoder.frame(3), VideoError);
    CHECK_THROWS_AS(decoder.frame(-1), VideoError);
    CHECK(test::rampFrameNumber(decoder.frame(2)) == 2);
}
