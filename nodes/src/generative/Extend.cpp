// SPDX-License-Identifier: Apache-2.0
#include "Extend.h"

#include <algorithm>
#include <cmath>

#include "kinema/diffusion/ColourMatch.h"
#include "kinema/diffusion/SeamBlend.h"
#include "kinema/render/Evaluator.h"

namespace kinema::nodes::generative {

using namespace graph;

Extend::Extend()
    : ClipNode({"Extend", 4, "Generative",
                "Extends a clip forward or backward, conditioned on its seam frames."}) {
    addInput({"source", PlugType::Image, false, "Source"});
    ParamSpec direction{"direction", ParamType::Enum, std::int64_t{0}};
    direction.enumItems = {"Forward", "Backward"};
    direction.metadata.tooltip = "Forward: after the source's last frame. Backward: before its first frame.";
    direction.metadata.animatable = false;
    addParam(direction);
    // 4 frames: frame 0 of a Wan VAE's clip alone, then three of the next latent frame's four; the first
    // extension frame completes that latent frame, so the cut from the source falls inside one
    // (diffusion::opensLatentFrame) and the model still sees the source's motion (docs/demo-model.md).
    ParamSpec overlap{"overlap", ParamType::Int, std::int64_t{4}};
    overlap.metadata.tooltip =
        "Source frames at the seam that condition the extension. More frames show the model more of the "
        "source's motion.";
    overlap.metadata.minimum = 1;
    overlap.metadata.maximum = 33;
    overlap.metadata.softMinimum = 1;
    overlap.metadata.softMaximum = 9;
    overlap.metadata.animatable = false;
    addParam(overlap);
    ParamSpec alignSeam{"alignSeam", ParamType::Bool, true};
    alignSeam.metadata.tooltip =
        "Forward: keep the seam inside one of the model's latent frames. When the overlap would put the "
        "first new frame where a latent frame begins (overlap 1, 5, 9...), where generated frames step "
        "most, the generation starts one hidden frame earlier.";
    alignSeam.metadata.animatable = false;
    addParam(alignSeam);
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
    const bool forward = param("direction").enumItem() == "Forward";
    // Going forward the generation is [lead] overlap + extension, its first new frame at `overlap` without
    // the lead frame. Going back it is extension + overlap: there a seam inside a latent frame measured no
    // steadier than one at its start (docs/demo-model.md, "Where the seam falls"), so no lead frame.
    const int lead = forward && param("alignSeam").getBool(0) ? diffusion::seamLeadFrames(overlap) : 0;
    s.duration = lead + extension + overlap;
    s.shownFrom = lead;
    s.startFrame = (forward ? src.last - overlap + 1 : src.first - extension) - lead;
}

std::vector<std::pair<int, int>> Extend::overlapFrames(const render::EvalContext& ec,
                                                       const ClipSettings& s) const {
    const auto src = sourceRange(ec);
    std::vector<std::pair<int, int>> out;
    for (int pos = s.shownFrom; pos < s.duration; ++pos) { // a lead frame is generated, not conditioned
        const int frame = s.startFrame + pos;
        if (src.contains(frame))
            out.emplace_back(pos, frame);
    }
    return out;
}

void Extend::hashConditioning(const render::EvalContext& ec, const ClipSettings& s, Hasher& h) const {
    h.append("extend").append(param("direction").enumItem()).append(param("colorMatch").getBool(0));
    h.append(s.shownFrom);
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
    // The source's overlap frames, pulled once, in the clip's [0, 1] code values.
    std::vector<std::vector<float>> sources;
    for (const auto& [pos, frame] : overlap) {
        auto& codes = sources.emplace_back(inputAsModelImage(ec, 0, frame, s).rgb);
        for (float& v : codes)
            v = (v + 1.0f) * 0.5f;
    }
    if (param("colorMatch").getBool(0))
        matchColour(overlap, sources, clip);
    // The seam is the overlap frame next to the extension: the source's last frame going forward, its
    // first going backward. The source's own frame is shown there, so the generated frames beyond it
    // take the difference between it and the generation's copy, fading out.
    const bool forward = param("direction").enumItem() == "Forward";
    const int pos = forward ? overlap.back().first : overlap.front().first;
    blendClipSeam(clip, pos, forward ? sources.back() : sources.front(),
                  forward ? diffusion::SeamSide::After : diffusion::SeamSide::Before);
}

void Extend::matchColour(const std::vector<std::pair<int, int>>& overlap,
                         const std::vector<std::vector<float>>& sources, Clip& clip) const {
    std::vector<const float*> generated, reference;
    for (std::size_t k = 0; k < overlap.size(); ++k) {
        generated.push_back(clip.frame(overlap[k].first));
        reference.push_back(sources[k].data());
    }
    const auto pixels = static_cast<std::size_t>(clip.width * clip.height);
    const auto match = diffusion::fitColourMatch(generated, reference, pixels);
    diffusion::applyColourMatch(match, clip.rgb.data(), clip.rgb.size(), 0.0f, 1.0f);
    roundToHalf(clip.rgb);
    clip.measures["colorMatchGain"] = match.meanGain();
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
