// SPDX-License-Identifier: Apache-2.0
#pragma once
/// A QApplication for the GUI tests, created on first use (test discovery runs without a display).
#include <QApplication>

#include "TestSupport.h"

namespace kinema::test {

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
