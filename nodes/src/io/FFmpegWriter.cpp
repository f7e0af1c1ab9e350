// SPDX-License-Identifier: Apache-2.0
#include "FFmpegWriter.h"

#include <cmath>
#include <cstring>
#include <stdexcept>

#include "FFmpegCommon.h"

extern "C" {
#include <libavutil/opt.h>
#include <libavutil/pixdesc.h>
}

namespace kinema::nodes {

using namespace ffmpeg;

namespace {

struct CodecChoice {
    const char* encoder;
    AVPixelFormat pixelFormat;
};

CodecChoice codecChoice(VideoCodec codec) {
    switch (codec) {
    case VideoCodec::ProResHQ:
        return {"prores_ks", AV_PIX_FMT_YUV422P10LE};
    case VideoCodec::ProRes4444:
        return {"prores_ks", AV_PIX_FMT_YUVA444P10LE};
    case VideoCodec::H264:
        return {"libx264", AV_PIX_FMT_YUV420P};
    case VideoCodec::H265:
        return {"libx265", AV_PIX_FMT_YUV420P10LE};
    }
    throw std::invalid_argument("unknown video codec");
}

struct OutputDeleter {
    void operator()(AVFormatContext* f) const {
        if (f->pb)
            avio_closep(&f->pb);
        avformat_free_context(f);
    }
};

} // namespace

bool codecHasAlpha(VideoCodec codec) {
    return codec == VideoCodec::ProRes4444;
}

YuvLayout yuvLayout(VideoCodec codec) {
    YuvLayout layout;
    layout.matrix = YuvMatrix::bt709();
    layout.fullRange = false;
    switch (codec) {
    case VideoCodec::ProResHQ:
        layout.bitDepth = 10;
        layout.chromaShiftX = 1;
        layout.chromaShiftY = 0;
        break;
    case VideoCodec::ProRes4444:
        layout.bitDepth = 10;
        layout.chromaShiftX = 0;
        layout.chromaShiftY = 0;
        layout.hasAlpha = true;
        break;
    case VideoCodec::H264:
        layout.bitDepth = 8;
        break;
    case VideoCodec::H265:
        layout.bitDepth = 10;
        break;
    }
    return layout;
}

void fpsToRational(double fps, int& num, int& den) {
    if (!(fps > 0.0) || fps > 1000.0)
        throw std::invalid_argument("frame rate " + std::to_string(fps) + " is not usable for video");
    const double ntsc = fps * 1001.0 / 1000.0;
    if (std::abs(ntsc - std::round(ntsc)) < 1e-3 && std::abs(fps - std::round(fps)) > 1e-3) {
        num = static_cast<int>(std::lround(ntsc)) * 1000;
        den = 1001;
        return;
    }
    AVRational q = av_d2q(fps, 1000000);
    num = q.num;
    den = q.den;
}

struct VideoEncoder::Impl {
    std::string name;
    VideoEncoderSettings settings;
    std::unique_ptr<AVFormatContext, OutputDeleter> output;
    CodecContextPtr codec;
    AVStream* stream = nullptr;
    FramePtr frame{av_frame_alloc()};
    PacketPtr packet{av_packet_alloc()};
    std::int64_t written = 0;
    bool finished = false;

    [[noreturn]] void fail(const std::string& what) const { throw std::runtime_error(name + ": " + what); }

    void drain() {
        while (true) {
            int rc = avcodec_receive_packet(codec.get(), packet.get());
            if (rc == AVERROR(EAGAIN) || rc == AVERROR_EOF)
                return;
            if (rc < 0)
                fail("encoding failed: " + errorText(rc));
            packet->stream_index = stream->index;
            // Without a duration the MP4 muxer's edit list drops the last frame and the rate drifts.
            packet->duration = 1;
            av_packet_rescale_ts(packet.get(), codec->time_base, stream->time_base);
            rc = av_interleaved_write_frame(output.get(), packet.get());
            if (rc < 0)
                fail("cannot write video data: " + errorText(rc));
        }
    }
};

VideoEncoder::VideoEncoder(const std::filesystem::path& path, std::string displayName,
                           const VideoEncoderSettings& settings)
    : m_impl(std::make_unique<Impl>()) {
    quietLogging();
    Impl& e = *m_impl;
    e.name = std::move(displayName);
    e.settings = settings;
    if (!e.frame || !e.packet)
        e.fail("out of memory");
    if (settings.width <= 0 || settings.height <= 0)
        e.fail("invalid frame size");
    if (settings.fpsNum <= 0 || settings.fpsDen <= 0)
        e.fail("invalid frame rate");
    const CodecChoice choice = codecChoice(settings.codec);
    const YuvLayout layout = yuvLayout(settings.codec);
    if (settings.width % (1 << layout.chromaShiftX) || settings.height % (1 << layout.chromaShiftY))
        e.fail("frame size " + std::to_string(settings.width) + "x" + std::to_string(settings.height) +
               " must be even for this codec's chroma subsampling");

    AVFormatContext* raw = nullptr;
    int rc = avformat_alloc_output_context2(&raw, nullptr, settings.container.c_str(), path.c_str());
    if (rc < 0 || !raw)
        e.fail("cannot create a " + settings.container + " container: " + errorText(rc));
    e.output.reset(raw);

    const AVCodec* encoder = avcodec_find_encoder_by_name(choice.encoder);
    if (!encoder)
        e.fail(std::string("this FFmpeg build has no ") + choice.encoder + " encoder");
    e.stream = avformat_new_stream(e.output.get(), nullptr);
    e.codec.reset(avcodec_alloc_context3(encoder));
    if (!e.stream || !e.codec)
        e.fail("out of memory");
    AVCodecContext* c = e.codec.get();
    c->width = settings.width;
    c->height = settings.height;
    c->pix_fmt = choice.pixelFormat;
    c->time_base = AVRational{settings.fpsDen, settings.fpsNum};
    c->framerate = AVRational{settings.fpsNum, settings.fpsDen};
    c->sample_aspect_ratio = AVRational{1, 1};
    c->color_primaries = AVCOL_PRI_BT709;
    c->color_trc = AVCOL_TRC_BT709;
    c->colorspace = AVCOL_SPC_BT709;
    c->color_range = AVCOL_RANGE_MPEG;
    c->chroma_sample_location = layout.chromaShiftY ? AVCHROMA_LOC_LEFT : AVCHROMA_LOC_UNSPECIFIED;
    c->thread_count = 0;
    if (e.output->oformat->flags & AVFMT_GLOBALHEADER)
        c->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;

    AVDictionary* codecOptions = nullptr;
    switch (settings.codec) {
    case VideoCodec::ProResHQ:
        av_dict_set(&codecOptions, "profile", "hq", 0);
        av_dict_set(&codecOptions, "vendor", "apl0", 0);
        break;
    case VideoCodec::ProRes4444:
        av_dict_set(&codecOptions, "profile", "4444", 0);
        av_dict_set(&codecOptions, "vendor", "apl0", 0);
        break;
    case VideoCodec::H264:
        av_dict_set_int(&codecOptions, "crf", settings.crf, 0);
        av_dict_set(&codecOptions, "preset", "medium", 0);
        break;
    case VideoCodec::H265:
        av_dict_set_int(&codecOptions, "crf", settings.crf, 0);
        av_dict_set(&codecOptions, "preset", "medium", 0);
        av_dict_set(&codecOptions, "x265-params", "log-level=error", 0);
        c->codec_tag = MKTAG('h', 'v', 'c', '1'); // what Apple players expect in MP4/MOV
        break;
    }
    rc = avcodec_open2(c, encoder, &codecOptions);
    av_dict_free(&codecOptions);
    if (rc < 0)
        e.fail(std::string("cannot open the ") + choice.encoder + " encoder: " + errorText(rc));
    rc = avcodec_parameters_from_context(e.stream->codecpar, c);
    if (rc < 0)
        e.fail("cannot set stream parameters: " + errorText(rc));
    e.stream->time_base = c->time_base;
    e.stream->avg_frame_rate = c->framerate;
    e.stream->r_frame_rate = c->framerate;
    if (!settings.timecode.empty())
        av_dict_set(&e.stream->metadata, "timecode", settings.timecode.c_str(), 0);

    rc = avio_open(&e.output->pb, path.c_str(), AVIO_FLAG_WRITE);
    if (rc < 0)
        e.fail("cannot open for writing: " + errorText(rc));
    AVDictionary* muxOptions = nullptr;
    av_dict_set(&muxOptions, "movflags", "+write_colr", 0);
    rc = avformat_write_header(e.output.get(), &muxOptions);
    av_dict_free(&muxOptions);
    if (rc < 0)
        e.fail("cannot write the container header: " + errorText(rc));

    e.frame->format = c->pix_fmt;
    e.frame->width = c->width;
    e.frame->height = c->height;
    e.frame->color_primaries = c->color_primaries;
    e.frame->color_trc = c->color_trc;
    e.frame->colorspace = c->colorspace;
    e.frame->color_range = c->color_range;
    rc = av_frame_get_buffer(e.frame.get(), 0);
    if (rc < 0)
        e.fail("out of memory for a frame");
}

VideoEncoder::~VideoEncoder() = default;

void VideoEncoder::append(const YuvImage& image) {
    Impl& e = *m_impl;
    if (e.finished)
        e.fail("the clip is already finished");
    if (image.width != e.settings.width || image.height != e.settings.height)
        e.fail("frame size " + std::to_string(image.width) + "x" + std::to_string(image.height) +
               " differs from the clip's " + std::to_string(e.settings.width) + "x" +
               std::to_string(e.settings.height));
    const YuvLayout want = yuvLayout(e.settings.codec);
    if (image.layout.bitDepth != want.bitDepth || image.layout.chromaShiftX != want.chromaShiftX ||
        image.layout.chromaShiftY != want.chromaShiftY || image.layout.hasAlpha != want.hasAlpha)
        e.fail("frame layout does not match the codec");
    int rc = av_frame_make_writable(e.frame.get());
    if (rc < 0)
        e.fail("out of memory for a frame");
    const int planes = want.hasAlpha ? 4 : 3;
    for (int p = 0; p < planes; ++p) {
        const int w = image.planeWidth(p), h = image.planeHeight(p);
        const std::uint16_t* src = image.planes[p].data();
        for (int y = 0; y < h; ++y) {
            std::uint8_t* row = e.frame->data[p] + static_cast<std::ptrdiff_t>(e.frame->linesize[p]) * y;
            const std::uint16_t* in = src + static_cast<std::ptrdiff_t>(w) * y;
            if (want.bitDepth > 8)
                std::memcpy(row, in, static_cast<std::size_t>(w) * 2);
            else
                for (int x = 0; x < w; ++x)
                    row[x] = static_cast<std::uint8_t>(in[x]);
        }
    }
    e.frame->pts = e.written;
    rc = avcodec_send_frame(e.codec.get(), e.frame.get());
    if (rc < 0)
        e.fail("encoding frame " + std::to_string(e.written) + " failed: " + errorText(rc));
    ++e.written;
    e.drain();
}

void VideoEncoder::finish() {
    Impl& e = *m_impl;
    if (e.finished)
        return;
    if (e.written == 0)
        e.fail("no frames were written");
    int rc = avcodec_send_frame(e.codec.get(), nullptr);
    if (rc < 0)
        e.fail("cannot flush the encoder: " + errorText(rc));
    e.drain();
    rc = av_write_trailer(e.output.get());
    if (rc < 0)
        e.fail("cannot finish the container: " + errorText(rc));
    rc = avio_closep(&e.output->pb);
    if (rc < 0)
        e.fail("cannot close the file: " + errorText(rc));
    e.finished = true;
}

std::int64_t VideoEncoder::framesWritten() const {
    return m_impl->written;
}

const VideoEncoderSettings& VideoEncoder::settings() const {
    return m_impl->settings;
}

} // namespace kinema::nodes
