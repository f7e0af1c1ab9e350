// SPDX-License-Identifier: Apache-2.0
#pragma once
#include <memory>
#include <mutex>

#include "kinema/render/ImageNode.h"

namespace kinema::nodes {

/// Writes its input as a video file through FFmpeg: ProRes 422 HQ or 4444 in MOV, H.264 or H.265 in MP4
/// (or MOV), at the project's frame rate, tagged BT.709 with a start timecode.
///
/// Session contract. A video is one file for many frames, and an encoder needs its frames in order, so the
/// node keeps an encoder session between execute() calls:
/// - A batch render calls beginSequence(frames) first. execute() may then be called for those frames
///   concurrently and in any order: each frame is converted in the calling thread, then frames are
///   encoded strictly in the order given (early arrivals wait in memory for their predecessors). The
///   clip is finalised when its last frame is encoded; endSequence(false) discards it.
/// - Without beginSequence() (a GUI or script calling execute() directly), frames must arrive in
///   increasing order, each becoming the next video frame; the clip is finalised when the last frame of
///   the project range arrives, or by finish().
/// - The clip is written under a temporary name in the destination directory that cannot match the
///   final name (".<name>.<pid>.<n>.partial") and renamed when finalised: a killed or failed render never
///   leaves a file under the final name. Any error ends the session and removes the temporary.
/// Pixels (premultiplied, scene-linear working space) are unpremultiplied for codecs with alpha and
/// converted to `colorspace` (default Rec.1886 Rec.709 - Display) through the colour module. The start
/// timecode is the `timecode` parameter, else the first frame's source timecode (from ReadVideo), else
/// the first frame's number counted at the frame rate (frame 1001 at 24 fps = 00:00:41:17).
class WriteVideo : public render::OutputNode {
public:
    WriteVideo();
    ~WriteVideo() override;

    void execute(const render::EvalContext& ec) const override;
    std::string outputPath(double frame) const override;
    void beginSequence(const std::vector<std::int64_t>& frames) const override;
    void endSequence(bool complete) const override;

    /// Finalises the open session (renames the clip to its final name). Throws when nothing was written
    /// or the file cannot be completed; does nothing when no session is open.
    void finish() const;
    /// Discards the open session and its temporary file.
    void abort() const;
    /// True while a session holds unfinished output.
    bool sessionOpen() const;

private:
    struct Session;
    struct PreparedFrame;
    void writeReady(Session& session) const;
    void finalise(Session& session) const;

    mutable std::mutex m_mutex;
    mutable std::unique_ptr<Session> m_session;
};

} // namespace kinema::nodes
