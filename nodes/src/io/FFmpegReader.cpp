// SPDX-License-Identifier: Apache-2.0
#include "FFmpegReader.h"

#include <algorithm>
#include <cstring>
#include <limits>

#include "FFmpegCommon.h"
#include "VideoPixels.h"

extern "C" {
#include <libavutil/imgutils.h>
#include <libavutil/pixdesc.h>
#include <libavutil/timecode.h>
#include <libswscale/swscale.h>
}

namespace kinema::nodes {

using namespace ffmpeg;

namespace {

/// Forward decoding without an index is preferred over a seek up to this many frames.
constexpr std::int64_t kMaxBlindForwardFrames = 64;

std::string nameOr(const char* name) {
    return name ? std::string(name) : std::string("unknown");
}

/// The planar Y'CbCr layout of a pixel format, when yuvToRgb can read it directly.
bool planarYuvLayout(AVPixelFormat format, YuvLayout& layout) {
    const AVPixFmtDescriptor* d = av_pix_fmt_desc_get(format);
    if (!d || !(d->flags & AV_PIX_FMT_FLAG_PLANAR) || (d->flags & AV_PIX_FMT_FLAG_RGB) ||
        (d->flags & AV_PIX_FMT_FLAG_BE) || (d->flags & AV_PIX_FMT_FLAG_FLOAT) ||
        (d->flags & AV_PIX_FMT_FLAG_PAL) || (d->flags & AV_PIX_FMT_FLAG_BITSTREAM) ||
        (d->flags & AV_PIX_FMT_FLAG_HWACCEL))
        return false;
    if (d->nb_components != 3 && d->nb_components != 4)
        return false;
    const int depth = d->comp[0].depth;
    const int bytes = depth > 8 ? 2 : 1;
    for (int c = 0; c < d->nb_components; ++c)
        if (d->comp[c].plane != c || d->comp[c].depth != depth || d->comp[c].shift != 0 ||
            d->comp[c].offset != 0 || d->comp[c].step != bytes)
            return false;
    if (depth < 8 || depth > 16 || d->log2_chroma_w > 1 || d->log2_chroma_h > 1)
        return false;
    layout.bitDepth = depth;
    layout.chromaShiftX = d->log2_chroma_w;
    layout.chromaShiftY = d->log2_chroma_h;
    layout.hasAlpha = d->nb_components == 4;
    layout.fullRange = std::strncmp(d->name, "yuvj", 4) == 0;
    return true;
}

YuvMatrix matrixFor(AVColorSpace space, int height) {
    switch (space) {
    case AVCOL_SPC_BT709:
        return YuvMatrix::bt709();
    case AVCOL_SPC_BT470BG:
    case AVCOL_SPC_SMPTE170M:
    case AVCOL_SPC_FCC:
        return YuvMatrix::bt601();
    case AVCOL_SPC_BT2020_NCL:
    case AVCOL_SPC_BT2020_CL:
        return YuvMatrix::bt2020();
    default:
        // Untagged: FFmpeg's and players' convention is BT.601 for SD and BT.709 above.
        return height > 576 ? YuvMatrix::bt709() : YuvMatrix::bt601();
    }
}

int swsColorspace(const YuvMatrix& m) {
    if (m.kr == YuvMatrix::bt709().kr)
        return SWS_CS_ITU709;
    if (m.kr == YuvMatrix::bt2020().kr)
        return SWS_CS_BT2020;
    return SWS_CS_ITU601;
}

struct FormatContextDeleter {
    void operator()(AVFormatContext* f) const { avformat_close_input(&f); }
};
struct SwsDeleter {
    void operator()(SwsContext* s) const { sws_freeContext(s); }
};

} // namespace

struct VideoDecoder::Impl {
    std::filesystem::path path;
    std::string file; // for messages
    VideoStreamInfo info;
    Stats stats;

    std::unique_ptr<AVFormatContext, FormatContextDeleter> format;
    CodecContextPtr codec;
    AVStream* stream = nullptr;
    int streamIndex = -1;
    std::int64_t startPts = 0;
    AVRational frameRate{0, 1};

    PacketPtr packet{av_packet_alloc()};
    FramePtr decoded{av_frame_alloc()};
    bool flushSent = false;
    bool decoderDrained = false;
    std::string lastError;

    // Position: the index of the last frame that came out of the decoder (-1: none since open/seek).
    std::int64_t lastIndex = -1;
    // The most recently converted frame, served again without decoding.
    std::int64_t cachedIndex = -1;
    render::Image cached;

    std::unique_ptr<SwsContext, SwsDeleter> sws;

    [[noreturn]] void fail(const std::string& what) const { throw VideoError(file + ": " + what); }

    std::int64_t ptsOfIndex(std::int64_t n) const {
        return startPts + av_rescale_q(n, av_inv_q(frameRate), stream->time_base);
    }
    std::int64_t indexOfPts(std::int64_t pts) const {
        return av_rescale_q_rnd(pts - startPts, stream->time_base, av_inv_q(frameRate),
                                static_cast<AVRounding>(AV_ROUND_NEAR_INF | AV_ROUND_PASS_MINMAX));
    }

    void open(const VideoReadLimits& limits);
    /// The next frame in presentation order into `decoded`; false at the end of the stream.
    bool receiveNext();
    void seekTo(std::int64_t n);
    bool forwardIsCheaper(std::int64_t n) const;
    render::Image convert(const AVFrame& frame);
};

void VideoDecoder::Impl::open(const VideoReadLimits& limits) {
    quietLogging();
    if (!packet || !decoded)
        fail("out of memory");
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec))
        fail("no such file");
    AVFormatContext* raw = nullptr;
    int rc = avformat_open_input(&raw, path.c_str(), nullptr, nullptr);
    if (rc < 0)
        fail("cannot open as a video file: " + errorText(rc));
    format.reset(raw);
    rc = avformat_find_stream_info(format.get(), nullptr);
    if (rc < 0)
        fail("cannot read stream information: " + errorText(rc));
    const AVCodec* decoderCodec = nullptr;
    streamIndex = av_find_best_stream(format.get(), AVMEDIA_TYPE_VIDEO, -1, -1, &decoderCodec, 0);
    if (streamIndex == AVERROR_DECODER_NOT_FOUND)
        fail("no decoder for its video stream");
    if (streamIndex < 0)
        fail("no video stream");
    stream = format->streams[streamIndex];
    const AVCodecParameters* par = stream->codecpar;

    if (par->width <= 0 || par->height <= 0)
        fail("video stream has no frame size");
    if (par->width > limits.maxDimension || par->height > limits.maxDimension ||
        static_cast<std::int64_t>(par->width) * par->height > limits.maxPixels)
        fail("frame size " + std::to_string(par->width) + "x" + std::to_string(par->height) +
             " exceeds the reader's limits");

    frameRate = stream->avg_frame_rate;
    if (frameRate.num <= 0 || frameRate.den <= 0)
        frameRate = stream->r_frame_rate;
    if (frameRate.num <= 0 || frameRate.den <= 0)
        frameRate = av_guess_frame_rate(format.get(), stream, nullptr);
    if (frameRate.num <= 0 || frameRate.den <= 0 || av_q2d(frameRate) > 1000.0)
        fail("video stream has no usable frame rate");
    av_reduce(&frameRate.num, &frameRate.den, frameRate.num, frameRate.den, std::numeric_limits<int>::max());
    if (stream->time_base.num <= 0 || stream->time_base.den <= 0)
        fail("video stream has no time base");
    startPts = stream->start_time != AV_NOPTS_VALUE ? stream->start_time : 0;

    codec.reset(avcodec_alloc_context3(decoderCodec));
    if (!codec)
        fail("out of memory");
    rc = avcodec_parameters_to_context(codec.get(), par);
    if (rc < 0)
        fail("unusable codec parameters: " + errorText(rc));
    codec->pkt_timebase = stream->time_base;
    codec->thread_count = 0;
    rc = avcodec_open2(codec.get(), decoderCodec, nullptr);
    if (rc < 0)
        fail("cannot open the " + std::string(decoderCodec->name) + " decoder: " + errorText(rc));

    info.width = par->width;
    info.height = par->height;
    if (par->sample_aspect_ratio.num > 0 && par->sample_aspect_ratio.den > 0)
        info.pixelAspect = av_q2d(par->sample_aspect_ratio);
    info.fpsNum = frameRate.num;
    info.fpsDen = frameRate.den;
    info.container = format->iformat->name;
    info.codec = avcodec_get_name(par->codec_id);
    if (const char* profile = avcodec_profile_name(par->codec_id, par->profile))
        info.profile = profile;
    if (par->codec_tag) {
        char tag[AV_FOURCC_MAX_STRING_SIZE] = {};
        av_fourcc_make_string(tag, par->codec_tag);
        info.codecTag = tag;
    }
    const auto pixFmt = static_cast<AVPixelFormat>(par->format);
    if (const AVPixFmtDescriptor* d = av_pix_fmt_desc_get(pixFmt)) {
        info.pixelFormat = d->name;
        info.bitDepth = d->comp[0].depth;
        info.hasAlpha = (d->flags & AV_PIX_FMT_FLAG_ALPHA) != 0;
    } else {
        info.pixelFormat = "unknown";
    }
    info.colorPrimaries = nameOr(av_color_primaries_name(par->color_primaries));
    info.colorTransfer = nameOr(av_color_transfer_name(par->color_trc));
    info.colorMatrix = nameOr(av_color_space_name(par->color_space));
    info.colorRange = nameOr(av_color_range_name(par->color_range));
    if (par->color_primaries == AVCOL_PRI_UNSPECIFIED)
        info.colorPrimaries = "unknown";
    if (par->color_trc == AVCOL_TRC_UNSPECIFIED)
        info.colorTransfer = "unknown";
    if (par->color_space == AVCOL_SPC_UNSPECIFIED)
        info.colorMatrix = "unknown";
    if (par->color_range == AVCOL_RANGE_UNSPECIFIED)
        info.colorRange = "unknown";

    if (const AVDictionaryEntry* tc = av_dict_get(stream->metadata, "timecode", nullptr, 0))
        info.timecode = tc->value;
    else if (const AVDictionaryEntry* ftc = av_dict_get(format->metadata, "timecode", nullptr, 0))
        info.timecode = ftc->value;
    else
        for (unsigned i = 0; i < format->nb_streams && info.timecode.empty(); ++i)
            if (const AVDictionaryEntry* stc =
                    av_dict_get(format->streams[i]->metadata, "timecode", nullptr, 0))
                info.timecode = stc->value;

    if (stream->nb_frames > 0) {
        info.frameCount = stream->nb_frames;
    } else if (stream->duration != AV_NOPTS_VALUE && stream->duration > 0) {
        info.frameCount =
            av_rescale_q_rnd(stream->duration, stream->time_base, av_inv_q(frameRate), AV_ROUND_NEAR_INF);
    } else if (format->duration != AV_NOPTS_VALUE && format->duration > 0) {
        info.frameCount =
            av_rescale_q_rnd(format->duration, AV_TIME_BASE_Q, av_inv_q(frameRate), AV_ROUND_NEAR_INF);
    }
    if (info.frameCount <= 0)
        fail("video stream has no frames");

    // Containers without colour atoms (MOV without 'colr'): the bitstream of the first frame may say.
    if (info.colorPrimaries == "unknown" || info.colorTransfer == "unknown" ||
        info.colorMatrix == "unknown" || info.colorRange == "unknown") {
        if (receiveNext()) {
            auto fill = [](std::string& tag, const char* name, bool specified) {
                if (tag == "unknown" && specified && name)
                    tag = name;
            };
            fill(info.colorPrimaries, av_color_primaries_name(decoded->color_primaries),
                 decoded->color_primaries != AVCOL_PRI_UNSPECIFIED);
            fill(info.colorTransfer, av_color_transfer_name(decoded->color_trc),
                 decoded->color_trc != AVCOL_TRC_UNSPECIFIED);
            fill(info.colorMatrix, av_color_space_name(decoded->colorspace),
                 decoded->colorspace != AVCOL_SPC_UNSPECIFIED);
            fill(info.colorRange, av_color_range_name(decoded->color_range),
                 decoded->color_range != AVCOL_RANGE_UNSPECIFIED);
            av_frame_unref(decoded.get());
        }
    }
}

bool VideoDecoder::Impl::receiveNext() {
    while (true) {
        int rc = avcodec_receive_frame(codec.get(), decoded.get());
        if (rc == 0) {
            ++stats.decodedFrames;
            std::int64_t ts = decoded->best_effort_timestamp;
            if (ts == AV_NOPTS_VALUE)
                ts = decoded->pts;
            lastIndex = ts == AV_NOPTS_VALUE ? lastIndex + 1 : indexOfPts(ts);
            return true;
        }
        if (rc == AVERROR_EOF) {
            decoderDrained = true;
            return false;
        }
        if (rc != AVERROR(EAGAIN)) {
            // A broken frame: remember why and go on with the next packet.
            lastError = errorText(rc);
            if (flushSent) {
                decoderDrained = true;
                return false;
            }
        }
        if (flushSent)
            return false;
        rc = av_read_frame(format.get(), packet.get());
        if (rc < 0) {
            if (rc != AVERROR_EOF)
                lastError = errorText(rc);
            avcodec_send_packet(codec.get(), nullptr);
            flushSent = true;
            continue;
        }
        if (packet->stream_index == streamIndex) {
            rc = avcodec_send_packet(codec.get(), packet.get());
            if (rc < 0 && rc != AVERROR(EAGAIN))
                lastError = errorText(rc);
        }
        av_packet_unref(packet.get());
    }
}

bool VideoDecoder::Impl::forwardIsCheaper(std::int64_t n) const {
    if (lastIndex < 0 || n <= lastIndex || decoderDrained)
        return false;
    // The keyframe at or before n: when it is not after the current position, a seek would only go back.
    const int entry = av_index_search_timestamp(stream, ptsOfIndex(n), AVSEEK_FLAG_BACKWARD);
    if (entry >= 0) {
        if (const AVIndexEntry* e = avformat_index_get_entry(stream, entry))
            return e->timestamp <= ptsOfIndex(lastIndex) || n - lastIndex <= 1;
    }
    return n - lastIndex <= kMaxBlindForwardFrames;
}

void VideoDecoder::Impl::seekTo(std::int64_t n) {
    const std::int64_t target = n <= 0 ? std::numeric_limits<std::int64_t>::min() : ptsOfIndex(n);
    int rc = avformat_seek_file(format.get(), streamIndex, std::numeric_limits<std::int64_t>::min(),
                                n <= 0 ? startPts : target, n <= 0 ? startPts : target, 0);
    if (rc < 0 && n > 0)
        rc = av_seek_frame(format.get(), streamIndex, target, AVSEEK_FLAG_BACKWARD);
    if (rc < 0)
        fail("cannot seek to frame " + std::to_string(n) + ": " + errorText(rc));
    ++stats.seeks;
    avcodec_flush_buffers(codec.get());
    flushSent = false;
    decoderDrained = false;
    lastIndex = -1;
}

render::Image VideoDecoder::Impl::convert(const AVFrame& frame) {
    if (frame.width != info.width || frame.height != info.height)
        fail("frame size changes within the stream (" + std::to_string(frame.width) + "x" +
             std::to_string(frame.height) + ")");
    render::Image image(graph::Format{info.width, info.height, info.pixelAspect, {}},
                        graph::Box2i{0, 0, info.width, info.height}, render::Image::rgba());
    RgbPlanes dst{image.channel("R"), image.channel("G"), image.channel("B"), image.channel("A"), info.width};
    const auto pixFmt = static_cast<AVPixelFormat>(frame.format);
    AVColorSpace space =
        frame.colorspace != AVCOL_SPC_UNSPECIFIED ? frame.colorspace : stream->codecpar->color_space;
    AVColorRange range =
        frame.color_range != AVCOL_RANGE_UNSPECIFIED ? frame.color_range : stream->codecpar->color_range;
    YuvLayout layout;
    if (planarYuvLayout(pixFmt, layout)) {
        layout.matrix = matrixFor(space, info.height);
        if (range == AVCOL_RANGE_JPEG)
            layout.fullRange = true;
        YuvPlanesView src;
        for (int p = 0; p < 4; ++p) {
            src.data[p] = frame.data[p];
            src.linesize[p] = frame.linesize[p];
        }
        yuvToRgb(src, layout, info.width, info.height, dst);
    } else {
        // Anything else (packed, semi-planar, RGB, paletted) goes through swscale to 16-bit planar RGBA.
        sws.reset(sws_getCachedContext(
            sws.release(), frame.width, frame.height, pixFmt, frame.width, frame.height, AV_PIX_FMT_GBRAP16LE,
            SWS_BICUBIC | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT, nullptr, nullptr, nullptr));
        if (!sws)
            fail(std::string("cannot convert pixel format ") + nameOr(av_get_pix_fmt_name(pixFmt)));
        const int* coefficients = sws_getCoefficients(swsColorspace(matrixFor(space, info.height)));
        sws_setColorspaceDetails(sws.get(), coefficients, range == AVCOL_RANGE_JPEG ? 1 : 0,
                                 sws_getCoefficients(SWS_CS_DEFAULT), 1, 0, 1 << 16, 1 << 16);
        const std::size_t plane =
            static_cast<std::size_t>(info.width) * static_cast<std::size_t>(info.height);
        std::vector<std::uint16_t> buffer(plane * 4);
        // GBRAP plane order: G, B, R, A.
        std::uint8_t* planes[4] = {reinterpret_cast<std::uint8_t*>(buffer.data()),
                                   reinterpret_cast<std::uint8_t*>(buffer.data() + plane),
                                   reinterpret_cast<std::uint8_t*>(buffer.data() + 2 * plane),
                                   reinterpret_cast<std::uint8_t*>(buffer.data() + 3 * plane)};
        int strides[4] = {info.width * 2, info.width * 2, info.width * 2, info.width * 2};
        if (sws_scale(sws.get(), frame.data, frame.linesize, 0, frame.height, planes, strides) !=
            frame.height)
            fail("pixel format conversion failed");
        const bool alpha = info.hasAlpha;
        for (std::size_t i = 0; i < plane; ++i) {
            dst.g[i] = buffer[i] / 65535.0f;
            dst.b[i] = buffer[plane + i] / 65535.0f;
            dst.r[i] = buffer[2 * plane + i] / 65535.0f;
            dst.a[i] = alpha ? buffer[3 * plane + i] / 65535.0f : 1.0f;
        }
    }
    ++stats.convertedFrames;
    return image;
}

VideoDecoder::VideoDecoder(const std::filesystem::path& path, const VideoReadLimits& limits)
    : m_impl(std::make_unique<Impl>()) {
    m_impl->path = path;
    m_impl->file = path.string();
    m_impl->open(limits);
}

VideoDecoder::~VideoDecoder() = default;

const VideoStreamInfo& VideoDecoder::info() const {
    return m_impl->info;
}

const std::filesystem::path& VideoDecoder::path() const {
    return m_impl->path;
}

const VideoDecoder::Stats& VideoDecoder::stats() const {
    return m_impl->stats;
}

render::Image VideoDecoder::frame(std::int64_t n) {
    Impl& d = *m_impl;
    if (n < 0 || n >= d.info.frameCount)
        d.fail("frame " + std::to_string(n) + " is outside the video's " + std::to_string(d.info.frameCount) +
               " frames");
    if (n == d.cachedIndex)
        return d.cached;

    d.lastError.clear();
    std::int64_t backoff = 0;
    bool seeked = false;
    if (!d.forwardIsCheaper(n)) {
        d.seekTo(n);
        seeked = true;
    }
    while (true) {
        bool found = false;
        bool overshot = false;
        while (d.receiveNext()) {
            if (d.lastIndex == n) {
                found = true;
                break;
            }
            if (d.lastIndex > n) {
                overshot = true;
                break;
            }
        }
        if (found) {
            try {
                d.cached = d.convert(*d.decoded);
            } catch (...) {
                d.cachedIndex = -1;
                d.lastIndex = -1;
                av_frame_unref(d.decoded.get());
                throw;
            }
            d.cachedIndex = n;
            av_frame_unref(d.decoded.get());
            return d.cached;
        }
        // Not found: after a seek that landed after n, back off to an earlier keyframe and try again.
        const bool canBackOff = overshot && seeked && n - backoff > 0;
        if (!canBackOff) {
            const std::string reason = d.lastError.empty() ? std::string() : " (" + d.lastError + ")";
            d.lastIndex = -1;
            d.cachedIndex = -1;
            if (overshot)
                d.fail("frame " + std::to_string(n) + " is missing from the stream" + reason);
            d.fail("frame " + std::to_string(n) + " could not be decoded" + reason);
        }
        backoff = backoff ? backoff * 2 : 16;
        d.seekTo(std::max<std::int64_t>(0, n - backoff));
    }
}

std::string offsetTimecode(const std::string& start, std::int64_t frameOffset, int fpsNum, int fpsDen) {
    if (start.empty() || fpsNum <= 0 || fpsDen <= 0)
        return {};
    quietLogging(); // libavutil warns on stderr about frame rates it calls non-standard (16 fps)
    AVTimecode tc;
    if (av_timecode_init_from_string(&tc, AVRational{fpsNum, fpsDen}, start.c_str(), nullptr) < 0)
        return {};
    char buffer[AV_TIMECODE_STR_SIZE] = {};
    av_timecode_make_string(&tc, buffer, static_cast<int>(frameOffset));
    return buffer;
}

} // namespace kinema::nodes
