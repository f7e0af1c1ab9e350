// SPDX-License-Identifier: Apache-2.0
#include "Extend.h"

#include <algorithm>
#include <cmath>

#include "kinema/render/Evaluator.h"

namespace kinema::nodes::generative {

using namespace graph;

Extend::Extend()
    : ClipNode({"Extend", 3, "Generative",
                "Extends a clip forward or backward, conditioned on its seam frames."}) {
    addInput({"source", PlugType::Image, false, "Source"});
    ParamSpec direction{"direction", ParamType::Enum, std::int64_t{0}};
    direction.enumItems = {"Forward", "Backward"};
    direction.metadata.tooltip = "Forward: after the source's last frame. Backward: before its first frame.";
    direction.metadata.animatable = false;
    addParam(direction);
    // 5 frames fill the first two latent frames of a Wan VAE (1 + 4): the model sees the source's motion,
    // not a single still, and the jump at the seam is smaller (docs/demo-model.md).
    ParamSpec overlap{"overlap", ParamType::Int, std::int64_t{5}};
    overlap.metadata.tooltip =
        "Source frames at the seam that condition the extension; 4k + 1 (1, 5, 9) fill "
        "whole latent frames.";
    overlap.metadata.minimum = 1;
    overlap.metadata.maximum = 33;
    overlap.metadata.softMinimum = 1;
    overlap.metadata.softMaximum = 9;
    overlap.metadata.animatable = false;
    addParam(overlap);
    ParamSpec colorMatch{"colorMatch", ParamType::Bool, true};
    colorMatch.metadata.tooltip = "Match the extension's colour to the source at the seam.";
    colorMatch.metadata.animatable = false;
    addParam(colorMatch);
    addSeamBlendParam(8);
    // The default extension is about 5 s at 24 fps.
    param("duration").setValue(std::int64_t{121});
}

render::FrameRange Extend::sourceRange(const render::EvalContext& ec) const {
    if (!ec.hasInput(0))
        throw GenerativeError("input 'source' is not connected");
    const auto range = ec.inputFrameRange(0);
    if (!range)
        throw GenerativeError("input 'source' has no frame range to extend");
    return *range;
}

void Extend::place(const render::EvalContext& ec, ClipSettings& s) const {
    const auto src = sourceRange(ec);
    const int overlap = std::min(static_cast<int>(param("overlap").getInt(0)), src.last - src.first + 1);
    const int extension = s.duration;
    s.duration = extension + overlap; // the generated clip: extension + overlap frames
    s.startFrame =
        param("direction").enumItem() == "Forward" ? src.last - overlap + 1 : src.first - extension;
}

std::vector<std::pair<int, int>> Extend::overlapFrames(const render::EvalContext& ec,
                                                       const ClipSettings& s) const {
    const auto src = sourceRange(ec);
    std::vector<std::pair<int, int>> out;
    for (int pos = 0; pos < s.duration; ++pos) {
        const int frame = s.startFrame + pos;
        if (src.contains(frame))
            out.emplace_back(pos, frame);
    }
    return out;
}

void Extend::hashConditioning(const render::EvalContext& ec, const ClipSettings& s, Hasher& h) const {
    h.append("extend").append(param("direction").enumItem()).append(param("colorMatch").getBool(0));
    h.append(param("seamBlend").getInt(0));
    for (const auto& [pos, frame] : overlapFrames(ec, s))
        h.append(pos).append(ec.inputHash(0, ec.context().withFrame(frame)));
}

void Extend::addConditioning(const render::EvalContext& ec, const ClipSettings& s,
                             diffusion::GenerateRequest& request) const {
    for (const auto& [pos, frame] : overlapFrames(ec, s))
        request.conditioning.push_back({pos, inputAsModelImage(ec, 0, frame, s), {}});
}

void Extend::finishClip(const render::EvalContext& ec, const ClipSettings& s, Clip& clip) const {
    const auto overlap = overlapFrames(ec, s);
    if (overlap.empty())
        return;
    std::vector<diffusion::Image> sources; // the source's overlap frames, pulled once
    for (const auto& [pos, frame] : overlap)
        sources.push_back(inputAsModelImage(ec, 0, frame, s));
    if (param("colorMatch").getBool(0))
        matchColour(overlap, sources, clip);
    // The seam is the overlap frame next to the extension: the source's last frame going forward, its
    // first going backward. The source's own frame is shown there, so the generated frames beyond it
    // take the difference between it and the generation's copy, fading out.
    const bool forward = param("direction").enumItem() == "Forward";
    const int pos = forward ? overlap.back().first : overlap.front().first;
    const diffusion::Image& image = forward ? sources.back() : sources.front();
    std::vector<float> target(image.rgb.size());
    for (std::size_t i = 0; i < target.size(); ++i)
        target[i] = (image.rgb[i] + 1.0f) * 0.5f;
    blendClipSeam(clip, pos, target, forward ? diffusion::SeamSide::After : diffusion::SeamSide::Before);
}

void Extend::matchColour(const std::vector<std::pair<int, int>>& overlap,
                         const std::vector<diffusion::Image>& sources, Clip& clip) const {
    // Per-channel mean and standard deviation of the overlap frames: generated vs source.
    double gen[3][2] = {}, src[3][2] = {};
    std::size_t count = 0;
    const std::size_t pixels = static_cast<std::size_t>(clip.width * clip.height);
    for (std::size_t k = 0; k < overlap.size(); ++k) {
        const diffusion::Image& image = sources[k];
        const float* g = clip.frame(overlap[k].first);
        for (std::size_t i = 0; i < pixels; ++i)
            for (int c = 0; c < 3; ++c) {
                const double a = g[i * 3 + static_cast<std::size_t>(c)];
                const double b = (image.rgb[i * 3 + static_cast<std::size_t>(c)] + 1.0) * 0.5;
                gen[c][0] += a;
                gen[c][1] += a * a;
                src[c][0] += b;
                src[c][1] += b * b;
            }
        count += pixels;
    }
    if (count == 0)
        return;
    double gain[3], offset[3];
    for (int c = 0; c < 3; ++c) {
        const double mg = gen[c][0] / count, ms = src[c][0] / count;
        const double sg = std::sqrt(std::max(0.0, gen[c][1] / count - mg * mg));
        const double ss = std::sqrt(std::max(0.0, src[c][1] / count - ms * ms));
        gain[c] = sg > 1e-6 ? std::clamp(ss / sg, 0.25, 4.0) : 1.0;
        offset[c] = ms - mg * gain[c];
    }
    for (std::size_t i = 0; i < clip.rgb.size(); ++i) {
        const int c = static_cast<int>(i % 3);
        clip.rgb[i] = std::clamp(static_cast<float>(clip.rgb[i] * gain[c] + offset[c]), 0.0f, 1.0f);
    }
    roundToHalf(clip.rgb);
    clip.measures["colorMatchGain"] = (gain[0] + gain[1] + gain[2]) / 3.0;
}

render::Hash128 Extend::hash(const render::EvalContext& ec) const {
    if (ec.hasInput(0)) {
        const auto range = ec.inputFrameRange(0);
        if (range && range->contains(std::lround(ec.frame())))
            return ec.inputHash(0);
    }
    return ClipNode::hash(ec);
}

render::ImagePtr Extend::compute(const render::EvalContext& ec) const {
    const auto src = sourceRange(ec);
    if (src.contains(std::lround(ec.frame())))
        return ec.pullInput(0);
    return ClipNode::compute(ec);
}

std::optional<render::FrameRange> Extend::frameRange(const render::Evaluator& evaluator) const {
    if (!input(0))
        return std::nullopt;
    const auto src = evaluator.frameRange(*input(0));
    if (!src)
        return std::nullopt;
    const int extension = static_cast<int>(param("duration").getInt(0));
    if (param("direction").enumItem() == "Forward")
        return render::FrameRange{src->first, src->last + extension};
    return render::FrameRange{src->first - extension, src->last};
}

} // namespace kinema::nodes::generative
