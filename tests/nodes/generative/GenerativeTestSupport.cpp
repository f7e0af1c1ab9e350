// SPDX-License-Identifier: Apache-2.0
#include "GenerativeTestSupport.h"

#include <TinyWanModel.h>

#include <cmath>
#include <cstdlib>

#include "generative/ClipCache.h"
#include "kinema/nodes/Builtins.h"

namespace kinema::test {

const std::filesystem::path& tinyModelDir() {
    static TempDir dir{"kinema-tiny-wan-gen"};
    static bool written = [] {
        writeTinyWanModel(dir.path());
        return true;
    }();
    (void)written;
    return dir.path();
}

ScopedClipCache::ScopedClipCache() {
    ::setenv("KINEMA_CLIP_CACHE", m_dir.path().c_str(), 1);
    nodes::generative::ClipCache::instance().clearMemory();
}

ScopedClipCache::~ScopedClipCache() {
    nodes::generative::ClipCache::instance().clearMemory();
    ::unsetenv("KINEMA_CLIP_CACHE");
}

PatternSource::PatternSource(int tag, int width, int height)
    : ImageNode({"TestPattern", 1, "Test", ""})
    , m_tag(tag)
    , m_width(width)
    , m_height(height) {}

render::Hash128 PatternSource::hash(const render::EvalContext& ec) const {
    graph::Hasher h;
    h.append("TestPattern").append(m_tag).append(m_width).append(m_height).append(ec.frame());
    return h.finish();
}

float PatternSource::value(int c, int x, int y, double frame) const {
    const double u = (x + 0.5) / m_width, v = (y + 0.5) / m_height;
    const double phase = m_tag * 1.7 + frame * 0.3 + c * 2.1;
    return static_cast<float>(0.5 + 0.45 * std::sin(6.0 * u + 4.0 * v * (c + 1) + phase));
}

render::ImagePtr PatternSource::compute(const render::EvalContext& ec) const {
    graph::Format format{m_width, m_height, 1.0, ""};
    auto image = std::make_shared<render::Image>(format, format.displayWindow(), render::Image::rgba());
    const char* names[3] = {"R", "G", "B"};
    for (int c = 0; c < 3; ++c) {
        float* p = image->channel(names[c]);
        for (int y = 0; y < m_height; ++y)
            for (int x = 0; x < m_width; ++x)
                *p++ = value(c, x, y, ec.frame());
    }
    std::fill(image->channel("A"), image->channel("A") + image->pixelCount(), 1.0f);
    return image;
}

GenHarness::GenHarness()
    : cache(256u << 20)
    , evaluator(cache) {
    nodes::registerBuiltinNodes(registry);
    auto settings = graph.settings();
    settings.workingSpace = "Rec.1886 Rec.709 - Display"; // the model RGB space (see ClipNode)
    graph.setSettings(settings);
}

graph::Node& GenHarness::add(const std::string& type) {
    return graph.addNode(registry.create(type));
}

graph::Node& GenHarness::generative(const std::string& type, std::uint64_t seed) {
    auto& node = add(type);
    set(node, "model", tinyModelDir().string());
    set(node, "prompt", std::string("a red fox in the snow"));
    set(node, "seed", seed);
    set(node, "duration", std::int64_t{5});
    setEnum(node, "aspect", "1:1");
    set(node, "resolution", std::int64_t{32});
    set(node, "steps", std::int64_t{2});
    set(node, "guidance", 4.0);
    set(node, "shift", 3.0);
    return node;
}

PatternSource& GenHarness::pattern(int tag, int width, int height) {
    auto& node = graph.addNode(std::make_unique<PatternSource>(tag, width, height));
    return static_cast<PatternSource&>(node);
}

render::ImagePtr GenHarness::eval(graph::Node& node, double frame, const graph::Context& base) {
    return evaluator.evaluate(node, base.withFrame(frame));
}

std::vector<float> rgbOf(const render::Image& image) {
    std::vector<float> out;
    const auto& f = image.format();
    for (int y = 0; y < f.height; ++y)
        for (int x = 0; x < f.width; ++x)
            for (const char* c : {"R", "G", "B"})
                out.push_back(image.sample(c, x, y));
    return out;
}

double meanAbsDiff(const std::vector<float>& a, const std::vector<float>& b) {
    if (a.size() != b.size() || a.empty())
        return 1e9;
    double s = 0;
    for (std::size_t i = 0; i < a.size(); ++i)
        s += std::abs(static_cast<double>(a[i]) - b[i]);
    return s / static_cast<double>(a.size());
}

double psnr(const std::vector<float>& a, const std::vector<float>& b) {
    if (a.size() != b.size() || a.empty())
        return -1e9;
    double s = 0;
    for (std::size_t i = 0; i < a.size(); ++i)
        s += (static_cast<double>(a[i]) - b[i]) * (static_cast<double>(a[i]) - b[i]);
    const double mse = s / static_cast<double>(a.size());
    return mse <= 0 ? 200.0 : 10.0 * std::log10(1.0 / mse);
}

} // namespace kinema::test
