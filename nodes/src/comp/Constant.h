// SPDX-License-Identifier: Apache-2.0
#pragma once
#include "kinema/render/ImageNode.h"

namespace kinema::nodes {

/// A solid colour over the project format (or its own size). Unbounded in time: it looks at no frame, so
/// every frame shares one cache entry unless the colour is animated.
class Constant : public render::ImageNode {
public:
    Constant();
    render::ImagePtr compute(const render::EvalContext& ec) const override;
};

} // namespace kinema::nodes
