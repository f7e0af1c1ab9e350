// SPDX-License-Identifier: Apache-2.0
#pragma once
#include "kinema/render/ImageNode.h"

namespace kinema::nodes {

/// Writes its input as an EXR sequence with Nuke/Resolve conventions (`name.####.exr`, half + ZIP1 by
/// default, data window = bounding box, display window = format). Each frame goes to a temporary name
/// that no sequence pattern matches and is renamed when complete.
class Write : public render::OutputNode {
public:
    Write();
    void execute(const render::EvalContext& ec) const override;
    std::string outputPath(double frame) const override;
    std::optional<render::FrameRange> defaultFrames() const override;
};

} // namespace kinema::nodes
