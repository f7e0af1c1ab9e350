// SPDX-License-Identifier: Apache-2.0
#pragma once
/// The evaluation context: everything a request carries besides the graph itself.
///
/// A request for an output is made in a Context (frame, fps, view, proxy scale, region of interest, OCIO
/// config identity, a canceller and a progress sink). Nodes pull their inputs in a *modified* copy (another
/// frame, another ROI) and hash exactly the context items they read: a node that does not look at the frame
/// produces the same hash on every frame and is computed once. Cancellation and progress belong to the
/// request, not to the process: every long loop calls checkCancelled().
#include <atomic>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "kinema/graph/Geometry.h"

namespace kinema::graph {

/// Thrown by Context::checkCancelled() once the request's canceller fired.
class Cancelled : public std::runtime_error {
public:
    Cancelled()
        : std::runtime_error("cancelled") {}
};

/// A cancellation flag shared by everything working on one request. Thread-safe.
class Canceller {
public:
    void cancel() { m_cancelled.store(true, std::memory_order_relaxed); }
    bool cancelled() const { return m_cancelled.load(std::memory_order_relaxed); }
    void check() const {
        if (cancelled())
            throw Cancelled();
    }

private:
    std::atomic<bool> m_cancelled{false};
};

/// Receives progress of long computations (generation steps, file writes). Implementations must be
/// thread-safe: several nodes may report at once.
class ProgressSink {
public:
    virtual ~ProgressSink() = default;
    /// `fraction` is in [0,1] for the named task; `detail` is short human-readable text.
    virtual void progress(std::string_view task, double fraction, std::string_view detail) = 0;
    /// A rough preview of work in progress (a generation's current latent), `width`×`height` RGB floats,
    /// row 0 at the top, display-referred 0..1. Optional: the default ignores it. Called on worker threads.
    virtual void preview(std::string_view task, int width, int height, const std::vector<float>& rgb) {}
};

struct Context {
    double frame = 1.0;
    double fps = 24.0;
    std::string view = "main";
    /// 1 = full resolution, 0.5 = half proxy, 0.25 = quarter.
    double proxyScale = 1.0;
    /// Region of interest in full-resolution pixel coordinates; empty = the whole data window.
    std::optional<Box2i> roi;
    /// Identity of the active OCIO config (see color::ConfigHandle::identity()).
    std::string ocioConfig;
    /// Compute device for nodes that can use one: "cpu", "cuda" or "cuda:N". Generative nodes hash it
    /// (results differ per device); image nodes ignore it.
    std::string device = "cpu";
    std::shared_ptr<Canceller> canceller;
    std::shared_ptr<ProgressSink> progress;

    Context withFrame(double f) const {
        Context c = *this;
        c.frame = f;
        return c;
    }
    void checkCancelled() const {
        if (canceller)
            canceller->check();
    }
    bool isCancelled() const { return canceller && canceller->cancelled(); }
    void reportProgress(std::string_view task, double fraction, std::string_view detail = {}) const {
        if (progress)
            progress->progress(task, fraction, detail);
    }
    void reportPreview(std::string_view task, int width, int height, const std::vector<float>& rgb) const {
        if (progress && width > 0 && height > 0 && rgb.size() == static_cast<std::size_t>(width) * height * 3)
            progress->preview(task, width, height, rgb);
    }
};

} // namespace kinema::graph
