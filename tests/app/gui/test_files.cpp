// SPDX-License-Identifier: Apache-2.0
// File handling sessions: save/reopen, dirty state, recent files and preferences, autosave and recovery
// after a simulated crash.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include <QSettings>
#include <QTest>

#include "GuiTestSupport.h"
#include "kinema/app/NodeEditor.h"
#include "kinema/graph/AtomicFile.h"
#include "kinema/graph/GraphFile.h"

using namespace kinema;
namespace fs = std::filesystem;

namespace {

std::unique_ptr<app::MainWindow> openWindow(const test::TempDir& dir) {
    test::guiApp();
    auto w = std::make_unique<app::MainWindow>(test::windowOptions(dir));
    w->show();
    REQUIRE(QTest::qWaitForWindowExposed(w.get(), test::kWindowTimeoutMs));
    return w;
}

void buildGraph(graph::Document& doc) {
    auto& a = doc.addNode("Constant", "Plate", {0, 0});
    auto& b = doc.addNode("Grade", "Look", {0, 120});
    doc.connect(a, b, 0);
    doc.setParam(b, "gain", std::array<double, 4>{2.0, 1.5, 1.0, 1.0});
}

} // namespace

TEST_CASE("files: save, reopen, dirty title, recent files and preferences", "[gui]") {
    test::TempDir dir("kinema-gui");
    const QString path = QString::fromStdString((dir.path() / "shot.kgraph").string());
    {
        auto w = openWindow(dir);
        CHECK_FALSE(w->isWindowModified());
        CHECK(w->windowTitle().startsWith(QStringLiteral("Untitled")));
        buildGraph(w->model().document());
        CHECK(w->isWindowModified());
        REQUIRE(w->saveFile(path));
        CHECK_FALSE(w->isWindowModified());
        CHECK(w->windowTitle().startsWith(QStringLiteral("shot.kgraph")));
        CHECK(fs::exists(dir.path() / "shot.kgraph"));

        // Undo back past the save point is dirty again; New empties the graph.
        w->action(QStringLiteral("undo"))->trigger();
        CHECK(w->isWindowModified());
        w->newDocument();
        CHECK(w->model().graph().nodeCount() == 0);
        CHECK(w->currentFile().isEmpty());

        app::Preferences prefs = w->preferences();
        prefs.cacheMiB = 777;
        prefs.device = QStringLiteral("cuda:1");
        prefs.modelFolders = {QStringLiteral("/models/wan")};
        w->setPreferences(prefs);
    }
    // A fresh window reads the preferences back and reopens the file from the recent list.
    auto w = openWindow(dir);
    CHECK(w->preferences().cacheMiB == 777);
    CHECK(w->preferences().device == QStringLiteral("cuda:1"));
    CHECK(w->preferences().modelFolders == QStringList{QStringLiteral("/models/wan")});
    REQUIRE(w->preferences().recentFiles.size() == 1);
    REQUIRE(w->openFile(w->preferences().recentFiles.front()));
    auto& g = w->model().graph();
    REQUIRE(g.nodeCount() == 2);
    CHECK(g.node("Look").input(0) == &g.node("Plate"));
    CHECK(g.node("Look").param("gain").getVec(0)[0] == 2.0);
    CHECK(w->editor()->edgeCount() == 1);
    CHECK_FALSE(w->isWindowModified());

    // A broken file is refused with a message naming it; the open document stays.
    std::ofstream(dir.path() / "broken.kgraph") << "{ \"kinema\": \"graph\", \"nodes\": [ }";
    CHECK_FALSE(w->openFile(QString::fromStdString((dir.path() / "broken.kgraph").string())));
    CHECK(w->lastError().contains(QStringLiteral("broken.kgraph")));
    CHECK(w->model().graph().nodeCount() == 2);
}

TEST_CASE("files: autosave after idle, then recovery after a simulated crash", "[gui]") {
    test::TempDir dir("kinema-gui");
    const QString path = QString::fromStdString((dir.path() / "shot.kgraph").string());
    {
        auto w = openWindow(dir);
        buildGraph(w->model().document());
        REQUIRE(w->saveFile(path));
        w->autosave().setIntervals(0, 50);
        // A drag postpones the autosave until it ends.
        w->autosave().setDragging(true);
        w->model().document().addNode("Blur", "Soften", {0, 240});
        QTest::qWait(300);
        CHECK(w->autosave().saveCount() == 0);
        w->autosave().setDragging(false);
        REQUIRE(test::waitFor([&] { return w->autosave().saveCount() == 1; }, 10000));
        CHECK(fs::exists(w->autosave().recoveryFile()));
        // "Crash": the window goes away without closing (no closeEvent, nothing discarded).
        w->hide();
    }
    REQUIRE(fs::exists(dir.path() / "recovery" / "recovery.kgraph"));

    auto w = openWindow(dir);
    int asked = 0;
    w->askRecover = [&](const app::RecoveryCandidate& c) {
        ++asked;
        CHECK(c.documentFile == fs::path(path.toStdString()));
        return true;
    };
    REQUIRE(w->checkRecovery());
    CHECK(asked == 1);
    CHECK(w->model().graph().findNode("Soften") != nullptr); // the unsaved edit is back
    CHECK(w->currentFile() == path);                         // ...belonging to the original file
    CHECK(w->isWindowModified());
    REQUIRE(w->save());
    CHECK_FALSE(w->isWindowModified());
    CHECK_FALSE(fs::exists(dir.path() / "recovery" / "recovery.kgraph")); // a save discards it
    graph::Graph saved;
    graph::loadGraphFile(saved, path.toStdString());
    CHECK(saved.findNode("Soften") != nullptr);
}

TEST_CASE("files: recovery is offered only when newer than the file and different", "[gui]") {
    test::TempDir dir("kinema-gui");
    const fs::path doc = dir.path() / "shot.kgraph";
    const fs::path recoveryDir = dir.path() / "recovery";
    auto w = openWindow(dir);
    buildGraph(w->model().document());
    REQUIRE(w->saveFile(QString::fromStdString(doc.string())));
    auto& registry = w->model().document().registry();

    // Identical content, newer: nothing to offer.
    REQUIRE(w->autosave().saveNow() == false); // clean document: no recovery written
    w->model().document().setParam(w->model().graph().node("Look"), "gain",
                                   std::array<double, 4>{3.0, 3.0, 3.0, 1.0});
    REQUIRE(w->autosave().saveNow());
    w->model().document().undoStack().undo();
    graph::writeFileAtomically(recoveryDir / "recovery.kgraph",
                               graph::graphToJson(w->model().graph()).dump());
    fs::last_write_time(recoveryDir / "recovery.kgraph", fs::last_write_time(doc) + std::chrono::seconds(5));
    CHECK_FALSE(app::AutosaveManager::findRecovery(recoveryDir, registry).has_value());

    // Different content but older than the file: nothing to offer.
    w->model().document().setParam(w->model().graph().node("Look"), "gain",
                                   std::array<double, 4>{3.0, 3.0, 3.0, 1.0});
    REQUIRE(w->autosave().saveNow());
    fs::last_write_time(recoveryDir / "recovery.kgraph", fs::last_write_time(doc) - std::chrono::seconds(5));
    CHECK_FALSE(app::AutosaveManager::findRecovery(recoveryDir, registry).has_value());

    // Different and newer: offered; declining removes it.
    fs::last_write_time(recoveryDir / "recovery.kgraph", fs::last_write_time(doc) + std::chrono::seconds(5));
    REQUIRE(app::AutosaveManager::findRecovery(recoveryDir, registry).has_value());
    w->askRecover = [](const app::RecoveryCandidate&) { return false; };
    CHECK_FALSE(w->checkRecovery());
    CHECK_FALSE(fs::exists(recoveryDir / "recovery.kgraph"));
}
