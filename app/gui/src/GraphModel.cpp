// SPDX-License-Identifier: Apache-2.0
#include "kinema/app/GraphModel.h"

namespace kinema::app {

GraphModel::GraphModel(QObject* parent)
    : QObject(parent)
    , m_document(std::make_unique<graph::Document>()) {
    connectCore();
}

GraphModel::~GraphModel() {
    m_connections.clear();
}

void GraphModel::setDocument(std::unique_ptr<graph::Document> document) {
    m_connections.clear();
    m_status.clear();
    m_document = std::move(document);
    connectCore();
    Q_EMIT reset();
    Q_EMIT undoStackChanged();
    Q_EMIT graphEdited();
}

void GraphModel::connectCore() {
    graph::Graph& g = m_document->graph();
    m_connections.emplace_back(g.nodeAdded.connect([this](graph::Node& n) {
        Q_EMIT nodeAdded(&n);
        Q_EMIT graphEdited();
    }));
    m_connections.emplace_back(g.nodeAboutToBeRemoved.connect([this](graph::Node& n) {
        Q_EMIT nodeAboutToBeRemoved(&n);
        m_status.erase(&n);
    }));
    m_connections.emplace_back(g.nodeRenamed.connect([this](graph::Node& n, const std::string&) {
        Q_EMIT nodeRenamed(&n);
        Q_EMIT graphEdited();
    }));
    m_connections.emplace_back(g.inputChanged.connect([this](graph::Node& n, int input) {
        Q_EMIT inputChanged(&n, input);
        Q_EMIT graphEdited();
    }));
    m_connections.emplace_back(g.paramChanged.connect([this](graph::Node& n, graph::Param& p) {
        Q_EMIT paramChanged(&n, QString::fromStdString(p.name()));
        Q_EMIT graphEdited();
    }));
    m_connections.emplace_back(g.nodeStateChanged.connect([this](graph::Node& n) {
        Q_EMIT nodeStateChanged(&n);
        Q_EMIT graphEdited();
    }));
    m_connections.emplace_back(g.backdropsChanged.connect([this] { Q_EMIT backdropsChanged(); }));
    m_connections.emplace_back(g.settingsChanged.connect([this] {
        Q_EMIT settingsChanged();
        Q_EMIT graphEdited();
    }));
    m_connections.emplace_back(
        m_document->undoStack().changed.connect([this] { Q_EMIT undoStackChanged(); }));
}

graph::Node* GraphModel::findNode(const QString& name) const {
    return m_document->graph().findNode(name.toStdString());
}

const NodeStatus& GraphModel::status(const graph::Node* node) const {
    static const NodeStatus kNone;
    auto it = m_status.find(node);
    return it == m_status.end() ? kNone : it->second;
}

void GraphModel::setStatus(const QString& nodeName, const NodeStatus& status) {
    graph::Node* node = findNode(nodeName);
    if (!node)
        return;
    auto& slot = m_status[node];
    if (slot == status)
        return;
    slot = status;
    Q_EMIT statusChanged(node);
}

void GraphModel::clearStatuses() {
    auto old = std::move(m_status);
    m_status.clear();
    for (auto& [node, s] : old)
        if (m_document->graph().owns(*node))
            Q_EMIT statusChanged(const_cast<graph::Node*>(node));
}

bool GraphModel::tryEdit(const std::function<void()>& edit) {
    try {
        edit();
        return true;
    } catch (const std::exception& e) {
        Q_EMIT editFailed(QString::fromStdString(e.what()));
        return false;
    }
}

} // namespace kinema::app
