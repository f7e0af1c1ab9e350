// SPDX-License-Identifier: Apache-2.0
#include "kinema/viewer/DebugOverlay.h"

#include <QOpenGLContext>
#include <QOpenGLFunctions>

#include <backends/imgui_impl_opengl3.h>
#include <imgui.h>

#include <algorithm>
#include <cstdio>
#include <stdexcept>

namespace kinema::viewer {
namespace {

std::string formatBytes(std::size_t bytes) {
    char buffer[64];
    const double b = static_cast<double>(bytes);
    if (b >= 1024.0 * 1024.0 * 1024.0)
        std::snprintf(buffer, sizeof buffer, "%.2f GiB", b / (1024.0 * 1024.0 * 1024.0));
    else if (b >= 1024.0 * 1024.0)
        std::snprintf(buffer, sizeof buffer, "%.1f MiB", b / (1024.0 * 1024.0));
    else
        std::snprintf(buffer, sizeof buffer, "%.1f KiB", b / 1024.0);
    return buffer;
}

// GL_NVX_gpu_memory_info enums (values in KiB).
constexpr unsigned kGpuMemoryTotalNvx = 0x9048;
constexpr unsigned kGpuMemoryAvailableNvx = 0x9049;

} // namespace

DebugStats DebugStats::fromEngine(const std::map<std::string, render::NodeStats>& nodeStats,
                                  const render::CacheStats& cacheStats, std::size_t cacheBudget) {
    DebugStats stats;
    for (const auto& [name, s] : nodeStats)
        stats.nodes.push_back({name, s.computes, s.cacheHits, s.computeSeconds});
    std::stable_sort(stats.nodes.begin(), stats.nodes.end(),
                     [](const DebugNodeTiming& a, const DebugNodeTiming& b) {
                         return a.computeSeconds > b.computeSeconds;
                     });
    stats.computeCache = cacheStats;
    stats.computeCacheBudget = cacheBudget;
    return stats;
}

struct DebugOverlay::Impl {
    DebugStats stats;
    bool visible = false;
    std::function<void()> repaint;

    bool hasProgress = false;
    int step = 0, total = 0;
    int previewW = 0, previewH = 0;
    std::vector<float> preview;
    bool previewDirty = false;

    ImGuiContext* context = nullptr;
    bool glReady = false;
    unsigned previewTexture = 0;
    bool nvxMemory = false;
    std::uint64_t frames = 0;
    bool wantsMouse = false;

    bool layoutDirty =
        true; // content changed: lay out once before drawing (ImGui sizes windows a frame late)

    void requestRepaint() {
        layoutDirty = true;
        if (repaint && visible)
            repaint();
    }
};

DebugOverlay::DebugOverlay()
    : m_impl(std::make_unique<Impl>()) {}

DebugOverlay::~DebugOverlay() {
    // GL objects must have been released by the host (releaseGl) while its context was current.
    if (m_impl->context)
        ImGui::DestroyContext(m_impl->context);
}

void DebugOverlay::setStats(DebugStats stats) {
    m_impl->stats = std::move(stats);
    m_impl->requestRepaint();
}

const DebugStats& DebugOverlay::stats() const {
    return m_impl->stats;
}

void DebugOverlay::setDiffusionProgress(int step, int total, int previewWidth, int previewHeight,
                                        std::vector<float> previewRgb) {
    if (total < 0 || step < 0)
        throw std::invalid_argument("debug overlay: diffusion step " + std::to_string(step) + " of " +
                                    std::to_string(total) + " is negative");
    if (!previewRgb.empty() &&
        (previewWidth <= 0 || previewHeight <= 0 ||
         previewRgb.size() != static_cast<std::size_t>(previewWidth) * previewHeight * 3))
        throw std::invalid_argument("debug overlay: latent preview of " + std::to_string(previewRgb.size()) +
                                    " floats does not match " + std::to_string(previewWidth) + "×" +
                                    std::to_string(previewHeight) + " RGB");
    m_impl->hasProgress = true;
    m_impl->step = step;
    m_impl->total = total;
    if (!previewRgb.empty()) {
        for (auto& v : previewRgb)
            v = std::clamp(std::isfinite(v) ? v : 0.0f, 0.0f, 1.0f);
        m_impl->previewW = previewWidth;
        m_impl->previewH = previewHeight;
        m_impl->preview = std::move(previewRgb);
        m_impl->previewDirty = true;
    }
    m_impl->requestRepaint();
}

void DebugOverlay::clearDiffusionProgress() {
    m_impl->hasProgress = false;
    m_impl->preview.clear();
    m_impl->previewW = m_impl->previewH = 0;
    m_impl->previewDirty = true;
    m_impl->requestRepaint();
}

bool DebugOverlay::hasDiffusionProgress() const {
    return m_impl->hasProgress;
}
int DebugOverlay::diffusionStep() const {
    return m_impl->step;
}
int DebugOverlay::diffusionTotal() const {
    return m_impl->total;
}

void DebugOverlay::setVisible(bool visible) {
    m_impl->visible = visible;
    m_impl->layoutDirty = true;
    if (m_impl->repaint)
        m_impl->repaint();
}

bool DebugOverlay::isVisible() const {
    return m_impl->visible;
}

void DebugOverlay::setRepaintCallback(std::function<void()> callback) {
    m_impl->repaint = std::move(callback);
}

void DebugOverlay::initializeGl() {
    releaseGl();
    if (!m_impl->context) {
        m_impl->context = ImGui::CreateContext();
        ImGui::SetCurrentContext(m_impl->context);
        ImGui::StyleColorsDark();
        auto& io = ImGui::GetIO();
        io.IniFilename = nullptr; // no imgui.ini next to the executable
        io.LogFilename = nullptr;
        ImGui::GetStyle().Alpha = 0.92f;
    }
    ImGui::SetCurrentContext(m_impl->context);
    if (!ImGui_ImplOpenGL3_Init("#version 410 core"))
        throw std::runtime_error("debug overlay: Dear ImGui's OpenGL 3 backend failed to initialise");
    m_impl->glReady = true;
    m_impl->previewDirty = true;
    m_impl->layoutDirty = true;
    if (auto* ctx = QOpenGLContext::currentContext())
        m_impl->nvxMemory = ctx->hasExtension("GL_NVX_gpu_memory_info");
}

void DebugOverlay::releaseGl() {
    if (!m_impl->glReady)
        return;
    ImGui::SetCurrentContext(m_impl->context);
    if (m_impl->previewTexture) {
        if (auto* ctx = QOpenGLContext::currentContext())
            ctx->functions()->glDeleteTextures(1, &m_impl->previewTexture);
        m_impl->previewTexture = 0;
    }
    ImGui_ImplOpenGL3_Shutdown();
    m_impl->glReady = false;
}

void DebugOverlay::mouseMove(float x, float y) {
    if (!m_impl->context)
        return;
    ImGui::SetCurrentContext(m_impl->context);
    ImGui::GetIO().MousePos = ImVec2(x, y);
}

void DebugOverlay::mouseButton(int button, bool down) {
    if (!m_impl->context || button < 0 || button >= 5)
        return;
    ImGui::SetCurrentContext(m_impl->context);
    ImGui::GetIO().MouseDown[button] = down;
}

void DebugOverlay::mouseWheel(float steps) {
    if (!m_impl->context)
        return;
    ImGui::SetCurrentContext(m_impl->context);
    ImGui::GetIO().MouseWheel += steps;
}

bool DebugOverlay::wantsMouse() const {
    return m_impl->visible && m_impl->wantsMouse;
}

std::uint64_t DebugOverlay::renderedFrames() const {
    return m_impl->frames;
}

void DebugOverlay::render(int logicalWidth, int logicalHeight, double devicePixelRatio, double deltaSeconds) {
    auto& d = *m_impl;
    if (!d.visible || !d.glReady || logicalWidth <= 0 || logicalHeight <= 0)
        return;
    ImGui::SetCurrentContext(d.context);
    auto* gl = QOpenGLContext::currentContext()->functions();

    if (d.previewDirty) {
        d.previewDirty = false;
        if (d.preview.empty()) {
            if (d.previewTexture)
                gl->glDeleteTextures(1, &d.previewTexture);
            d.previewTexture = 0;
        } else {
            if (!d.previewTexture)
                gl->glGenTextures(1, &d.previewTexture);
            GLint previous = 0;
            gl->glGetIntegerv(GL_TEXTURE_BINDING_2D, &previous);
            gl->glBindTexture(GL_TEXTURE_2D, d.previewTexture);
            gl->glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_LINEAR);
            gl->glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_NEAREST);
            gl->glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
            gl->glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
            gl->glPixelStorei(GL_UNPACK_ALIGNMENT, 4);
            gl->glTexImage2D(GL_TEXTURE_2D, 0, GL_RGB32F, d.previewW, d.previewH, 0, GL_RGB, GL_FLOAT,
                             d.preview.data());
            gl->glBindTexture(GL_TEXTURE_2D, static_cast<GLuint>(previous));
        }
    }

    auto& io = ImGui::GetIO();
    io.DisplaySize = ImVec2(float(logicalWidth), float(logicalHeight));
    io.DisplayFramebufferScale = ImVec2(float(devicePixelRatio), float(devicePixelRatio));
    io.DeltaTime = static_cast<float>(std::max(deltaSeconds, 1e-4));
    ImGui_ImplOpenGL3_NewFrame();
    auto buildUi = [&] {
        ImGui::SetNextWindowPos(ImVec2(10, 10), ImGuiCond_FirstUseEver);
        ImGui::Begin("Kinema debug", nullptr, ImGuiWindowFlags_AlwaysAutoResize);
        const auto& s = d.stats;
        if (ImGui::CollapsingHeader("Nodes", ImGuiTreeNodeFlags_DefaultOpen)) {
            if (s.nodes.empty()) {
                ImGui::TextDisabled("no node statistics");
            } else if (ImGui::BeginTable("nodes", 4, ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersInnerV)) {
                ImGui::TableSetupColumn("node");
                ImGui::TableSetupColumn("cook ms");
                ImGui::TableSetupColumn("cooks");
                ImGui::TableSetupColumn("hits");
                ImGui::TableHeadersRow();
                for (const auto& n : s.nodes) {
                    ImGui::TableNextRow();
                    ImGui::TableNextColumn();
                    ImGui::TextUnformatted(n.node.c_str());
                    ImGui::TableNextColumn();
                    ImGui::Text("%.2f", n.computeSeconds * 1000.0);
                    ImGui::TableNextColumn();
                    ImGui::Text("%llu", static_cast<unsigned long long>(n.computes));
                    ImGui::TableNextColumn();
                    ImGui::Text("%llu", static_cast<unsigned long long>(n.cacheHits));
                }
                ImGui::EndTable();
            }
        }
        if (ImGui::CollapsingHeader("Memory", ImGuiTreeNodeFlags_DefaultOpen)) {
            const auto& c = s.computeCache;
            const double lookups = double(c.hits + c.misses);
            ImGui::Text("compute cache: %s in %zu entries", formatBytes(c.bytes).c_str(), c.entries);
            if (s.computeCacheBudget > 0) {
                const float fraction = float(double(c.bytes) / double(s.computeCacheBudget));
                ImGui::ProgressBar(std::clamp(fraction, 0.0f, 1.0f), ImVec2(360, 0),
                                   ("of " + formatBytes(s.computeCacheBudget)).c_str());
            }
            ImGui::Text("hits %llu  misses %llu  (%.1f%%)  evictions %llu",
                        static_cast<unsigned long long>(c.hits), static_cast<unsigned long long>(c.misses),
                        lookups > 0 ? 100.0 * c.hits / lookups : 0.0,
                        static_cast<unsigned long long>(c.evictions));
            ImGui::Text("frame cache: %s, %zu frames", formatBytes(s.frameCacheBytes).c_str(),
                        s.frameCacheFrames);
            std::optional<std::size_t> used = s.gpuMemoryUsedBytes, total = s.gpuMemoryTotalBytes;
            if (!used && d.nvxMemory) {
                GLint totalKiB = 0, availableKiB = 0;
                gl->glGetIntegerv(kGpuMemoryTotalNvx, &totalKiB);
                gl->glGetIntegerv(kGpuMemoryAvailableNvx, &availableKiB);
                if (totalKiB > 0) {
                    total = std::size_t(totalKiB) * 1024;
                    used = std::size_t(std::max(0, totalKiB - availableKiB)) * 1024;
                }
            }
            if (used && total)
                ImGui::Text("GPU memory: %s of %s", formatBytes(*used).c_str(), formatBytes(*total).c_str());
            else if (used)
                ImGui::Text("GPU memory: %s", formatBytes(*used).c_str());
            else
                ImGui::TextDisabled("GPU memory: unknown");
        }
        if (d.hasProgress && ImGui::CollapsingHeader("Diffusion", ImGuiTreeNodeFlags_DefaultOpen)) {
            const float fraction = d.total > 0 ? float(d.step) / float(d.total) : 0.0f;
            char label[64];
            std::snprintf(label, sizeof label, "step %d / %d", d.step, d.total);
            ImGui::ProgressBar(std::clamp(fraction, 0.0f, 1.0f), ImVec2(360, 0), label);
            if (d.previewTexture) {
                const float maxSide = 192.0f;
                const float scale = maxSide / float(std::max(d.previewW, d.previewH));
                ImGui::Image(reinterpret_cast<ImTextureID>(static_cast<std::uintptr_t>(d.previewTexture)),
                             ImVec2(d.previewW * scale, d.previewH * scale));
            }
        }
        ImGui::End();
    };
    if (d.layoutDirty) {
        // Windows that fit their content take the new size one frame later: lay out a frame first.
        d.layoutDirty = false;
        const bool down[5] = {io.MouseDown[0], io.MouseDown[1], io.MouseDown[2], io.MouseDown[3],
                              io.MouseDown[4]};
        ImGui::NewFrame();
        buildUi();
        ImGui::EndFrame();
        for (int i = 0; i < 5; ++i)
            io.MouseDown[i] = down[i];
    }
    ImGui::NewFrame();
    buildUi();
    ImGui::Render();
    ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());
    d.wantsMouse = io.WantCaptureMouse;
    ++d.frames;
}

} // namespace kinema::viewer
