// SPDX-License-Identifier: Apache-2.0
#pragma once
#include "kinema/render/ImageNode.h"

namespace kinema::nodes {

/// Reads an image file or a frame-numbered sequence (`name.####.exr`, `%04d`, `#`) and converts it to
/// the working space. The input colour space is the `colorspace` parameter, or with "auto": a colour
/// space named in the file's metadata (kinema/colorSpace, oiio:ColorSpace) that the config knows, then
/// for EXR a scene-linear space whose chromaticities match the file's, then the config's file rules.
/// Its hash covers the resolved file name, its size and modification time (re-rendering picks up a
/// changed file), the config identity and the parameters. Missing frames: error, black, or nearest.
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
