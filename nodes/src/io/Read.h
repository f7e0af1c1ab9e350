// SPDX-License-Identifier: Apache-2.0
#pragma once
#include "kinema/render/ImageNode.h"

namespace kinema::nodes {

/// Reads an image file or a frame-numbered sequence (`name.####.exr`, `%04d`, `#`).
/// Its hash covers the resolved file name, its size and modification time, so re-rendering picks up a
/// changed file. Missing frames: error, black, or the nearest existing frame.
class Read : public render::ImageNode {
public:
    Read();
    render::Hash128 hash(const render::EvalContext& ec) const override;
    render::ImagePtr compute(const render::EvalContext& ec) const override;
    std::optional<render::FrameRange> frameRange(const render::Evaluator& evaluator) const override;

    /// The file that frame `frame` resolves to under the missing-frame policy; empty = black.
    std::string resolveFrame(double frame) const;
};

} // namespace kinema::nodes
