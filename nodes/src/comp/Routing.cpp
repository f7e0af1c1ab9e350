// SPDX-License-Identifier: Apache-2.0
#include "comp/Routing.h"

#include <algorithm>

#include "comp/ImageOps.h"
#include "kinema/render/Evaluator.h"

namespace kinema::nodes {

using namespace graph;

Dot::Dot()
    : ImageNode({"Dot", 1, "Other", "Pass-through elbow for tidy connections."}) {
    addInput({"input", PlugType::Image, false, "Input"});
}

render::Hash128 Dot::hash(const render::EvalContext& ec) const {
    return ec.inputHash(0);
}

render::ImagePtr Dot::compute(const render::EvalContext& ec) const {
    return ec.pullInput(0);
}

Switch::Switch()
    : ImageNode({"Switch", 1, "Merge", "Outputs the input chosen by 'which'."}) {
    for (int i = 0; i < kInputs; ++i)
        addInput({std::to_string(i), PlugType::Image, i > 0, "Input " + std::to_string(i)});
    auto which = ops::intSpec("which", 0, "Index of the input to output (clamped to the last input).");
    which.metadata.minimum = 0;
    which.metadata.maximum = kInputs - 1;
    which.metadata.softMaximum = kInputs - 1;
    addParam(which);
}

int Switch::chosenInput(double frame) const {
    return static_cast<int>(std::clamp<std::int64_t>(param("which").getInt(frame), 0, kInputs - 1));
}

render::Hash128 Switch::hash(const render::EvalContext& ec) const {
    const int i = chosenInput(ec.frame());
    if (!ec.hasInput(i))
        throw std::runtime_error("Switch input " + std::to_string(i) +
                                 " (parameter 'which') is not connected");
    return ec.inputHash(i);
}

render::ImagePtr Switch::compute(const render::EvalContext& ec) const {
    const int i = chosenInput(ec.frame());
    auto image = ec.pullInput(i);
    if (!image)
        throw std::runtime_error("Switch input " + std::to_string(i) +
                                 " (parameter 'which') is not connected");
    return image;
}

std::optional<render::FrameRange> Switch::frameRange(const render::Evaluator& evaluator) const {
    const int i = chosenInput(0.0);
    if (auto in = input(i))
        return evaluator.frameRange(*in);
    return ImageNode::frameRange(evaluator);
}

Dissolve::Dissolve()
    : ImageNode({"Dissolve", 1, "Merge", "Cross-fade between two inputs."}) {
    addInput({"0", PlugType::Image, false, "Input 0"});
    addInput({"1", PlugType::Image, true, "Input 1"});
    auto which = ops::floatSpec("which", 0.0, 0.0, 1.0, "0 = input 0, 1 = input 1, between = blend.");
    addParam(which);
}

render::Hash128 Dissolve::hash(const render::EvalContext& ec) const {
    const double which = param("which").getDouble(ec.frame());
    if (which <= 0.0 || !ec.hasInput(1))
        return ec.inputHash(0);
    if (which >= 1.0)
        return ec.inputHash(1);
    return ImageNode::hash(ec);
}

render::ImagePtr Dissolve::compute(const render::EvalContext& ec) const {
    const double which = param("which").getDouble(ec.frame());
    if (which <= 0.0 || !ec.hasInput(1))
        return ec.pullInput(0);
    if (which >= 1.0)
        return ec.pullInput(1);
    auto in0 = ec.pullInput(0);
    auto in1 = ec.pullInput(1);
    return ops::blendImages(ec, *in0, *in1, static_cast<float>(which));
}

} // namespace kinema::nodes
