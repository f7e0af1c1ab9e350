// SPDX-License-Identifier: Apache-2.0
#pragma once
#include "kinema/render/ImageNode.h"

namespace kinema::nodes {

/// Writes its input as an image sequence: EXR with Nuke/Resolve conventions (`name.####.exr`, half + ZIP1
/// by default, data window = bounding box, display window = format, chromaticities, framesPerSecond,
/// timeCode and kinema/* metadata, optional one part per layer, an ACES container mode), or PNG, JPEG,
/// TIFF and DPX. The working-space image is converted to the output colour space through OCIO. The file
/// frame number is the input frame, a start frame, or the input frame plus an offset. Each frame goes to
/// a temporary name that no sequence pattern matches and is renamed when complete.
class Write : public render::OutputNode {
public:
    Write();
    void execute(const render::EvalContext& ec) const override;
    std::string outputPath(double frame) const override;
    std::optional<render::FrameRange> defaultFrames() const override;

    /// The frame number in the file name (and timeCode) for the evaluated frame `frame`.
    std::int64_t outputFrame(double frame) const;
};

} // namespace kinema::nodes
