// SPDX-License-Identifier: Apache-2.0
// Background evaluation: results reach the viewer, errors and cache state reach the node badges, the UI
// keeps processing events during a long computation and an edit cancels it; the render dialog writes
// frames through the batch loop without blocking the window.
#include <catch2/catch.hpp>

#include <filesystem>

#include <QListWidget>
#include <QProgressBar>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTest>
#include <QTimer>

#include "GuiTestSupport.h"
#include "kinema/app/NodeEditor.h"
#include "kinema/app/RenderDialog.h"
#include "kinema/app/ViewerPanel.h"

using namespace kinema;
namespace fs = std::filesystem;

namespace {

struct Session {
    test::TempDir dir{"kinema-gui"};
    app::MainWindow window;
    Session()
        : window((test::guiApp(), test::windowOptions(dir))) {
        window.show();
        REQUIRE(QTest::qWaitForWindowExposed(&window, test::kWindowTimeoutMs));
    }
    graph::Document& doc() { return window.model().document(); }
    /// Waits until the latest request's result is on screen.
    bool settle(int timeoutMs = 30000) {
        return test::waitFor(
            [&] { return window.lastShownEvaluation() > 0 && !window.isEvaluationPending(); }, timeoutMs);
    }
};

void smallProject(graph::Document& doc) {
    auto s = doc.graph().settings();
    s.format = {32, 16, 1.0, "tiny"};
    s.frameStart = 1;
    s.frameEnd = 3;
    doc.setSettings(s);
}

} // namespace

TEST_CASE("evaluation: the viewer shows the viewed node, badges show errors and cache state", "[gui]") {
    Session s;
    smallProject(s.doc());
    auto& c = s.doc().addNode("Constant", "C", {0, 0});
    s.doc().setParam(c, "color", std::array<double, 4>{0.25, 0.5, 1.0, 1.0});
    auto& g = s.doc().addNode("Grade", "G", {0, 120});
    s.doc().connect(c, g, 0);
    s.doc().setParam(g, "gain", std::array<double, 4>{2.0, 2.0, 2.0, 1.0});

    REQUIRE(s.window.viewNode(QStringLiteral("G")));
    REQUIRE(s.settle());
    auto image = s.window.viewer()->image();
    REQUIRE(image);
    CHECK(image->width() == 32);
    CHECK(image->sample("R", 3, 3) == Approx(0.5));
    CHECK(image->sample("B", 3, 3) == Approx(2.0));
    CHECK(s.window.model().status(&g).cached);
    CHECK(s.window.model().status(&c).cached);
    CHECK(s.window.model().status(&g).error.isEmpty());

    // An edit re-evaluates: the new gain reaches the viewer.
    s.doc().setParam(g, "gain", std::array<double, 4>{4.0, 4.0, 4.0, 1.0});
    REQUIRE(s.settle());
    REQUIRE(s.window.viewer()->image());
    CHECK(s.window.viewer()->image()->sample("R", 3, 3) == Approx(1.0));

    // A required input left unconnected: the error is on the node's badge and in the viewer.
    s.doc().disconnect(g, 0);
    REQUIRE(s.settle());
    CHECK(s.window.viewer()->image() == nullptr);
    CHECK_FALSE(s.window.model().status(&g).error.isEmpty());
    CHECK(s.window.viewer()->caption().startsWith(QStringLiteral("G:")));
    // Undo brings the earlier result back from the cache.
    s.window.action(QStringLiteral("undo"))->trigger();
    REQUIRE(s.settle());
    CHECK(s.window.model().status(&g).error.isEmpty());
    REQUIRE(s.window.viewer()->image());
}

TEST_CASE("evaluation: the UI processes events during a long computation and an edit cancels it", "[gui]") {
    Session s;
    auto& slow = s.doc().addNode("SlowTest", "Gen", {0, 0});
    s.doc().setParam(slow, "seconds", 600.0);
    const int cancelledBefore = test::g_slowCancelled.load();
    const int startedBefore = test::g_slowStarted.load();
    REQUIRE(s.window.viewNode(QStringLiteral("Gen")));
    REQUIRE(test::waitFor([&] { return test::g_slowStarted.load() > startedBefore; }));

    // While the worker computes, timers fire and input events are handled on the UI thread.
    int ticks = 0;
    QTimer ticker;
    QObject::connect(&ticker, &QTimer::timeout, [&] { ++ticks; });
    ticker.start(10);
    REQUIRE(test::waitFor([&] { return ticks >= 20; }, 20000));
    CHECK(s.window.evaluation().isBusy());
    s.window.editor()->setFocus();
    QTest::keyClick(s.window.editor(), Qt::Key_Plus); // zooms the editor: an input event handled now
    CHECK(s.window.evaluation().isBusy());
    CHECK(s.window.lastShownEvaluation() == 0);

    // Editing the node cancels the stale computation; the new request finishes.
    s.doc().setParam(slow, "seconds", 0.0);
    s.doc().setParam(slow, "value", 0.75);
    REQUIRE(s.settle());
    CHECK(test::g_slowCancelled.load() > cancelledBefore);
    REQUIRE(s.window.viewer()->image());
    CHECK(s.window.viewer()->image()->sample("G", 1, 1) == Approx(0.75));
}

TEST_CASE("evaluation: the render dialog writes the Write node's frames in the background", "[gui]") {
    Session s;
    smallProject(s.doc());
    auto& c = s.doc().addNode("Constant", "C", {0, 0});
    auto& w = s.doc().addNode("Write", "Out", {0, 120});
    s.doc().connect(c, w, 0);
    const fs::path out = s.dir.path() / "render";
    s.doc().setParam(w, "file", (out / "frame.####.exr").string());

    app::RenderDialog dialog(s.doc().graph(), "cpu", 64u << 20, &s.window);
    REQUIRE(dialog.writeList()->count() == 1);
    CHECK(dialog.firstFrame()->value() == 1);
    CHECK(dialog.lastFrame()->value() == 3);
    bool finished = false, ok = false;
    QObject::connect(&dialog, &app::RenderDialog::renderFinished, [&](bool success) {
        finished = true;
        ok = success;
    });
    dialog.start();
    REQUIRE(test::waitFor([&] { return finished; }));
    CHECK(ok);
    CHECK(dialog.framesDone() == 3);
    CHECK(dialog.progressBar()->value() == 3);
    for (const char* f : {"frame.0001.exr", "frame.0002.exr", "frame.0003.exr"})
        CHECK(fs::exists(out / f));
}

TEST_CASE("evaluation: a long computation shows progress and a Cancel button that stops it", "[gui]") {
    Session s;
    auto& slow = s.doc().addNode("SlowTest", "Gen", {0, 0});
    s.doc().setParam(slow, "seconds", 600.0);
    const int cancelledBefore = test::g_slowCancelled.load();
    const int startedBefore = test::g_slowStarted.load();
    QSignalSpy previews(&s.window.evaluation(), &app::EvaluationService::preview);
    REQUIRE(s.window.viewNode(QStringLiteral("Gen")));
    REQUIRE(test::waitFor([&] { return test::g_slowStarted.load() > startedBefore; }));
    // The step and its preview reach the service's signals (the debug overlay shows them).
    REQUIRE(test::waitFor([&] { return previews.count() > 0; }));
    CHECK(previews.last().at(2).toInt() == 2);
    CHECK(previews.last().at(4).value<QList<float>>().size() == 12);
    QPushButton* cancel = s.window.cancelButton();
    REQUIRE(cancel);
    REQUIRE(test::waitFor([&] { return cancel->isVisible(); }));
    QTest::mouseClick(cancel, Qt::LeftButton);
    REQUIRE(test::waitFor([&] { return !s.window.evaluation().isBusy(); }, 20000));
    CHECK(test::g_slowCancelled.load() > cancelledBefore);
    REQUIRE(test::waitFor([&] { return !cancel->isVisible(); }));
}
