// SPDX-License-Identifier: Apache-2.0
#include "comp/Time.h"

#include <algorithm>
#include <cmath>

#include "comp/ImageOps.h"
#include "kinema/render/Evaluator.h"

namespace kinema::nodes {

using namespace graph;

FrameHold::FrameHold()
    : ImageNode({"FrameHold", 1, "Time", "Holds one input frame."}) {
    addInput({"input", PlugType::Image, false, "Input"});
    addParam(ops::intSpec("frame", 1, "The input frame shown on every frame."));
}

render::Hash128 FrameHold::hash(const render::EvalContext& ec) const {
    const double held = static_cast<double>(param("frame").getInt(ec.frame()));
    return ec.inputHash(0, ec.context().withFrame(held));
}

render::ImagePtr FrameHold::compute(const render::EvalContext& ec) const {
    const double held = static_cast<double>(param("frame").getInt(ec.frame()));
    return ec.pullInput(0, ec.context().withFrame(held));
}

std::optional<render::FrameRange> FrameHold::frameRange(const render::Evaluator&) const {
    return std::nullopt;
}

TimeOffset::TimeOffset()
    : ImageNode({"TimeOffset", 1, "Time", "Shifts the input in time."}) {
    addInput({"input", PlugType::Image, false, "Input"});
    auto offset =
        ops::intSpec("offset", 0, "Frames added to the input's timing (output f = input f − offset).");
    offset.metadata.animatable = false;
    addParam(offset);
}

render::Hash128 TimeOffset::hash(const render::EvalContext& ec) const {
    const double offset = static_cast<double>(param("offset").getInt(ec.frame()));
    return ec.inputHash(0, ec.context().withFrame(ec.frame() - offset));
}

render::ImagePtr TimeOffset::compute(const render::EvalContext& ec) const {
    const double offset = static_cast<double>(param("offset").getInt(ec.frame()));
    return ec.pullInput(0, ec.context().withFrame(ec.frame() - offset));
}

std::optional<render::FrameRange> TimeOffset::frameRange(const render::Evaluator& evaluator) const {
    auto range = ImageNode::frameRange(evaluator);
    if (!range)
        return range;
    const int offset = static_cast<int>(param("offset").getInt(0.0));
    return render::FrameRange{range->first + offset, range->last + offset};
}

FrameRangeNode::FrameRangeNode()
    : ImageNode({"FrameRange", 1, "Time", "Limits the frame range."}) {
    addInput({"input", PlugType::Image, false, "Input"});
    auto first = ops::intSpec("first", 1, "First frame of the clip.");
    first.metadata.animatable = false;
    addParam(first);
    auto last = ops::intSpec("last", 100, "Last frame of the clip.");
    last.metadata.animatable = false;
    addParam(last);
}

namespace {
double clampedFrame(const Node& node, double frame) {
    const auto first = static_cast<double>(node.param("first").getInt(0.0));
    const auto last = static_cast<double>(node.param("last").getInt(0.0));
    return std::clamp(frame, std::min(first, last), std::max(first, last));
}
} // namespace

render::Hash128 FrameRangeNode::hash(const render::EvalContext& ec) const {
    return ec.inputHash(0, ec.context().withFrame(clampedFrame(*this, ec.frame())));
}

render::ImagePtr FrameRangeNode::compute(const render::EvalContext& ec) const {
    return ec.pullInput(0, ec.context().withFrame(clampedFrame(*this, ec.frame())));
}

std::optional<render::FrameRange> FrameRangeNode::frameRange(const render::Evaluator&) const {
    const auto first = static_cast<int>(param("first").getInt(0.0));
    const auto last = static_cast<int>(param("last").getInt(0.0));
    return render::FrameRange{std::min(first, last), std::max(first, last)};
}

Retime::Retime()
    : ImageNode({"Retime", 1, "Time", "Changes playback speed with frame blending."}) {
    addInput({"input", PlugType::Image, false, "Input"});
    auto speed = ops::floatSpec("speed", 1.0, 0.1, 4.0, "Input frames advanced per output frame.");
    speed.metadata.animatable = false;
    addParam(speed);
    auto in = ops::intSpec("inputStart", 1, "Input frame shown at outputStart.");
    in.metadata.animatable = false;
    addParam(in);
    auto out = ops::intSpec("outputStart", 1, "Output frame that shows inputStart.");
    out.metadata.animatable = false;
    addParam(out);
    addParam(ops::boolSpec("blend", true, "Blend neighbouring frames for fractional source frames."));
}

Retime::Sample Retime::sourceFrames(double frame) const {
    const double speed = param("speed").getDouble(0.0);
    const double src = static_cast<double>(param("inputStart").getInt(0.0)) +
                       (frame - static_cast<double>(param("outputStart").getInt(0.0))) * speed;
    const double f0 = std::floor(src);
    const double frac = src - f0;
    Sample s;
    if (frac < 1e-6 || 1.0 - frac < 1e-6) {
        s.frame0 = s.frame1 = std::round(src);
        return s;
    }
    if (!param("blend").getBool(frame)) {
        s.frame0 = s.frame1 = std::round(src);
        return s;
    }
    s.frame0 = f0;
    s.frame1 = f0 + 1.0;
    s.weight1 = static_cast<float>(frac);
    return s;
}

render::Hash128 Retime::hash(const render::EvalContext& ec) const {
    const Sample s = sourceFrames(ec.frame());
    if (s.weight1 == 0.0f)
        return ec.inputHash(0, ec.context().withFrame(s.frame0));
    Hasher h;
    h.append(typeName()).append(version()).append("blend");
    h.append(ec.inputHash(0, ec.context().withFrame(s.frame0)));
    h.append(ec.inputHash(0, ec.context().withFrame(s.frame1)));
    h.append(s.weight1);
    return h.finish();
}

render::ImagePtr Retime::compute(const render::EvalContext& ec) const {
    const Sample s = sourceFrames(ec.frame());
    auto a = ec.pullInput(0, ec.context().withFrame(s.frame0));
    if (s.weight1 == 0.0f)
        return a;
    auto b = ec.pullInput(0, ec.context().withFrame(s.frame1));
    return ops::blendImages(ec, *a, *b, s.weight1);
}

std::optional<render::FrameRange> Retime::frameRange(const render::Evaluator& evaluator) const {
    auto range = ImageNode::frameRange(evaluator);
    const double speed = param("speed").getDouble(0.0);
    if (!range || speed == 0.0)
        return std::nullopt;
    const double in = static_cast<double>(param("inputStart").getInt(0.0));
    const double out = static_cast<double>(param("outputStart").getInt(0.0));
    double a = out + (range->first - in) / speed;
    double b = out + (range->last - in) / speed;
    if (a > b)
        std::swap(a, b);
    return render::FrameRange{static_cast<int>(std::ceil(a - 1e-9)), static_cast<int>(std::floor(b + 1e-9))};
}

} // namespace kinema::nodes
