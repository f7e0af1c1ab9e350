// SPDX-License-Identifier: Apache-2.0
#pragma once
#include "ClipNode.h"

namespace kinema::nodes::generative {

/// A clip from a prompt alone.
class TextToVideo : public ClipNode {
public:
    TextToVideo();
};

/// A clip whose first frame is the input image (read at the clip's first frame).
class ImageToVideo : public ClipNode {
public:
    ImageToVideo();

protected:
    void hashConditioning(const render::EvalContext& ec, const ClipSettings& s,
                          graph::Hasher& h) const override;
    void addConditioning(const render::EvalContext& ec, const ClipSettings& s,
                         diffusion::GenerateRequest& request) const override;
};

/// Two to four keyframe inputs placed at chosen positions in the clip; the motion between them is generated.
/// Each key is read at its own frame (clip start + position).
class KeyframeInterpolate : public ClipNode {
public:
    static constexpr int kMaxKeys = 4;
    KeyframeInterpolate();

protected:
    void hashConditioning(const render::EvalContext& ec, const ClipSettings& s,
                          graph::Hasher& h) const override;
    void addConditioning(const render::EvalContext& ec, const ClipSettings& s,
                         diffusion::GenerateRequest& request) const override;

private:
    /// (input index, position in the clip) of every connected key, validated.
    std::vector<std::pair<int, int>> keys(const render::EvalContext& ec, const ClipSettings& s) const;
};

/// Re-imagines the source video: strength 0 returns it (through the VAE), 1 generates anew.
class VideoToVideo : public ClipNode {
public:
    VideoToVideo();

protected:
    VideoToVideo(graph::NodeTypeInfo info, double strength);
    void hashConditioning(const render::EvalContext& ec, const ClipSettings& s,
                          graph::Hasher& h) const override;
    void addConditioning(const render::EvalContext& ec, const ClipSettings& s,
                         diffusion::GenerateRequest& request) const override;
};

/// Final from Draft: re-renders a Draft generation (its input) at the quality set here, using the draft's
/// frames, resampled to the final size, as the init video with the same seed. `strength` (default 0.5)
/// is how far the final may depart from the draft.
class Upscale : public VideoToVideo {
public:
    Upscale();
};

/// A seamless loop: the input image conditions the first frame and the frame just after the last one, so
/// playing the clip on repeat shows no jump. The model draws the wrap-around frame close to the first
/// but not equal to it, so `seamBlend` then carries their difference into the last frames, fading out
/// backwards (diffusion::blendSeam). The measured seam goes into the output metadata (and so onto the
/// node's info in the app): `kinema/gen/loopSeam` is the difference from the last frame to the first
/// over the mean difference between consecutive frames, in the model's code values (about 1 when the
/// wrap looks like any other frame step; larger is a visible jump), `kinema/gen/loopSeamUnblended` the
/// same before the seam blend, and `kinema/gen/loopWrapDifference` the mean absolute difference between
/// the model's wrap-around frame and the first frame (0 = identical).
class Loop : public ClipNode {
public:
    Loop();

protected:
    int extraFrames() const override { return 1; }
    void hashConditioning(const render::EvalContext& ec, const ClipSettings& s,
                          graph::Hasher& h) const override;
    void addConditioning(const render::EvalContext& ec, const ClipSettings& s,
                         diffusion::GenerateRequest& request) const override;
    void finishClip(const render::EvalContext& ec, const ClipSettings& s, Clip& clip) const override;
};

} // namespace kinema::nodes::generative
