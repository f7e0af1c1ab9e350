// SPDX-License-Identifier: Apache-2.0
#include "kinema/app/NodeEditor.h"

#include <cmath>
#include <utility>

#include <QApplication>
#include <QClipboard>
#include <QGraphicsPathItem>
#include <QGraphicsScene>
#include <QKeyEvent>
#include <QMouseEvent>
#include <QScrollBar>
#include <QWheelEvent>

#include "kinema/app/NodeItems.h"
#include "kinema/app/NodeSearchPopup.h"

namespace kinema::app {

NodeEditor::NodeEditor(GraphModel& model, QWidget* parent)
    : QGraphicsView(parent)
    , m_model(model)
    , m_scene(new QGraphicsScene(this))
    , m_search(new NodeSearchPopup(model.document().registry(), this)) {
    m_scene->setSceneRect(-50000, -50000, 100000, 100000);
    setScene(m_scene);
    setRenderHint(QPainter::Antialiasing);
    setDragMode(QGraphicsView::RubberBandDrag);
    setTransformationAnchor(QGraphicsView::AnchorUnderMouse);
    setViewportUpdateMode(QGraphicsView::FullViewportUpdate);
    setFocusPolicy(Qt::StrongFocus);
    setMouseTracking(true);
    centerOn(0, 0);

    connect(m_search, &NodeSearchPopup::typeChosen, this, [this](const QString& type) { createNode(type); });
    connect(m_scene, &QGraphicsScene::selectionChanged, this, &NodeEditor::onSelectionChanged);
    connect(&m_model, &GraphModel::reset, this, &NodeEditor::rebuild);
    connect(&m_model, &GraphModel::nodeAdded, this, [this](graph::Node* n) {
        addNodeItem(*n);
        for (int i = 0; i < n->inputCount(); ++i)
            syncEdge(*n, i);
    });
    connect(&m_model, &GraphModel::nodeAboutToBeRemoved, this,
            [this](graph::Node* n) { removeNodeItem(*n); });
    connect(&m_model, &GraphModel::inputChanged, this,
            [this](graph::Node* n, int input) { syncEdge(*n, input); });
    connect(&m_model, &GraphModel::nodeStateChanged, this, [this](graph::Node* n) {
        if (auto* item = itemFor(n)) {
            item->syncPosition();
            item->update();
            updateEdges();
        }
    });
    auto repaint = [this](graph::Node* n) {
        if (auto* item = itemFor(n))
            item->update();
    };
    connect(&m_model, &GraphModel::nodeRenamed, this, repaint);
    connect(&m_model, &GraphModel::statusChanged, this, repaint);
    connect(&m_model, &GraphModel::backdropsChanged, this, &NodeEditor::syncBackdrops);
    rebuild();
}

NodeEditor::~NodeEditor() {
    disconnect(m_scene, nullptr, this, nullptr);
}

// [SECTION] Scene synchronisation ---------------------------------------------------------------------------

void NodeEditor::rebuild() {
    const QSignalBlocker block(m_scene);
    m_edges.clear();
    m_items.clear();
    m_backdrops.clear();
    m_rubberEdge = nullptr;
    m_highlighted = nullptr;
    m_scene->clear();
    for (auto* n : m_model.graph().nodes())
        addNodeItem(*n);
    for (auto& c : m_model.graph().connections())
        syncEdge(*c.destination, c.input);
    syncBackdrops();
    if (m_current) {
        m_current = nullptr;
        Q_EMIT currentNodeChanged(nullptr);
    }
}

void NodeEditor::addNodeItem(graph::Node& node) {
    if (m_items.count(&node))
        return;
    auto* item = new NodeItem(m_model, node);
    m_scene->addItem(item);
    m_items[&node] = item;
}

void NodeEditor::removeNodeItem(graph::Node& node) {
    for (auto it = m_edges.begin(); it != m_edges.end();) {
        EdgeItem* e = it->second;
        if (&e->source()->node() == &node || &e->destination()->node() == &node) {
            delete e;
            it = m_edges.erase(it);
        } else {
            ++it;
        }
    }
    auto it = m_items.find(&node);
    if (it == m_items.end())
        return;
    if (m_highlighted == it->second)
        m_highlighted = nullptr;
    delete it->second; // leaves the scene, which updates the selection
    m_items.erase(it);
}

void NodeEditor::syncEdge(graph::Node& destination, int input) {
    auto key = std::make_pair(static_cast<const graph::Node*>(&destination), input);
    if (auto it = m_edges.find(key); it != m_edges.end()) {
        delete it->second;
        m_edges.erase(it);
    }
    graph::Node* source = destination.input(input);
    NodeItem* from = source ? itemFor(source) : nullptr;
    NodeItem* to = itemFor(&destination);
    if (!from || !to)
        return;
    auto* edge = new EdgeItem(from, to, input);
    m_scene->addItem(edge);
    m_edges[key] = edge;
}

void NodeEditor::syncBackdrops() {
    for (auto* b : m_backdrops)
        delete b;
    m_backdrops.clear();
    const auto& list = m_model.graph().backdrops();
    for (std::size_t i = 0; i < list.size(); ++i) {
        auto* item = new BackdropItem(static_cast<int>(i), list[i]);
        m_scene->addItem(item);
        m_backdrops.push_back(item);
    }
}

void NodeEditor::updateEdges() {
    for (auto& [key, edge] : m_edges)
        edge->updatePath();
}

NodeItem* NodeEditor::itemFor(const graph::Node* node) const {
    auto it = m_items.find(node);
    return it == m_items.end() ? nullptr : it->second;
}

EdgeItem* NodeEditor::edgeFor(const graph::Node* destination, int input) const {
    auto it = m_edges.find({destination, input});
    return it == m_edges.end() ? nullptr : it->second;
}

std::vector<BackdropItem*> NodeEditor::backdropItems() const {
    return m_backdrops;
}

std::vector<graph::Node*> NodeEditor::selectedNodes() const {
    // In graph order, so that copies and moves are deterministic.
    std::vector<graph::Node*> out;
    for (auto* n : m_model.graph().nodes())
        if (auto* item = itemFor(n); item && item->isSelected())
            out.push_back(n);
    return out;
}

void NodeEditor::selectNodes(const std::vector<graph::Node*>& nodes) {
    {
        const QSignalBlocker block(m_scene);
        m_scene->clearSelection();
        for (auto* n : nodes)
            if (auto* item = itemFor(n))
                item->setSelected(true);
    }
    onSelectionChanged();
}

void NodeEditor::onSelectionChanged() {
    auto selected = selectedNodes();
    graph::Node* current = nullptr;
    if (m_current && std::find(selected.begin(), selected.end(), m_current) != selected.end())
        current = m_current;
    else if (!selected.empty())
        current = selected.back();
    if (current != m_current) {
        m_current = current;
        Q_EMIT currentNodeChanged(current);
    }
}

// [SECTION] Commands ----------------------------------------------------------------------------------------

QPointF NodeEditor::placementFor(const graph::Node* upstream) const {
    if (upstream)
        return {upstream->position().x, upstream->position().y + 90.0};
    if (m_lastScenePos && viewport()->rect().contains(mapFromScene(*m_lastScenePos)))
        return *m_lastScenePos - QPointF(NodeItem::kWidth / 2, NodeItem::kHeight / 2);
    return mapToScene(viewport()->rect().center()) - QPointF(NodeItem::kWidth / 2, NodeItem::kHeight / 2);
}

graph::Node* NodeEditor::createNode(const QString& type) {
    auto selected = selectedNodes();
    graph::Node* upstream = selected.size() == 1 ? selected.front() : nullptr;
    graph::Node* created = nullptr;
    auto& doc = m_model.document();
    m_model.tryEdit([&] {
        std::unique_ptr<graph::Node> probe = doc.registry().create(type.toStdString());
        const bool chain =
            upstream && probe->inputCount() > 0 && probe->inputSpec(0).type == upstream->outputType();
        const QPointF at = placementFor(chain ? upstream : nullptr);
        doc.undoStack().beginMacro("Create " + type.toStdString());
        try {
            created = &doc.addNode(type.toStdString(), {}, {std::round(at.x()), std::round(at.y())});
            if (chain)
                doc.connect(*upstream, *created, 0);
        } catch (...) {
            doc.undoStack().endMacro();
            throw;
        }
        doc.undoStack().endMacro();
    });
    if (created)
        selectNodes({created});
    return created;
}

bool NodeEditor::connectNodes(graph::Node& source, graph::Node& destination, int input) {
    return m_model.tryEdit([&] { m_model.document().connect(source, destination, input); });
}

void NodeEditor::deleteSelected() {
    auto nodes = selectedNodes();
    std::vector<graph::Backdrop> keep;
    bool backdropRemoved = false;
    const auto& all = m_model.graph().backdrops();
    for (std::size_t i = 0; i < all.size(); ++i) {
        if (i < m_backdrops.size() && m_backdrops[i]->isSelected())
            backdropRemoved = true;
        else
            keep.push_back(all[i]);
    }
    if (nodes.empty() && !backdropRemoved)
        return;
    auto& undo = m_model.document().undoStack();
    m_model.tryEdit([&] {
        undo.beginMacro("Delete");
        try {
            m_model.document().removeNodes(nodes);
            if (backdropRemoved)
                m_model.document().setBackdrops(keep);
        } catch (...) {
            undo.endMacro();
            throw;
        }
        undo.endMacro();
    });
}

void NodeEditor::copySelected() {
    auto nodes = selectedNodes();
    if (nodes.empty())
        return;
    QApplication::clipboard()->setText(QString::fromStdString(m_model.document().copy(nodes)));
}

void NodeEditor::cutSelected() {
    copySelected();
    deleteSelected();
}

void NodeEditor::paste() {
    const std::string text = QApplication::clipboard()->text().toStdString();
    if (text.empty())
        return;
    std::vector<graph::Node*> pasted;
    if (m_model.tryEdit([&] { pasted = m_model.document().paste(text, 30.0, 30.0); }))
        selectNodes(pasted);
}

void NodeEditor::duplicateSelected() {
    auto nodes = selectedNodes();
    if (nodes.empty())
        return;
    std::vector<graph::Node*> pasted;
    const std::string text = m_model.document().copy(nodes);
    if (m_model.tryEdit([&] { pasted = m_model.document().paste(text, 30.0, 30.0); }))
        selectNodes(pasted);
}

void NodeEditor::toggleDisableSelected() {
    auto nodes = selectedNodes();
    if (nodes.empty())
        return;
    bool anyEnabled = false;
    for (auto* n : nodes)
        anyEnabled = anyEnabled || n->enabled();
    auto& undo = m_model.document().undoStack();
    m_model.tryEdit([&] {
        undo.beginMacro(anyEnabled ? "Disable" : "Enable");
        for (auto* n : nodes)
            m_model.document().setEnabled(*n, !anyEnabled);
        undo.endMacro();
    });
}

void NodeEditor::addBackdrop() {
    auto nodes = selectedNodes();
    graph::Backdrop b;
    QRectF area;
    for (auto* n : nodes)
        area |= QRectF(n->position().x, n->position().y, NodeItem::kWidth, NodeItem::kHeight);
    if (area.isNull())
        area = QRectF(placementFor(nullptr), QSizeF(NodeItem::kWidth, NodeItem::kHeight));
    area.adjust(-40, -60, 40, 40);
    b.x = std::round(area.x());
    b.y = std::round(area.y());
    b.width = std::round(area.width());
    b.height = std::round(area.height());
    auto list = m_model.graph().backdrops();
    int n = static_cast<int>(list.size()) + 1;
    auto taken = [&](const std::string& name) {
        return std::any_of(list.begin(), list.end(),
                           [&](const graph::Backdrop& o) { return o.name == name; });
    };
    while (taken("Backdrop" + std::to_string(n)))
        ++n;
    b.name = "Backdrop" + std::to_string(n);
    b.label = b.name;
    list.push_back(b);
    m_model.tryEdit([&] { m_model.document().setBackdrops(list); });
}

void NodeEditor::frameAll() {
    QRectF bounds;
    for (auto& [node, item] : m_items)
        bounds |= item->sceneBoundingRect();
    for (auto* b : m_backdrops)
        bounds |= b->sceneBoundingRect();
    if (bounds.isNull()) {
        resetTransform();
        centerOn(0, 0);
        return;
    }
    fitInView(bounds.adjusted(-40, -40, 40, 40), Qt::KeepAspectRatio);
    if (transform().m11() > 1.5) { // never magnify a small graph beyond 150 %
        const QPointF c = bounds.center();
        resetTransform();
        scale(1.5, 1.5);
        centerOn(c);
    }
}

void NodeEditor::zoomBy(double factor) {
    const double current = transform().m11();
    const double target = std::clamp(current * factor, 0.05, 4.0);
    scale(target / current, target / current);
}

void NodeEditor::showSearch() {
    QPoint at = QCursor::pos();
    if (!rect().contains(mapFromGlobal(at)))
        at = mapToGlobal(rect().center());
    m_search->popup(at);
}

// [SECTION] Interaction -------------------------------------------------------------------------------------

bool NodeEditor::event(QEvent* event) {
    // Tab opens the node search instead of moving the keyboard focus.
    if (event->type() == QEvent::KeyPress && static_cast<QKeyEvent*>(event)->key() == Qt::Key_Tab) {
        showSearch();
        return true;
    }
    return QGraphicsView::event(event);
}

void NodeEditor::keyPressEvent(QKeyEvent* event) {
    if (event->modifiers() & (Qt::ControlModifier | Qt::AltModifier | Qt::MetaModifier)) {
        QGraphicsView::keyPressEvent(event);
        return;
    }
    switch (event->key()) {
    case Qt::Key_Delete:
    case Qt::Key_Backspace:
        deleteSelected();
        break;
    case Qt::Key_D:
        toggleDisableSelected();
        break;
    case Qt::Key_F:
        frameAll();
        break;
    case Qt::Key_B:
        addBackdrop();
        break;
    case Qt::Key_Plus:
    case Qt::Key_Equal:
        zoomBy(1.25);
        break;
    case Qt::Key_Minus:
        zoomBy(0.8);
        break;
    default:
        QGraphicsView::keyPressEvent(event);
    }
}

NodeItem* NodeEditor::nodeItemAt(const QPointF& scenePos) const {
    // Ports stick out of the body: test every node's ports first, then the bodies.
    for (auto& [node, item] : m_items)
        if (item->inputAt(scenePos) >= 0 || item->outputAt(scenePos))
            return item;
    for (auto* it : m_scene->items(scenePos))
        if (it->type() == NodeItem::Type)
            return static_cast<NodeItem*>(it);
    return nullptr;
}

NodeEditor::Candidate NodeEditor::candidateAt(const QPointF& scenePos) const {
    Candidate c;
    c.target = nodeItemAt(scenePos);
    if (!c.target || !m_connectNode)
        return c;
    graph::Node& target = c.target->node();
    if (m_connectPort == -2) { // dragging from an output: the target is a destination
        int input = c.target->inputAt(scenePos);
        if (input < 0) { // dropped on the body: the first free input, else the first
            for (int i = 0; i < target.inputCount() && input < 0; ++i)
                if (!target.input(i))
                    input = i;
            if (input < 0 && target.inputCount() > 0)
                input = 0;
        }
        c.port = input;
        c.source = m_connectNode;
        c.destination = &target;
        c.input = input;
    } else { // dragging from an input: the target is a source
        c.port = -2;
        c.source = &target;
        c.destination = m_connectNode;
        c.input = m_connectPort;
    }
    c.valid = c.input >= 0 && c.source != c.destination &&
              c.destination->inputSpec(c.input).type == c.source->outputType() &&
              !m_model.graph().wouldCreateCycle(*c.source, *c.destination);
    return c;
}

void NodeEditor::setDragKind(DragKind kind) {
    const bool was = isDragging();
    m_dragKind = kind;
    if (was != isDragging())
        Q_EMIT dragStateChanged(isDragging());
}

void NodeEditor::clearDropHighlight() {
    if (m_highlighted)
        m_highlighted->setDropHighlight(-1, true);
    m_highlighted = nullptr;
}

void NodeEditor::mousePressEvent(QMouseEvent* event) {
    const QPointF scenePos = mapToScene(event->position().toPoint());
    m_lastMouse = event->position().toPoint();
    if (event->button() == Qt::MiddleButton ||
        (event->button() == Qt::LeftButton && event->modifiers() & Qt::AltModifier)) {
        setDragKind(DragKind::Pan);
        viewport()->setCursor(Qt::ClosedHandCursor);
        event->accept();
        return;
    }
    if (event->button() == Qt::LeftButton) {
        if (NodeItem* item = nodeItemAt(scenePos)) {
            const int input = item->inputAt(scenePos);
            if (input >= 0 || item->outputAt(scenePos)) {
                graph::Node& node = item->node();
                if (input >= 0 && node.input(input)) {
                    // Dragging a connected input picks the connection up from its destination end.
                    m_connectNode = node.input(input);
                    m_connectPort = -2;
                    m_detachedNode = &node;
                    m_detachedInput = input;
                    if (auto* edge = edgeFor(&node, input))
                        edge->setVisible(false);
                } else {
                    m_connectNode = &node;
                    m_connectPort = input >= 0 ? input : -2;
                }
                m_rubberEdge = m_scene->addPath(QPainterPath(), QPen(QColor(255, 200, 60), 2, Qt::DashLine));
                m_rubberEdge->setZValue(5);
                setDragKind(DragKind::Connect);
                event->accept();
                return;
            }
        }
    }
    QGraphicsView::mousePressEvent(event);
    if (event->button() == Qt::LeftButton) {
        QGraphicsItem* under = itemAt(event->position().toPoint());
        if (under && under->type() == BackdropItem::Type && !(event->modifiers() & Qt::ControlModifier)) {
            // A backdrop carries the nodes sitting on it.
            const QRectF area = under->sceneBoundingRect();
            for (auto& [node, item] : m_items)
                if (area.contains(item->sceneBoundingRect().center()))
                    item->setSelected(true);
        }
        if (under && (under->type() == NodeItem::Type || under->type() == BackdropItem::Type))
            setDragKind(DragKind::Move);
    }
}

void NodeEditor::mouseMoveEvent(QMouseEvent* event) {
    const QPointF scenePos = mapToScene(event->position().toPoint());
    m_lastScenePos = scenePos;
    switch (m_dragKind) {
    case DragKind::Pan: {
        const QPoint delta = event->position().toPoint() - m_lastMouse;
        m_lastMouse = event->position().toPoint();
        horizontalScrollBar()->setValue(horizontalScrollBar()->value() - delta.x());
        verticalScrollBar()->setValue(verticalScrollBar()->value() - delta.y());
        event->accept();
        return;
    }
    case DragKind::Connect: {
        QPointF fixed;
        if (auto* item = itemFor(m_connectNode))
            fixed = m_connectPort == -2 ? item->outputPortPos() : item->inputPortPos(m_connectPort);
        m_rubberEdge->setPath(m_connectPort == -2 ? EdgeItem::curve(fixed, scenePos)
                                                  : EdgeItem::curve(scenePos, fixed));
        Candidate c = candidateAt(scenePos);
        clearDropHighlight();
        if (c.target && c.target->node().name() != m_connectNode->name()) {
            m_highlighted = c.target;
            m_highlighted->setDropHighlight(c.port, c.valid);
        }
        event->accept();
        return;
    }
    default:
        QGraphicsView::mouseMoveEvent(event);
        if (m_dragKind == DragKind::Move)
            updateEdges();
    }
}

void NodeEditor::mouseReleaseEvent(QMouseEvent* event) {
    const QPointF scenePos = mapToScene(event->position().toPoint());
    if (m_dragKind == DragKind::Pan) {
        viewport()->unsetCursor();
        setDragKind(DragKind::None);
        event->accept();
        return;
    }
    if (m_dragKind == DragKind::Connect) {
        Candidate c = candidateAt(scenePos);
        clearDropHighlight();
        delete m_rubberEdge;
        m_rubberEdge = nullptr;
        m_connectNode = nullptr;
        graph::Node* detached = std::exchange(m_detachedNode, nullptr);
        const int detachedInput = m_detachedInput;
        setDragKind(DragKind::None);
        const bool attempt =
            c.target && c.source && c.destination && c.input >= 0 && c.source != c.destination;
        if (c.target && c.input < 0)
            Q_EMIT m_model.editFailed(
                tr("%1 has no input").arg(QString::fromStdString(c.target->node().name())));
        const bool sameSlot = attempt && c.destination == detached && c.input == detachedInput;
        if (detached && !sameSlot) {
            // A picked-up connection leaves its old input, and lands on the new one if the core accepts.
            auto& undo = m_model.document().undoStack();
            undo.beginMacro("Reconnect");
            m_model.tryEdit([&] { m_model.document().disconnect(*detached, detachedInput); });
            if (attempt)
                connectNodes(*c.source, *c.destination, c.input);
            undo.endMacro();
        } else if (attempt) {
            // Invalid targets still go through the core, whose message explains the refusal.
            connectNodes(*c.source, *c.destination, c.input);
        }
        if (detached)
            syncEdge(*detached, detachedInput);
        event->accept();
        return;
    }
    QGraphicsView::mouseReleaseEvent(event);
    if (m_dragKind != DragKind::Move)
        return;
    setDragKind(DragKind::None);
    // Commit the drag as one undo step: nodes moved by the same delta, backdrops to their new place.
    std::vector<graph::Node*> moved;
    QPointF delta;
    for (auto* n : selectedNodes()) {
        NodeItem* item = itemFor(n);
        const QPointF d = item->pos() - QPointF(n->position().x, n->position().y);
        if (d.manhattanLength() > 0.0) {
            delta = d;
            moved.push_back(n);
        }
    }
    auto backdrops = m_model.graph().backdrops();
    bool backdropsMoved = false;
    for (std::size_t i = 0; i < m_backdrops.size() && i < backdrops.size(); ++i) {
        const QPointF p = m_backdrops[i]->pos();
        if (p.x() != backdrops[i].x || p.y() != backdrops[i].y) {
            backdrops[i].x = std::round(p.x());
            backdrops[i].y = std::round(p.y());
            backdropsMoved = true;
        }
    }
    if (moved.empty() && !backdropsMoved)
        return;
    auto& undo = m_model.document().undoStack();
    m_model.tryEdit([&] {
        undo.beginMacro("Move");
        try {
            if (!moved.empty())
                m_model.document().moveNodes(moved, std::round(delta.x()), std::round(delta.y()));
            if (backdropsMoved)
                m_model.document().setBackdrops(backdrops);
        } catch (...) {
            undo.endMacro();
            throw;
        }
        undo.endMacro();
    });
    // Snap items to the rounded core positions.
    for (auto* n : moved)
        itemFor(n)->syncPosition();
    updateEdges();
}

void NodeEditor::wheelEvent(QWheelEvent* event) {
    const double steps = event->angleDelta().y() / 120.0;
    zoomBy(std::pow(1.15, steps));
    event->accept();
}

void NodeEditor::drawBackground(QPainter* painter, const QRectF& rect) {
    painter->fillRect(rect, QColor(38, 38, 42));
    const double grid = 40.0;
    painter->setPen(QPen(QColor(48, 48, 54), 0));
    for (double x = std::floor(rect.left() / grid) * grid; x < rect.right(); x += grid)
        painter->drawLine(QPointF(x, rect.top()), QPointF(x, rect.bottom()));
    for (double y = std::floor(rect.top() / grid) * grid; y < rect.bottom(); y += grid)
        painter->drawLine(QPointF(rect.left(), y), QPointF(rect.right(), y));
}

} // namespace kinema::app
