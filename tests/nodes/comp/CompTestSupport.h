// SPDX-License-Identifier: Apache-2.0
#pragma once
/// A test source node whose pixels come from a function of (channel, x, y, frame), and a small harness
/// around a graph, the builtin registry and an evaluator.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "kinema/graph/Graph.h"
#include "kinema/graph/NodeRegistry.h"
#include "kinema/render/ComputeCache.h"
#include "kinema/render/Evaluator.h"
#include "kinema/render/ImageNode.h"

namespace kinema::test {

using PixelFn = std::function<float(const std::string& channel, int x, int y, double frame)>;

/// Pixels given by a function over a data window. `perFrame` makes the hash (and pixels) depend on the frame.
class FunctionSource : public render::ImageNode {
public:
    FunctionSource(std::string tag, graph::Box2i window, std::vector<std::string> channels, PixelFn fn,
                   bool perFrame = false, graph::Format format = {8, 8, 1.0, ""});
    render::Hash128 hash(const render::EvalContext& ec) const override;
    render::ImagePtr compute(const render::EvalContext& ec) const override;
    std::optional<render::FrameRange> frameRange(const render::Evaluator&) const override {
        return render::FrameRange{1, 10};
    }

private:
    std::string m_tag;
    graph::Box2i m_window;
    std::vector<std::string> m_channels;
    PixelFn m_fn;
    bool m_perFrame;
    graph::Format m_format;
};

struct Harness {
    Harness();
    graph::Node& add(const std::string& type);
    graph::Node& source(std::string tag, graph::Box2i window, std::vector<std::string> channels, PixelFn fn,
                        bool perFrame = false);
    void connect(graph::Node& from, graph::Node& to, int input) { graph.connect(from, to, input); }
    render::ImagePtr eval(graph::Node& node, double frame = 1.0);
    render::Hash128 hash(graph::Node& node, double frame = 1.0);
    void set(graph::Node& node, const std::string& param, const graph::ParamValue& value);
    void setEnum(graph::Node& node, const std::string& param, const std::string& item);

    graph::NodeRegistry registry;
    graph::Graph graph;
    render::ComputeCache cache;
    render::Evaluator evaluator;
};

} // namespace kinema::test
