// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Helpers for the video tests: test clips made by the ffmpeg command-line tool (an encoder independent of
/// Kinema's writer), frame identification from burnt-in grey levels, and pixel comparison.
#include <filesystem>
#include <functional>
#include <string>

#include "kinema/graph/Graph.h"
#include "kinema/render/ComputeCache.h"
#include "kinema/render/Evaluator.h"
#include "kinema/render/Image.h"
#include "kinema/render/ImageNode.h"

namespace kinema::test {

/// True when the `ffmpeg` command-line tool runs.
bool haveFfmpegCli();
/// Runs `ffmpeg -y <args>` quietly; throws std::runtime_error with the command line when it fails.
void runFfmpeg(const std::string& args);

/// Frame N of a grey-ramp clip has luma code 16 + kRampStep·N (8-bit terms, limited range), i.e. the
/// display-encoded value kRampStep·N/219 in R, G and B.
constexpr int kRampStep = 6;
constexpr int kRampFrames = 36;
/// Encodes a 256×144, 24 fps grey-ramp clip of `frames` frames with the given encoder arguments
/// (e.g. "-c:v libx264 -g 12 -bf 3") to `path`. Tagged BT.709, timecode 01:00:00:00.
void makeRampClip(const std::filesystem::path& path, const std::string& encoderArgs,
                  int frames = kRampFrames);
/// The ramp frame number encoded in an image (from its centre pixel), rounded.
int rampFrameNumber(const render::Image& image);

/// True when both images have the same window, channels and bit-identical pixels.
bool identicalPixels(const render::Image& a, const render::Image& b);
/// Largest absolute difference of a channel from `value` over the data window.
float maxDeviation(const render::Image& image, const std::string& channel, float value);

/// Straight (unpremultiplied) colour and alpha of a test pixel at (x, y) on a frame.
struct TestPixel {
    float r, g, b, a;
};
using TestPixelFn = std::function<TestPixel(int x, int y, double frame)>;

/// A test source: an RGBA image of `format` whose premultiplied pixels come from a function of the frame.
class PatternSource : public render::ImageNode {
public:
    PatternSource(graph::Format format, TestPixelFn fn);
    render::Hash128 hash(const render::EvalContext& ec) const override;
    render::ImagePtr compute(const render::EvalContext& ec) const override;

private:
    graph::Format m_format;
    TestPixelFn m_fn;
};

/// Points the colour module at the source tree's shipped config and clears $OCIO.
void useShippedColorConfig();

/// A graph with an evaluator, for driving nodes as a render would.
struct VideoHarness {
    VideoHarness();
    /// Runs node.execute() for one frame.
    void execute(const render::OutputNode& node, double frame);
    render::ImagePtr eval(const graph::Node& node, double frame);

    graph::Graph graph;
    render::ComputeCache cache{std::size_t(1) << 28};
    render::Evaluator evaluator{cache};
};

} // namespace kinema::test
