// SPDX-License-Identifier: Apache-2.0
// The integrated viewer: the viewed node's pixels through the OCIO display (checked against the colour
// module's CPU processor), the toolbar, the pixel probe in the status bar, A/B inputs, timeline scrubbing,
// playback read-ahead through the frame cache, cache invalidation by edits and the debug overlay.
#include <catch2/catch.hpp>

#include <array>
#include <cmath>
#include <filesystem>

#include <QAbstractButton>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QLabel>
#include <QStatusBar>
#include <QTest>

#include "GuiTestSupport.h"
#include "kinema/app/NodeEditor.h"
#include "kinema/app/ViewerPanel.h"
#include "kinema/color/Color.h"
#include "kinema/color/Config.h"
#include "kinema/viewer/DebugOverlay.h"
#include "kinema/viewer/PlaybackController.h"
#include "kinema/viewer/TimelineWidget.h"
#include "kinema/viewer/ViewerWidget.h"

using namespace kinema;

namespace {

constexpr int kTolerance = 2; // 8-bit code values between the GPU shader and the CPU processor

struct Session {
    test::TempDir dir{"kinema-gui-viewer"};
    app::MainWindow window;
    Session()
        : window((test::guiApp(), test::windowOptions(dir))) {
        window.show();
        REQUIRE(QTest::qWaitForWindowExposed(&window, test::kWindowTimeoutMs));
    }
    graph::Document& doc() { return window.model().document(); }
    viewer::ViewerWidget* viewer() { return window.viewer()->viewerWidget(); }
    viewer::TimelineWidget* timeline() { return window.viewer()->timeline(); }
    bool settle(int timeoutMs = 30000) {
        return test::waitFor(
            [&] { return window.lastShownEvaluation() > 0 && !window.isEvaluationPending(); }, timeoutMs);
    }
};

void project(graph::Document& doc, int first, int last) {
    auto s = doc.graph().settings();
    s.format = {32, 16, 1.0, "tiny"};
    s.frameStart = first;
    s.frameEnd = last;
    doc.setSettings(s);
}

// A Constant whose red channel goes linearly from `r0` at `first` to `r1` at `last`.
graph::Node& animatedConstant(graph::Document& doc, const std::string& name, int first, int last, double r0,
                              double r1) {
    auto& c = doc.addNode("Constant", name, {0, 0});
    doc.setKey(c, "color", first, std::array<double, 4>{r0, 0.5, 0.25, 1.0}, graph::Interpolation::Linear);
    doc.setKey(c, "color", last, std::array<double, 4>{r1, 0.5, 0.25, 1.0}, graph::Interpolation::Linear);
    return c;
}

std::array<int, 3> cpuCodeValues(const viewer::ViewerWidget& w, std::array<float, 4> rgba) {
    const auto transform = color::ColorTransform::displayView(
        w.inputColorSpace().toStdString(), w.display().toStdString(), w.view().toStdString());
    const float gain = static_cast<float>(std::exp2(w.exposure()));
    for (int c = 0; c < 3; ++c)
        rgba[c] *= gain;
    color::processorFor(w.config(), transform)->applyPixel(rgba);
    std::array<int, 3> out{};
    for (int c = 0; c < 3; ++c)
        out[c] = static_cast<int>(std::lround(std::clamp(rgba[c], 0.0f, 1.0f) * 255.0f));
    return out;
}

void checkPixel(viewer::ViewerWidget& w, const QPointF& widgetPos, const std::array<float, 4>& scene) {
    const QImage frame = w.grabFramebuffer();
    REQUIRE(w.lastError().isEmpty());
    const double dpr = frame.devicePixelRatio();
    const QColor gpu = frame.pixelColor(QPoint(int(widgetPos.x() * dpr), int(widgetPos.y() * dpr)));
    const auto cpu = cpuCodeValues(w, scene);
    INFO(w.display().toStdString() << " / " << w.view().toStdString() << " exposure " << w.exposure()
                                   << ": GPU " << gpu.red() << " " << gpu.green() << " " << gpu.blue()
                                   << ", CPU " << cpu[0] << " " << cpu[1] << " " << cpu[2]);
    CHECK(std::abs(gpu.red() - cpu[0]) <= kTolerance);
    CHECK(std::abs(gpu.green() - cpu[1]) <= kTolerance);
    CHECK(std::abs(gpu.blue() - cpu[2]) <= kTolerance);
}

} // namespace

TEST_CASE("viewer panel: the viewed node's HDR pixels go through the OCIO display", "[gui][viewer]") {
    Session s;
    project(s.doc(), 1, 3);
    auto& c = s.doc().addNode("Constant", "C", {0, 0});
    s.doc().setParam(c, "color", std::array<double, 4>{0.5, 0.25, 0.1, 1.0});
    auto& g = s.doc().addNode("Grade", "G", {0, 120});
    s.doc().connect(c, g, 0);
    s.doc().setParam(g, "gain", std::array<double, 4>{8.0, 2.0, 1.0, 1.0}); // red 4.0: above display white

    REQUIRE(s.window.viewNode(QStringLiteral("G")));
    REQUIRE(s.settle());
    auto* w = s.viewer();
    REQUIRE(w->image() == s.window.viewer()->image());
    REQUIRE(w->image());
    CHECK_FALSE(s.window.colorConfigSource().isEmpty());
    REQUIRE(w->config().valid());
    w->setShowStatusLine(false);
    w->setShowOutlines(false);
    w->fitToWindow();
    const QPointF centre = w->imageToWidget(QPointF(16.0, 8.0));
    const std::array<float, 4> scene{4.0f, 0.5f, 0.1f, 1.0f};

    for (const auto& [display, view] : std::vector<std::pair<QString, QString>>{
             {"sRGB", "ACES 1.0 SDR-video"}, {"Rec.1886", "ACES 1.0 SDR-video"}, {"sRGB", "Raw"}}) {
        w->setDisplay(display);
        w->setView(view);
        // The toolbar follows the viewer's settings.
        CHECK(s.window.viewer()->findChild<QAbstractButton*>(QStringLiteral("displayMenu"))->text() ==
              display);
        CHECK(s.window.viewer()->findChild<QAbstractButton*>(QStringLiteral("viewMenu"))->text() == view);
        checkPixel(*w, centre, scene);
    }

    // Exposure from the toolbar: one stop doubles the scene value before the display transform.
    w->setDisplay(QStringLiteral("sRGB"));
    w->setView(QStringLiteral("ACES 1.0 SDR-video"));
    auto* exposure = s.window.viewer()->findChild<QDoubleSpinBox*>(QStringLiteral("exposure"));
    REQUIRE(exposure);
    exposure->setValue(-1.0);
    CHECK(w->exposure() == Approx(-1.0));
    checkPixel(*w, centre, scene);
    exposure->setValue(0.0);

    // Channel buttons isolate a channel.
    s.window.viewer()->findChild<QAbstractButton*>(QStringLiteral("channelG"))->click();
    CHECK(w->channelMode() == viewer::ChannelMode::Green);
    s.window.viewer()->findChild<QAbstractButton*>(QStringLiteral("channelRGB"))->click();
    CHECK(w->channelMode() == viewer::ChannelMode::RGB);

    // The pixel probe: scene-linear and displayed values, shown in the status bar.
    QTest::mouseClick(w, Qt::LeftButton, {}, centre.toPoint());
    const auto& probe = w->lastProbe();
    REQUIRE(probe.valid);
    CHECK(probe.scene[0] == Approx(4.0f));
    CHECK(probe.scene[1] == Approx(0.5f));
    auto* label = s.window.statusBar()->findChild<QLabel*>(QStringLiteral("probe"));
    REQUIRE(label);
    CHECK(label->text().contains(QStringLiteral("4.0000")));
    CHECK(label->text().contains(QStringLiteral("display")));
}

TEST_CASE("viewer panel: viewer inputs 1 and 2 compare two nodes", "[gui][viewer]") {
    Session s;
    project(s.doc(), 1, 3);
    auto& a = s.doc().addNode("Constant", "A", {0, 0});
    s.doc().setParam(a, "color", std::array<double, 4>{2.0, 0.0, 0.0, 1.0});
    auto& b = s.doc().addNode("Constant", "B", {200, 0});
    // B's blue is ten times the frame number.
    s.doc().setKey(b, "color", 1, std::array<double, 4>{0.0, 0.0, 10.0, 1.0}, graph::Interpolation::Linear);
    s.doc().setKey(b, "color", 3, std::array<double, 4>{0.0, 0.0, 30.0, 1.0}, graph::Interpolation::Linear);
    REQUIRE(s.window.viewNode(QStringLiteral("A")));
    REQUIRE(s.settle());
    CHECK(s.window.viewer()->imageB() == nullptr);

    // Key 2 on the selected node makes it input B; selecting A again keeps B.
    s.window.editor()->selectNodes({&b});
    REQUIRE(s.settle());
    s.window.activateWindow();
    REQUIRE(QTest::qWaitForWindowActive(&s.window, test::kWindowTimeoutMs));
    s.window.editor()->setFocus();
    QTest::keyClick(s.window.editor(), Qt::Key_2); // the editor's shortcut
    CHECK(s.window.compareNode() == QStringLiteral("B"));
    s.window.action(QStringLiteral("viewerInputA"))->trigger();
    s.window.editor()->selectNodes({&a});
    REQUIRE(s.settle());
    CHECK(s.window.compareNode() == QStringLiteral("B"));
    CHECK(s.window.viewedNode() == QStringLiteral("A"));
    REQUIRE(s.window.viewer()->image());
    REQUIRE(s.window.viewer()->imageB());
    CHECK(s.window.viewer()->image()->sample("R", 1, 1) == Approx(2.0f));
    CHECK(s.window.viewer()->imageB()->sample("B", 1, 1) == Approx(10.0f * s.window.frame()));
    CHECK(s.viewer()->compareMode() == viewer::CompareMode::Wipe);
    // In the viewer, 1 is the 1:1 zoom and leaves the inputs alone.
    s.viewer()->setZoom(0.25);
    s.viewer()->setFocus();
    QTest::keyClick(s.viewer(), Qt::Key_1);
    CHECK(s.viewer()->zoom() == Approx(1.0));
    CHECK(s.window.viewedNode() == QStringLiteral("A"));
    auto* compare = s.window.viewer()->findChild<QComboBox*>(QStringLiteral("compare"));
    REQUIRE(compare);
    CHECK(compare->currentData().toInt() == static_cast<int>(viewer::CompareMode::Wipe));
    compare->setCurrentIndex(compare->findData(static_cast<int>(viewer::CompareMode::SideBySide)));
    CHECK(s.viewer()->compareMode() == viewer::CompareMode::SideBySide);

    // Playback reads input B ahead together with A: another frame shows B of that frame.
    const int pausedFrame = s.window.frame();
    s.window.viewer()->setPlaying(true);
    REQUIRE(test::waitFor([&] {
        const auto& imageB = s.window.viewer()->imageB();
        const int frame = s.window.frame();
        return frame != pausedFrame && s.window.viewer()->caption().contains(QStringLiteral("frame cache")) &&
               imageB && imageB->sample("B", 1, 1) == 10.0f * frame;
    }));
    CHECK(s.window.viewer()->image()->sample("R", 1, 1) == Approx(2.0f));
    s.window.viewer()->setPlaying(false);
    REQUIRE(s.settle());

    // Deleting B clears the input.
    s.doc().removeNodes({&b});
    REQUIRE(s.settle());
    CHECK(s.window.compareNode().isEmpty());
    CHECK(s.window.viewer()->imageB() == nullptr);
    CHECK_FALSE(s.window.setViewerInput(2, QStringLiteral("Nope")));
}

TEST_CASE("timeline: scrubbing re-evaluates and keyframes of the selected node are ticked", "[gui][viewer]") {
    Session s;
    project(s.doc(), 1, 10);
    animatedConstant(s.doc(), "Ramp", 1, 10, 0.0, 9.0);
    REQUIRE(s.window.viewNode(QStringLiteral("Ramp")));
    s.window.setFrame(1);
    REQUIRE(s.settle());
    CHECK(s.window.viewer()->image()->sample("R", 0, 0) == Approx(0.0f));
    auto* timeline = s.timeline();
    CHECK(timeline->firstFrame() == 1);
    CHECK(timeline->lastFrame() == 10);
    CHECK(timeline->keyframes() == QSet<int>({1, 10}));

    // Drag on the ruler: the frame follows the mouse and the viewer shows the new frame's pixels.
    QWidget* ruler = timeline->ruler();
    const int y = ruler->height() / 2;
    QTest::mousePress(ruler, Qt::LeftButton, {}, QPoint(int(timeline->positionOfFrame(3)), y));
    QTest::mouseMove(ruler, QPoint(int(timeline->positionOfFrame(7)), y));
    QTest::mouseRelease(ruler, Qt::LeftButton, {}, QPoint(int(timeline->positionOfFrame(7)), y));
    CHECK(s.window.frame() == 7);
    REQUIRE(s.settle());
    REQUIRE(s.window.viewer()->image());
    CHECK(s.window.viewer()->image()->sample("R", 0, 0) == Approx(6.0f));
    // The shown frame is in the frame cache (the cache bar).
    REQUIRE(test::waitFor([&] { return timeline->cachedFrames().contains(7); }));

    // Deselecting clears the ticks.
    s.window.editor()->selectNodes({});
    CHECK(timeline->keyframes().isEmpty());
}

TEST_CASE("timeline: playback reads ahead into the frame cache and an edit invalidates it", "[gui][viewer]") {
    Session s;
    project(s.doc(), 1, 48);
    auto& ramp = animatedConstant(s.doc(), "Ramp", 1, 48, 0.0, 47.0);
    s.window.setFrame(1);
    REQUIRE(s.window.viewNode(QStringLiteral("Ramp")));
    REQUIRE(s.settle());
    auto& playback = s.window.playback();
    CHECK(playback.cachedFrames() == QList<int>{1});

    s.window.viewer()->setPlaying(true);
    CHECK(playback.isPlaying());
    // Frames ahead of the playhead are requested and computed off the UI thread.
    REQUIRE(test::waitFor([&] { return playback.cachedFrames().size() >= 6; }));
    s.window.viewer()->setPlaying(false);
    CHECK_FALSE(playback.isPlaying());
    const QList<int> cached = playback.cachedFrames();
    bool ahead = false;
    for (int f : cached) {
        auto image = playback.cachedImage(f);
        REQUIRE(image);
        CHECK(image->sample("R", 0, 0) == Approx(double(f - 1)));
        ahead = ahead || f > 2;
    }
    CHECK(ahead);
    CHECK(s.timeline()->cachedFrames().size() >= 6);
    REQUIRE(s.settle());

    // An edit empties the frame cache; only the re-evaluated current frame comes back.
    s.doc().removeKey(ramp, "color", 48.0);
    REQUIRE(s.settle());
    REQUIRE(test::waitFor([&] { return playback.cachedFrames() == QList<int>{s.window.frame()}; }));
    CHECK(playback.cachedImage(s.window.frame())->sample("R", 0, 0) == Approx(0.0f));
    CHECK(s.window.viewer()->image()->sample("R", 0, 0) == Approx(0.0f));
}

TEST_CASE("debug overlay: menu toggle shows engine statistics", "[gui][viewer]") {
    Session s;
    project(s.doc(), 1, 3);
    auto& c = s.doc().addNode("Constant", "C", {0, 0});
    auto& g = s.doc().addNode("Grade", "G", {0, 120});
    s.doc().connect(c, g, 0);
    REQUIRE(s.window.viewNode(QStringLiteral("G")));
    REQUIRE(s.settle());

    QAction* toggle = s.window.action(QStringLiteral("debugOverlay"));
    REQUIRE(toggle);
    CHECK(toggle->isCheckable());
    CHECK(toggle->shortcut() == QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_D));
    CHECK_FALSE(s.window.debugOverlayVisible());
    toggle->trigger();
    CHECK(s.window.debugOverlayVisible());
    CHECK(toggle->isChecked());

    // Fed from the evaluator and cache after each evaluation.
    s.doc().setParam(g, "gain", std::array<double, 4>{2.0, 2.0, 2.0, 1.0});
    REQUIRE(s.settle());
    auto& overlay = s.viewer()->debugOverlay();
    const auto& stats = overlay.stats();
    REQUIRE_FALSE(stats.nodes.empty());
    bool sawGrade = false;
    for (const auto& n : stats.nodes)
        sawGrade = sawGrade || (n.node == "G" && n.computes == 1);
    CHECK(sawGrade);
    CHECK(stats.computeCacheBudget > 0);
    CHECK(stats.frameCacheFrames == 1);
    const auto drawn = overlay.renderedFrames();
    s.viewer()->update();
    CHECK(test::waitFor([&] { return overlay.renderedFrames() > drawn; }, 10000));

    toggle->trigger();
    CHECK_FALSE(s.window.debugOverlayVisible());
    CHECK_FALSE(toggle->isChecked());
}

TEST_CASE("viewer panel: the colour config comes from the preferences, else the colour module",
          "[gui][viewer]") {
    Session s;
    // No preference: the colour module's resolution ($OCIO, project, shipped).
    const auto expected = color::resolveConfigLocation(s.doc().graph().settings().ocioConfig);
    CHECK(s.window.colorConfigSource().contains(QString::fromStdString(expected.path.string())));
    REQUIRE(s.viewer()->config().valid());

    // A preference wins.
    const auto copy = test::resourcesDir() / "ocio" / "config.ocio";
    auto prefs = s.window.preferences();
    prefs.ocioConfig = QString::fromStdString(copy.string());
    s.window.setPreferences(prefs);
    CHECK(s.window.colorConfigSource().startsWith(QStringLiteral("preferences")));
    CHECK(s.window.lastError().isEmpty());

    // A missing file is reported and the viewer keeps a working config.
    prefs.ocioConfig = QString::fromStdString((s.dir.path() / "missing.ocio").string());
    s.window.setPreferences(prefs);
    CHECK(s.window.lastError().contains(QStringLiteral("missing.ocio")));
    CHECK(s.viewer()->config().valid());
}

TEST_CASE("timeline: an edit during playback cancels the stale read-ahead", "[gui][viewer]") {
    Session s;
    project(s.doc(), 1, 10);
    auto& slow = s.doc().addNode("SlowTest", "S", {0, 0});
    s.doc().setParam(slow, "seconds", 60.0); // never finishes within the test
    s.window.setFrame(1);
    const int started = test::g_slowStarted, cancelled = test::g_slowCancelled;
    REQUIRE(s.window.viewNode(QStringLiteral("S")));
    REQUIRE(test::waitFor([&] { return test::g_slowStarted == started + 1; })); // the interactive request

    // Playing hands the frames to the read-ahead worker: the interactive request is cancelled.
    s.window.viewer()->setPlaying(true);
    REQUIRE(test::waitFor([&] { return test::g_slowCancelled == cancelled + 1; }));
    REQUIRE(test::waitFor([&] { return test::g_slowStarted == started + 2; }));
    CHECK_FALSE(s.window.playback().pendingFrames().isEmpty());
    CHECK_FALSE(s.timeline()->computingFrames().isEmpty());

    // An edit makes the snapshot stale: its computation is cancelled and the frame cache stays empty.
    s.doc().setParam(slow, "value", 0.75);
    REQUIRE(test::waitFor([&] { return test::g_slowCancelled == cancelled + 2; }));
    CHECK(s.window.playback().cachedFrames().isEmpty());
    // The window closes while playing and computing: the shutdown cancels the worker's computation.
    CHECK(s.window.viewer()->isPlaying());
}
