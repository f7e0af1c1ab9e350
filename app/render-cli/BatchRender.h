// SPDX-License-Identifier: Apache-2.0
#pragma once
/// The batch render loop behind kinema-render: which Write nodes, which frames, in what order, with what
/// reporting. Frames run concurrently on the thread pool; each frame pulls its Write node's input through
/// the shared evaluator and cache, and the Write node writes atomically.
#include <cstdint>
#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "kinema/graph/Context.h"
#include "kinema/graph/Graph.h"

namespace kinema::app {

struct BatchOptions {
    std::vector<std::string> writeNodes; ///< empty = every enabled Write node
    std::vector<std::int64_t> frames;    ///< empty = each Write's default (the project range)
    bool continueOnError = false;
    bool skipExisting = false;
    bool dryRun = false;
    bool json = false;
    bool verbose = false;
    bool progressBar = false;
    unsigned framesInFlight = 1;
    std::size_t cacheBytes = 0;
    std::string device = "cpu";
};

struct BatchResult {
    int framesDone = 0;
    int framesSkipped = 0;
    int framesFailed = 0;
    bool cancelled = false;
};

/// Renders; reports to `out` (human text or one JSON object per line) and errors to `err`.
/// Throws std::runtime_error for plan errors (unknown Write node...), before rendering anything.
BatchResult runBatch(graph::Graph& graph, const BatchOptions& options,
                     std::shared_ptr<graph::Canceller> canceller, std::ostream& out, std::ostream& err);

} // namespace kinema::app
