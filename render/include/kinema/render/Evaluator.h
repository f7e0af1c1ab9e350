// SPDX-License-Identifier: Apache-2.0
#pragma once
/// The evaluation engine: hashing, cache lookup, computation, error wrapping and statistics.
///
/// evaluate(node, context) hashes the node's output (memoised per graph change), looks the hash up in the
/// compute cache and computes on a miss, single-flight. Disabled nodes pass their input's result and hash
/// through unchanged. Errors thrown by a node are wrapped once, at the node where they happen, as an
/// EvaluationError naming the node and the frame; errors are not cached and a cancelled request leaves
/// everything already cached in place.
#include <chrono>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <unordered_map>

#include "kinema/render/ComputeCache.h"
#include "kinema/render/ImageNode.h"

namespace kinema::render {

/// An error raised while evaluating a node, with the node's name and the frame.
class EvaluationError : public std::runtime_error {
public:
    EvaluationError(std::string node, double frame, const std::string& message);
    const std::string& nodeName() const { return m_node; }
    double frame() const { return m_frame; }
    /// The message without the "node (frame N): " prefix.
    const std::string& reason() const { return m_reason; }

private:
    std::string m_node;
    double m_frame;
    std::string m_reason;
};

struct NodeStats {
    std::uint64_t computes = 0;
    std::uint64_t cacheHits = 0;
    double computeSeconds = 0.0; ///< inclusive of upstream computation pulled during compute
};

class Evaluator {
public:
    explicit Evaluator(ComputeCache& cache);

    /// The node's output image in `context`. Throws EvaluationError or graph::Cancelled.
    ImagePtr evaluate(const graph::Node& node, const Context& context);
    /// The node's output hash in `context` (no computation).
    Hash128 hash(const graph::Node& node, const Context& context);
    std::optional<FrameRange> frameRange(const graph::Node& node) const;

    ComputeCache& cache() { return m_cache; }
    /// Forget memoised hashes (call when files on disk may have changed).
    void invalidateHashes();

    std::map<std::string, NodeStats> stats() const;
    void resetStats();
    /// Number of compute() calls so far (all nodes).
    std::uint64_t computeCount() const;

private:
    const ImageNode& imageNode(const graph::Node& node) const;
    Hash128 hashUncached(const graph::Node& node, const Context& context);

    ComputeCache& m_cache;
    mutable std::mutex m_mutex;
    std::unordered_map<Hash128, Hash128, graph::Hash128Hasher> m_hashMemo; // (node, context) → output hash
    const graph::Graph* m_memoGraph = nullptr;
    std::uint64_t m_memoChangeCount = 0;
    std::map<std::string, NodeStats> m_stats;
};

/// An empty (no pixels) RGBA image in `format`: what disabled source nodes output.
ImagePtr emptyImage(const graph::Format& format);

} // namespace kinema::render
