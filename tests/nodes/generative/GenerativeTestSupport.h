// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Shared fixtures of the generative node tests: a tiny random-weight model folder (written once per
/// process), a private clip cache folder per test, a graph harness and a pattern source node.
#include <atomic>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kinema/graph/Context.h"
#include "kinema/graph/Graph.h"
#include "kinema/graph/NodeRegistry.h"
#include "kinema/render/ComputeCache.h"
#include "kinema/render/Evaluator.h"
#include "kinema/render/ImageNode.h"

#include <TestSupport.h>

namespace kinema::test {

/// The tiny model folder (created on first use, removed at exit).
const std::filesystem::path& tinyModelDir();

/// Points $KINEMA_CLIP_CACHE at a fresh temporary folder and clears the memory clip cache; restores on exit.
class ScopedClipCache {
public:
    ScopedClipCache();
    ~ScopedClipCache();
    const std::filesystem::path& path() const { return m_dir.path(); }

private:
    TempDir m_dir{"kinema-clip-cache"};
};

/// A smooth colour pattern (values in [0.05, 0.95]) that changes with a tag and with the frame.
class PatternSource : public render::ImageNode {
public:
    PatternSource(int tag, int width, int height);
    render::Hash128 hash(const render::EvalContext& ec) const override;
    render::ImagePtr compute(const render::EvalContext& ec) const override;
    std::optional<render::FrameRange> frameRange(const render::Evaluator&) const override { return m_range; }
    void setRange(render::FrameRange range) { m_range = range; }
    /// The pattern value of channel c (0..2) at (x, y) on `frame`.
    float value(int c, int x, int y, double frame) const;

private:
    int m_tag, m_width, m_height;
    std::optional<render::FrameRange> m_range;
};

/// Graph + registry + evaluator. The project's working space is the Rec.709 display space the model's RGB
/// is taken to be in, so conversions are identities and pixels can be compared with the engine's.
struct GenHarness {
    GenHarness();
    graph::Node& add(const std::string& type);
    /// A generative node with the tiny model and small settings (5 frames, 32x32, 2 steps).
    graph::Node& generative(const std::string& type, std::uint64_t seed = 3);
    PatternSource& pattern(int tag, int width = 32, int height = 32);
    render::ImagePtr eval(graph::Node& node, double frame, const graph::Context& base = {});
    void set(graph::Node& node, const std::string& param, const graph::ParamValue& value) {
        node.param(param).setValue(value);
    }
    void setEnum(graph::Node& node, const std::string& param, const std::string& item) {
        node.param(param).setValue(node.param(param).enumIndex(item));
    }

    graph::NodeRegistry registry;
    graph::Graph graph;
    render::ComputeCache cache;
    render::Evaluator evaluator;
};

/// A progress sink that fires the request's canceller at the first progress report (a step finished).
struct CancelOnFirstStep : graph::ProgressSink {
    std::shared_ptr<graph::Canceller> canceller;
    std::atomic<int> calls{0};
    void progress(std::string_view, double, std::string_view) override {
        ++calls;
        canceller->cancel();
    }
};

/// An evaluation context whose canceller `sink` fires at the first progress report.
inline graph::Context cancelOnFirstStep(const std::shared_ptr<CancelOnFirstStep>& sink) {
    graph::Context ctx;
    ctx.canceller = std::make_shared<graph::Canceller>();
    sink->canceller = ctx.canceller;
    ctx.progress = sink;
    return ctx;
}

/// RGB of an image as interleaved floats (its display window).
std::vector<float> rgbOf(const render::Image& image);
/// Mean absolute difference.
double meanAbsDiff(const std::vector<float>& a, const std::vector<float>& b);
/// Peak signal-to-noise ratio in dB for values in [0, 1].
double psnr(const std::vector<float>& a, const std::vector<float>& b);

} // namespace kinema::test
