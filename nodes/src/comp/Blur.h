// SPDX-License-Identifier: Apache-2.0
#pragma once
#include "kinema/render/ImageNode.h"

namespace kinema::nodes {

/// Separable Gaussian blur of every channel. `size` is the standard deviation σ in pixels per axis; the
/// kernel spans r = ceil(3σ) pixels each side and is normalised over that span. Pixels outside the data
/// window count as zero (premultiplied black), and the data window grows by r on each side.
class Blur : public render::ImageNode {
public:
    Blur();
    render::ImagePtr compute(const render::EvalContext& ec) const override;
};

} // namespace kinema::nodes
