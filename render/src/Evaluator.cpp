// SPDX-License-Identifier: Apache-2.0
#include "kinema/render/Evaluator.h"

namespace kinema::render {
namespace {

std::string frameText(double frame) {
    std::string s = std::to_string(frame);
    s.erase(s.find_last_not_of('0') + 1);
    if (!s.empty() && s.back() == '.')
        s.pop_back();
    return s;
}

Hash128 contextKey(const graph::Node& node, const Context& c) {
    Hasher h;
    const void* address = &node; // identity of the node object within this process
    h.appendBytes(&address, sizeof address);
    h.append(c.frame).append(c.fps).append(c.view).append(c.proxyScale).append(c.ocioConfig);
    h.append(c.roi.has_value());
    if (c.roi)
        h.append(c.roi->x0).append(c.roi->y0).append(c.roi->x1).append(c.roi->y1);
    return h.finish();
}

} // namespace

EvaluationError::EvaluationError(std::string node, double frame, const std::string& message)
    : std::runtime_error(node + " (frame " + frameText(frame) + "): " + message)
    , m_node(std::move(node))
    , m_frame(frame)
    , m_reason(message) {}

ImagePtr emptyImage(const graph::Format& format) {
    return std::make_shared<Image>(format, graph::Box2i{}, Image::rgba());
}

Evaluator::Evaluator(ComputeCache& cache)
    : m_cache(cache) {}

const ImageNode& Evaluator::imageNode(const graph::Node& node) const {
    if (node.isPlaceholder())
        throw EvaluationError(node.name(), 0,
                              "node type '" + node.typeName() +
                                  "' is not available in this build (missing plugin?)");
    auto image = dynamic_cast<const ImageNode*>(&node);
    if (!image)
        throw EvaluationError(node.name(), 0, "node type '" + node.typeName() + "' does not produce images");
    return *image;
}

void Evaluator::invalidateHashes() {
    std::lock_guard lock(m_mutex);
    m_hashMemo.clear();
}

Hash128 Evaluator::hash(const graph::Node& node, const Context& context) {
    const Hash128 key = contextKey(node, context);
    {
        std::lock_guard lock(m_mutex);
        const graph::Graph* g = node.graph();
        const std::uint64_t change = g ? g->changeCount() : 0;
        if (g != m_memoGraph || change != m_memoChangeCount) {
            m_hashMemo.clear();
            m_memoGraph = g;
            m_memoChangeCount = change;
        }
        auto it = m_hashMemo.find(key);
        if (it != m_hashMemo.end())
            return it->second;
    }
    Hash128 result = hashUncached(node, context);
    std::lock_guard lock(m_mutex);
    m_hashMemo[key] = result;
    return result;
}

Hash128 Evaluator::hashUncached(const graph::Node& node, const Context& context) {
    const ImageNode& image = imageNode(node);
    if (!node.enabled()) {
        int pass = image.passThroughInput();
        if (pass >= 0 && node.input(pass))
            return hash(*node.input(pass), context);
        Hasher h;
        h.append("disabled-empty");
        const auto& f = node.graph() ? node.graph()->settings().format : graph::Format{};
        h.append(f.width).append(f.height).append(f.pixelAspect);
        return h.finish();
    }
    try {
        EvalContext ec(*this, image, context);
        return image.hash(ec);
    } catch (const EvaluationError&) {
        throw;
    } catch (const graph::Cancelled&) {
        throw;
    } catch (const std::exception& e) {
        throw EvaluationError(node.name(), context.frame, e.what());
    }
}

ImagePtr Evaluator::evaluate(const graph::Node& node, const Context& context) {
    context.checkCancelled();
    const ImageNode& image = imageNode(node);
    if (!node.enabled()) {
        int pass = image.passThroughInput();
        if (pass >= 0 && node.input(pass))
            return evaluate(*node.input(pass), context);
        return emptyImage(node.graph() ? node.graph()->settings().format : graph::Format{});
    }
    const Hash128 key = hash(node, context);
    auto compute = [&]() -> ComputeCache::Value {
        auto start = std::chrono::steady_clock::now();
        ImagePtr result;
        try {
            EvalContext ec(*this, image, context);
            result = image.compute(ec);
        } catch (const EvaluationError&) {
            throw;
        } catch (const graph::Cancelled&) {
            throw;
        } catch (const std::exception& e) {
            throw EvaluationError(node.name(), context.frame, e.what());
        }
        if (!result)
            throw EvaluationError(node.name(), context.frame, "the node produced no image");
        double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        std::lock_guard lock(m_mutex);
        auto& s = m_stats[node.name()];
        ++s.computes;
        s.computeSeconds += seconds;
        return result;
    };
    auto cost = [](const ComputeCache::Value& v) {
        return static_cast<const Image*>(v.get())->memoryBytes();
    };
    for (;;) {
        const auto before = m_cache.stats().hits;
        try {
            auto value = m_cache.getOrCompute(key, compute, cost);
            if (m_cache.stats().hits != before) {
                std::lock_guard lock(m_mutex);
                ++m_stats[node.name()].cacheHits;
            }
            return std::static_pointer_cast<const Image>(value);
        } catch (const graph::Cancelled&) {
            // Another request that we waited on was cancelled; ours was not: compute it ourselves.
            if (context.isCancelled())
                throw;
        }
    }
}

std::optional<FrameRange> Evaluator::frameRange(const graph::Node& node) const {
    return imageNode(node).frameRange(*this);
}

std::map<std::string, NodeStats> Evaluator::stats() const {
    std::lock_guard lock(m_mutex);
    return m_stats;
}

void Evaluator::resetStats() {
    std::lock_guard lock(m_mutex);
    m_stats.clear();
}

std::uint64_t Evaluator::computeCount() const {
    std::lock_guard lock(m_mutex);
    std::uint64_t n = 0;
    for (auto& [name, s] : m_stats)
        n += s.computes;
    return n;
}

} // namespace kinema::render
