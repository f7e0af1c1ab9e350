// SPDX-License-Identifier: Apache-2.0
#include "BatchRender.h"

#include <chrono>
#include <cmath>
#include <filesystem>
#include <future>
#include <iomanip>
#include <map>
#include <mutex>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "kinema/graph/AtomicFile.h"
#include "kinema/graph/FrameList.h"
#include "kinema/render/Evaluator.h"
#include "kinema/render/ThreadPool.h"

namespace kinema::app {

using nlohmann::json;
namespace fs = std::filesystem;

namespace {

struct Task {
    const render::OutputNode* node;
    std::int64_t frame;
    std::string path;
};

std::string formatSeconds(double s) {
    std::ostringstream o;
    if (s >= 3600)
        o << static_cast<int>(s / 3600) << "h" << std::setw(2) << std::setfill('0')
          << static_cast<int>(s / 60) % 60 << "m";
    else if (s >= 60)
        o << static_cast<int>(s / 60) << "m" << std::setw(2) << std::setfill('0') << static_cast<int>(s) % 60
          << "s";
    else
        o << std::fixed << std::setprecision(1) << s << "s";
    return o.str();
}

} // namespace

BatchResult runBatch(graph::Graph& graph, const BatchOptions& options,
                     std::shared_ptr<graph::Canceller> canceller, std::ostream& out, std::ostream& err) {
    // [SECTION] Plan ------------------------------------------------------------------------------------
    std::vector<const render::OutputNode*> writes;
    if (options.writeNodes.empty()) {
        for (auto* n : graph.nodes())
            if (auto w = dynamic_cast<const render::OutputNode*>(n); w && n->enabled())
                writes.push_back(w);
        if (writes.empty())
            throw std::runtime_error("the graph has no enabled Write node");
    } else {
        for (auto& name : options.writeNodes) {
            graph::Node* n = graph.findNode(name);
            if (!n)
                throw std::runtime_error("-X " + name + ": no node with that name");
            auto w = dynamic_cast<const render::OutputNode*>(n);
            if (!w)
                throw std::runtime_error("-X " + name + ": node is a " + n->typeName() +
                                         ", not a Write node");
            writes.push_back(w);
        }
    }
    const auto& settings = graph.settings();
    std::vector<Task> tasks;
    for (auto* w : writes) {
        std::vector<std::int64_t> frames = options.frames;
        if (frames.empty()) {
            auto range = w->defaultFrames();
            int first = range ? range->first : settings.frameStart;
            int last = range ? range->last : settings.frameEnd;
            for (int f = first; f <= last; ++f)
                frames.push_back(f);
        }
        for (auto f : frames)
            tasks.push_back({w, f, w->outputPath(static_cast<double>(f))});
    }

    std::mutex ioMutex;
    auto emit = [&](const json& event) {
        std::lock_guard lock(ioMutex);
        out << event.dump() << "\n" << std::flush;
    };

    if (options.dryRun) {
        if (options.json) {
            json plan = json::array();
            for (auto& t : tasks)
                plan.push_back({{"node", t.node->name()}, {"frame", t.frame}, {"file", t.path}});
            emit({{"event", "plan"}, {"tasks", plan}});
        } else {
            for (auto* w : writes) {
                std::vector<std::int64_t> frames;
                for (auto& t : tasks)
                    if (t.node == w)
                        frames.push_back(t.frame);
                out << w->name() << ": frames " << graph::formatFrameList(frames) << " (" << frames.size()
                    << ") -> " << w->param("file").getString() << "\n";
            }
            out << tasks.size() << " frame(s) would be rendered\n";
        }
        return {};
    }

    // Stale temporaries of killed renders are removed before anything new is written.
    std::set<fs::path> dirs;
    for (auto& t : tasks)
        dirs.insert(fs::path(t.path).parent_path().empty() ? fs::path(".") : fs::path(t.path).parent_path());
    for (auto& d : dirs)
        if (fs::is_directory(d))
            graph::sweepStalePartials(d);

    // Nodes writing one file for many frames (video) learn their whole sequence first.
    std::map<const render::OutputNode*, std::size_t> planned, executed;
    for (auto* w : writes) {
        std::vector<std::int64_t> frames;
        for (auto& t : tasks)
            if (t.node == w)
                frames.push_back(t.frame);
        planned[w] = frames.size();
        w->beginSequence(frames);
    }

    // [SECTION] Render ----------------------------------------------------------------------------------
    render::ComputeCache cache(options.cacheBytes ? options.cacheBytes : render::defaultCacheBytes());
    render::Evaluator evaluator(cache);
    graph::Context base;
    base.fps = settings.fps;
    base.canceller = canceller;
    base.device = options.device;

    BatchResult result;
    const auto start = std::chrono::steady_clock::now();
    const std::size_t total = tasks.size();
    std::size_t finished = 0;
    bool stop = false;

    if (options.json)
        emit({{"event", "start"}, {"frames", total}});

    auto drawBar = [&] {
        if (!options.progressBar || options.json)
            return;
        double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        double fraction = total ? static_cast<double>(finished) / static_cast<double>(total) : 1.0;
        double eta =
            finished ? elapsed / static_cast<double>(finished) * static_cast<double>(total - finished) : 0.0;
        const int width = 30;
        int filled = static_cast<int>(fraction * width);
        err << "\r[" << std::string(static_cast<std::size_t>(filled), '#')
            << std::string(static_cast<std::size_t>(width - filled), '.') << "] " << finished << "/" << total
            << "  " << formatSeconds(elapsed) << " elapsed";
        if (finished && finished < total)
            err << ", ETA " << formatSeconds(eta);
        err << "   " << std::flush;
    };

    auto runTask = [&](const Task& t) {
        const auto frameStart = std::chrono::steady_clock::now();
        std::string status = "done";
        std::string message;
        try {
            if (options.skipExisting && fs::exists(t.path)) {
                status = "skipped";
            } else {
                graph::Context ctx = base.withFrame(static_cast<double>(t.frame));
                render::EvalContext ec(evaluator, *t.node, ctx);
                try {
                    t.node->execute(ec);
                } catch (const render::EvaluationError&) {
                    throw;
                } catch (const graph::Cancelled&) {
                    throw;
                } catch (const std::exception& e) {
                    throw render::EvaluationError(t.node->name(), ctx.frame, e.what());
                }
            }
        } catch (const graph::Cancelled&) {
            status = "cancelled";
        } catch (const std::exception& e) {
            status = "failed";
            message = e.what();
            t.node->endSequence(false);
        }
        double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - frameStart).count();
        std::lock_guard lock(ioMutex);
        ++finished;
        if (status == "done")
            ++executed[t.node];
        if (status == "done")
            ++result.framesDone;
        else if (status == "skipped")
            ++result.framesSkipped;
        else if (status == "failed")
            ++result.framesFailed;
        if (options.json) {
            json e{{"event", "frame"}, {"node", t.node->name()}, {"frame", t.frame}, {"status", status},
                   {"file", t.path},   {"seconds", seconds},     {"done", finished}, {"total", total}};
            if (!message.empty())
                e["error"] = message;
            out << e.dump() << "\n" << std::flush;
        } else {
            if (status == "failed") {
                if (options.progressBar)
                    err << "\n";
                err << "error: " << message << "\n";
            } else if (options.verbose && status != "cancelled") {
                out << t.node->name() << " frame " << t.frame << ": " << status << " " << t.path << " ("
                    << formatSeconds(seconds) << ")\n";
            }
            drawBar();
        }
        if (status == "failed" && !options.continueOnError)
            stop = true;
    };

    auto& pool = render::ThreadPool::global();
    std::vector<std::future<void>> inFlight;
    std::size_t next = 0;
    const std::size_t window = std::max(1u, options.framesInFlight);
    while (next < tasks.size() || !inFlight.empty()) {
        {
            std::lock_guard lock(ioMutex);
            if (stop || (canceller && canceller->cancelled()))
                next = tasks.size();
        }
        while (next < tasks.size() && inFlight.size() < window) {
            const Task* t = &tasks[next++];
            inFlight.push_back(pool.submit([&runTask, t] { runTask(*t); }));
        }
        if (inFlight.empty())
            break;
        inFlight.front().get();
        inFlight.erase(inFlight.begin());
    }
    if (options.progressBar && !options.json)
        err << "\n";
    result.cancelled = canceller && canceller->cancelled();
    for (auto* w : writes) {
        try {
            w->endSequence(!result.cancelled && executed[w] == planned[w]);
        } catch (const std::exception& e) {
            ++result.framesFailed;
            if (options.json)
                emit({{"event", "error"}, {"node", w->name()}, {"error", e.what()}});
            else
                err << "error: " << w->name() << ": " << e.what() << "\n";
        }
    }
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    auto stats = cache.stats();
    if (options.json) {
        emit({{"event", "end"},
              {"status", result.cancelled      ? "cancelled"
                         : result.framesFailed ? "failed"
                                               : "ok"},
              {"done", result.framesDone},
              {"skipped", result.framesSkipped},
              {"failed", result.framesFailed},
              {"seconds", elapsed}});
    } else {
        out << result.framesDone << " frame(s) written, " << result.framesSkipped << " skipped, "
            << result.framesFailed << " failed in " << formatSeconds(elapsed);
        if (result.cancelled)
            out << " (interrupted)";
        out << "\n";
        if (options.verbose) {
            out << "cache: " << stats.hits << " hits, " << stats.misses << " misses, "
                << stats.bytes / (1 << 20) << " MiB held\n";
            for (auto& [name, s] : evaluator.stats())
                out << "  " << name << ": " << s.computes << " computes, " << s.cacheHits << " hits, "
                    << std::fixed << std::setprecision(3) << s.computeSeconds << " s\n";
        }
    }
    return result;
}

} // namespace kinema::app
