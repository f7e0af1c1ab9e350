// SPDX-License-Identifier: Apache-2.0
#pragma once
/// The MP4 preview of `kinema-model generate`, made by the node library itself: a two-node graph (Read of
/// the EXR frames just written, in the model's colour space → WriteVideo H.264 through the OCIO Rec.709
/// display transform) rendered by the batch loop, exactly as a graph with those nodes would be.
#include <filesystem>
#include <string>

namespace kinema::modelcli {

/// Renders `exrPattern` (frames 1..frames, e.g. ".../frame.####.exr") in `colorSpace` to `mp4` at `fps`.
/// Throws std::runtime_error naming the file when the video cannot be written.
void writePreviewVideo(const std::string& exrPattern, int frames, const std::string& colorSpace, int fps,
                       const std::filesystem::path& mp4);

} // namespace kinema::modelcli
