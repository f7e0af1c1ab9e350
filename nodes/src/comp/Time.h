// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Time nodes: FrameHold, TimeOffset, FrameRange and Retime.
///
/// They pull their input at another frame than the request's. Their hash is built from the input's hash at
/// the frame actually pulled, never from the request's frame, so a held frame is computed once and
/// shifted clips share cache entries with the unshifted input. frameRange() reports the frames they output.
#include "kinema/render/ImageNode.h"

namespace kinema::nodes {

/// Outputs the input's frame `frame` on every frame.
class FrameHold : public render::ImageNode {
public:
    FrameHold();
    render::Hash128 hash(const render::EvalContext& ec) const override;
    render::ImagePtr compute(const render::EvalContext& ec) const override;
    std::optional<render::FrameRange> frameRange(const render::Evaluator& evaluator) const override;
};

/// Shifts the input in time: output frame f shows input frame f − offset.
class TimeOffset : public render::ImageNode {
public:
    TimeOffset();
    render::Hash128 hash(const render::EvalContext& ec) const override;
    render::ImagePtr compute(const render::EvalContext& ec) const override;
    std::optional<render::FrameRange> frameRange(const render::Evaluator& evaluator) const override;
};

/// Restricts the clip to [first, last]: frames outside hold the nearest end frame.
class FrameRangeNode : public render::ImageNode {
public:
    FrameRangeNode();
    render::Hash128 hash(const render::EvalContext& ec) const override;
    render::ImagePtr compute(const render::EvalContext& ec) const override;
    std::optional<render::FrameRange> frameRange(const render::Evaluator& evaluator) const override;
};

/// Changes speed: output frame f shows input frame inputStart + (f − outputStart)·speed. Fractional source
/// frames blend the two neighbouring frames linearly when `blend` is on, else take the nearest frame.
class Retime : public render::ImageNode {
public:
    Retime();
    render::Hash128 hash(const render::EvalContext& ec) const override;
    render::ImagePtr compute(const render::EvalContext& ec) const override;
    std::optional<render::FrameRange> frameRange(const render::Evaluator& evaluator) const override;

private:
    struct Sample {
        double frame0 = 0, frame1 = 0;
        float weight1 = 0; ///< 0 = frame0 only
    };
    Sample sourceFrames(double frame) const;
};

} // namespace kinema::nodes
