// SPDX-License-Identifier: Apache-2.0
#include "GenerativeNodes.h"

#include <algorithm>
#include <cmath>
#include <set>

namespace kinema::nodes::generative {

using namespace graph;

TextToVideo::TextToVideo()
    : ClipNode({"TextToVideo", 1, "Generative", "Generates a clip from a prompt."}) {}

ImageToVideo::ImageToVideo()
    : ClipNode({"ImageToVideo", 1, "Generative", "Generates a clip that starts at the input image."}) {
    addInput({"image", PlugType::Image, false, "Image"});
}

void ImageToVideo::hashConditioning(const render::EvalContext& ec, const ClipSettings& s, Hasher& h) const {
    h.append("image").append(ec.inputHash(0, ec.context().withFrame(s.startFrame)));
}

void ImageToVideo::addConditioning(const render::EvalContext& ec, const ClipSettings& s,
                                   diffusion::GenerateRequest& request) const {
    diffusion::ConditioningFrame frame;
    frame.position = 0;
    frame.image = inputAsModelImage(ec, 0, s.startFrame, s);
    request.conditioning.push_back(std::move(frame));
}

KeyframeInterpolate::KeyframeInterpolate()
    : ClipNode({"KeyframeInterpolate", 1, "Generative",
                "Generates the motion between keyframes placed at chosen positions."}) {
    for (int k = 1; k <= kMaxKeys; ++k) {
        const std::string n = std::to_string(k);
        addInput({"key" + n, PlugType::Image, k > 2, "Key " + n});
        ParamSpec pos{"key" + n + "Position", ParamType::Int, std::int64_t{k == 1 ? 0 : -1}};
        pos.metadata.tooltip = "Position of key " + n + " in the clip (0 = first frame, -1 = last frame).";
        pos.metadata.minimum = -1;
        pos.metadata.maximum = 100000;
        pos.metadata.softMinimum = -1;
        pos.metadata.softMaximum = 240;
        pos.metadata.animatable = false;
        pos.metadata.group = "Keys";
        addParam(pos);
    }
}

std::vector<std::pair<int, int>> KeyframeInterpolate::keys(const render::EvalContext& ec,
                                                           const ClipSettings& s) const {
    std::vector<std::pair<int, int>> result;
    std::set<int> used;
    for (int i = 0; i < kMaxKeys; ++i) {
        const std::string n = std::to_string(i + 1);
        if (!ec.hasInput(i)) {
            if (i < 2)
                throw GenerativeError("input 'key" + n +
                                      "' is not connected (at least two keyframes are needed)");
            continue;
        }
        int pos = static_cast<int>(param("key" + n + "Position").getInt(0));
        if (pos < 0)
            pos = s.duration - 1;
        if (pos >= s.duration)
            throw GenerativeError("key" + n + "Position: " + std::to_string(pos) +
                                  " is outside the clip (0.." + std::to_string(s.duration - 1) + ")");
        if (!used.insert(pos).second)
            throw GenerativeError("key" + n + "Position: another keyframe is already at position " +
                                  std::to_string(pos));
        result.emplace_back(i, pos);
    }
    return result;
}

void KeyframeInterpolate::hashConditioning(const render::EvalContext& ec, const ClipSettings& s,
                                           Hasher& h) const {
    for (const auto& [input, pos] : keys(ec, s))
        h.append("key").append(input).append(pos).append(
            ec.inputHash(input, ec.context().withFrame(s.startFrame + pos)));
}

void KeyframeInterpolate::addConditioning(const render::EvalContext& ec, const ClipSettings& s,
                                          diffusion::GenerateRequest& request) const {
    for (const auto& [input, pos] : keys(ec, s)) {
        diffusion::ConditioningFrame frame;
        frame.position = pos;
        frame.image = inputAsModelImage(ec, input, s.startFrame + pos, s);
        request.conditioning.push_back(std::move(frame));
    }
}

VideoToVideo::VideoToVideo()
    : VideoToVideo({"VideoToVideo", 1, "Generative",
                    "Re-imagines the source video; strength 0 keeps it, 1 generates anew."},
                   0.6) {}

VideoToVideo::VideoToVideo(NodeTypeInfo info, double defaultStrength)
    : ClipNode(std::move(info)) {
    addInput({"source", PlugType::Image, false, "Source"});
    ParamSpec strength{"strength", ParamType::Float, defaultStrength};
    strength.metadata.tooltip = "Imagination: 0 returns the source (through the VAE), 1 ignores it.";
    strength.metadata.minimum = 0.0;
    strength.metadata.maximum = 1.0;
    strength.metadata.animatable = false;
    strength.metadata.group = "Generation";
    addParam(strength);
}

namespace {
/// The source frame read for generated frame `i`: frames past the duration repeat the last one.
double sourceFrame(const ClipSettings& s, int i) {
    return s.startFrame + std::min(i, s.duration - 1);
}
} // namespace

void VideoToVideo::hashConditioning(const render::EvalContext& ec, const ClipSettings& s, Hasher& h) const {
    h.append("strength").append(param("strength").getDouble(0));
    for (int i = 0; i < s.duration; ++i)
        h.append(ec.inputHash(0, ec.context().withFrame(sourceFrame(s, i))));
}

void VideoToVideo::addConditioning(const render::EvalContext& ec, const ClipSettings& s,
                                   diffusion::GenerateRequest& request) const {
    request.strength = param("strength").getDouble(0);
    request.initVideo.clear();
    for (int i = 0; i < s.genFrames; ++i) {
        ec.checkCancelled();
        request.initVideo.push_back(inputAsModelImage(ec, 0, sourceFrame(s, i), s));
    }
}

Upscale::Upscale()
    : VideoToVideo(
          {"Upscale", 1, "Generative",
           "Re-renders a Draft generation at Final quality, using it as the init with the same seed."},
          0.5) {}

Loop::Loop()
    : ClipNode(
          {"Loop", 2, "Generative", "Generates a seamless loop that starts and wraps at the input image."}) {
    addInput({"image", PlugType::Image, false, "Image"});
    addSeamBlendParam(8);
}

void Loop::hashConditioning(const render::EvalContext& ec, const ClipSettings& s, Hasher& h) const {
    h.append("loop").append(ec.inputHash(0, ec.context().withFrame(s.startFrame)));
    h.append(param("seamBlend").getInt(0));
}

void Loop::addConditioning(const render::EvalContext& ec, const ClipSettings& s,
                           diffusion::GenerateRequest& request) const {
    const diffusion::Image image = inputAsModelImage(ec, 0, s.startFrame, s);
    request.conditioning.push_back({0, image, {}});
    request.conditioning.push_back({s.duration, image, {}});
}

void Loop::finishClip(const render::EvalContext&, const ClipSettings& s, Clip& clip) const {
    const std::size_t n = static_cast<std::size_t>(clip.width * clip.height * 3);
    auto difference = [&](int a, int b) {
        const float* pa = clip.frame(a);
        const float* pb = clip.frame(b);
        double sum = 0.0;
        for (std::size_t i = 0; i < n; ++i)
            sum += std::abs(static_cast<double>(pa[i]) - pb[i]);
        return n ? sum / static_cast<double>(n) : 0.0;
    };
    const int frames = std::min(s.duration, clip.frames);
    // The frame after the loop's last is generated on the first image: how close the model came to it.
    const int wrap = std::min(s.duration, clip.frames - 1);
    clip.measures["loopWrapDifference"] = difference(0, wrap);
    // The played seam (last frame -> first frame) over the typical frame-to-frame change: 1 is seamless.
    auto seam = [&]() {
        double consecutive = 0.0;
        for (int f = 1; f < frames; ++f)
            consecutive += difference(f - 1, f);
        consecutive /= frames - 1;
        return consecutive > 0.0 ? difference(frames - 1, 0) / consecutive : 0.0;
    };
    if (frames < 3)
        return;
    clip.measures["loopSeamUnblended"] = seam();
    // That frame stands for the first one, which is what plays after the last: the loop's tail takes the
    // difference between the two, fading out backwards and stopping short of the first frame itself.
    blendClipSeam(clip, wrap, std::vector<float>(clip.frame(0), clip.frame(0) + n),
                  diffusion::SeamSide::Before, wrap - 1);
    clip.measures["loopSeam"] = seam();
}

} // namespace kinema::nodes::generative
