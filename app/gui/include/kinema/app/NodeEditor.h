// SPDX-License-Identifier: Apache-2.0
#pragma once
/// The node editor: a QGraphicsView over the core graph, kept in sync through GraphModel.
///
/// Design note: the scene is a projection of graph::Graph. Every user gesture is turned into one
/// Document edit (one undo step): a finished drag is one moveNodes(), a dropped connection one connect().
/// The editor then updates from the core's signals, never from its own gesture, so undo/redo, paste and
/// file loading all go through the same path. Type and cycle checks are the core's: a refused connection
/// is reported through GraphModel::editFailed() and shown in red while dragging.
#include <map>
#include <optional>
#include <vector>

#include <QGraphicsView>

#include "kinema/app/GraphModel.h"

class QGraphicsPathItem;

namespace kinema::app {

class NodeItem;
class EdgeItem;
class BackdropItem;
class NodeSearchPopup;

class NodeEditor : public QGraphicsView {
    Q_OBJECT
public:
    explicit NodeEditor(GraphModel& model, QWidget* parent = nullptr);
    ~NodeEditor() override;

    NodeItem* itemFor(const graph::Node* node) const;
    EdgeItem* edgeFor(const graph::Node* destination, int input) const;
    std::size_t edgeCount() const { return m_edges.size(); }
    std::vector<BackdropItem*> backdropItems() const;
    std::vector<graph::Node*> selectedNodes() const;
    void selectNodes(const std::vector<graph::Node*>& nodes);
    graph::Node* currentNode() const { return m_current; }
    NodeSearchPopup* searchPopup() const { return m_search; }
    /// True while the user drags nodes or a connection (autosave waits for the end of drags).
    bool isDragging() const { return m_dragKind != DragKind::None; }

    // Commands (bound to keys and menu actions) -----------------------------------------------------------
    /// Creates a node of `type` near the cursor; with one node selected, connects it as the new node's
    /// first input and places the new node below it. Returns the node or nullptr (error reported).
    graph::Node* createNode(const QString& type);
    /// Connects through the Document; refusals (type, cycle) go to GraphModel::editFailed().
    bool connectNodes(graph::Node& source, graph::Node& destination, int input);
    void deleteSelected();
    void copySelected();
    void cutSelected();
    void paste();
    void duplicateSelected();
    void toggleDisableSelected();
    void addBackdrop();
    void frameAll();
    void zoomBy(double factor);
    void showSearch();

Q_SIGNALS:
    /// The node shown in the properties panel and the viewer changed (nullptr: none).
    void currentNodeChanged(kinema::graph::Node* node);
    void dragStateChanged(bool dragging);

protected:
    bool event(QEvent* event) override;
    void keyPressEvent(QKeyEvent* event) override;
    void mousePressEvent(QMouseEvent* event) override;
    void mouseMoveEvent(QMouseEvent* event) override;
    void mouseReleaseEvent(QMouseEvent* event) override;
    void wheelEvent(QWheelEvent* event) override;
    void drawBackground(QPainter* painter, const QRectF& rect) override;

private:
    enum class DragKind { None, Move, Connect, Pan };

    void rebuild();
    void addNodeItem(graph::Node& node);
    void removeNodeItem(graph::Node& node);
    void syncEdge(graph::Node& destination, int input);
    void syncBackdrops();
    void updateEdges();
    void onSelectionChanged();
    NodeItem* nodeItemAt(const QPointF& scenePos) const;
    QPointF placementFor(const graph::Node* upstream) const;
    void setDragKind(DragKind kind);
    void clearDropHighlight();
    /// The connection a drop at `scenePos` would make: source, destination, input; with validity.
    struct Candidate {
        NodeItem* target = nullptr;
        int port = -1; // input index, or -2 for the output
        graph::Node* source = nullptr;
        graph::Node* destination = nullptr;
        int input = -1;
        bool valid = false;
    };
    Candidate candidateAt(const QPointF& scenePos) const;

    GraphModel& m_model;
    QGraphicsScene* m_scene;
    NodeSearchPopup* m_search;
    std::map<const graph::Node*, NodeItem*> m_items;
    std::map<std::pair<const graph::Node*, int>, EdgeItem*> m_edges;
    std::vector<BackdropItem*> m_backdrops;
    graph::Node* m_current = nullptr;

    DragKind m_dragKind = DragKind::None;
    QPoint m_lastMouse;
    // Connection drag: the fixed end.
    graph::Node* m_connectNode = nullptr;
    int m_connectPort = -1; // input index, or -2 when dragging from the output
    // A connection picked up from its input: restored or moved on release.
    graph::Node* m_detachedNode = nullptr;
    int m_detachedInput = -1;
    QGraphicsPathItem* m_rubberEdge = nullptr;
    NodeItem* m_highlighted = nullptr;
    std::optional<QPointF> m_lastScenePos;
};

} // namespace kinema::app
