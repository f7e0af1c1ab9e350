// SPDX-License-Identifier: Apache-2.0
#include "IoTestSupport.h"

#include <cstdlib>
#include <mutex>

#include "TestSupport.h"
#include "kinema/color/Config.h"
#include "kinema/nodes/Builtins.h"

namespace kinema::test {

FixedImageSource::FixedImageSource(std::string tag, render::ImagePtr image)
    : ImageNode({"TestFixedImage", 1, "Test", ""})
    , m_tag(std::move(tag))
    , m_image(std::move(image)) {}

render::Hash128 FixedImageSource::hash(const render::EvalContext&) const {
    graph::Hasher h;
    h.append("TestFixedImage").append(m_tag);
    return h.finish();
}

render::ImagePtr FixedImageSource::compute(const render::EvalContext&) const {
    return m_image;
}

std::filesystem::path shippedConfigFile() {
    return resourcesDir() / "ocio" / "config.ocio";
}

void useShippedConfig() {
    static std::once_flag once;
    std::call_once(once, [] {
        unsetenv("OCIO");
        color::setShippedConfigPath(shippedConfigFile());
    });
}

IoHarness::IoHarness()
    : cache(256u << 20)
    , evaluator(cache) {
    useShippedConfig();
    nodes::registerBuiltinNodes(registry);
    graph::ProjectSettings settings = graph.settings();
    settings.frameStart = 1;
    settings.frameEnd = 10;
    settings.format = {8, 8, 1.0, ""};
    graph.setSettings(settings);
}

graph::Node& IoHarness::add(const std::string& type) {
    return graph.addNode(registry.create(type));
}

graph::Node& IoHarness::source(const std::string& tag, render::ImagePtr image) {
    return graph.addNode(std::make_unique<FixedImageSource>(tag, std::move(image)));
}

render::ImagePtr IoHarness::eval(graph::Node& node, double frame) {
    graph::Context ctx;
    ctx.frame = frame;
    return evaluator.evaluate(node, ctx);
}

render::Hash128 IoHarness::hash(graph::Node& node, double frame) {
    graph::Context ctx;
    ctx.frame = frame;
    return evaluator.hash(node, ctx);
}

void IoHarness::execute(graph::Node& node, double frame, double fps) {
    graph::Context ctx;
    ctx.frame = frame;
    ctx.fps = fps;
    auto& out = dynamic_cast<render::OutputNode&>(node);
    render::EvalContext ec(evaluator, out, ctx);
    out.execute(ec);
}

void IoHarness::set(graph::Node& node, const std::string& param, const graph::ParamValue& value) {
    node.param(param).setValue(value);
}

void IoHarness::setEnum(graph::Node& node, const std::string& param, const std::string& item) {
    node.param(param).setValue(node.param(param).enumIndex(item));
}

void IoHarness::setText(graph::Node& node, const std::string& param, const std::string& text) {
    node.param(param).setValue(node.param(param).parse(text));
}

std::shared_ptr<render::Image> makeTestImage(graph::Format format, graph::Box2i window,
                                             const std::vector<std::string>& extraChannels) {
    std::vector<std::string> channels = render::Image::rgba();
    channels.insert(channels.end(), extraChannels.begin(), extraChannels.end());
    auto image = std::make_shared<render::Image>(format, window, channels);
    for (std::size_t c = 0; c < channels.size(); ++c) {
        float* plane = image->channel(channels[c]);
        std::size_t i = 0;
        for (int y = window.y0; y < window.y1; ++y)
            for (int x = window.x0; x < window.x1; ++x, ++i) {
                switch (c) {
                case 0:
                    plane[i] = static_cast<float>(x) / 10.0f;
                    break;
                case 1:
                    plane[i] = static_cast<float>(y) / 10.0f;
                    break;
                case 2:
                    plane[i] = static_cast<float>(x + y) / 20.0f + 0.25f;
                    break;
                case 3:
                    plane[i] = 1.0f;
                    break;
                default:
                    plane[i] = static_cast<float>(c) + static_cast<float>(x) / 100.0f;
                    break;
                }
            }
    }
    return image;
}

} // namespace kinema::test
