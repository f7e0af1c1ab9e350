// SPDX-License-Identifier: Apache-2.0
#pragma once
#include "GenerativeNodes.h"

namespace kinema::nodes::generative {

/// A generative relight of the source video that keeps its structure and detail.
///
/// The model re-imagines the source as video-to-video at a moderate strength (default 0.45) with the
/// prompt plus a lighting phrase built from the direction, temperature and intensity parameters
/// ("warm light from the left, bright light"), in the model's log-like code values (ACEScct for native-HDR
/// models). Only the low frequencies of that result are kept: the output at the source's full resolution
/// is the source's code values plus the difference between the generated and the source low-pass images
/// (both at the clip size, blurred by `radius` clip pixels, upsampled bilinearly), times `amount`. So the
/// lighting comes from the model while edges and texture stay the source's, and in log space the change
/// is a smooth gain on scene-linear values. Output: scene-linear working space, the source's format.
class Relight : public VideoToVideo {
public:
    Relight();

    /// Clip hash + frame (the clip hash covers every source frame read) + the detail-transfer parameters.
    render::Hash128 hash(const render::EvalContext& ec) const override;
    render::ImagePtr compute(const render::EvalContext& ec) const override;

protected:
    /// Appends the lighting phrase to the prompt.
    void place(const render::EvalContext& ec, ClipSettings& s) const override;
};

} // namespace kinema::nodes::generative
