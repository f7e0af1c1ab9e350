// SPDX-License-Identifier: Apache-2.0
// The Dear ImGui debug overlay drawn inside the viewer.
#include <catch2/catch.hpp>

#include <QImage>
#include <QTest>

#include "GuiTestSupport.h"
#include "TestSupport.h"
#include "kinema/color/Color.h"
#include "kinema/viewer/DebugOverlay.h"
#include "kinema/viewer/ViewerWidget.h"

using namespace kinema;
using viewer::DebugOverlay;
using viewer::DebugStats;
using viewer::ViewerWidget;

namespace {

struct OverlayFixture : test::GuiApp {
    ViewerWidget viewer;
    OverlayFixture() {
        viewer.setConfig(color::ConfigHandle::fromFile(test::resourcesDir() / "ocio" / "config.ocio"));
        viewer.resize(640, 480);
        auto image = std::make_shared<render::Image>(graph::Format{64, 48}, graph::Box2i{0, 0, 64, 48},
                                                     render::Image::rgba());
        float* red = image->channel("R");
        for (int i = 0; i < 64 * 48; ++i)
            red[i] = 0.18f;
        viewer.setImage(image);
        viewer.show();
        REQUIRE(QTest::qWaitForWindowExposed(&viewer, test::kWindowTimeoutMs));
    }
    int differingPixels(const QImage& a, const QImage& b) {
        int n = 0;
        for (int y = 0; y < a.height(); ++y)
            for (int x = 0; x < a.width(); ++x)
                n += a.pixel(x, y) != b.pixel(x, y);
        return n;
    }
};

} // namespace

TEST_CASE("debug overlay: toggling draws the overlay on top of the image", "[overlay][gui]") {
    OverlayFixture f;
    const QImage plain = f.viewer.grabFramebuffer();
    CHECK_FALSE(f.viewer.debugOverlayVisible());
    f.viewer.setDebugOverlayVisible(true);
    const QImage shown = f.viewer.grabFramebuffer();
    CHECK(f.viewer.debugOverlay().renderedFrames() >= 1);
    CHECK(f.differingPixels(plain, shown) > 2000);
    QTest::keyClick(&f.viewer, Qt::Key_QuoteLeft);
    CHECK_FALSE(f.viewer.debugOverlayVisible());
    const QImage hidden = f.viewer.grabFramebuffer();
    CHECK(f.differingPixels(plain, hidden) == 0);
    CHECK(f.viewer.lastError().isEmpty());
}

TEST_CASE("debug overlay: statistics and diffusion progress updates show", "[overlay][gui]") {
    OverlayFixture f;
    f.viewer.setDebugOverlayVisible(true);
    const QImage empty = f.viewer.grabFramebuffer();

    std::map<std::string, render::NodeStats> nodes;
    nodes["Read1"] = {3, 10, 0.25};
    nodes["Blur1"] = {3, 4, 1.5};
    nodes["Grade1"] = {1, 0, 0.01};
    render::CacheStats cache;
    cache.hits = 14;
    cache.misses = 7;
    cache.bytes = 300u << 20;
    cache.entries = 7;
    auto stats = DebugStats::fromEngine(nodes, cache, std::size_t(1) << 30);
    REQUIRE(stats.nodes.size() == 3);
    CHECK(stats.nodes.front().node == "Blur1"); // slowest first
    stats.gpuMemoryUsedBytes = std::size_t(2) << 30;
    stats.gpuMemoryTotalBytes = std::size_t(8) << 30;
    f.viewer.debugOverlay().setStats(stats);
    const QImage withStats = f.viewer.grabFramebuffer();
    CHECK(f.differingPixels(empty, withStats) > 500);

    // Diffusion progress with a pure red latent preview: red pixels appear.
    const int w = 32, h = 24;
    std::vector<float> preview(w * h * 3, 0.0f);
    for (int i = 0; i < w * h; ++i)
        preview[i * 3] = 1.0f;
    f.viewer.debugOverlay().setDiffusionProgress(5, 20, w, h, preview);
    CHECK(f.viewer.debugOverlay().diffusionStep() == 5);
    const QImage withPreview = f.viewer.grabFramebuffer();
    auto redPixels = [](const QImage& img) {
        int n = 0;
        for (int y = 0; y < img.height(); ++y)
            for (int x = 0; x < img.width(); ++x) {
                const QColor c = img.pixelColor(x, y);
                n += c.red() > 200 && c.green() < 40 && c.blue() < 40;
            }
        return n;
    };
    CHECK(redPixels(withStats) < 100);
    CHECK(redPixels(withPreview) > 5000);
    // A later step changes the progress bar.
    f.viewer.debugOverlay().setDiffusionProgress(15, 20);
    const QImage later = f.viewer.grabFramebuffer();
    CHECK(f.differingPixels(withPreview, later) > 50);
    CHECK_THROWS_AS(f.viewer.debugOverlay().setDiffusionProgress(1, 20, 4, 4, std::vector<float>(5)),
                    std::invalid_argument);
    f.viewer.debugOverlay().clearDiffusionProgress();
    CHECK(redPixels(f.viewer.grabFramebuffer()) < 100);
}
