// SPDX-License-Identifier: Apache-2.0
#pragma once
/// The viewer's debug overlay: Dear ImGui windows drawn on top of the image.
///
/// Design note
/// - Data comes in as plain values (DebugStats, diffusion progress) set from the UI thread; the overlay
///   never reaches into the engine. DebugStats::fromEngine converts Evaluator::stats() and
///   ComputeCache::stats() snapshots.
/// - The host (ViewerWidget) owns the GL context: it calls initializeGl/render/releaseGl with that
///   context current and feeds mouse input. Dear ImGui is a private dependency; each overlay has its
///   own ImGui context, so several viewers can coexist.
/// - GPU memory is shown when the app supplies it (e.g. from the diffusion device) or, failing that,
///   when the GL driver reports it (GL_NVX_gpu_memory_info).
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "kinema/render/ComputeCache.h"
#include "kinema/render/Evaluator.h"

namespace kinema::viewer {

struct DebugNodeTiming {
    std::string node;
    std::uint64_t computes = 0;
    std::uint64_t cacheHits = 0;
    double computeSeconds = 0.0; ///< inclusive of upstream work, as in render::NodeStats
};

struct DebugStats {
    std::vector<DebugNodeTiming> nodes;
    render::CacheStats computeCache;
    std::size_t computeCacheBudget = 0;
    std::size_t frameCacheBytes = 0;
    std::size_t frameCacheFrames = 0;
    std::optional<std::size_t> gpuMemoryUsedBytes;
    std::optional<std::size_t> gpuMemoryTotalBytes;

    /// Snapshot of the engine's statistics; nodes sorted by compute time, slowest first.
    static DebugStats fromEngine(const std::map<std::string, render::NodeStats>& nodeStats,
                                 const render::CacheStats& cacheStats, std::size_t cacheBudget = 0);
};

class DebugOverlay {
public:
    DebugOverlay();
    ~DebugOverlay();
    DebugOverlay(const DebugOverlay&) = delete;
    DebugOverlay& operator=(const DebugOverlay&) = delete;

    void setStats(DebugStats stats);
    const DebugStats& stats() const;

    /// Diffusion progress: step of total, with an optional preview (previewWidth × previewHeight RGB
    /// floats, row 0 at the top, display-referred 0..1; values are clamped). An empty preview keeps
    /// only the progress bar. Throws std::invalid_argument when the preview size does not match.
    void setDiffusionProgress(int step, int total, int previewWidth = 0, int previewHeight = 0,
                              std::vector<float> previewRgb = {});
    void clearDiffusionProgress();
    bool hasDiffusionProgress() const;
    int diffusionStep() const;
    int diffusionTotal() const;

    void setVisible(bool visible);
    bool isVisible() const;
    /// Called whenever the overlay needs a repaint (the host sets it to its update()).
    void setRepaintCallback(std::function<void()> callback);

    // Host interface: GL context current for the three GL calls.
    void initializeGl();
    void releaseGl();
    /// Draws one ImGui frame over the current framebuffer (no-op when hidden).
    void render(int logicalWidth, int logicalHeight, double devicePixelRatio, double deltaSeconds);
    void mouseMove(float x, float y);
    void mouseButton(int button, bool down);
    void mouseWheel(float steps);
    /// True when the mouse is over an overlay window (the host should not pan or probe then).
    bool wantsMouse() const;
    /// ImGui frames drawn so far.
    std::uint64_t renderedFrames() const;

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

} // namespace kinema::viewer
