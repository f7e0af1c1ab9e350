// SPDX-License-Identifier: Apache-2.0
#include "VideoTestSupport.h"

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

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

} // namespace kinema::test
