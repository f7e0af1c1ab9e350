// SPDX-License-Identifier: Apache-2.0
#pragma once
/// The render dialog: choose Write nodes and a frame range, render in the background with progress and
/// Cancel. It runs kinema-render's batch loop (runBatch) on a snapshot of the graph, in JSON event mode,
/// and turns its events into progress; the window stays responsive throughout.
#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include <QDialog>

#include "kinema/graph/Context.h"
#include "kinema/graph/Graph.h"
#include "kinema/graph/NodeRegistry.h"

class QListWidget;
class QSpinBox;
class QProgressBar;
class QPlainTextEdit;
class QPushButton;

namespace kinema::app {

class RenderDialog : public QDialog {
    Q_OBJECT
public:
    RenderDialog(const graph::Graph& graph, const std::string& device, std::size_t cacheBytes,
                 QWidget* parent = nullptr,
                 const graph::NodeRegistry& registry = graph::NodeRegistry::global());
    ~RenderDialog() override;

    /// Starts rendering the checked Write nodes over the chosen range.
    void start();
    void cancel();
    bool isRunning() const { return m_thread.joinable() && !m_done; }

    QListWidget* writeList() const { return m_writes; }
    QSpinBox* firstFrame() const { return m_first; }
    QSpinBox* lastFrame() const { return m_last; }
    QProgressBar* progressBar() const { return m_progress; }
    QPlainTextEdit* log() const { return m_log; }
    int framesDone() const { return m_framesDone; }
    int framesFailed() const { return m_framesFailed; }

Q_SIGNALS:
    /// One JSON event line of the batch loop (emitted from the render thread, delivered queued).
    void batchEvent(const QString& line);
    void renderFinished(bool ok);

protected:
    void reject() override;

private:
    void onEvent(const QString& line);
    void join();

    const graph::NodeRegistry& m_registry;
    std::string m_snapshot;
    std::string m_device;
    std::size_t m_cacheBytes;
    QListWidget* m_writes;
    QSpinBox* m_first;
    QSpinBox* m_last;
    QProgressBar* m_progress;
    QPlainTextEdit* m_log;
    QPushButton* m_render;
    QPushButton* m_cancel;
    std::shared_ptr<graph::Canceller> m_canceller;
    std::thread m_thread;
    std::atomic<bool> m_done{false};
    int m_framesDone = 0;
    int m_framesFailed = 0;
};

} // namespace kinema::app
