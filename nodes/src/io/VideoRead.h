// SPDX-License-Identifier: Apache-2.0
#pragma once
#include <memory>
#include <mutex>

#include "FFmpegReader.h"
#include "kinema/render/ImageNode.h"

namespace kinema::nodes {

/// Reads a video file (MOV, MP4, MXF...: ProRes, H.264, H.265, DNxHR...) through FFmpeg.
///
/// Project frame `firstFrame` (1001 by default) shows the video's first frame. Frames outside the clip
/// hold the nearest end, are black, or fail (`outsideRange`). Pixels are converted from the file's colour
/// space (`colorspace`, empty = from the stream's colour tags) to the project's working space through the
/// colour module and premultiplied by alpha. The hash covers the file's identity (path, size, modification
/// time), the video frame shown, the parameters and the colour config. One decoder per node is kept open
/// and shared by all requests (serialised), so playback in order decodes each frame once and never seeks.
class ReadVideo : public render::ImageNode {
public:
    ReadVideo();
    render::Hash128 hash(const render::EvalContext& ec) const override;
    render::ImagePtr compute(const render::EvalContext& ec) const override;
    std::optional<render::FrameRange> frameRange(const render::Evaluator& evaluator) const override;

    /// The stream information of the current file (opens it if needed). Throws naming the file.
    VideoStreamInfo streamInfo() const;
    /// The video frame (0-based) shown at project frame `frame`; -1 for black.
    std::int64_t videoFrameAt(double frame) const;

private:
    struct Source;
    /// The open decoder for the current file, reopened when the file's identity changes.
    std::shared_ptr<Source> source() const;

    mutable std::mutex m_mutex;
    mutable std::shared_ptr<Source> m_source;
};

} // namespace kinema::nodes
