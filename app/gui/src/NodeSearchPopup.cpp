// SPDX-License-Identifier: Apache-2.0
#include "kinema/app/NodeSearchPopup.h"

#include <QKeyEvent>
#include <QLineEdit>
#include <QListWidget>
#include <QVBoxLayout>

#include "kinema/graph/NodeRegistry.h"

namespace kinema::app {

NodeSearchPopup::NodeSearchPopup(const graph::NodeRegistry& registry, QWidget* parent)
    : QFrame(parent, Qt::Popup)
    , m_registry(registry)
    , m_search(new QLineEdit(this))
    , m_list(new QListWidget(this)) {
    setFrameShape(QFrame::StyledPanel);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addWidget(m_search);
    layout->addWidget(m_list);
    m_search->setPlaceholderText(tr("Search nodes..."));
    m_search->installEventFilter(this);
    resize(260, 320);
    connect(m_search, &QLineEdit::textChanged, this, &NodeSearchPopup::refilter);
    connect(m_search, &QLineEdit::returnPressed, this, &NodeSearchPopup::accept);
    connect(m_list, &QListWidget::itemActivated, this, [this](QListWidgetItem*) { accept(); });
}

void NodeSearchPopup::popup(const QPoint& globalPos) {
    m_search->clear();
    refilter({});
    move(globalPos);
    show();
    raise();
    activateWindow();
    m_search->setFocus();
}

void NodeSearchPopup::refilter(const QString& text) {
    m_list->clear();
    // Names starting with the text first, then names or categories containing it.
    QStringList starts, contains;
    for (auto& info : m_registry.types()) {
        const QString name = QString::fromStdString(info.typeName);
        const QString category = QString::fromStdString(info.category);
        const QString entry = name + QStringLiteral("  (") + category + QStringLiteral(")");
        if (text.isEmpty() || name.startsWith(text, Qt::CaseInsensitive))
            starts << entry;
        else if (name.contains(text, Qt::CaseInsensitive) || category.contains(text, Qt::CaseInsensitive))
            contains << entry;
    }
    for (auto& e : starts + contains) {
        auto* item = new QListWidgetItem(e, m_list);
        item->setData(Qt::UserRole, e.section(QStringLiteral("  ("), 0, 0));
    }
    if (m_list->count() > 0)
        m_list->setCurrentRow(0);
}

void NodeSearchPopup::accept() {
    auto* item = m_list->currentItem();
    if (!item)
        return;
    const QString type = item->data(Qt::UserRole).toString();
    hide();
    Q_EMIT typeChosen(type);
}

bool NodeSearchPopup::eventFilter(QObject* watched, QEvent* event) {
    if (watched == m_search && event->type() == QEvent::KeyPress) {
        auto* key = static_cast<QKeyEvent*>(event);
        const int row = m_list->currentRow();
        if (key->key() == Qt::Key_Down) {
            m_list->setCurrentRow(std::min(row + 1, m_list->count() - 1));
            return true;
        }
        if (key->key() == Qt::Key_Up) {
            m_list->setCurrentRow(std::max(row - 1, 0));
            return true;
        }
        if (key->key() == Qt::Key_Escape) {
            hide();
            return true;
        }
    }
    return QFrame::eventFilter(watched, event);
}

} // namespace kinema::app
