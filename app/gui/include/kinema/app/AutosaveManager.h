// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Autosave of unsaved changes to a recovery file, and the crash-recovery decision at start-up.
///
/// Design note: a recovery file is written only while the document has unsaved changes, at most once per
/// minimum interval (30 s by default), about 5 s after the user stops editing, and never in the middle of
/// a drag (it is postponed to the drag's end). It is written atomically next to a small JSON note naming
/// the document it belongs to. A clean save, New, or a normal exit removes it; a crash leaves it behind.
/// At the next start it is offered only if it is newer than its document AND its graph differs from it.
#include <filesystem>
#include <optional>

#include <QElapsedTimer>
#include <QObject>
#include <QTimer>

#include "kinema/app/GraphModel.h"

namespace kinema::app {

struct RecoveryCandidate {
    std::filesystem::path recoveryFile;
    std::filesystem::path documentFile; ///< empty for a never-saved document
};

class AutosaveManager : public QObject {
    Q_OBJECT
public:
    AutosaveManager(GraphModel& model, std::filesystem::path recoveryDir, QObject* parent = nullptr);

    /// Minimum time between two autosaves and idle time before one (defaults 30 s and 5 s).
    void setIntervals(int minIntervalMs, int idleDelayMs);
    /// While true, autosaves wait (set by node and slider drags).
    void setDragging(bool dragging);
    /// Whether the document has changes the recovery file should hold (the window's dirty state).
    void setDirtyProvider(std::function<bool()> dirty) { m_dirty = std::move(dirty); }
    /// The path of the document the recovery belongs to (the window's current file).
    void setDocumentPathProvider(std::function<std::filesystem::path()> path) {
        m_documentPath = std::move(path);
    }

    /// Writes the recovery file now if there are unsaved changes. Returns whether it wrote.
    bool saveNow();
    /// Removes the recovery file (after a save, New, or a normal exit).
    void discard();
    int saveCount() const { return m_saveCount; }

    std::filesystem::path recoveryFile() const { return m_dir / "recovery.kgraph"; }
    std::filesystem::path noteFile() const { return m_dir / "recovery.json"; }

    /// The recovery worth offering in `recoveryDir`, if any: newer than its document and different.
    static std::optional<RecoveryCandidate> findRecovery(const std::filesystem::path& recoveryDir,
                                                         const graph::NodeRegistry& registry);

Q_SIGNALS:
    void autosaved(const QString& path);
    void autosaveFailed(const QString& message);

private:
    void noteEdit();
    void attempt();

    GraphModel& m_model;
    std::filesystem::path m_dir;
    QTimer m_idleTimer;
    QTimer m_deadlineTimer;
    QElapsedTimer m_sinceSave;
    int m_minIntervalMs = 30000;
    int m_idleDelayMs = 5000;
    bool m_dragging = false;
    bool m_pending = false;
    int m_saveCount = 0;
    std::function<bool()> m_dirty;
    std::function<std::filesystem::path()> m_documentPath;
};

} // namespace kinema::app
