// SPDX-License-Identifier: Apache-2.0
#pragma once
/// The Tab menu: type to filter the registered node types, Enter creates the highlighted one.
#include <QFrame>

class QLineEdit;
class QListWidget;

namespace kinema::graph {
class NodeRegistry;
}

namespace kinema::app {

class NodeSearchPopup : public QFrame {
    Q_OBJECT
public:
    NodeSearchPopup(const graph::NodeRegistry& registry, QWidget* parent = nullptr);
    /// Shows the popup at a global position with an empty filter and focus in the search field.
    void popup(const QPoint& globalPos);
    QLineEdit* searchField() const { return m_search; }
    QListWidget* list() const { return m_list; }

Q_SIGNALS:
    void typeChosen(const QString& typeName);

protected:
    bool eventFilter(QObject* watched, QEvent* event) override;

private:
    void refilter(const QString& text);
    void accept();

    const graph::NodeRegistry& m_registry;
    QLineEdit* m_search;
    QListWidget* m_list;
};

} // namespace kinema::app
