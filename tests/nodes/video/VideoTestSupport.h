// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Helpers for the video tests: test clips made by the ffmpeg command-line tool (an encoder independent of
/// Kinema's writer), frame identification from burnt-in grey levels, and pixel comparison.
#include <filesystem>
#include <string>

#include "kinema/render/Image.h"

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

} // namespace kinema::test
