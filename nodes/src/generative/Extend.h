// SPDX-License-Identifier: Apache-2.0
#pragma once
#include "ClipNode.h"

namespace kinema::nodes::generative {

/// Extends the source clip forward (after its last frame) or backward (before its first) by `duration`
/// frames. The generation covers the extension plus `overlap` source frames at the seam, which condition
/// it; with `colorMatch` the generated frames get a per-channel gain and offset that match their overlap
/// frames' mean and spread to the source's, so the seam does not drift; then `seamBlend` carries the
/// difference between the source's seam frame and the generation's copy of it into the first extension
/// frames, fading out (diffusion::blendSeam), so the cut from the source's real frame does not jump.
/// With `alignSeam`, going forward, the generation starts one hidden, unconditioned frame earlier when the
/// cut would otherwise fall where a latent frame begins (diffusion::seamLeadFrames; ClipSettings::shownFrom).
/// Output = the source's own frames (passed through unchanged) + the extension.
class Extend : public ClipNode {
public:
    Extend();
    render::Hash128 hash(const render::EvalContext& ec) const override;
    render::ImagePtr compute(const render::EvalContext& ec) const override;
    std::optional<render::FrameRange> frameRange(const render::Evaluator& evaluator) const override;

protected:
    void place(const render::EvalContext& ec, ClipSettings& s) const override;
    void hashConditioning(const render::EvalContext& ec, const ClipSettings& s,
                          graph::Hasher& h) const override;
    void addConditioning(const render::EvalContext& ec, const ClipSettings& s,
                         diffusion::GenerateRequest& request) const override;
    void finishClip(const render::EvalContext& ec, const ClipSettings& s, Clip& clip) const override;

private:
    render::FrameRange sourceRange(const render::EvalContext& ec) const;
    /// (position in the clip, source frame) of every overlap frame.
    std::vector<std::pair<int, int>> overlapFrames(const render::EvalContext& ec,
                                                   const ClipSettings& s) const;
    /// Per-channel gain and offset that match the overlap frames' mean and spread to the source's
    /// (`sources`: the source's frame of each overlap entry, in the clip's [0, 1] code values).
    void matchColour(const std::vector<std::pair<int, int>>& overlap,
                     const std::vector<std::vector<float>>& sources, Clip& clip) const;
};

} // namespace kinema::nodes::generative
