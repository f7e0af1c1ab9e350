// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Frame-accurate video decoding through FFmpeg (libavformat/libavcodec; FFmpeg types stay in the .cpp).
///
/// Design note: a VideoDecoder opens one file and serves frame(n) requests, n counted from 0 in
/// presentation order. Frames are identified by their presentation timestamp, never by counting packets,
/// so B-frame reordering, open GOPs and edit lists do not shift frames. A request after the last decoded
/// frame decodes forward when no keyframe lies between (sequential playback never seeks); otherwise it
/// seeks to the nearest keyframe at or before the frame (backing off further when a container's index
/// lands too late) and decodes forward, converting only the requested frame to float. The last frame is
/// kept, so repeated requests cost nothing. Not thread-safe: callers serialise access.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>

#include "kinema/render/Image.h"

namespace kinema::nodes {

/// Failure to open or decode a video file; the message names the file and the cause.
class VideoError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// What a video stream declares. Colour tags use FFmpeg's names ("bt709", "smpte170m", "tv", "pc");
/// "unknown" when the file does not say.
struct VideoStreamInfo {
    int width = 0;
    int height = 0;
    double pixelAspect = 1.0;
    int fpsNum = 0; ///< frame rate as a rational, e.g. 24000/1001
    int fpsDen = 1;
    std::int64_t frameCount = 0;
    std::string container;   ///< demuxer name, e.g. "mov,mp4,m4a,3gp,3g2,mj2"
    std::string codec;       ///< e.g. "prores", "h264", "hevc", "dnxhd"
    std::string profile;     ///< e.g. "HQ", "4444", "High", "Main 10"; empty when unknown
    std::string codecTag;    ///< container fourcc, e.g. "apch", "avc1", "hvc1"; empty when none
    std::string pixelFormat; ///< e.g. "yuv422p10le"
    int bitDepth = 8;
    bool hasAlpha = false;
    std::string colorPrimaries = "unknown";
    std::string colorTransfer = "unknown";
    std::string colorMatrix = "unknown";
    std::string colorRange = "unknown";
    std::string timecode; ///< of the first frame ("01:00:00:00"), empty when none

    double fps() const { return fpsDen ? static_cast<double>(fpsNum) / fpsDen : 0.0; }
};

/// Limits checked before any frame memory is allocated.
struct VideoReadLimits {
    int maxDimension = 1 << 15;
    std::int64_t maxPixels = std::int64_t(1) << 27;
};

class VideoDecoder {
public:
    /// Opens the file and its best video stream. Throws VideoError naming the file and the cause.
    explicit VideoDecoder(const std::filesystem::path& path, const VideoReadLimits& limits = {});
    ~VideoDecoder();
    VideoDecoder(const VideoDecoder&) = delete;
    VideoDecoder& operator=(const VideoDecoder&) = delete;

    const VideoStreamInfo& info() const;
    const std::filesystem::path& path() const;

    /// Frame n (0-based, presentation order) as display-encoded, straight (unpremultiplied) float R, G, B, A
    /// planes over a width×height data window; A is 1 when the stream has no alpha. Throws VideoError for a
    /// frame outside [0, frameCount) or one that cannot be decoded.
    render::Image frame(std::int64_t n);

    struct Stats {
        std::uint64_t seeks = 0;         ///< container seeks performed
        std::uint64_t decodedFrames = 0; ///< frames that came out of the decoder
        std::uint64_t convertedFrames = 0;
    };
    const Stats& stats() const;

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

/// "HH:MM:SS:FF" (";" before FF for drop-frame) of `frameOffset` frames after `start` at `fps` (rounded
/// up to whole frames per second); empty when `start` is empty or invalid.
std::string offsetTimecode(const std::string& start, std::int64_t frameOffset, int fpsNum, int fpsDen);

} // namespace kinema::nodes
