// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Video encoding through FFmpeg (libavformat/libavcodec; FFmpeg types stay in the .cpp).
///
/// Design note: a VideoEncoder writes one clip, frame after frame, to the path it is given (the caller
/// passes a temporary name and renames it once finish() returned). Every packet gets its duration, so MP4
/// edit lists keep the last frame and the frame rate comes out exact. Streams are tagged BT.709 (primaries,
/// transfer, matrix, limited range) and carry a QuickTime timecode track when a start timecode is given.
/// Pixels arrive as planar Y'CbCr already converted by rgbToYuv() in the layout that yuvLayout() names.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "VideoPixels.h"

namespace kinema::nodes {

enum class VideoCodec {
    ProResHQ,   ///< prores_ks profile HQ, 4:2:2 10-bit, MOV
    ProRes4444, ///< prores_ks profile 4444, 4:4:4 10-bit with 16-bit alpha, MOV
    H264,       ///< libx264, 4:2:0 8-bit, MP4 (or MOV)
    H265,       ///< libx265, 4:2:0 10-bit when the library supports it, MP4 (or MOV)
};

struct VideoEncoderSettings {
    VideoCodec codec = VideoCodec::ProResHQ;
    int width = 0;
    int height = 0;
    int fpsNum = 24;
    int fpsDen = 1;
    std::string container = "mov"; ///< "mov" or "mp4"
    std::string timecode;          ///< start timecode "HH:MM:SS:FF" (";" for drop-frame); empty: none
    int crf = 18;                  ///< constant rate factor for H.264/H.265
};

/// Whether the codec stores alpha.
bool codecHasAlpha(VideoCodec codec);
/// The Y'CbCr layout the encoder expects for a codec (BT.709, limited range).
YuvLayout yuvLayout(VideoCodec codec);
/// Frame rate as a rational: NTSC rates (23.976, 29.97, 59.94...) become n*1000/1001.
void fpsToRational(double fps, int& num, int& den);

class VideoEncoder {
public:
    /// Opens the encoder and writes the container header to `path`. `displayName` names the clip in
    /// messages. Throws std::runtime_error naming it and the cause.
    VideoEncoder(const std::filesystem::path& path, std::string displayName,
                 const VideoEncoderSettings& settings);
    /// Frees everything; an unfinished file is left as is (its owner deletes the temporary).
    ~VideoEncoder();
    VideoEncoder(const VideoEncoder&) = delete;
    VideoEncoder& operator=(const VideoEncoder&) = delete;

    /// Encodes the next frame (its size and layout must match the settings).
    void append(const YuvImage& frame);
    /// Drains the encoder, writes the trailer and closes the file.
    void finish();
    std::int64_t framesWritten() const;
    const VideoEncoderSettings& settings() const;

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

} // namespace kinema::nodes
