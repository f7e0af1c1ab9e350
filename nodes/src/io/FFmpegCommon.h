// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Small helpers shared by the FFmpeg reader and writer: owning handles and error text. Include only
/// from .cpp files (it pulls in FFmpeg headers).
#include <memory>
#include <string>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/error.h>
}

namespace kinema::nodes::ffmpeg {

struct PacketDeleter {
    void operator()(AVPacket* p) const { av_packet_free(&p); }
};
struct FrameDeleter {
    void operator()(AVFrame* f) const { av_frame_free(&f); }
};
struct CodecContextDeleter {
    void operator()(AVCodecContext* c) const { avcodec_free_context(&c); }
};
using PacketPtr = std::unique_ptr<AVPacket, PacketDeleter>;
using FramePtr = std::unique_ptr<AVFrame, FrameDeleter>;
using CodecContextPtr = std::unique_ptr<AVCodecContext, CodecContextDeleter>;

/// FFmpeg's text for an error code.
inline std::string errorText(int code) {
    char buffer[AV_ERROR_MAX_STRING_SIZE] = {};
    av_strerror(code, buffer, sizeof buffer);
    return buffer;
}

/// Silences FFmpeg's own console logging (errors are reported through exceptions). Idempotent.
void quietLogging();

} // namespace kinema::nodes::ffmpeg
