// SPDX-License-Identifier: Apache-2.0
#include "CompTestSupport.h"

#include "kinema/nodes/Builtins.h"

namespace kinema::test {

FunctionSource::FunctionSource(std::string tag, graph::Box2i window, std::vector<std::string> channels,
                               PixelFn fn, bool perFrame, graph::Format format)
    : ImageNode({"TestFunctionSource", 1, "Test", ""})
    , m_tag(std::move(tag))
    , m_window(window)
    , m_channels(std::move(channels))
    , m_fn(std::move(fn))
    , m_perFrame(perFrame)
    , m_format(std::move(format)) {}

render::Hash128 FunctionSource::hash(const render::EvalContext& ec) const {
    graph::Hasher h;
    h.append("TestFunctionSource").append(m_tag);
    if (m_perFrame)
        h.append(ec.frame());
    return h.finish();
}

render::ImagePtr FunctionSource::compute(const render::EvalContext& ec) const {
    auto image = std::make_shared<render::Image>(m_format, m_window, m_channels);
    for (const auto& c : m_channels) {
        float* plane = image->channel(c);
        std::size_t i = 0;
        for (int y = m_window.y0; y < m_window.y1; ++y)
            for (int x = m_window.x0; x < m_window.x1; ++x)
                plane[i++] = m_fn(c, x, y, ec.frame());
    }
    return image;
}

Harness::Harness()
    : cache(64u << 20)
    , evaluator(cache) {
    nodes::registerBuiltinNodes(registry);
}

graph::Node& Harness::add(const std::string& type) {
    return graph.addNode(registry.create(type));
}

graph::Node& Harness::source(std::string tag, graph::Box2i window, std::vector<std::string> channels,
                             PixelFn fn, bool perFrame) {
    return graph.addNode(std::make_unique<FunctionSource>(std::move(tag), window, std::move(channels),
                                                          std::move(fn), perFrame));
}

render::ImagePtr Harness::eval(graph::Node& node, double frame) {
    graph::Context ctx;
    ctx.frame = frame;
    return evaluator.evaluate(node, ctx);
}

render::Hash128 Harness::hash(graph::Node& node, double frame) {
    graph::Context ctx;
    ctx.frame = frame;
    return evaluator.hash(node, ctx);
}

void Harness::set(graph::Node& node, const std::string& param, const graph::ParamValue& value) {
    node.param(param).setValue(value);
}

void Harness::setEnum(graph::Node& node, const std::string& param, const std::string& item) {
    node.param(param).setValue(node.param(param).enumIndex(item));
}

} // namespace kinema::test
