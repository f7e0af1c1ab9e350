// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Geometric nodes: Transform (2D affine) and Reformat (resize to a format).
///
/// Both resample through the inverse mapping: each output pixel centre (x + ½, y + ½) maps back to a
/// continuous input position, where a separable filter (impulse, bilinear, cubic Catmull-Rom, Lanczos-3)
/// is evaluated. When the mapping shrinks the image the kernel widens by the shrink factor per axis so
/// that minification does not alias. Input pixels outside the data window are zero; the output window is
/// the bounding box of the mapped input window, grown by the filter radius.
#include "kinema/render/ImageNode.h"

namespace kinema::nodes {

/// Translate, rotate (degrees, counter-clockwise on screen), scale about `center` (pixels, y down).
class Transform : public render::ImageNode {
public:
    Transform();
    render::ImagePtr compute(const render::EvalContext& ec) const override;
};

/// Resizes to width × height (0 = the project format): fit (whole image visible), fill (format covered),
/// distort (independent x/y scale) or none, centred in the new format.
class Reformat : public render::ImageNode {
public:
    Reformat();
    render::ImagePtr compute(const render::EvalContext& ec) const override;
};

} // namespace kinema::nodes
