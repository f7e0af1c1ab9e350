// SPDX-License-Identifier: Apache-2.0
#include "VideoWrite.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>

#include "FFmpegReader.h"
#include "FFmpegWriter.h"
#include "VideoColor.h"
#include "kinema/graph/AtomicFile.h"

namespace kinema::nodes {

using namespace graph;
namespace fs = std::filesystem;

namespace {

VideoCodec codecFromName(const std::string& name) {
    if (name == "prores_hq")
        return VideoCodec::ProResHQ;
    if (name == "prores_4444")
        return VideoCodec::ProRes4444;
    if (name == "h264")
        return VideoCodec::H264;
    if (name == "h265")
        return VideoCodec::H265;
    throw std::runtime_error("unknown codec '" + name + "'");
}

std::string lowerExtension(const std::string& path) {
    std::string ext = fs::path(path).extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
    return ext;
}

} // namespace

struct WriteVideo::PreparedFrame {
    std::int64_t frame = 0;
    YuvImage yuv;
    std::string sourceTimecode;
};

struct WriteVideo::Session {
    bool explicitFrames = false;
    std::vector<std::int64_t> frames;
    std::map<std::int64_t, std::size_t> position;
    std::size_t next = 0;
    std::map<std::size_t, PreparedFrame> pending;
    std::int64_t lastFrame = 0;
    std::optional<std::int64_t> lastWritten;

    bool configured = false;
    std::string path;
    VideoEncoderSettings settings;
    std::string timecodeParam;
    std::string error;

    // Declared before the encoder so that the encoder closes the file before the temporary is removed.
    std::unique_ptr<AtomicFileWriter> file;
    std::unique_ptr<VideoEncoder> encoder;
};

WriteVideo::WriteVideo()
    : OutputNode(
          {"WriteVideo", 1, "Image", "Writes a video file (ProRes MOV, H.264/H.265 MP4) through FFmpeg."}) {
    addInput({"in", PlugType::Image, false, "Input"});
    ParamSpec file{"file", ParamType::FilePath, std::string("render/out.mov")};
    file.metadata.tooltip = "Output video: .mov for ProRes, .mp4 (or .mov) for H.264/H.265.";
    file.metadata.uiHint = "save";
    addParam(file);
    ParamSpec codec{"codec", ParamType::Enum, std::int64_t{0}};
    codec.enumItems = {"prores_hq", "prores_4444", "h264", "h265"};
    codec.metadata.tooltip =
        "ProRes 422 HQ, ProRes 4444 (with alpha), H.264 (8-bit 4:2:0), H.265 (10-bit 4:2:0).";
    addParam(codec);
    ParamSpec space{"colorspace", ParamType::String, std::string(kRec709VideoSpace)};
    space.metadata.label = "Colour space";
    space.metadata.tooltip = "Display encoding written to the file (tagged BT.709).";
    addParam(space);
    ParamSpec timecode{"timecode", ParamType::String, std::string()};
    timecode.metadata.tooltip = "Start timecode HH:MM:SS:FF (';' before FF for drop-frame); empty = the "
                                "source's timecode, else the first frame number at the frame rate.";
    addParam(timecode);
    ParamSpec crf{"crf", ParamType::Int, std::int64_t{18}};
    crf.metadata.label = "Quality (CRF)";
    crf.metadata.tooltip = "H.264/H.265 constant rate factor: lower is better (0-51).";
    crf.metadata.minimum = 0;
    crf.metadata.maximum = 51;
    crf.metadata.softMaximum = 51;
    crf.metadata.animatable = false;
    addParam(crf);
}

WriteVideo::~WriteVideo() = default;

std::string WriteVideo::outputPath(double) const {
    const std::string file = param("file").getString();
    if (file.empty())
        throw std::runtime_error("parameter 'file' is empty");
    return file;
}

void WriteVideo::beginSequence(const std::vector<std::int64_t>& frames) const {
    std::lock_guard lock(m_mutex);
    m_session.reset();
    if (frames.empty())
        return;
    try {
        auto s = std::make_unique<Session>();
        s->explicitFrames = true;
        s->frames = frames;
        for (std::size_t i = 0; i < frames.size(); ++i)
            s->position.emplace(frames[i], i);
        m_session = std::move(s);
    } catch (...) {
        m_session.reset(); // out of memory: execute() falls back to in-order frames
    }
}

void WriteVideo::endSequence(bool complete) const {
    std::lock_guard lock(m_mutex);
    if (!m_session)
        return;
    std::unique_ptr<Session> s = std::move(m_session);
    if (!complete)
        return; // the temporary goes with the session
    if (!s->error.empty())
        throw std::runtime_error(s->path + ": " + s->error);
    if (s->explicitFrames && s->next < s->frames.size())
        throw std::runtime_error(s->path + ": only " + std::to_string(s->next) + " of " +
                                 std::to_string(s->frames.size()) +
                                 " frames arrived; the video was discarded");
    if (s->encoder)
        finalise(*s);
}

void WriteVideo::finish() const {
    std::lock_guard lock(m_mutex);
    if (!m_session)
        return;
    std::unique_ptr<Session> s = std::move(m_session);
    if (!s->error.empty())
        throw std::runtime_error(s->path + ": " + s->error);
    if (!s->encoder)
        throw std::runtime_error(outputPath(0) + ": no frames were written");
    finalise(*s);
}

void WriteVideo::abort() const {
    std::lock_guard lock(m_mutex);
    m_session.reset();
}

bool WriteVideo::sessionOpen() const {
    std::lock_guard lock(m_mutex);
    return m_session != nullptr;
}

void WriteVideo::finalise(Session& s) const {
    s.encoder->finish();
    s.encoder.reset();
    s.file->commit();
    s.file.reset();
}

void WriteVideo::writeReady(Session& s) const {
    while (true) {
        auto it = s.pending.find(s.explicitFrames ? s.next : 0);
        if (it == s.pending.end())
            return;
        PreparedFrame frame = std::move(it->second);
        s.pending.erase(it);
        if (!s.encoder) {
            std::string timecode = s.timecodeParam;
            if (timecode.empty())
                timecode = frame.sourceTimecode;
            if (timecode.empty())
                timecode = offsetTimecode("00:00:00:00", std::max<std::int64_t>(0, frame.frame),
                                          s.settings.fpsNum, s.settings.fpsDen);
            else if (offsetTimecode(timecode, 0, s.settings.fpsNum, s.settings.fpsDen).empty())
                throw std::runtime_error("timecode '" + timecode + "' is not HH:MM:SS:FF at this frame rate");
            s.settings.timecode = timecode;
            s.settings.width = frame.yuv.width;
            s.settings.height = frame.yuv.height;
            const fs::path dir = fs::path(s.path).parent_path();
            if (!dir.empty())
                fs::create_directories(dir);
            s.file = std::make_unique<AtomicFileWriter>(s.path);
            s.encoder = std::make_unique<VideoEncoder>(s.file->tempPath(), s.path, s.settings);
        }
        s.encoder->append(frame.yuv);
        s.lastWritten = frame.frame;
        if (s.explicitFrames)
            ++s.next;
    }
}

void WriteVideo::execute(const render::EvalContext& ec) const {
    const std::string path = outputPath(ec.frame());
    const VideoCodec codec = codecFromName(param("codec").enumItem());
    const std::string ext = lowerExtension(path);
    const bool prores = codec == VideoCodec::ProResHQ || codec == VideoCodec::ProRes4444;
    if (ext != ".mov" && (prores || ext != ".mp4"))
        throw std::runtime_error(path + ": " +
                                 (prores ? "ProRes needs a .mov file" : "H.264/H.265 need .mp4 or .mov"));
    const auto frameNumber = static_cast<std::int64_t>(std::llround(ec.frame()));

    // Conversion runs in the calling thread, outside the session lock.
    render::ImagePtr input = ec.pullInput(0);
    const Format& format = input->format();
    const int width = format.width, height = format.height;
    if (width <= 0 || height <= 0)
        throw std::runtime_error(path + ": the input has an empty format");
    render::Image planes(format, Box2i{0, 0, width, height}, render::Image::rgba());
    {
        const Box2i overlap = input->dataWindow().intersect(planes.dataWindow());
        const bool hasAlpha = input->hasChannel("A");
        if (!hasAlpha)
            std::fill_n(planes.channel("A"), planes.pixelCount(), 1.0f);
        for (const char* name : {"R", "G", "B", "A"}) {
            const float* src = input->findChannel(name);
            if (!src || overlap.empty())
                continue;
            float* dst = planes.channel(name);
            const Box2i& dw = input->dataWindow();
            for (int y = overlap.y0; y < overlap.y1; ++y)
                std::copy_n(src + static_cast<std::ptrdiff_t>(y - dw.y0) * dw.width() + (overlap.x0 - dw.x0),
                            overlap.width(), dst + static_cast<std::ptrdiff_t>(y) * width + overlap.x0);
        }
    }
    if (codecHasAlpha(codec)) {
        float* r = planes.channel("R");
        float* g = planes.channel("G");
        float* b = planes.channel("B");
        const float* a = planes.channel("A");
        for (std::size_t i = 0; i < planes.pixelCount(); ++i)
            if (a[i] > 0.0f) {
                r[i] /= a[i];
                g[i] /= a[i];
                b[i] /= a[i];
            }
    }
    const color::ConfigHandle config = videoColorConfig(ec.project());
    const std::string outSpace = config.canonicalColorSpace(param("colorspace").getString());
    convertVideoColor(config, videoWorkingSpace(config, ec.project()), outSpace, planes);
    ec.checkCancelled();
    PreparedFrame prepared;
    prepared.frame = frameNumber;
    try {
        prepared.yuv = rgbToYuv(
            {planes.channel("R"), planes.channel("G"), planes.channel("B"), planes.channel("A"), width},
            width, height, yuvLayout(codec));
    } catch (const std::invalid_argument& e) {
        throw std::runtime_error(path + ": " + e.what());
    }
    if (auto tc = input->metadata().find("input/timecode"); tc != input->metadata().end())
        if (auto text = std::get_if<std::string>(&tc->second))
            prepared.sourceTimecode = *text;

    std::lock_guard lock(m_mutex);
    if (!m_session) {
        m_session = std::make_unique<Session>();
        m_session->lastFrame = ec.project().frameEnd;
    }
    Session& s = *m_session;
    if (!s.error.empty())
        throw std::runtime_error(path + ": the video was abandoned after an earlier error: " + s.error);
    try {
        if (!s.configured) {
            s.path = path;
            s.settings.codec = codec;
            s.settings.container = ext == ".mp4" ? "mp4" : "mov";
            fpsToRational(ec.project().fps, s.settings.fpsNum, s.settings.fpsDen);
            s.settings.crf = static_cast<int>(param("crf").getInt(ec.frame()));
            s.timecodeParam = param("timecode").getString();
            s.configured = true;
        } else if (s.path != path || s.settings.codec != codec) {
            throw std::runtime_error("the file or codec changed during the render");
        }
        if (s.explicitFrames) {
            auto pos = s.position.find(frameNumber);
            if (pos == s.position.end())
                throw std::runtime_error("frame " + std::to_string(frameNumber) +
                                         " is not part of the sequence");
            if (pos->second < s.next || s.pending.count(pos->second))
                throw std::runtime_error("frame " + std::to_string(frameNumber) + " was already given");
            s.pending.emplace(pos->second, std::move(prepared));
        } else {
            if (s.lastWritten && frameNumber <= *s.lastWritten)
                throw std::runtime_error("frame " + std::to_string(frameNumber) + " arrived after frame " +
                                         std::to_string(*s.lastWritten) +
                                         ": frames must come in increasing order");
            s.pending.emplace(0, std::move(prepared));
        }
        writeReady(s);
        const bool done = s.explicitFrames ? s.next == s.frames.size() : frameNumber >= s.lastFrame;
        if (done) {
            finalise(s);
            m_session.reset();
        }
    } catch (const std::exception& e) {
        // The session is over: drop the encoder and the temporary file, keep the reason for later frames.
        s.pending.clear();
        s.encoder.reset();
        s.file.reset();
        if (s.explicitFrames)
            s.error = e.what();
        else
            m_session.reset();
        throw std::runtime_error(path + ": " + e.what());
    }
}

} // namespace kinema::nodes
