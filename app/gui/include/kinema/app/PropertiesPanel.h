// SPDX-License-Identifier: Apache-2.0
#pragma once
/// The properties panel: editors generated from each parameter's ParamSpec and metadata.
///
/// Design note: one row per visible parameter, chosen by type and uiHint — sliders with typed entry for
/// numbers (soft range on the slider, hard range enforced by the core), colour swatches, file fields with a
/// browse dialog, a multi-line prompt editor, a seed field with a randomise button, enum combos, and per
/// animatable parameter a keyframe toggle with an interpolation choice. Every edit goes through Document:
/// one slider drag is one undo step (merge key per drag). Animated parameters are edited by setting a key
/// at the current frame. Rows refresh from GraphModel signals, so undo and other views stay in sync.
#include <functional>
#include <map>

#include <QScrollArea>

#include "kinema/app/GraphModel.h"

class QFormLayout;
class QLineEdit;
class QCheckBox;

namespace kinema::app {

class PropertiesPanel : public QScrollArea {
    Q_OBJECT
public:
    explicit PropertiesPanel(GraphModel& model, QWidget* parent = nullptr);

    void setNode(graph::Node* node);
    graph::Node* node() const { return m_node; }
    void setFrame(double frame);
    double frame() const { return m_frame; }

    /// The row of a parameter (children carry object names: "slider", "entry", "entry0".."entry3",
    /// "swatch", "combo", "check", "text", "browse", "randomise", "key", "interp"), or nullptr.
    QWidget* rowFor(const QString& param) const;
    QLineEdit* nameField() const { return m_nameField; }
    QCheckBox* enabledBox() const { return m_enabledBox; }

Q_SIGNALS:
    void dragStateChanged(bool dragging);

private:
    struct Row {
        QWidget* widget = nullptr;
        std::function<void()> refresh;
    };

    void rebuild();
    void refreshAll();
    void refreshHeader();
    QWidget* makeRow(graph::Param& param, Row& row);
    QWidget* makeKeyControls(graph::Param& param, Row& row);
    /// Applies a value as an undoable edit (a key at the current frame when the parameter is animated).
    void apply(graph::Param& param, const graph::ParamValue& value, std::uint64_t mergeKey = 0);

    GraphModel& m_model;
    graph::Node* m_node = nullptr;
    double m_frame = 1.0;
    QWidget* m_content = nullptr;
    QLineEdit* m_nameField = nullptr;
    QCheckBox* m_enabledBox = nullptr;
    std::map<QString, Row> m_rows;
    std::map<QString, graph::Interpolation> m_interpolation;
    std::uint64_t m_nextMergeKey = 1;
};

} // namespace kinema::app
