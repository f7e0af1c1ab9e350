// SPDX-License-Identifier: Apache-2.0
#pragma once
/// OCIODisplay bakes a display/view (with optional looks, exposure and display gamma) into the pixels,
/// the same transform the viewer applies: for renders meant to be watched as they are (review movies,
/// PNG dailies). The hash covers the config identity and the transform key.
#include "kinema/color/ColorTransform.h"
#include "kinema/render/ImageNode.h"

namespace kinema::nodes {

class OCIODisplay : public render::ImageNode {
public:
    OCIODisplay();
    render::Hash128 hash(const render::EvalContext& ec) const override;
    render::ImagePtr compute(const render::EvalContext& ec) const override;

    /// The transform the parameters describe; an empty display or view means the config's default.
    color::ColorTransform transform(const render::EvalContext& ec) const;
};

} // namespace kinema::nodes
