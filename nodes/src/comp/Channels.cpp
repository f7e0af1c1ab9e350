// SPDX-License-Identifier: Apache-2.0
#include "comp/Channels.h"

#include <cmath>
#include <sstream>

#include "comp/ImageOps.h"

namespace kinema::nodes {

using namespace graph;

namespace {

render::ImagePtr scaleByAlpha(const render::EvalContext& ec, const render::ImagePtr& in, bool divide) {
    if (!in->hasChannel("A"))
        return in;
    auto out = std::make_shared<render::Image>(*in);
    const float* alpha = out->channel("A");
    const Box2i& w = out->dataWindow();
    for (const auto& name : out->channelNames()) {
        if (name == "A")
            continue;
        float* plane = out->channel(name);
        ops::forEachRow(ec, w, [&](int y) {
            const std::size_t base = ops::pixelIndex(w, w.x0, y);
            for (std::size_t i = base; i < base + static_cast<std::size_t>(w.width()); ++i) {
                if (!divide)
                    plane[i] *= alpha[i];
                else if (alpha[i] != 0.0f)
                    plane[i] /= alpha[i];
            }
        });
    }
    return out;
}

std::string layerChannel(const std::string& layer, const std::string& component) {
    return layer.empty() ? component : layer + "." + component;
}

} // namespace

Premult::Premult()
    : ImageNode({"Premult", 1, "Merge", "Multiplies colour by alpha."}) {
    addInput({"input", PlugType::Image, false, "Input"});
}

render::ImagePtr Premult::compute(const render::EvalContext& ec) const {
    return scaleByAlpha(ec, ec.pullInput(0), false);
}

Unpremult::Unpremult()
    : ImageNode({"Unpremult", 1, "Merge", "Divides colour by alpha."}) {
    addInput({"input", PlugType::Image, false, "Input"});
}

render::ImagePtr Unpremult::compute(const render::EvalContext& ec) const {
    return scaleByAlpha(ec, ec.pullInput(0), true);
}

Shuffle::Shuffle()
    : ImageNode({"Shuffle", 1, "Channel", "Rearranges channels."}) {
    addInput({"input", PlugType::Image, false, "Input"});
    addParam(ops::stringSpec("inLayer", "", "Layer read from (empty = main RGBA)."));
    addParam(ops::stringSpec("outLayer", "", "Layer written to (empty = main RGBA)."));
    const std::vector<std::string> items{"R", "G", "B", "A", "0", "1"};
    const char* outs[4] = {"red", "green", "blue", "alpha"};
    for (int i = 0; i < 4; ++i)
        addParam(ops::enumSpec(outs[i], items, i, std::string("Source of output ") + outs[i] + "."));
}

render::ImagePtr Shuffle::compute(const render::EvalContext& ec) const {
    auto in = ec.pullInput(0);
    const std::string inLayer = param("inLayer").getString();
    const std::string outLayer = param("outLayer").getString();
    auto out = std::make_shared<render::Image>(*in);
    const char* outs[4] = {"red", "green", "blue", "alpha"};
    const char* comps[4] = {"R", "G", "B", "A"};
    const Box2i& w = out->dataWindow();
    const std::size_t n = out->pixelCount();
    for (int i = 0; i < 4; ++i) {
        const std::string& source = param(outs[i]).enumItem(ec.frame());
        const std::string target = layerChannel(outLayer, comps[i]);
        float* dst = out->addChannel(target);
        if (source == "0" || source == "1") {
            const float v = source == "1" ? 1.0f : 0.0f;
            std::fill(dst, dst + n, v);
            continue;
        }
        const float* src = in->findChannel(layerChannel(inLayer, source));
        if (!src) {
            std::fill(dst, dst + n, 0.0f);
            continue;
        }
        ops::forEachRow(ec, w, [&](int y) {
            const std::size_t base = ops::pixelIndex(w, w.x0, y);
            std::copy_n(src + base, w.width(), dst + base);
        });
    }
    return out;
}

Copy::Copy()
    : ImageNode({"Copy", 1, "Channel", "Copies channels from A into B."}) {
    addInput({"B", PlugType::Image, false, "B"});
    addInput({"A", PlugType::Image, true, "A"});
    addParam(ops::stringSpec("channels", "A",
                             "Comma- or space-separated channels copied from A ('A', 'R,G,B', "
                             "'depth.Z')."));
}

render::ImagePtr Copy::compute(const render::EvalContext& ec) const {
    auto b = ec.pullInput(0);
    auto a = ec.pullInput(1);
    if (!a)
        return b;
    std::string list = param("channels").getString();
    for (char& c : list)
        if (c == ',')
            c = ' ';
    std::istringstream words(list);
    auto out = std::make_shared<render::Image>(*b);
    for (std::string name; words >> name;) {
        float* dst = out->addChannel(name);
        std::fill(dst, dst + out->pixelCount(), 0.0f);
        ops::copyChannel(ec, *a, name, *out, name);
    }
    return out;
}

Crop::Crop()
    : ImageNode({"Crop", 1, "Transform", "Limits the image to a box."}) {
    addInput({"input", PlugType::Image, false, "Input"});
    ParamSpec box{"box", ParamType::Float4, std::array<double, 4>{0.0, 0.0, 0.0, 0.0}};
    box.metadata.tooltip = "x0, y0, x1, y1 in pixels (y down); an empty box uses the format.";
    addParam(box);
    addParam(ops::boolSpec("reformat", false, "Make the box the new format, moved to the origin."));
}

render::ImagePtr Crop::compute(const render::EvalContext& ec) const {
    auto in = ec.pullInput(0);
    const auto b = param("box").getVec(ec.frame());
    Box2i box{static_cast<int>(std::floor(b[0])), static_cast<int>(std::floor(b[1])),
              static_cast<int>(std::ceil(b[2])), static_cast<int>(std::ceil(b[3]))};
    if (box.empty())
        box = in->format().displayWindow();
    auto out = ops::copyToWindow(ec, *in, in->dataWindow().intersect(box));
    if (!param("reformat").getBool(ec.frame()))
        return out;
    Format format = in->format();
    format.width = box.width();
    format.height = box.height();
    format.name.clear();
    const Box2i src = out->dataWindow();
    const Box2i moved =
        src.empty() ? Box2i{} : Box2i{src.x0 - box.x0, src.y0 - box.y0, src.x1 - box.x0, src.y1 - box.y0};
    auto shifted = ops::newImage(format, moved, out->channelNames(), out.get());
    for (const auto& c : out->channelNames())
        std::copy_n(out->channel(c), out->pixelCount(), shifted->channel(c));
    return shifted;
}

} // namespace kinema::nodes
