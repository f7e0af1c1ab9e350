// SPDX-License-Identifier: Apache-2.0
#include "VideoTestSupport.h"

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

#include "TestSupport.h"
#include "kinema/color/Config.h"

namespace kinema::test {

bool haveFfmpegCli() {
    static const bool available = std::system("ffmpeg -hide_banner -version > /dev/null 2>&1") == 0;
    return available;
}

void runFfmpeg(const std::string& args) {
    const std::string command =
        "ffmpeg -hide_banner -loglevel error -nostdin -y " + args + " > /dev/null 2>&1";
    if (std::system(command.c_str()) != 0)
        throw std::runtime_error("command failed: " + command);
}

void makeRampClip(const std::filesystem::path& path, const std::string& encoderArgs, int frames) {
    const std::string source = "-f lavfi -i \"color=black:s=256x144:r=24,format=yuv444p,geq=lum='16+" +
                               std::to_string(kRampStep) + "*N':cb=128:cr=128\"";
    runFfmpeg(source + " -frames:v " + std::to_string(frames) + " " + encoderArgs +
              " -color_primaries bt709 -color_trc bt709 -colorspace bt709 -color_range tv"
              " -timecode 01:00:00:00 \"" +
              path.string() + "\"");
}

int rampFrameNumber(const render::Image& image) {
    const auto& w = image.dataWindow();
    const float v = image.sample("G", (w.x0 + w.x1) / 2, (w.y0 + w.y1) / 2);
    return static_cast<int>(std::lround(v * 219.0 / kRampStep));
}

bool identicalPixels(const render::Image& a, const render::Image& b) {
    if (!(a.dataWindow() == b.dataWindow()) || a.channelNames() != b.channelNames())
        return false;
    for (const auto& name : a.channelNames())
        if (std::memcmp(a.channel(name), b.channel(name), a.pixelCount() * sizeof(float)) != 0)
            return false;
    return true;
}

float maxDeviation(const render::Image& image, const std::string& channel, float value) {
    const float* p = image.channel(channel);
    float worst = 0.0f;
    for (std::size_t i = 0; i < image.pixelCount(); ++i)
        worst = std::max(worst, std::abs(p[i] - value));
    return worst;
}

PatternSource::PatternSource(graph::Format format, TestPixelFn fn)
    : ImageNode({"TestPatternSource", 1, "Test", ""})
    , m_format(std::move(format))
    , m_fn(std::move(fn)) {}

render::Hash128 PatternSource::hash(const render::EvalContext& ec) const {
    graph::Hasher h;
    h.append("TestPatternSource").append(ec.frame()).append(m_format.width).append(m_format.height);
    return h.finish();
}

render::ImagePtr PatternSource::compute(const render::EvalContext& ec) const {
    auto image = std::make_shared<render::Image>(m_format, m_format.displayWindow(), render::Image::rgba());
    float* r = image->channel("R");
    float* g = image->channel("G");
    float* b = image->channel("B");
    float* a = image->channel("A");
    for (int y = 0; y < m_format.height; ++y)
        for (int x = 0; x < m_format.width; ++x) {
            const TestPixel p = m_fn(x, y, ec.frame());
            const std::size_t i = static_cast<std::size_t>(y) * static_cast<std::size_t>(m_format.width) +
                                  static_cast<std::size_t>(x);
            r[i] = p.r * p.a;
            g[i] = p.g * p.a;
            b[i] = p.b * p.a;
            a[i] = p.a;
        }
    return image;
}

void useShippedColorConfig() {
    ::unsetenv("OCIO");
    color::setShippedConfigPath(resourcesDir() / "ocio" / "config.ocio");
}

VideoHarness::VideoHarness() {
    useShippedColorConfig();
}

void VideoHarness::execute(const render::OutputNode& node, double frame) {
    graph::Context context;
    context.frame = frame;
    context.fps = graph.settings().fps;
    render::EvalContext ec(evaluator, node, context);
    node.execute(ec);
}

render::ImagePtr VideoHarness::eval(const graph::Node& node, double frame) {
    graph::Context context;
    context.frame = frame;
    context.fps = graph.settings().fps;
    return evaluator.evaluate(node, context);
}

} // namespace kinema::test
