// SPDX-License-Identifier: Apache-2.0
#pragma once
/// The desktop application's model adapter: the Qt face of a core graph::Document.
///
/// Design note: the node editor, the properties panel and the services never own graph state. They read
/// the core Document and change it only through its undoable edit methods. GraphModel listens to the
/// core's (Qt-free) signals and re-emits them as Qt signals, so widgets stay views that can be rebuilt at
/// any time. It also keeps the per-node status shown as badges (error, progress, cached), which the
/// evaluation service fills in. Everything here lives on the UI thread.
#include <map>
#include <memory>
#include <vector>

#include <QObject>
#include <QString>

#include "kinema/graph/Document.h"

namespace kinema::app {

/// What a node's badges show.
struct NodeStatus {
    QString error;          ///< non-empty: the node failed with this message
    double progress = -1.0; ///< in [0,1] while the node computes, -1 otherwise
    bool cached = false;    ///< its output at the current frame is in the compute cache
    QString info;           ///< a measure shown under the node (e.g. a Loop's seam), empty if none
    bool operator==(const NodeStatus&) const = default;
};

class GraphModel : public QObject {
    Q_OBJECT
public:
    explicit GraphModel(QObject* parent = nullptr);
    ~GraphModel() override;

    /// Replaces the document (takes ownership) and emits reset().
    void setDocument(std::unique_ptr<graph::Document> document);
    graph::Document& document() { return *m_document; }
    const graph::Document& document() const { return *m_document; }
    graph::Graph& graph() { return m_document->graph(); }

    /// Node by name or nullptr.
    graph::Node* findNode(const QString& name) const;

    const NodeStatus& status(const graph::Node* node) const;
    void setStatus(const QString& nodeName, const NodeStatus& status);
    void clearStatuses();

    /// Runs an edit, turning core exceptions into editFailed() with the message. Returns success.
    bool tryEdit(const std::function<void()>& edit);

Q_SIGNALS:
    void reset();
    void nodeAdded(kinema::graph::Node* node);
    void nodeAboutToBeRemoved(kinema::graph::Node* node);
    void nodeRenamed(kinema::graph::Node* node);
    void inputChanged(kinema::graph::Node* destination, int input);
    void paramChanged(kinema::graph::Node* node, const QString& param);
    void nodeStateChanged(kinema::graph::Node* node);
    void backdropsChanged();
    void settingsChanged();
    /// Undo stack changed (push, undo, redo, clean state).
    void undoStackChanged();
    /// Any change of the graph's content (what makes evaluations stale).
    void graphEdited();
    void statusChanged(kinema::graph::Node* node);
    /// An edit was refused by the core (type mismatch, cycle, bad value...).
    void editFailed(const QString& message);

private:
    void connectCore();

    std::unique_ptr<graph::Document> m_document;
    std::vector<graph::ScopedConnection> m_connections;
    std::map<const graph::Node*, NodeStatus> m_status;
};

} // namespace kinema::app
