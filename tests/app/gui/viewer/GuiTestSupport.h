// SPDX-License-Identifier: Apache-2.0
#pragma once
/// A QApplication for the GUI tests, created on first use (test discovery runs without a display).
#include <QApplication>

namespace kinema::test {

/// How long a test waits for a window to be exposed or activated: Qt's default of 5 s is too short for
/// Xvfb on a machine busy with other work (ctest -j, a training run), where the exposure comes late.
inline constexpr int kWindowTimeoutMs = 30000;

inline QApplication& guiApp() {
    static int argc = 1;
    static char name[] = "kinema-viewer-tests";
    static char* argv[] = {name, nullptr};
    static QApplication app(argc, argv);
    return app;
}

/// Base class of fixtures whose members are widgets: the application exists before they are built.
struct GuiApp {
    GuiApp() { guiApp(); }
};

} // namespace kinema::test
