// SPDX-License-Identifier: Apache-2.0
#include "kinema/app/NodeItems.h"

#include <QPainter>
#include <QStyleOptionGraphicsItem>

namespace kinema::app {
namespace {

QColor categoryColor(const std::string& category) {
    if (category.rfind("Color", 0) == 0)
        return {92, 120, 78};
    if (category.rfind("IO", 0) == 0 || category.rfind("Image", 0) == 0)
        return {70, 98, 130};
    if (category.rfind("Generative", 0) == 0)
        return {128, 82, 128};
    if (category.rfind("Time", 0) == 0)
        return {120, 110, 70};
    return {88, 88, 96};
}

} // namespace

NodeItem::NodeItem(GraphModel& model, graph::Node& node)
    : m_model(model)
    , m_node(node) {
    setFlags(ItemIsSelectable | ItemIsMovable | ItemSendsGeometryChanges);
    setZValue(1.0);
    syncPosition();
}

QRectF NodeItem::boundingRect() const {
    // Room for ports above and below, the badges on the right and the info line below.
    return QRectF(-kPortRadius - 2, -kPortRadius - 14, kWidth + 2 * kPortRadius + 24,
                  kHeight + 2 * kPortRadius + 36);
}

QPointF NodeItem::inputPortPos(int input) const {
    const int n = std::max(1, m_node.inputCount());
    return mapToScene(QPointF(kWidth * (input + 1) / (n + 1), 0.0));
}

QPointF NodeItem::outputPortPos() const {
    return mapToScene(QPointF(kWidth / 2, kHeight));
}

int NodeItem::inputAt(const QPointF& scenePos) const {
    for (int i = 0; i < m_node.inputCount(); ++i)
        if (QLineF(inputPortPos(i), scenePos).length() <= kPortRadius + 4)
            return i;
    return -1;
}

bool NodeItem::outputAt(const QPointF& scenePos) const {
    return QLineF(outputPortPos(), scenePos).length() <= kPortRadius + 4;
}

void NodeItem::syncPosition() {
    setPos(m_node.position().x, m_node.position().y);
}

void NodeItem::setDropHighlight(int port, bool valid) {
    m_highlightPort = port;
    m_highlightValid = valid;
    update();
}

void NodeItem::paint(QPainter* p, const QStyleOptionGraphicsItem*, QWidget*) {
    p->setRenderHint(QPainter::Antialiasing);
    const QRectF body(0, 0, kWidth, kHeight);
    QColor fill = categoryColor(m_node.typeInfo().category);
    if (!m_node.enabled())
        fill = fill.darker(180);
    const NodeStatus& st = m_model.status(&m_node);
    QPen outline(isSelected() ? QColor(255, 200, 60) : QColor(20, 20, 24), isSelected() ? 2.5 : 1.2);
    if (!st.error.isEmpty())
        outline = QPen(QColor(230, 60, 50), 2.5);
    p->setPen(outline);
    p->setBrush(fill);
    p->drawRoundedRect(body, 5, 5);

    p->setPen(m_node.enabled() ? Qt::white : QColor(170, 170, 170));
    QFont f = p->font();
    f.setBold(true);
    p->setFont(f);
    p->drawText(body.adjusted(4, 2, -4, -14), Qt::AlignCenter, QString::fromStdString(m_node.name()));
    f.setBold(false);
    f.setPointSizeF(f.pointSizeF() * 0.8);
    p->setFont(f);
    p->setPen(QColor(210, 210, 210));
    p->drawText(body.adjusted(4, 18, -4, -2), Qt::AlignCenter, QString::fromStdString(m_node.typeName()));

    if (!m_node.enabled()) { // Nuke's disabled cross
        p->setPen(QPen(QColor(230, 80, 60), 2));
        p->drawLine(body.topLeft(), body.bottomRight());
        p->drawLine(body.topRight(), body.bottomLeft());
    }

    // Ports.
    auto drawPort = [&](QPointF local, bool highlighted) {
        QColor c(200, 200, 200);
        if (highlighted)
            c = m_highlightValid ? QColor(90, 220, 90) : QColor(230, 60, 50);
        p->setPen(QPen(QColor(20, 20, 24), 1));
        p->setBrush(c);
        p->drawEllipse(local, kPortRadius, kPortRadius);
    };
    for (int i = 0; i < m_node.inputCount(); ++i) {
        QPointF local = mapFromScene(inputPortPos(i));
        drawPort(local, m_highlightPort == i);
        p->setPen(QColor(200, 200, 200));
        p->setFont(f);
        p->drawText(QRectF(local.x() - 30, local.y() - kPortRadius - 13, 60, 12), Qt::AlignCenter,
                    QString::fromStdString(m_node.inputSpec(i).name));
    }
    drawPort(QPointF(kWidth / 2, kHeight), m_highlightPort == -2);

    // Badges on the right: error, progress, cached.
    double bx = kWidth + 4;
    if (!st.error.isEmpty()) {
        p->setPen(Qt::NoPen);
        p->setBrush(QColor(230, 60, 50));
        p->drawEllipse(QRectF(bx, 2, 14, 14));
        p->setPen(Qt::white);
        p->drawText(QRectF(bx, 2, 14, 14), Qt::AlignCenter, QStringLiteral("!"));
    } else if (st.cached) {
        p->setPen(Qt::NoPen);
        p->setBrush(QColor(70, 200, 110));
        p->drawEllipse(QRectF(bx + 3, 5, 8, 8));
    }
    if (!st.info.isEmpty()) { // a measure of the node's output, e.g. a Loop's seam
        p->setPen(QColor(200, 220, 140));
        p->drawText(QRectF(0, kHeight + kPortRadius + 8, kWidth, 12), Qt::AlignCenter, st.info);
    }
    if (st.progress >= 0.0) {
        const QRectF bar(0, kHeight + kPortRadius + 2, kWidth, 5);
        p->setPen(Qt::NoPen);
        p->setBrush(QColor(40, 40, 44));
        p->drawRect(bar);
        p->setBrush(QColor(80, 160, 240));
        p->drawRect(QRectF(bar.x(), bar.y(), bar.width() * std::clamp(st.progress, 0.0, 1.0), bar.height()));
    }
}

EdgeItem::EdgeItem(NodeItem* source, NodeItem* destination, int input)
    : m_source(source)
    , m_destination(destination)
    , m_input(input) {
    setZValue(0.5);
    setPen(QPen(QColor(190, 190, 190), 1.8));
    setFlag(ItemIsSelectable, false);
    updatePath();
}

QPainterPath EdgeItem::curve(const QPointF& from, const QPointF& to) {
    QPainterPath path(from);
    const double dy = std::max(40.0, std::abs(to.y() - from.y()) * 0.5);
    path.cubicTo(from + QPointF(0, dy), to - QPointF(0, dy), to);
    return path;
}

void EdgeItem::updatePath() {
    setPath(curve(m_source->outputPortPos(), m_destination->inputPortPos(m_input)));
}

BackdropItem::BackdropItem(int index, const graph::Backdrop& backdrop)
    : m_index(index)
    , m_backdrop(backdrop) {
    setFlags(ItemIsSelectable | ItemIsMovable);
    setZValue(-10.0);
    setPos(backdrop.x, backdrop.y);
}

QRectF BackdropItem::boundingRect() const {
    return QRectF(0, 0, m_backdrop.width, m_backdrop.height);
}

void BackdropItem::paint(QPainter* p, const QStyleOptionGraphicsItem*, QWidget*) {
    QColor c =
        QColor::fromRgbF(static_cast<float>(m_backdrop.color[0]), static_cast<float>(m_backdrop.color[1]),
                         static_cast<float>(m_backdrop.color[2]));
    p->setPen(QPen(isSelected() ? QColor(255, 200, 60) : c.lighter(140), 1.5));
    p->setBrush(c);
    p->drawRect(boundingRect());
    p->setPen(Qt::white);
    QFont f = p->font();
    f.setPointSizeF(f.pointSizeF() * 1.3);
    p->setFont(f);
    p->drawText(boundingRect().adjusted(8, 6, -8, -6), Qt::AlignTop | Qt::AlignLeft | Qt::TextWordWrap,
                QString::fromStdString(m_backdrop.label.empty() ? m_backdrop.name : m_backdrop.label));
}

} // namespace kinema::app
