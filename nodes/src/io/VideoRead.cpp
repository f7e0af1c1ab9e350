// SPDX-License-Identifier: Apache-2.0
#include "VideoRead.h"

#include <cmath>
#include <filesystem>

#include "VideoColor.h"

namespace kinema::nodes {

using namespace graph;
namespace fs = std::filesystem;

struct ReadVideo::Source {
    std::string path;
    std::uint64_t size = 0;
    std::int64_t mtime = 0;
    std::mutex mutex; // serialises decoder use
    std::unique_ptr<VideoDecoder> decoder;
};

ReadVideo::ReadVideo()
    : ImageNode({"ReadVideo", 1, "Image", "Reads a video file (MOV, MP4, MXF) through FFmpeg."}) {
    ParamSpec file{"file", ParamType::FilePath, std::string()};
    file.metadata.tooltip = "Video file: .mov, .mp4, .mxf (ProRes, H.264, H.265, DNxHR...).";
    file.metadata.uiHint = "open";
    addParam(file);
    ParamSpec first{"firstFrame", ParamType::Int, std::int64_t{1001}};
    first.metadata.label = "First frame";
    first.metadata.tooltip = "Project frame that shows the video's first frame.";
    first.metadata.animatable = false;
    first.metadata.softMinimum = 0;
    first.metadata.softMaximum = 2000;
    addParam(first);
    ParamSpec space{"colorspace", ParamType::String, std::string()};
    space.metadata.label = "Colour space";
    space.metadata.tooltip = "Colour space of the file; empty = from the stream's colour tags "
                             "(BT.709 → Rec.1886 Rec.709 - Display).";
    addParam(space);
    ParamSpec outside{"outsideRange", ParamType::Enum, std::int64_t{0}};
    outside.enumItems = {"hold", "black", "error"};
    outside.metadata.label = "Outside the clip";
    outside.metadata.tooltip = "Frames before the first or after the last video frame.";
    addParam(outside);
}

std::shared_ptr<ReadVideo::Source> ReadVideo::source() const {
    const std::string path = param("file").getString();
    if (path.empty())
        throw std::runtime_error("parameter 'file' is empty");
    std::error_code ec;
    const auto size = static_cast<std::uint64_t>(fs::file_size(path, ec));
    if (ec)
        throw std::runtime_error(path + ": cannot read the file: " + ec.message());
    const auto mtime = static_cast<std::int64_t>(fs::last_write_time(path, ec).time_since_epoch().count());
    std::lock_guard lock(m_mutex);
    if (m_source && m_source->path == path && m_source->size == size && m_source->mtime == mtime)
        return m_source;
    auto fresh = std::make_shared<Source>();
    fresh->path = path;
    fresh->size = size;
    fresh->mtime = mtime;
    fresh->decoder = std::make_unique<VideoDecoder>(path);
    m_source = fresh;
    return fresh;
}

VideoStreamInfo ReadVideo::streamInfo() const {
    return source()->decoder->info();
}

std::int64_t ReadVideo::videoFrameAt(double frame) const {
    const std::int64_t count = streamInfo().frameCount;
    const std::int64_t n = static_cast<std::int64_t>(std::floor(frame)) - param("firstFrame").getInt(frame);
    if (n >= 0 && n < count)
        return n;
    const std::string& policy = param("outsideRange").enumItem();
    if (policy == "black")
        return -1;
    if (policy == "error")
        throw std::runtime_error("frame " + std::to_string(static_cast<std::int64_t>(std::floor(frame))) +
                                 " is outside the clip (" + std::to_string(count) + " frames from frame " +
                                 std::to_string(param("firstFrame").getInt(frame)) + ")");
    return std::clamp<std::int64_t>(n, 0, count - 1);
}

render::Hash128 ReadVideo::hash(const render::EvalContext& ec) const {
    auto src = source();
    Hasher h;
    h.append(typeName()).append(version());
    h.append(src->path).append(src->size).append(src->mtime);
    const std::int64_t n = videoFrameAt(ec.frame());
    h.append(n);
    h.append(param("colorspace").getString());
    if (n < 0) {
        h.append(ec.project().format.width).append(ec.project().format.height);
        return h.finish();
    }
    const color::ConfigHandle config = videoColorConfig(ec.project());
    h.append(config.identity()).append(videoWorkingSpace(config, ec.project()));
    return h.finish();
}

render::ImagePtr ReadVideo::compute(const render::EvalContext& ec) const {
    auto src = source();
    const std::int64_t n = videoFrameAt(ec.frame());
    if (n < 0)
        return std::make_shared<render::Image>(ec.project().format, Box2i{}, render::Image::rgba());
    render::Image image;
    VideoStreamInfo info;
    {
        std::lock_guard lock(src->mutex);
        info = src->decoder->info();
        image = src->decoder->frame(n);
    }
    ec.checkCancelled();
    const color::ConfigHandle config = videoColorConfig(ec.project());
    std::string fileSpace = param("colorspace").getString();
    fileSpace = fileSpace.empty() ? videoColorSpaceFromTags(config, info, src->path)
                                  : config.canonicalColorSpace(fileSpace);
    convertVideoColor(config, fileSpace, videoWorkingSpace(config, ec.project()), image);
    if (info.hasAlpha) {
        float* r = image.channel("R");
        float* g = image.channel("G");
        float* b = image.channel("B");
        const float* a = image.channel("A");
        for (std::size_t i = 0; i < image.pixelCount(); ++i) {
            r[i] *= a[i];
            g[i] *= a[i];
            b[i] *= a[i];
        }
    }
    auto& meta = image.metadata();
    meta["input/filename"] = src->path;
    meta["input/videoFrame"] = n;
    meta["input/frameRate"] = info.fps();
    meta["input/colorspace"] = fileSpace;
    meta["input/codec"] = info.codec;
    const std::string tc = offsetTimecode(info.timecode, n, info.fpsNum, info.fpsDen);
    if (!tc.empty())
        meta["input/timecode"] = tc;
    return std::make_shared<render::Image>(std::move(image));
}

std::optional<render::FrameRange> ReadVideo::frameRange(const render::Evaluator&) const {
    try {
        const auto first = param("firstFrame").getInt(0.0);
        const auto count = streamInfo().frameCount;
        return render::FrameRange{static_cast<int>(first), static_cast<int>(first + count - 1)};
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

} // namespace kinema::nodes
