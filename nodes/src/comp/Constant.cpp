// SPDX-License-Identifier: Apache-2.0
#include "Constant.h"

#include "kinema/render/ThreadPool.h"

namespace kinema::nodes {

using namespace graph;

Constant::Constant()
    : ImageNode({"Constant", 1, "Image", "A solid colour."}) {
    ParamSpec color{"color", ParamType::Color, std::array<double, 4>{0.18, 0.18, 0.18, 1.0}};
    color.metadata.label = "Color";
    color.metadata.tooltip = "Linear RGBA in the working space (values above 1 are allowed).";
    addParam(color);
    ParamSpec width{"width", ParamType::Int, std::int64_t{0}};
    width.metadata.tooltip = "Width in pixels; 0 uses the project format.";
    width.metadata.minimum = 0;
    width.metadata.maximum = 65536;
    width.metadata.softMaximum = 4096;
    addParam(width);
    ParamSpec height{"height", ParamType::Int, std::int64_t{0}};
    height.metadata.tooltip = "Height in pixels; 0 uses the project format.";
    height.metadata.minimum = 0;
    height.metadata.maximum = 65536;
    height.metadata.softMaximum = 4096;
    addParam(height);
}

render::ImagePtr Constant::compute(const render::EvalContext& ec) const {
    Format format = ec.project().format;
    const auto w = param("width").getInt(ec.frame());
    const auto h = param("height").getInt(ec.frame());
    if (w > 0 && h > 0) {
        format.width = static_cast<int>(w);
        format.height = static_cast<int>(h);
        format.name.clear();
    }
    auto image = std::make_shared<render::Image>(format, format.displayWindow(), render::Image::rgba());
    const auto c = param("color").getVec(ec.frame());
    const auto pixels = static_cast<std::int64_t>(image->pixelCount());
    for (int i = 0; i < 4; ++i) {
        float* plane = image->channel(render::Image::rgba()[static_cast<std::size_t>(i)]);
        const float v = static_cast<float>(c[static_cast<std::size_t>(i)]);
        render::parallelFor(0, pixels, 1 << 16,
                            [&](std::int64_t b, std::int64_t e) { std::fill(plane + b, plane + e, v); });
    }
    return image;
}

} // namespace kinema::nodes
