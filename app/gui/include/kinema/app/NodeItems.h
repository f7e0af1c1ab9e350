// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Graphics items of the node editor: nodes, connections and backdrops.
///
/// Items are drawn from the core node they stand for and hold no state of their own beyond what the scene
/// needs for interaction; NodeEditor keeps them in sync with GraphModel's signals. Layout (Nuke-like):
/// inputs are ports along the top edge, the output is a port in the middle of the bottom edge.
#include <QGraphicsItem>
#include <QGraphicsPathItem>

#include "kinema/app/GraphModel.h"

namespace kinema::app {

class NodeItem : public QGraphicsItem {
public:
    static constexpr double kWidth = 120.0;
    static constexpr double kHeight = 36.0;
    static constexpr double kPortRadius = 6.0;
    enum { Type = UserType + 1 };

    NodeItem(GraphModel& model, graph::Node& node);
    int type() const override { return Type; }
    graph::Node& node() const { return m_node; }

    QRectF boundingRect() const override;
    void paint(QPainter* painter, const QStyleOptionGraphicsItem* option, QWidget* widget) override;

    /// Scene positions of the ports.
    QPointF inputPortPos(int input) const;
    QPointF outputPortPos() const;
    /// The input whose port is under `scenePos` (within a few pixels), or -1.
    int inputAt(const QPointF& scenePos) const;
    bool outputAt(const QPointF& scenePos) const;

    /// Moves the item to the core node's position (without emitting a move edit).
    void syncPosition();
    /// Marks the port under a connection drag: input index (or -2 for the output), valid or not.
    void setDropHighlight(int port, bool valid);

private:
    GraphModel& m_model;
    graph::Node& m_node;
    int m_highlightPort = -1;
    bool m_highlightValid = true;
};

class EdgeItem : public QGraphicsPathItem {
public:
    enum { Type = UserType + 2 };
    EdgeItem(NodeItem* source, NodeItem* destination, int input);
    int type() const override { return Type; }
    NodeItem* source() const { return m_source; }
    NodeItem* destination() const { return m_destination; }
    int input() const { return m_input; }
    void updatePath();
    static QPainterPath curve(const QPointF& from, const QPointF& to);

private:
    NodeItem* m_source;
    NodeItem* m_destination;
    int m_input;
};

class BackdropItem : public QGraphicsItem {
public:
    enum { Type = UserType + 3 };
    BackdropItem(int index, const graph::Backdrop& backdrop);
    int type() const override { return Type; }
    int index() const { return m_index; }
    const graph::Backdrop& backdrop() const { return m_backdrop; }
    QRectF boundingRect() const override;
    void paint(QPainter* painter, const QStyleOptionGraphicsItem* option, QWidget* widget) override;

private:
    int m_index;
    graph::Backdrop m_backdrop;
};

} // namespace kinema::app
