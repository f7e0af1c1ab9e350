// SPDX-License-Identifier: Apache-2.0
#include "kinema/app/PropertiesPanel.h"

#include <cmath>
#include <random>

#include <QCheckBox>
#include <QColorDialog>
#include <QComboBox>
#include <QEvent>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QKeyEvent>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSlider>
#include <QToolButton>

namespace kinema::app {
namespace {

constexpr int kSliderSteps = 1000;

QString number(double v) {
    return QString::number(v, 'g', 6);
}

/// Runs `callback` when a plain-text editor loses focus or on Ctrl+Return.
class CommitFilter : public QObject {
public:
    CommitFilter(QObject* parent, std::function<void()> callback)
        : QObject(parent)
        , m_callback(std::move(callback)) {}

protected:
    bool eventFilter(QObject* watched, QEvent* event) override {
        if (event->type() == QEvent::FocusOut)
            m_callback();
        if (event->type() == QEvent::KeyPress) {
            auto* key = static_cast<QKeyEvent*>(event);
            if ((key->key() == Qt::Key_Return || key->key() == Qt::Key_Enter) &&
                (key->modifiers() & Qt::ControlModifier)) {
                m_callback();
                return true;
            }
        }
        return QObject::eventFilter(watched, event);
    }

private:
    std::function<void()> m_callback;
};

} // namespace

PropertiesPanel::PropertiesPanel(GraphModel& model, QWidget* parent)
    : QScrollArea(parent)
    , m_model(model) {
    setWidgetResizable(true);
    setMinimumWidth(400);
    rebuild();
    connect(&m_model, &GraphModel::reset, this, [this] { setNode(nullptr); });
    connect(&m_model, &GraphModel::nodeAboutToBeRemoved, this, [this](graph::Node* n) {
        if (n == m_node)
            setNode(nullptr);
    });
    connect(&m_model, &GraphModel::paramChanged, this, [this](graph::Node* n, const QString& param) {
        if (n != m_node)
            return;
        if (auto it = m_rows.find(param); it != m_rows.end())
            it->second.refresh();
    });
    connect(&m_model, &GraphModel::nodeRenamed, this, [this](graph::Node* n) {
        if (n == m_node)
            refreshHeader();
    });
    connect(&m_model, &GraphModel::nodeStateChanged, this, [this](graph::Node* n) {
        if (n == m_node)
            refreshHeader();
    });
}

void PropertiesPanel::setNode(graph::Node* node) {
    if (node == m_node && m_content)
        return;
    m_node = node;
    rebuild();
}

void PropertiesPanel::setFrame(double frame) {
    if (frame == m_frame)
        return;
    m_frame = frame;
    refreshAll();
}

QWidget* PropertiesPanel::rowFor(const QString& param) const {
    auto it = m_rows.find(param);
    return it == m_rows.end() ? nullptr : it->second.widget;
}

void PropertiesPanel::refreshAll() {
    refreshHeader();
    for (auto& [name, row] : m_rows)
        row.refresh();
}

void PropertiesPanel::refreshHeader() {
    if (!m_node || !m_nameField)
        return;
    const QSignalBlocker a(m_nameField), b(m_enabledBox);
    m_nameField->setText(QString::fromStdString(m_node->name()));
    m_enabledBox->setChecked(m_node->enabled());
}

void PropertiesPanel::apply(graph::Param& param, const graph::ParamValue& value, std::uint64_t mergeKey) {
    if (!m_node)
        return;
    graph::Node& node = *m_node;
    const std::string name = param.name();
    bool ok = m_model.tryEdit([&] {
        if (param.isAnimated()) {
            auto it = m_interpolation.find(QString::fromStdString(name));
            auto interp = it == m_interpolation.end() ? graph::Interpolation::Smooth : it->second;
            m_model.document().setKey(node, name, m_frame, value, interp);
        } else {
            m_model.document().setParam(node, name, value, mergeKey);
        }
    });
    if (!ok) // show the value that is really stored
        if (auto it = m_rows.find(QString::fromStdString(name)); it != m_rows.end())
            it->second.refresh();
}

void PropertiesPanel::rebuild() {
    m_rows.clear();
    m_nameField = nullptr;
    m_enabledBox = nullptr;
    m_content = new QWidget;
    auto* form = new QFormLayout(m_content);
    form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    if (!m_node) {
        form->addRow(new QLabel(tr("Select a node to edit its parameters.")));
        setWidget(m_content);
        return;
    }
    graph::Node& node = *m_node;
    m_nameField = new QLineEdit;
    m_nameField->setObjectName(QStringLiteral("name"));
    connect(m_nameField, &QLineEdit::editingFinished, this, [this] {
        if (!m_node)
            return;
        const std::string name = m_nameField->text().trimmed().toStdString();
        if (name != m_node->name() && !m_model.tryEdit([&] { m_model.document().renameNode(*m_node, name); }))
            refreshHeader();
    });
    m_enabledBox = new QCheckBox(tr("Enabled"));
    m_enabledBox->setObjectName(QStringLiteral("enabled"));
    connect(m_enabledBox, &QCheckBox::toggled, this, [this](bool on) {
        if (m_node)
            m_model.tryEdit([&] { m_model.document().setEnabled(*m_node, on); });
    });
    auto* header = new QHBoxLayout;
    header->addWidget(m_nameField, 1);
    header->addWidget(m_enabledBox);
    form->addRow(tr("Name"), header);
    auto* type = new QLabel(QString::fromStdString(node.typeName() + " v" + std::to_string(node.version())));
    type->setToolTip(QString::fromStdString(node.typeInfo().description));
    form->addRow(tr("Type"), type);
    refreshHeader();

    std::string group;
    for (auto& p : node.params()) {
        const auto& meta = p->spec().metadata;
        if (meta.hidden)
            continue;
        if (meta.group != group) {
            group = meta.group;
            if (!group.empty()) {
                auto* title = new QLabel(
                    QStringLiteral("<b>%1</b>").arg(QString::fromStdString(group).toHtmlEscaped()));
                form->addRow(title);
            }
        }
        Row row;
        QWidget* editor = makeRow(*p, row);
        const QString name = QString::fromStdString(p->name());
        editor->setObjectName(QStringLiteral("param:") + name);
        editor->setToolTip(QString::fromStdString(meta.tooltip));
        row.widget = editor;
        auto* label = new QLabel(QString::fromStdString(meta.label.empty() ? p->name() : meta.label));
        label->setToolTip(QString::fromStdString(meta.tooltip));
        form->addRow(label, editor);
        row.refresh();
        m_rows[name] = std::move(row);
    }
    setWidget(m_content);
}

QWidget* PropertiesPanel::makeKeyControls(graph::Param& param, Row& row) {
    auto* box = new QWidget;
    auto* layout = new QHBoxLayout(box);
    layout->setContentsMargins(0, 0, 0, 0);
    auto* key = new QToolButton;
    key->setObjectName(QStringLiteral("key"));
    key->setCheckable(true);
    key->setText(QStringLiteral("\u25C6"));
    key->setToolTip(tr("Set or remove a key at the current frame"));
    auto* interp = new QComboBox;
    interp->setObjectName(QStringLiteral("interp"));
    for (auto i :
         {graph::Interpolation::Constant, graph::Interpolation::Linear, graph::Interpolation::Smooth})
        interp->addItem(QString::fromStdString(std::string(graph::interpolationName(i))),
                        static_cast<int>(i));
    interp->setCurrentIndex(2);
    interp->setToolTip(tr("Interpolation of keys set from here"));
    layout->addWidget(key);
    layout->addWidget(interp);
    graph::Param* p = &param;
    const QString name = QString::fromStdString(param.name());
    connect(key, &QToolButton::clicked, this, [this, p, key](bool on) {
        if (!m_node)
            return;
        graph::Node& node = *m_node;
        const auto interp = m_interpolation.count(QString::fromStdString(p->name()))
                                ? m_interpolation[QString::fromStdString(p->name())]
                                : graph::Interpolation::Smooth;
        m_model.tryEdit([&] {
            if (on)
                m_model.document().setKey(node, p->name(), m_frame, p->valueAt(m_frame), interp);
            else
                m_model.document().removeKey(node, p->name(), m_frame);
        });
        // The row refreshes from the core's change signal; after a refusal, show the real state.
        auto frames = p->keyFrames();
        const QSignalBlocker block(key);
        key->setChecked(std::find(frames.begin(), frames.end(), m_frame) != frames.end());
    });
    connect(interp, &QComboBox::currentIndexChanged, this, [this, p, name, interp](int index) {
        const auto chosen = static_cast<graph::Interpolation>(interp->itemData(index).toInt());
        m_interpolation[name] = chosen;
        // Changing the choice on a keyed frame re-keys it with the new interpolation.
        auto frames = p->keyFrames();
        if (m_node && std::find(frames.begin(), frames.end(), m_frame) != frames.end()) {
            graph::Node& node = *m_node;
            m_model.tryEdit(
                [&] { m_model.document().setKey(node, p->name(), m_frame, p->valueAt(m_frame), chosen); });
        }
    });
    auto previous = std::move(row.refresh);
    row.refresh = [this, p, key, interp, previous] {
        if (previous)
            previous();
        auto frames = p->keyFrames();
        const bool keyed = std::find(frames.begin(), frames.end(), m_frame) != frames.end();
        const QSignalBlocker a(key), b(interp);
        key->setChecked(keyed);
        key->setStyleSheet(keyed ? QStringLiteral("color: rgb(240,170,40);")
                                 : (p->isAnimated() ? QStringLiteral("color: rgb(90,150,230);") : QString()));
        // Show the interpolation of the key under the current frame, if any.
        for (const auto& curve : p->curves())
            if (const auto* k = curve.keyAt(m_frame)) {
                interp->setCurrentIndex(interp->findData(static_cast<int>(k->interpolation)));
                break;
            }
    };
    return box;
}

QWidget* PropertiesPanel::makeRow(graph::Param& param, Row& row) {
    using graph::ParamType;
    graph::Param* p = &param;
    const auto& spec = param.spec();
    const auto& meta = spec.metadata;
    auto* box = new QWidget;
    auto* layout = new QHBoxLayout(box);
    layout->setContentsMargins(0, 0, 0, 0);

    switch (spec.type) {
    case ParamType::Bool: {
        auto* check = new QCheckBox;
        check->setObjectName(QStringLiteral("check"));
        layout->addWidget(check);
        layout->addStretch(1);
        connect(check, &QCheckBox::toggled, this, [this, p](bool on) { apply(*p, on); });
        row.refresh = [this, p, check] {
            const QSignalBlocker block(check);
            check->setChecked(p->getBool(m_frame));
        };
        break;
    }
    case ParamType::Int:
    case ParamType::Float: {
        const bool isInt = spec.type == ParamType::Int;
        auto* slider = new QSlider(Qt::Horizontal);
        slider->setObjectName(QStringLiteral("slider"));
        auto* entry = new QLineEdit;
        entry->setObjectName(QStringLiteral("entry"));
        entry->setMaximumWidth(90);
        layout->addWidget(entry);
        layout->addWidget(slider, 1);
        const double lo = std::max(meta.softMinimum, meta.minimum);
        const double hi = std::min(meta.softMaximum, meta.maximum);
        const bool useSlider = std::isfinite(lo) && std::isfinite(hi) && hi > lo;
        slider->setVisible(useSlider);
        if (isInt)
            slider->setRange(static_cast<int>(lo), static_cast<int>(hi));
        else
            slider->setRange(0, kSliderSteps);
        auto toSlider = [=](double v) {
            return isInt ? static_cast<int>(std::lround(v))
                         : static_cast<int>(std::lround((v - lo) / (hi - lo) * kSliderSteps));
        };
        auto fromSlider = [=](int s) {
            double v = isInt ? static_cast<double>(s) : lo + (hi - lo) * s / kSliderSteps;
            if (!isInt && meta.step > 0.0)
                v = std::round(v / meta.step) * meta.step;
            return v;
        };
        auto mergeKey = std::make_shared<std::uint64_t>(0);
        connect(slider, &QSlider::sliderPressed, this, [this, mergeKey] {
            *mergeKey = m_nextMergeKey++ | (std::uint64_t{1} << 63);
            Q_EMIT dragStateChanged(true);
        });
        connect(slider, &QSlider::sliderReleased, this, [this, mergeKey] {
            *mergeKey = 0;
            m_model.document().undoStack().closeMergeWindow();
            Q_EMIT dragStateChanged(false);
        });
        connect(slider, &QSlider::valueChanged, this, [this, p, slider, mergeKey, fromSlider, isInt](int s) {
            const double v = fromSlider(s);
            const std::uint64_t key = slider->isSliderDown() ? *mergeKey : 0;
            if (isInt)
                apply(*p, static_cast<std::int64_t>(v), key);
            else
                apply(*p, v, key);
        });
        connect(entry, &QLineEdit::editingFinished, this, [this, p, entry] {
            try {
                apply(*p, p->parse(entry->text().trimmed().toStdString()));
            } catch (const std::exception& e) {
                Q_EMIT m_model.editFailed(QString::fromStdString(e.what()));
                entry->setText(number(p->getDouble(m_frame)));
            }
        });
        row.refresh = [this, p, slider, entry, toSlider] {
            const double v = p->getDouble(m_frame);
            const QSignalBlocker a(entry);
            entry->setText(number(v));
            entry->setCursorPosition(0);
            if (!slider->isSliderDown()) {
                const QSignalBlocker b(slider);
                slider->setValue(toSlider(v));
            }
        };
        break;
    }
    case ParamType::Float2:
    case ParamType::Float3:
    case ParamType::Float4:
    case ParamType::Color: {
        const int n = graph::componentCount(spec.type);
        std::vector<QLineEdit*> entries;
        QPushButton* swatch = nullptr;
        if (spec.type == ParamType::Color) {
            swatch = new QPushButton;
            swatch->setObjectName(QStringLiteral("swatch"));
            swatch->setFixedSize(28, 20);
            swatch->setToolTip(tr("Pick a colour (display-referred; type values above 1 in the fields)"));
            layout->addWidget(swatch);
        }
        for (int i = 0; i < n; ++i) {
            auto* e = new QLineEdit;
            e->setObjectName(QStringLiteral("entry%1").arg(i));
            e->setMinimumWidth(52);
            e->setMaximumWidth(80);
            layout->addWidget(e);
            entries.push_back(e);
        }
        layout->addStretch(1);
        auto commit = [this, p, entries] {
            std::vector<double> c;
            for (auto* e : entries) {
                bool ok = false;
                double v = e->text().trimmed().toDouble(&ok);
                if (!ok) {
                    Q_EMIT m_model.editFailed(
                        tr("%1: '%2' is not a number")
                            .arg(QString::fromStdString(m_node->paramPath(p->name())), e->text()));
                    m_rows[QString::fromStdString(p->name())].refresh();
                    return;
                }
                c.push_back(v);
            }
            apply(*p, graph::valueFromComponents(p->type(), c));
        };
        for (auto* e : entries)
            connect(e, &QLineEdit::editingFinished, this, commit);
        if (swatch)
            connect(swatch, &QPushButton::clicked, this, [this, p, swatch] {
                auto v = p->getVec(m_frame);
                QColor initial = QColor::fromRgbF(std::clamp(static_cast<float>(v[0]), 0.f, 1.f),
                                                  std::clamp(static_cast<float>(v[1]), 0.f, 1.f),
                                                  std::clamp(static_cast<float>(v[2]), 0.f, 1.f),
                                                  std::clamp(static_cast<float>(v[3]), 0.f, 1.f));
                QColor c =
                    QColorDialog::getColor(initial, swatch, tr("Colour"), QColorDialog::ShowAlphaChannel);
                if (c.isValid())
                    apply(*p, std::array<double, 4>{c.redF(), c.greenF(), c.blueF(), c.alphaF()});
            });
        row.refresh = [this, p, entries, swatch] {
            auto c = graph::componentsOf(p->valueAt(m_frame));
            for (std::size_t i = 0; i < entries.size() && i < c.size(); ++i) {
                const QSignalBlocker block(entries[i]);
                entries[i]->setText(number(c[i]));
                entries[i]->setCursorPosition(0); // show the leading digits
            }
            if (swatch && c.size() >= 3) {
                auto to8 = [](double v) {
                    return std::clamp(static_cast<int>(std::lround(v * 255.0)), 0, 255);
                };
                swatch->setStyleSheet(QStringLiteral("background-color: rgb(%1,%2,%3);")
                                          .arg(to8(c[0]))
                                          .arg(to8(c[1]))
                                          .arg(to8(c[2])));
            }
        };
        break;
    }
    case ParamType::Enum: {
        auto* combo = new QComboBox;
        combo->setObjectName(QStringLiteral("combo"));
        for (auto& item : spec.enumItems)
            combo->addItem(QString::fromStdString(item));
        layout->addWidget(combo, 1);
        connect(combo, &QComboBox::currentIndexChanged, this,
                [this, p](int index) { apply(*p, static_cast<std::int64_t>(index)); });
        row.refresh = [this, p, combo] {
            const QSignalBlocker block(combo);
            combo->setCurrentIndex(static_cast<int>(p->getInt(m_frame)));
        };
        break;
    }
    case ParamType::Text: {
        auto* text = new QPlainTextEdit;
        text->setObjectName(QStringLiteral("text"));
        text->setMinimumHeight(meta.uiHint == "prompt" ? 90 : 60);
        text->setPlaceholderText(meta.uiHint == "prompt" ? tr("Describe the shot... (Ctrl+Return applies)")
                                                         : QString());
        layout->addWidget(text, 1);
        text->installEventFilter(new CommitFilter(text, [this, p, text] {
            const std::string value = text->toPlainText().toStdString();
            if (value != p->getString())
                apply(*p, value);
        }));
        row.refresh = [p, text] {
            const QString value = QString::fromStdString(p->getString());
            if (text->toPlainText() != value) {
                const QSignalBlocker block(text);
                text->setPlainText(value);
            }
        };
        break;
    }
    case ParamType::String:
    case ParamType::FilePath: {
        auto* entry = new QLineEdit;
        entry->setObjectName(QStringLiteral("entry"));
        layout->addWidget(entry, 1);
        connect(entry, &QLineEdit::editingFinished, this, [this, p, entry] {
            const std::string value = entry->text().toStdString();
            if (value != p->getString())
                apply(*p, value);
        });
        if (spec.type == ParamType::FilePath) {
            auto* browse = new QToolButton;
            browse->setObjectName(QStringLiteral("browse"));
            browse->setText(QStringLiteral("..."));
            layout->addWidget(browse);
            const bool save = meta.uiHint == "save";
            connect(browse, &QToolButton::clicked, this, [this, p, entry, save] {
                const QString current = QString::fromStdString(p->getString());
                const QString file = save ? QFileDialog::getSaveFileName(this, tr("Output file"), current)
                                          : QFileDialog::getOpenFileName(this, tr("Input file"), current);
                if (!file.isEmpty()) {
                    entry->setText(file);
                    apply(*p, file.toStdString());
                }
            });
        }
        row.refresh = [p, entry] {
            const QSignalBlocker block(entry);
            entry->setText(QString::fromStdString(p->getString()));
        };
        break;
    }
    case ParamType::Seed: {
        auto* entry = new QLineEdit;
        entry->setObjectName(QStringLiteral("entry"));
        auto* randomise = new QPushButton(tr("Randomise"));
        randomise->setObjectName(QStringLiteral("randomise"));
        layout->addWidget(entry, 1);
        layout->addWidget(randomise);
        connect(entry, &QLineEdit::editingFinished, this, [this, p, entry] {
            try {
                auto v = p->parse(entry->text().trimmed().toStdString());
                if (v != p->value())
                    apply(*p, v);
            } catch (const std::exception& e) {
                Q_EMIT m_model.editFailed(QString::fromStdString(e.what()));
                m_rows[QString::fromStdString(p->name())].refresh();
            }
        });
        connect(randomise, &QPushButton::clicked, this, [this, p] {
            std::random_device rd;
            const std::uint64_t seed = (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
            apply(*p, seed);
        });
        row.refresh = [p, entry] {
            const QSignalBlocker block(entry);
            entry->setText(QString::number(static_cast<qulonglong>(p->getSeed())));
        };
        break;
    }
    }
    if (param.canAnimate())
        layout->addWidget(makeKeyControls(param, row));
    return box;
}

} // namespace kinema::app
