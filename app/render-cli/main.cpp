// SPDX-License-Identifier: Apache-2.0
/// kinema-render: renders a saved graph's Write nodes headlessly (workstations, render farms).
///
/// Exit codes: 0 every frame written (or skipped), 1 some frames failed, 2 usage or graph error,
/// 130 interrupted by SIGINT/SIGTERM (the frames in flight are cancelled and leave no partial files).
#include <atomic>
#include <csignal>
#include <iostream>
#include <unistd.h>

#include <CLI/CLI.hpp>

#include "BatchRender.h"
#include "kinema/graph/FrameList.h"
#include "kinema/graph/GraphFile.h"
#include "kinema/graph/PluginLoader.h"
#include "kinema/nodes/Builtins.h"
#include "kinema/render/ComputeCache.h"
#include "kinema/render/ThreadPool.h"

namespace {

kinema::graph::Canceller* g_canceller = nullptr;
volatile std::sig_atomic_t g_signalled = 0;

extern "C" void onSignal(int) {
    g_signalled = 1;
    if (g_canceller)
        g_canceller->cancel(); // a relaxed atomic store: async-signal-safe
}

constexpr int kExitOk = 0, kExitFramesFailed = 1, kExitUsage = 2, kExitInterrupted = 130;

/// Applies one --set NODE.PARAM=VALUE.
void applySet(kinema::graph::Graph& graph, const std::string& assignment) {
    auto eq = assignment.find('=');
    auto dot = assignment.find('.');
    if (eq == std::string::npos || dot == std::string::npos || dot > eq)
        throw std::runtime_error("--set " + assignment + ": expected NODE.PARAM=VALUE");
    std::string nodeName = assignment.substr(0, dot);
    std::string paramName = assignment.substr(dot + 1, eq - dot - 1);
    std::string value = assignment.substr(eq + 1);
    kinema::graph::Node* node = graph.findNode(nodeName);
    if (!node)
        throw std::runtime_error("--set " + assignment + ": no node named '" + nodeName + "'");
    kinema::graph::Param* p = node->findParam(paramName);
    if (!p)
        throw std::runtime_error("--set " + assignment + ": " + nodeName + " (" + node->typeName() +
                                 ") has no parameter '" + paramName + "'");
    try {
        auto parsed = p->parse(value);
        if (p->isAnimated())
            for (int c = 0; c < static_cast<int>(p->curves().size()); ++c)
                p->setCurve(c, {});
        p->setValue(parsed);
    } catch (const std::exception& e) {
        throw std::runtime_error("--set " + assignment + ": " + e.what());
    }
}

} // namespace

int main(int argc, char** argv) {
    CLI::App cli{"kinema-render: render a Kinema graph's Write nodes without a display"};
    std::string graphPath;
    std::vector<std::string> frameSpecs, writes, sets;
    bool cont = false, skipExisting = false, dryRun = false, json = false, verbose = false;
    unsigned threads = 0;
    std::string cacheSize, device = "cpu";
    cli.add_option("graph", graphPath, "The .kgraph file to render")->required();
    cli.add_option("-F,--frames", frameSpecs,
                   "Frames: 1001-1100, 1-50x10 (Nuke step), 1-10:2 (Natron step), comma lists; repeatable")
        ->take_last()
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    cli.add_option("-X,--write", writes, "Write node to render (repeatable; default: every enabled Write)")
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    cli.add_flag("--cont", cont, "Continue with the other frames after a frame fails");
    cli.add_option("--threads", threads, "Worker threads (default: all cores)");
    cli.add_option("--cache", cacheSize, "Compute cache size, e.g. 8G or 512M (default: a quarter of RAM)");
    cli.add_option("--device", device, "Compute device for generative nodes: cpu, cuda or cuda:N");
    cli.add_option("--set", sets, "Override a parameter: NODE.PARAM=VALUE (repeatable)")
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    cli.add_flag("--skip-existing", skipExisting,
                 "Do not re-render frames whose file already exists (resume)");
    cli.add_flag("--dry-run", dryRun, "Print the task plan and exit");
    cli.add_flag("--json", json, "Print one JSON progress event per line (for farm wrappers)");
    cli.add_flag("-v,--verbose", verbose, "Per-frame lines and cache/timing statistics");
    try {
        cli.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return cli.exit(e) == 0 ? kExitOk : kExitUsage;
    }

    auto canceller = std::make_shared<kinema::graph::Canceller>();
    g_canceller = canceller.get();
    struct sigaction sa {};
    sa.sa_handler = onSignal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);

    kinema::app::BatchOptions options;
    kinema::graph::Graph graph;
    try {
        if (!(device == "cpu" || device == "cuda" || device.rfind("cuda:", 0) == 0))
            throw std::runtime_error("--device " + device + ": expected cpu, cuda or cuda:N");
        if (threads > 0)
            kinema::render::ThreadPool::setGlobalThreadCount(threads);
        options.framesInFlight = std::max(1u, std::min(4u, kinema::render::ThreadPool::global().size() / 2));
        if (!cacheSize.empty())
            options.cacheBytes = kinema::render::parseByteSize(cacheSize);
        if (!frameSpecs.empty())
            options.frames = kinema::graph::parseFrameSpecs(frameSpecs);

        auto& registry = kinema::graph::NodeRegistry::global();
        kinema::nodes::registerBuiltinNodes(registry);
        auto plugins = kinema::graph::loadPluginsFromEnvironment(registry);
        for (auto& e : plugins.errors)
            std::cerr << "warning: plugin not loaded: " << e << "\n";
        if (verbose)
            for (auto& p : plugins.loaded)
                std::cerr << "plugin: " << p << "\n";

        kinema::graph::loadGraphFile(graph, graphPath, registry);
        for (auto& s : sets)
            applySet(graph, s);
    } catch (const std::exception& e) {
        std::cerr << "kinema-render: " << e.what() << "\n";
        return kExitUsage;
    }

    options.writeNodes = writes;
    options.continueOnError = cont;
    options.skipExisting = skipExisting;
    options.dryRun = dryRun;
    options.json = json;
    options.verbose = verbose;
    options.device = device;
    options.progressBar = !json && ::isatty(STDERR_FILENO);

    kinema::app::BatchResult result;
    try {
        result = kinema::app::runBatch(graph, options, canceller, std::cout, std::cerr);
    } catch (const std::exception& e) {
        std::cerr << "kinema-render: " << e.what() << "\n";
        return kExitUsage;
    }
    if (result.cancelled || g_signalled)
        return kExitInterrupted;
    return result.framesFailed > 0 ? kExitFramesFailed : kExitOk;
}
