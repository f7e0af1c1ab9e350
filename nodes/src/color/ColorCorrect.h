// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Colour-math nodes that need no colour-management config: Grade, Saturation and Exposure.
///
/// They change R, G and B of the main layer and pass every other channel (alpha, other layers) through.
/// With `unpremult` on, colour is divided by alpha before the operation and multiplied back after (pixels
/// with zero alpha are left unchanged), which keeps edges clean for non-linear operations. The data window
/// is the input's: values outside it stay undefined (zero), as in other compositors.
#include "kinema/render/ImageNode.h"

namespace kinema::nodes {

/// Nuke's Grade: per channel, A = multiply·(gain − lift)/(whitepoint − blackpoint),
/// B = offset + lift − A·blackpoint, out = (A·x + B)^(1/gamma) for positive values (negatives stay linear),
/// then the optional black clamp (< 0 → 0) and white clamp (> 1 → 1).
class Grade : public render::ImageNode {
public:
    Grade();
    render::ImagePtr compute(const render::EvalContext& ec) const override;
};

/// Moves colour towards (saturation < 1) or away from (> 1) its luminance: out = L + s·(c − L), with the
/// luminance weights of the chosen primaries (Rec.709 or ACEScg AP1).
class Saturation : public render::ImageNode {
public:
    Saturation();
    render::ImagePtr compute(const render::EvalContext& ec) const override;
};

/// Multiplies R, G, B by 2^stops (per channel stops, plus a master value added to each).
class Exposure : public render::ImageNode {
public:
    Exposure();
    render::ImagePtr compute(const render::EvalContext& ec) const override;
};

} // namespace kinema::nodes
