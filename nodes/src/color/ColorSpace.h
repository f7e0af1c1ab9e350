// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Colour nodes backed by OCIO: ColorSpace converts between two colour spaces of the project's config.
/// Their hashes cover the input, the config identity and the transform key (with the context variables
/// the transform reads), so a config edit or a different transform never reuses a cached result.
#include "kinema/color/ColorTransform.h"
#include "kinema/render/ImageNode.h"

namespace kinema::nodes {

class ColorSpace : public render::ImageNode {
public:
    ColorSpace();
    render::Hash128 hash(const render::EvalContext& ec) const override;
    render::ImagePtr compute(const render::EvalContext& ec) const override;

    /// The transform the parameters describe, with role names resolved in the project's config.
    color::ColorTransform transform(const render::EvalContext& ec) const;
};

} // namespace kinema::nodes
