// SPDX-License-Identifier: Apache-2.0
/// kinema: the desktop application.
///
/// `kinema [graph.kgraph]` opens a graph. `--screenshot PATH` (with `--view NODE`, `--frame N`,
/// `--size WxH`) opens the graph, waits for the viewed node's evaluation, grabs the window into PATH and
/// exits: the documentation's screenshots are made this way from the real application. `--compare NODE`
/// sets viewer input B, `--overlay` shows the debug overlay, `--play MS` plays that long first (filling
/// the frame cache), and `--grab window|viewer|timeline|editor` picks what is captured.
#include <iostream>

#include <QApplication>
#include <QCommandLineParser>
#include <QElapsedTimer>
#include <QTimer>

#include "kinema/app/EvaluationService.h"
#include "kinema/app/MainWindow.h"
#include "kinema/app/NodeEditor.h"
#include "kinema/app/ViewerPanel.h"
#include "kinema/graph/PluginLoader.h"
#include "kinema/nodes/Builtins.h"
#include "kinema/viewer/TimelineWidget.h"

int main(int argc, char** argv) {
    QApplication app(argc, argv);
    QApplication::setOrganizationName(QStringLiteral("Kinema"));
    QApplication::setApplicationName(QStringLiteral("Kinema"));
    QApplication::setApplicationVersion(QStringLiteral("0.1.0"));

    QCommandLineParser cli;
    cli.setApplicationDescription(QStringLiteral("Kinema: node-based HDR compositing"));
    cli.addHelpOption();
    cli.addVersionOption();
    cli.addPositionalArgument(QStringLiteral("graph"), QStringLiteral("A .kgraph file to open"));
    QCommandLineOption screenshot(
        QStringLiteral("screenshot"),
        QStringLiteral("Grab the window into PATH once the view is computed, then exit"),
        QStringLiteral("PATH"));
    QCommandLineOption view(QStringLiteral("view"), QStringLiteral("Node to select and view"),
                            QStringLiteral("NODE"));
    QCommandLineOption frame(QStringLiteral("frame"), QStringLiteral("Current frame"), QStringLiteral("N"));
    QCommandLineOption size(QStringLiteral("size"), QStringLiteral("Window size, e.g. 1280x720"),
                            QStringLiteral("WxH"));
    QCommandLineOption settings(QStringLiteral("settings"), QStringLiteral("Preferences INI file to use"),
                                QStringLiteral("FILE"));
    QCommandLineOption compare(QStringLiteral("compare"), QStringLiteral("Node to show as viewer input B"),
                               QStringLiteral("NODE"));
    QCommandLineOption overlay(QStringLiteral("overlay"), QStringLiteral("Show the debug overlay"));
    QCommandLineOption play(QStringLiteral("play"),
                            QStringLiteral("Screenshot mode: play MS milliseconds first"),
                            QStringLiteral("MS"));
    QCommandLineOption grab(QStringLiteral("grab"),
                            QStringLiteral("Screenshot mode: window (default), viewer, timeline or editor"),
                            QStringLiteral("WHAT"));
    cli.addOptions({screenshot, view, frame, size, settings, compare, overlay, play, grab});
    cli.process(app);

    auto& registry = kinema::graph::NodeRegistry::global();
    kinema::nodes::registerBuiltinNodes(registry);
    auto plugins = kinema::graph::loadPluginsFromEnvironment(registry);
    for (auto& e : plugins.errors)
        std::cerr << "warning: plugin not loaded: " << e << "\n";

    const bool capture = cli.isSet(screenshot);
    kinema::app::MainWindowOptions options;
    options.settingsFile = cli.value(settings);
    options.interactive = !capture;
    kinema::app::MainWindow window(options);
    if (cli.isSet(size)) {
        const QStringList wh = cli.value(size).split(QLatin1Char('x'));
        if (wh.size() == 2)
            window.resize(wh[0].toInt(), wh[1].toInt());
    }
    window.show();

    const QStringList args = cli.positionalArguments();
    if (!args.isEmpty()) {
        if (!window.openFile(args.front()) && capture) {
            std::cerr << "kinema: " << window.lastError().toStdString() << "\n";
            return 2;
        }
    } else if (!capture) {
        QTimer::singleShot(0, &window, [&window] { window.checkRecovery(); });
    }
    if (cli.isSet(frame))
        window.setFrame(cli.value(frame).toInt());
    if (cli.isSet(view) && !window.viewNode(cli.value(view))) {
        std::cerr << "kinema: --view " << cli.value(view).toStdString() << ": no such node\n";
        return 2;
    }
    if (cli.isSet(compare) && !window.setViewerInput(2, cli.value(compare))) {
        std::cerr << "kinema: --compare " << cli.value(compare).toStdString() << ": no such node\n";
        return 2;
    }
    if (cli.isSet(overlay))
        window.setDebugOverlayVisible(true);
    if (!capture)
        return app.exec();

    // Screenshot mode: optionally play for a while, then wait until the viewed node's result is shown
    // (at most 120 s) and grab.
    const QString path = cli.value(screenshot);
    const QString what = cli.value(grab);
    QWidget* target = &window;
    if (what == QStringLiteral("viewer"))
        target = window.viewer();
    else if (what == QStringLiteral("timeline"))
        target = window.viewer()->timeline();
    else if (what == QStringLiteral("editor"))
        target = window.editor();
    else if (!what.isEmpty() && what != QStringLiteral("window")) {
        std::cerr << "kinema: --grab " << what.toStdString()
                  << ": expected window, viewer, timeline or editor\n";
        return 2;
    }
    const int playMs = cli.value(play).toInt();
    if (playMs > 0) {
        window.viewer()->setPlaying(true);
        QTimer::singleShot(playMs, &window, [&window] { window.viewer()->setPlaying(false); });
    }
    QElapsedTimer clock;
    clock.start();
    QTimer poll;
    int settled = 0;
    QObject::connect(&poll, &QTimer::timeout, &window, [&] {
        const bool done = !window.viewer()->isPlaying() && !window.isEvaluationPending();
        settled = done ? settled + 1 : 0;
        if (settled < 3 && clock.elapsed() < 120000)
            return;
        poll.stop();
        window.editor()->frameAll();
        QApplication::processEvents();
        const bool ok = target->grab().save(path);
        if (!ok)
            std::cerr << "kinema: cannot write " << path.toStdString() << "\n";
        QApplication::exit(ok ? 0 : 1);
    });
    poll.start(100);
    return app.exec();
}
