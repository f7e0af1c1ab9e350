// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Channel and window nodes: Premult, Unpremult, Shuffle, Copy and Crop.
#include "kinema/render/ImageNode.h"

namespace kinema::nodes {

/// Multiplies every channel except alpha by alpha (input without alpha passes through unchanged).
class Premult : public render::ImageNode {
public:
    Premult();
    render::ImagePtr compute(const render::EvalContext& ec) const override;
};

/// Divides every channel except alpha by alpha where alpha ≠ 0 (zero-alpha pixels are left as they are).
class Unpremult : public render::ImageNode {
public:
    Unpremult();
    render::ImagePtr compute(const render::EvalContext& ec) const override;
};

/// Rebuilds R, G, B, A of the output layer from channels of the input layer or constants 0/1. Every other
/// channel passes through.
class Shuffle : public render::ImageNode {
public:
    Shuffle();
    render::ImagePtr compute(const render::EvalContext& ec) const override;
};

/// Copies the listed channels from A into B (over B's data window; A is zero outside its window).
class Copy : public render::ImageNode {
public:
    Copy();
    render::ImagePtr compute(const render::EvalContext& ec) const override;
};

/// Limits the data window to a box (x0, y0, x1, y1 in pixels, y down; an empty box means the format).
/// With `reformat` the format becomes the box and pixels move so that the box starts at (0, 0).
class Crop : public render::ImageNode {
public:
    Crop();
    render::ImagePtr compute(const render::EvalContext& ec) const override;
};

} // namespace kinema::nodes
