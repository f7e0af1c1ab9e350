// SPDX-License-Identifier: Apache-2.0
#include "kinema/app/AutosaveManager.h"

#include <nlohmann/json.hpp>

#include "kinema/graph/AtomicFile.h"
#include "kinema/graph/GraphFile.h"

namespace kinema::app {

namespace fs = std::filesystem;

AutosaveManager::AutosaveManager(GraphModel& model, fs::path recoveryDir, QObject* parent)
    : QObject(parent)
    , m_model(model)
    , m_dir(std::move(recoveryDir)) {
    m_idleTimer.setSingleShot(true);
    m_deadlineTimer.setSingleShot(true);
    connect(&m_idleTimer, &QTimer::timeout, this, &AutosaveManager::attempt);
    connect(&m_deadlineTimer, &QTimer::timeout, this, &AutosaveManager::attempt);
    connect(&m_model, &GraphModel::graphEdited, this, &AutosaveManager::noteEdit);
    connect(&m_model, &GraphModel::backdropsChanged, this, &AutosaveManager::noteEdit);
    m_dirty = [this] { return m_model.document().isDirty(); };
    m_documentPath = [this] { return m_model.document().path(); };
}

void AutosaveManager::setIntervals(int minIntervalMs, int idleDelayMs) {
    m_minIntervalMs = minIntervalMs;
    m_idleDelayMs = idleDelayMs;
}

void AutosaveManager::setDragging(bool dragging) {
    m_dragging = dragging;
    if (!dragging && m_pending)
        m_idleTimer.start(m_idleDelayMs);
}

void AutosaveManager::noteEdit() {
    m_pending = true;
    m_idleTimer.start(m_idleDelayMs); // restarts: waits for the user to pause
    // Continuous editing still saves once per interval.
    if (!m_deadlineTimer.isActive()) {
        const qint64 since = m_sinceSave.isValid() ? m_sinceSave.elapsed() : m_minIntervalMs;
        m_deadlineTimer.start(static_cast<int>(std::max<qint64>(m_minIntervalMs - since, m_idleDelayMs)));
    }
}

void AutosaveManager::attempt() {
    if (!m_pending)
        return;
    if (m_dragging)
        return; // setDragging(false) re-arms the idle timer
    if (m_sinceSave.isValid() && m_sinceSave.elapsed() < m_minIntervalMs) {
        m_idleTimer.start(static_cast<int>(m_minIntervalMs - m_sinceSave.elapsed()));
        return;
    }
    m_idleTimer.stop();
    m_deadlineTimer.stop();
    saveNow();
}

bool AutosaveManager::saveNow() {
    m_pending = false;
    if (!m_dirty()) {
        return false;
    }
    try {
        fs::create_directories(m_dir);
        graph::writeFileAtomically(recoveryFile(), graph::graphToJson(m_model.graph()).dump(2));
        nlohmann::json note{{"document", m_documentPath().string()}};
        graph::writeFileAtomically(noteFile(), note.dump(2));
    } catch (const std::exception& e) {
        Q_EMIT autosaveFailed(QString::fromStdString(e.what()));
        return false;
    }
    m_sinceSave.start();
    ++m_saveCount;
    Q_EMIT autosaved(QString::fromStdString(recoveryFile().string()));
    return true;
}

void AutosaveManager::discard() {
    std::error_code ec;
    fs::remove(recoveryFile(), ec);
    fs::remove(noteFile(), ec);
    m_pending = false;
    m_idleTimer.stop();
    m_deadlineTimer.stop();
}

std::optional<RecoveryCandidate> AutosaveManager::findRecovery(const fs::path& dir,
                                                               const graph::NodeRegistry& registry) {
    RecoveryCandidate c;
    c.recoveryFile = dir / "recovery.kgraph";
    std::error_code ec;
    if (!fs::is_regular_file(c.recoveryFile, ec))
        return std::nullopt;
    try {
        auto note = graph::parseJsonStrict(graph::readFile(dir / "recovery.json", 1 << 20), "recovery.json");
        c.documentFile = note.value("document", std::string());
    } catch (const std::exception&) {
        c.documentFile.clear(); // a lost note still leaves the graph worth offering
    }
    graph::Graph recovered;
    try {
        graph::loadGraphFile(recovered, c.recoveryFile, registry);
    } catch (const std::exception&) {
        return std::nullopt; // unreadable: nothing to offer
    }
    if (c.documentFile.empty() || !fs::is_regular_file(c.documentFile, ec))
        return c;
    if (fs::last_write_time(c.recoveryFile, ec) <= fs::last_write_time(c.documentFile, ec))
        return std::nullopt;
    try {
        graph::Graph saved;
        graph::loadGraphFile(saved, c.documentFile, registry);
        if (graph::graphToJson(saved) == graph::graphToJson(recovered))
            return std::nullopt;
    } catch (const std::exception&) {
        // The document cannot be read: the recovery is all there is.
    }
    return c;
}

} // namespace kinema::app
