// SPDX-License-Identifier: Apache-2.0
/// bench/engine: a 50-node compositing graph evaluated over 100 frames.
///
/// Prints frames/s for a cold run (empty cache), a warm re-run of the same frames (all cache hits), the cache
/// hit rate, and the hashing overhead per node in microseconds (hashes recomputed from scratch), next to the
/// baseline of calling compute() on every node without caching or hashing ("no cache" run).
#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "kinema/graph/Graph.h"
#include "kinema/nodes/Builtins.h"
#include "kinema/render/Evaluator.h"
#include "kinema/render/ThreadPool.h"

using namespace kinema;
using Clock = std::chrono::steady_clock;

namespace {

double seconds(Clock::time_point a, Clock::time_point b) {
    return std::chrono::duration<double>(b - a).count();
}

/// Two animated Constants merged, then a chain of Grade / Saturation / Exposure / Blur / Merge nodes: 50
/// nodes.
graph::Node& buildGraph(graph::Graph& g, graph::NodeRegistry& reg) {
    auto add = [&](const char* type) -> graph::Node& { return g.addNode(reg.create(type)); };
    auto& a = add("Constant");
    a.param("color").setKeyAt(1, std::array<double, 4>{0.1, 0.2, 0.3, 1}, graph::Interpolation::Linear);
    a.param("color").setKeyAt(100, std::array<double, 4>{2.0, 1.0, 0.5, 1}, graph::Interpolation::Linear);
    auto& b = add("Constant");
    b.param("color").setValue(std::array<double, 4>{0.5, 0.4, 0.3, 0.5});
    graph::Node* last = &add("Merge");
    g.connect(a, *last, "B");
    g.connect(b, *last, "A");
    const char* chain[] = {"Grade", "Saturation", "Exposure", "Grade",
                           "Blur",  "Grade",      "Merge",    "Saturation"};
    int i = 0;
    while (g.nodeCount() < 50) {
        const char* type = chain[i++ % 8];
        auto& n = add(type);
        g.connect(*last, n, 0);
        if (std::string(type) == "Merge")
            g.connect(b, n, "A");
        if (std::string(type) == "Blur")
            n.param("size").setValue(std::array<double, 2>{2.0, 2.0});
        last = &n;
    }
    return *last;
}

} // namespace

int main(int argc, char** argv) {
    const int frames = argc > 1 ? std::atoi(argv[1]) : 100;
    const int width = argc > 2 ? std::atoi(argv[2]) : 256;
    const int height = width * 9 / 16;
    graph::NodeRegistry reg;
    nodes::registerBuiltinNodes(reg);
    graph::Graph g;
    graph::ProjectSettings s;
    s.format = {width, height};
    g.setSettings(s);
    graph::Node& out = buildGraph(g, reg);
    std::printf("bench/engine: %zu nodes, %d frames of %dx%d RGBA float, %u threads\n", g.nodeCount(), frames,
                width, height, render::ThreadPool::global().size());

    const std::size_t budget =
        argc > 3 ? static_cast<std::size_t>(std::atof(argv[3]) * 1048576.0) : (std::size_t(4) << 30);
    render::ComputeCache cache(budget);
    render::Evaluator eval(cache);
    auto run = [&](render::Evaluator& e) {
        auto t0 = Clock::now();
        for (int f = 1; f <= frames; ++f) {
            graph::Context c;
            c.frame = f;
            e.evaluate(out, c);
        }
        return seconds(t0, Clock::now());
    };
    const double cold = run(eval);
    const auto coldStats = cache.stats();
    const double warm = run(eval);
    const auto warmStats = cache.stats();

    // Baseline: a cache too small to keep anything, i.e. every node computed for every frame.
    render::ComputeCache none(0);
    render::Evaluator uncached(none);
    const double baseline = run(uncached);

    // Hashing cost: hash every node at every frame with the memo cleared, per node.
    auto nodes = g.nodes();
    auto t0 = Clock::now();
    for (int f = 1; f <= frames; ++f) {
        eval.invalidateHashes();
        graph::Context c;
        c.frame = f;
        for (auto* n : nodes)
            eval.hash(*n, c);
    }
    const double hashSeconds = seconds(t0, Clock::now());

    const double warmHits = static_cast<double>(warmStats.hits - coldStats.hits);
    const double warmLookups = warmHits + static_cast<double>(warmStats.misses - coldStats.misses);
    std::printf("%-34s %10.1f frames/s  (%.3f s)\n", "no cache (baseline)", frames / baseline, baseline);
    std::printf("%-34s %10.1f frames/s  (%.3f s)  %.2fx baseline\n", "cold cache", frames / cold, cold,
                baseline / cold);
    std::printf("%-34s %10.1f frames/s  (%.3f s)  %.0fx baseline\n", "warm cache (same frames again)",
                frames / warm, warm, baseline / warm);
    std::printf("%-34s %10.1f %%\n", "cache hit rate, cold run",
                100.0 * coldStats.hits / std::max<double>(1, coldStats.hits + coldStats.misses));
    std::printf("%-34s %10.1f %%\n", "cache hit rate, warm run",
                100.0 * warmHits / std::max(1.0, warmLookups));
    std::printf("%-34s %10.2f us\n", "hashing per node (memo cleared)",
                1e6 * hashSeconds / (static_cast<double>(frames) * nodes.size()));
    std::printf("%-34s %10.1f MiB in %zu entries\n", "cache held", warmStats.bytes / 1048576.0,
                warmStats.entries);
    return 0;
}
