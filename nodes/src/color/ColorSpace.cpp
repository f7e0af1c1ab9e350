// SPDX-License-Identifier: Apache-2.0
#include "ColorSpace.h"

#include "ColorSpaceConfig.h"
#include "comp/ImageOps.h"

namespace kinema::nodes {

using namespace graph;

ColorSpace::ColorSpace()
    : ImageNode({"ColorSpace", 1, "Color", "Converts the image between two OCIO colour spaces."}) {
    addInput({"in", PlugType::Image, false, "Input"});
    addParam(ops::stringSpec("in", "scene_linear", "Source colour space (name, alias or role)."));
    addParam(ops::stringSpec("out", "scene_linear", "Destination colour space (name, alias or role)."));
    addParam(ops::boolSpec("unpremultiply", false,
                           "Divide colour by alpha before the conversion and multiply after it (for "
                           "conversions to or from non-linear encodings)."));
}

color::ColorTransform ColorSpace::transform(const render::EvalContext& ec) const {
    const color::ConfigHandle config = configFor(ec);
    return color::ColorTransform::colorSpace(config.canonicalColorSpace(param("in").getString()),
                                             config.canonicalColorSpace(param("out").getString()));
}

render::Hash128 ColorSpace::hash(const render::EvalContext& ec) const {
    Hasher h;
    hashDefault(ec, h);
    hashColorTransform(h, ec, transform(ec));
    return h.finish();
}

render::ImagePtr ColorSpace::compute(const render::EvalContext& ec) const {
    return applyColorTransform(ec, transform(ec), param("unpremultiply").getBool(ec.frame()));
}

} // namespace kinema::nodes
