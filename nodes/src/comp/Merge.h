// SPDX-License-Identifier: Apache-2.0
#pragma once
#include "kinema/render/ImageNode.h"

namespace kinema::nodes {

/// Composites input A onto input B with a Porter-Duff or blend operation on premultiplied pixels, then
/// mixes the result with B by `mix`. Every channel present in either input is processed; a channel missing
/// from one input reads as 0 there, and `a`/`b` in the formulas are the inputs' alpha. Without A the node
/// outputs B. The output covers the union of the windows where the operation can be non-zero (over: A∪B,
/// in: A∩B, stencil: B, ...), united with B's window when mix < 1.
class Merge : public render::ImageNode {
public:
    Merge();
    render::ImagePtr compute(const render::EvalContext& ec) const override;

    enum Input { kB = 0, kA = 1 };
};

} // namespace kinema::nodes
