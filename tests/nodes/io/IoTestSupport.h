// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Test helpers for the image I/O and colour nodes: a source node that outputs a fixed image, a graph
/// harness that evaluates and executes nodes with project settings, and OCIO set-up for the shipped config.
#include <filesystem>
#include <memory>
#include <string>

#include "kinema/graph/Graph.h"
#include "kinema/graph/NodeRegistry.h"
#include "kinema/render/ComputeCache.h"
#include "kinema/render/Evaluator.h"
#include "kinema/render/ImageNode.h"

namespace kinema::test {

/// Outputs a fixed image; its hash is the tag (and the frame when perFrame).
class FixedImageSource : public render::ImageNode {
public:
    FixedImageSource(std::string tag, render::ImagePtr image);
    render::Hash128 hash(const render::EvalContext& ec) const override;
    render::ImagePtr compute(const render::EvalContext& ec) const override;
    std::optional<render::FrameRange> frameRange(const render::Evaluator&) const override {
        return render::FrameRange{1, 100};
    }

private:
    std::string m_tag;
    render::ImagePtr m_image;
};

/// Points the colour module at the source tree's shipped config and clears $OCIO (once per process).
void useShippedConfig();
std::filesystem::path shippedConfigFile();

struct IoHarness {
    IoHarness();
    graph::Node& add(const std::string& type);
    graph::Node& source(const std::string& tag, render::ImagePtr image);
    void connect(graph::Node& from, graph::Node& to, int input = 0) { graph.connect(from, to, input); }
    render::ImagePtr eval(graph::Node& node, double frame = 1.0);
    render::Hash128 hash(graph::Node& node, double frame = 1.0);
    /// Runs an output node's execute() at a frame.
    void execute(graph::Node& node, double frame = 1.0, double fps = 24.0);
    void set(graph::Node& node, const std::string& param, const graph::ParamValue& value);
    void setEnum(graph::Node& node, const std::string& param, const std::string& item);
    void setText(graph::Node& node, const std::string& param, const std::string& text);

    graph::NodeRegistry registry;
    graph::Graph graph;
    render::ComputeCache cache;
    render::Evaluator evaluator;
};

/// A w×h image over `window` (format w×h) with R = x/10, G = y/10, B = (x+y)/20 + 0.25, A = 1 (and any
/// extra channels, value = channel index + x/100), deterministic.
std::shared_ptr<render::Image> makeTestImage(graph::Format format, graph::Box2i window,
                                             const std::vector<std::string>& extraChannels = {});

} // namespace kinema::test
