// SPDX-License-Identifier: Apache-2.0
#include "OCIODisplay.h"

#include "ColorSpaceConfig.h"
#include "comp/ImageOps.h"

namespace kinema::nodes {

using namespace graph;

OCIODisplay::OCIODisplay()
    : ImageNode({"OCIODisplay", 1, "Color", "Applies an OCIO display/view transform to the pixels."}) {
    addInput({"in", PlugType::Image, false, "Input"});
    addParam(ops::stringSpec("in", "scene_linear", "Colour space of the input (name, alias or role)."));
    addParam(ops::stringSpec("display", "", "Display; empty = the config's default display."));
    addParam(ops::stringSpec("view", "", "View; empty = the display's default view."));
    addParam(ops::stringSpec("looks", "", "Extra looks applied before the view (OCIO syntax, e.g. +grade)."));
    auto exposure = ops::floatSpec("exposure", 0.0, -8.0, 8.0, "Exposure in stops, applied in scene_linear.");
    exposure.metadata.animatable = false;
    addParam(exposure);
    auto gamma = ops::floatSpec("gamma", 1.0, 0.2, 4.0, "Display gamma applied after the view.");
    gamma.metadata.minimum = 0.01;
    gamma.metadata.animatable = false;
    addParam(gamma);
    addParam(
        ops::boolSpec("invert", false, "Apply the inverse transform (display values to the input space)."));
    addParam(ops::boolSpec("unpremultiply", true,
                           "Divide colour by alpha before the transform and multiply after it."));
}

color::ColorTransform OCIODisplay::transform(const render::EvalContext& ec) const {
    const color::ConfigHandle config = configFor(ec);
    std::string display = param("display").getString();
    if (display.empty())
        display = config.defaultDisplay();
    std::string view = param("view").getString();
    if (view.empty())
        view = config.defaultView(display);
    const auto direction = param("invert").getBool(0.0) ? color::ColorTransform::Direction::Inverse
                                                        : color::ColorTransform::Direction::Forward;
    auto t = color::ColorTransform::displayView(config.canonicalColorSpace(param("in").getString()), display,
                                                view, direction);
    if (!param("looks").getString().empty())
        t = t.withLooks(param("looks").getString());
    if (param("exposure").getDouble(0.0) != 0.0)
        t = t.withExposure(param("exposure").getDouble(0.0));
    if (param("gamma").getDouble(0.0) != 1.0)
        t = t.withGamma(param("gamma").getDouble(0.0));
    return t;
}

render::Hash128 OCIODisplay::hash(const render::EvalContext& ec) const {
    Hasher h;
    hashDefault(ec, h);
    hashColorTransform(h, ec, transform(ec));
    return h.finish();
}

render::ImagePtr OCIODisplay::compute(const render::EvalContext& ec) const {
    return applyColorTransform(ec, transform(ec), param("unpremultiply").getBool(ec.frame()));
}

} // namespace kinema::nodes
