// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Shared pieces of the GUI tests: the QApplication, node types made for the tests, waiting helpers.
#include <atomic>
#include <functional>

#include <QApplication>

#include "TestSupport.h"
#include "kinema/app/MainWindow.h"

namespace kinema::test {

/// The process's QApplication (created on first use), with the built-in and test node types registered.
QApplication& guiApp();

/// Processes events until `done()` or `timeoutMs` elapsed; returns done().
bool waitFor(const std::function<bool()>& done, int timeoutMs = 30000);

/// Options for a window that keeps its settings and recovery file in `dir` and opens no dialogs.
app::MainWindowOptions windowOptions(const TempDir& dir);

/// Counters of the "SlowTest" node: computations begun and computations stopped by cancellation.
extern std::atomic<int> g_slowStarted;
extern std::atomic<int> g_slowCancelled;

} // namespace kinema::test
