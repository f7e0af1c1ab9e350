// SPDX-License-Identifier: Apache-2.0
// kinema-viewer-demo: shows an image file (EXR or anything OpenImageIO reads) in the viewer, for
// screenshots and manual checks. Usage:
//   kinema-viewer-demo IMAGE [--display D] [--view V] [--look L] [--exposure STOPS] [--gamma G]
//                      [--config FILE] [--overlay] [--screenshot OUT.png]
#include <QApplication>
#include <QDockWidget>
#include <QMainWindow>
#include <QMenuBar>
#include <QStatusBar>
#include <QTimer>

#include <OpenImageIO/imageio.h>

#include <cstdio>
#include <stdexcept>
#include <string>

#include "kinema/viewer/DebugOverlay.h"
#include "kinema/viewer/TimelineWidget.h"
#include "kinema/viewer/ViewerWidget.h"

namespace {

using namespace kinema;

render::ImagePtr readImage(const std::string& path) {
    auto input = OIIO::ImageInput::open(path);
    if (!input)
        throw std::runtime_error("cannot open '" + path + "': " + OIIO::geterror());
    const OIIO::ImageSpec& spec = input->spec();
    graph::Format format{spec.full_width, spec.full_height,
                         spec.get_float_attribute("PixelAspectRatio", 1.0f), ""};
    graph::Box2i window{spec.x, spec.y, spec.x + spec.width, spec.y + spec.height};
    std::vector<std::string> names;
    for (int c = 0; c < spec.nchannels; ++c)
        names.push_back(spec.channel_name(c));
    const std::size_t pixels = static_cast<std::size_t>(spec.width) * spec.height;
    std::vector<float> interleaved(pixels * spec.nchannels);
    if (!input->read_image(0, 0, 0, spec.nchannels, OIIO::TypeDesc::FLOAT, interleaved.data()))
        throw std::runtime_error("cannot read '" + path + "': " + input->geterror());
    auto image = std::make_shared<render::Image>(format, window, names);
    for (int c = 0; c < spec.nchannels; ++c) {
        float* plane = image->channel(names[c]);
        for (std::size_t i = 0; i < pixels; ++i)
            plane[i] = interleaved[i * spec.nchannels + c];
    }
    return image;
}

} // namespace

int main(int argc, char** argv) {
    QApplication app(argc, argv);
    const QStringList args = app.arguments();
    if (args.size() < 2 || args[1] == "--help" || args[1] == "-h") {
        std::fprintf(
            stderr, "usage: kinema-viewer-demo IMAGE [--display D] [--view V] [--look L] [--exposure STOPS]\n"
                    "       [--gamma G] [--config FILE] [--overlay] [--screenshot OUT.png]\n");
        return 2;
    }
    auto option = [&](const QString& name) -> QString {
        const int i = args.indexOf(name);
        return i > 0 && i + 1 < args.size() ? args[i + 1] : QString();
    };
    try {
        QMainWindow window;
        auto* viewer = new viewer::ViewerWidget(&window);
        window.setCentralWidget(viewer);
        auto* timelineDock = new QDockWidget(QObject::tr("Timeline"), &window);
        auto* timeline = new viewer::TimelineWidget(timelineDock);
        timeline->setFrameRange(1, 1);
        timelineDock->setWidget(timeline);
        window.addDockWidget(Qt::BottomDockWidgetArea, timelineDock);
        window.menuBar()->addMenu(viewer->displayMenu());
        window.menuBar()->addMenu(viewer->viewMenu());
        window.menuBar()->addMenu(viewer->lookMenu());
        window.menuBar()->addMenu(viewer->optionsMenu());
        QObject::connect(viewer, &viewer::ViewerWidget::errorOccurred, &window,
                         [&window](const QString& message) { window.statusBar()->showMessage(message); });

        if (!option("--config").isEmpty())
            viewer->setConfig(option("--config"));
        if (!option("--display").isEmpty())
            viewer->setDisplay(option("--display"));
        if (!option("--view").isEmpty())
            viewer->setView(option("--view"));
        if (!option("--look").isEmpty())
            viewer->setLook(option("--look"));
        if (!option("--exposure").isEmpty())
            viewer->setExposure(option("--exposure").toDouble());
        if (!option("--gamma").isEmpty())
            viewer->setGamma(option("--gamma").toDouble());
        const auto image = readImage(args[1].toStdString());
        viewer->setImage(image);
        window.setWindowTitle(QStringLiteral("Kinema viewer: %1").arg(args[1]));
        if (args.contains("--overlay")) {
            viewer::DebugStats stats;
            stats.frameCacheBytes = image->memoryBytes();
            stats.frameCacheFrames = 1;
            viewer->debugOverlay().setStats(stats);
            viewer->setDebugOverlayVisible(true);
        }
        window.resize(1200, 800);
        window.show();
        const QString screenshot = option("--screenshot");
        if (!screenshot.isEmpty()) {
            QTimer::singleShot(200, &window, [&] {
                viewer->updateGeometry();
                const bool ok = window.grab().save(screenshot);
                if (!ok)
                    std::fprintf(stderr, "cannot write '%s'\n", screenshot.toLocal8Bit().constData());
                app.exit(ok ? 0 : 1);
            });
        }
        return app.exec();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "kinema-viewer-demo: %s\n", e.what());
        return 1;
    }
}
