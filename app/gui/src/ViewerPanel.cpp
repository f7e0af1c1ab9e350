// SPDX-License-Identifier: Apache-2.0
#include "kinema/app/ViewerPanel.h"

#include <QButtonGroup>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QMenu>
#include <QToolBar>
#include <QToolButton>
#include <QVBoxLayout>

#include "kinema/viewer/TimelineWidget.h"
#include "kinema/viewer/ViewerWidget.h"

namespace kinema::app {

using viewer::ChannelMode;
using viewer::CompareMode;

namespace {

QToolButton* menuButton(const QString& name, QMenu* menu, const QString& tip) {
    auto* b = new QToolButton;
    b->setObjectName(name);
    b->setMenu(menu);
    b->setPopupMode(QToolButton::InstantPopup);
    b->setToolTip(tip);
    b->setAutoRaise(true);
    return b;
}

} // namespace

ViewerPanel::ViewerPanel(QWidget* parent)
    : QWidget(parent)
    , m_viewer(new viewer::ViewerWidget(this))
    , m_timeline(new viewer::TimelineWidget(this))
    , m_caption(new QLabel)
    , m_exposure(new QDoubleSpinBox)
    , m_gamma(new QDoubleSpinBox)
    , m_channels(new QButtonGroup(this))
    , m_proxy(new QComboBox)
    , m_compare(new QComboBox) {
    m_viewer->setObjectName(QStringLiteral("viewerDisplay"));
    m_timeline->setObjectName(QStringLiteral("timeline"));
    m_caption->setObjectName(QStringLiteral("viewerCaption"));
    m_viewer->setMinimumSize(160, 90);

    m_displayButton = menuButton(QStringLiteral("displayMenu"), m_viewer->displayMenu(), tr("OCIO display"));
    m_viewButton = menuButton(QStringLiteral("viewMenu"), m_viewer->viewMenu(), tr("OCIO view"));
    m_lookButton = menuButton(QStringLiteral("lookMenu"), m_viewer->lookMenu(), tr("OCIO look"));
    auto* options = menuButton(QStringLiteral("viewerOptions"), m_viewer->optionsMenu(),
                               tr("Channels, proxy, compare, outlines and warnings"));
    options->setText(QStringLiteral("\u2630"));

    m_exposure->setObjectName(QStringLiteral("exposure"));
    m_exposure->setRange(-20.0, 20.0);
    m_exposure->setSingleStep(0.5);
    m_exposure->setDecimals(2);
    m_exposure->setPrefix(QStringLiteral("EV "));
    m_exposure->setToolTip(tr("Exposure in stops (gain 2^stops before the display transform)"));
    m_gamma->setObjectName(QStringLiteral("gamma"));
    m_gamma->setRange(0.1, 5.0);
    m_gamma->setSingleStep(0.1);
    m_gamma->setDecimals(2);
    m_gamma->setValue(1.0);
    m_gamma->setPrefix(QStringLiteral("\u03B3 "));
    m_gamma->setToolTip(tr("Display gamma (after the display transform)"));

    // A tool bar: when the panel is narrow, what does not fit moves into its overflow menu.
    auto* bar = new QToolBar;
    bar->setObjectName(QStringLiteral("viewerToolBar"));
    bar->setIconSize(QSize(16, 16));
    bar->addWidget(m_displayButton);
    bar->addWidget(m_viewButton);
    bar->addWidget(m_lookButton);
    bar->addSeparator();
    bar->addWidget(m_exposure);
    bar->addWidget(m_gamma);
    bar->addSeparator();
    const std::pair<ChannelMode, QString> channels[] = {
        {ChannelMode::RGB, QStringLiteral("RGB")}, {ChannelMode::Red, QStringLiteral("R")},
        {ChannelMode::Green, QStringLiteral("G")}, {ChannelMode::Blue, QStringLiteral("B")},
        {ChannelMode::Alpha, QStringLiteral("A")}, {ChannelMode::Luminance, QStringLiteral("Y")}};
    for (const auto& [mode, text] : channels) {
        auto* b = new QToolButton;
        b->setText(text);
        b->setObjectName(QStringLiteral("channel") + text);
        b->setCheckable(true);
        b->setAutoRaise(true);
        b->setToolTip(tr("Show channel %1").arg(text));
        m_channels->addButton(b, static_cast<int>(mode));
        bar->addWidget(b);
    }
    m_channels->button(static_cast<int>(ChannelMode::RGB))->setChecked(true);
    bar->addSeparator();
    m_proxy->setObjectName(QStringLiteral("proxy"));
    m_proxy->addItem(QStringLiteral("1:1"), 1);
    m_proxy->addItem(QStringLiteral("\u00BD"), 2);
    m_proxy->addItem(QStringLiteral("\u00BC"), 4);
    m_proxy->setToolTip(tr("Proxy: show a reduced image for interactive speed"));
    bar->addWidget(m_proxy);
    m_compare->setObjectName(QStringLiteral("compare"));
    m_compare->addItem(tr("A"), static_cast<int>(CompareMode::Off));
    m_compare->addItem(tr("Wipe"), static_cast<int>(CompareMode::Wipe));
    m_compare->addItem(tr("Side"), static_cast<int>(CompareMode::SideBySide));
    m_compare->setItemData(2, tr("A and B side by side"), Qt::ToolTipRole);
    m_compare->setToolTip(tr("Compare viewer inputs A (key 1) and B (key 2)"));
    bar->addWidget(m_compare);
    auto* spacer = new QWidget;
    spacer->setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Preferred);
    bar->addWidget(spacer);
    auto* fit = new QToolButton;
    fit->setObjectName(QStringLiteral("fit"));
    fit->setText(tr("Fit"));
    fit->setAutoRaise(true);
    auto* one = new QToolButton;
    one->setObjectName(QStringLiteral("oneToOne"));
    one->setText(QStringLiteral("1:1"));
    one->setAutoRaise(true);
    bar->addWidget(fit);
    bar->addWidget(one);
    bar->addWidget(options);

    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(2, 2, 2, 2);
    layout->setSpacing(2);
    layout->addWidget(bar);
    layout->addWidget(m_viewer, 1);
    layout->addWidget(m_caption);
    layout->addWidget(m_timeline);

    connect(m_exposure, &QDoubleSpinBox::valueChanged, m_viewer, &viewer::ViewerWidget::setExposure);
    connect(m_gamma, &QDoubleSpinBox::valueChanged, m_viewer, &viewer::ViewerWidget::setGamma);
    connect(m_channels, &QButtonGroup::idClicked, this,
            [this](int id) { m_viewer->setChannelMode(static_cast<ChannelMode>(id)); });
    connect(m_proxy, &QComboBox::currentIndexChanged, this,
            [this] { m_viewer->setProxy(m_proxy->currentData().toInt()); });
    connect(m_compare, &QComboBox::currentIndexChanged, this,
            [this] { m_viewer->setCompareMode(static_cast<CompareMode>(m_compare->currentData().toInt())); });
    connect(fit, &QToolButton::clicked, m_viewer, &viewer::ViewerWidget::fitToWindow);
    connect(one, &QToolButton::clicked, m_viewer, &viewer::ViewerWidget::zoomOneToOne);
    connect(m_viewer, &viewer::ViewerWidget::displaySettingsChanged, this, &ViewerPanel::syncControls);
    connect(m_timeline, &viewer::TimelineWidget::frameChanged, this, &ViewerPanel::frameChanged);
    connect(m_timeline, &viewer::TimelineWidget::playingChanged, this, &ViewerPanel::playingChanged);
    // The options menu also changes proxy and compare mode: follow it when it closes.
    connect(m_viewer->optionsMenu(), &QMenu::aboutToHide, this, &ViewerPanel::syncControls);

    setFrameRange(1, 100);
    setInputNames({}, {});
    syncControls();
    showMessage(tr("Select a node to view it"));
}

void ViewerPanel::syncControls() {
    const QSignalBlocker a(m_exposure), b(m_gamma), c(m_proxy), d(m_compare);
    m_exposure->setValue(m_viewer->exposure());
    m_gamma->setValue(m_viewer->gamma());
    if (auto* button = m_channels->button(static_cast<int>(m_viewer->channelMode())))
        button->setChecked(true);
    m_proxy->setCurrentIndex(std::max(0, m_proxy->findData(m_viewer->proxy())));
    m_compare->setCurrentIndex(std::max(0, m_compare->findData(static_cast<int>(m_viewer->compareMode()))));
    m_displayButton->setText(m_viewer->display().isEmpty() ? tr("Display") : m_viewer->display());
    m_viewButton->setText(m_viewer->view().isEmpty() ? tr("View") : m_viewer->view());
    m_lookButton->setText(m_viewer->look().isEmpty() ? tr("No look") : m_viewer->look());
}

void ViewerPanel::updateCaption() {
    m_caption->setText(m_inputsText.isEmpty() ? m_captionText
                                              : m_captionText + QStringLiteral("      ") + m_inputsText);
}

void ViewerPanel::setImage(render::ImagePtr image, const QString& caption) {
    m_viewer->setImage(std::move(image));
    m_captionText = caption;
    updateCaption();
}

void ViewerPanel::setImageB(render::ImagePtr image) {
    m_viewer->setImageB(std::move(image));
}

void ViewerPanel::showMessage(const QString& text) {
    m_viewer->setImage(nullptr);
    m_captionText = text;
    updateCaption();
}

const render::ImagePtr& ViewerPanel::image() const {
    return m_viewer->image();
}

const render::ImagePtr& ViewerPanel::imageB() const {
    return m_viewer->imageB();
}

QString ViewerPanel::caption() const {
    return m_captionText;
}

void ViewerPanel::setInputNames(const QString& a, const QString& b) {
    m_inputsText =
        b.isEmpty() ? QString() : tr("A: %1   B: %2").arg(a.isEmpty() ? QStringLiteral("\u2013") : a, b);
    updateCaption();
}

void ViewerPanel::setFrameRange(int first, int last) {
    m_timeline->setFrameRange(first, std::max(first, last));
}

void ViewerPanel::setFrame(int frame) {
    m_timeline->setFrame(frame);
}

int ViewerPanel::frame() const {
    return m_timeline->frame();
}

void ViewerPanel::setFps(double fps) {
    if (fps > 0.0)
        m_timeline->setFps(fps);
}

bool ViewerPanel::isPlaying() const {
    return m_timeline->isPlaying();
}

void ViewerPanel::setPlaying(bool playing) {
    playing ? m_timeline->play() : m_timeline->pause();
}

} // namespace kinema::app
