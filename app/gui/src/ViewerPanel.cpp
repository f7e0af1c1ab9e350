// SPDX-License-Identifier: Apache-2.0
#include "kinema/app/ViewerPanel.h"

#include <cmath>

#include <QHBoxLayout>
#include <QLabel>
#include <QSlider>
#include <QSpinBox>
#include <QToolButton>
#include <QVBoxLayout>

#if defined(KINEMA_HAVE_VIEWER) && __has_include("kinema/app/ViewerWidget.h")
#include "kinema/app/ViewerWidget.h"
#define KINEMA_VIEWER_WIDGET 1
#endif

namespace kinema::app {

QImage previewImage(const render::Image& image) {
    const graph::Box2i display = image.format().displayWindow();
    const int w = std::max(1, display.width()), h = std::max(1, display.height());
    QImage out(w, h, QImage::Format_RGB888);
    out.fill(Qt::black);
    const graph::Box2i area = display.intersect(image.dataWindow());
    const float* planes[3] = {image.findChannel("R"), image.findChannel("G"), image.findChannel("B")};
    auto encode = [](float v) {
        v = std::clamp(std::isfinite(v) ? v : 0.0f, 0.0f, 1.0f);
        const float s = v <= 0.0031308f ? 12.92f * v : 1.055f * std::pow(v, 1.0f / 2.4f) - 0.055f;
        return static_cast<uchar>(std::lround(s * 255.0f));
    };
    const auto& dw = image.dataWindow();
    for (int y = area.y0; y < area.y1; ++y) {
        uchar* row = out.scanLine(y - display.y0);
        const std::size_t base = static_cast<std::size_t>(y - dw.y0) * static_cast<std::size_t>(dw.width());
        for (int x = area.x0; x < area.x1; ++x)
            for (int c = 0; c < 3; ++c)
                row[(x - display.x0) * 3 + c] =
                    planes[c] ? encode(planes[c][base + static_cast<std::size_t>(x - dw.x0)]) : 0;
    }
    return out;
}

ViewerPanel::ViewerPanel(QWidget* parent)
    : QWidget(parent)
    , m_caption(new QLabel)
    , m_slider(new QSlider(Qt::Horizontal))
    , m_field(new QSpinBox)
    , m_play(new QToolButton) {
#ifdef KINEMA_VIEWER_WIDGET
    m_display = new ViewerWidget(this);
#else
    m_picture = new QLabel;
    m_picture->setAlignment(Qt::AlignCenter);
    m_picture->setMinimumSize(160, 90);
    m_picture->setStyleSheet(QStringLiteral("background-color: rgb(24,24,26); color: rgb(160,160,160);"));
    m_display = m_picture;
#endif
    m_display->setObjectName(QStringLiteral("viewerDisplay"));
    m_caption->setObjectName(QStringLiteral("viewerCaption"));
    m_play->setText(QStringLiteral("\u25B6"));
    m_play->setCheckable(true);
    m_play->setToolTip(tr("Play / pause"));
    m_field->setKeyboardTracking(false);

    auto* bar = new QHBoxLayout;
    bar->addWidget(m_play);
    bar->addWidget(m_slider, 1);
    bar->addWidget(m_field);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(2, 2, 2, 2);
    layout->addWidget(m_display, 1);
    layout->addWidget(m_caption);
    layout->addLayout(bar);
    setFrameRange(1, 100);

    connect(m_slider, &QSlider::valueChanged, this, [this](int f) { setFrame(f); });
    connect(m_field, &QSpinBox::valueChanged, this, [this](int f) { setFrame(f); });
    connect(m_play, &QToolButton::toggled, this, &ViewerPanel::setPlaying);
    connect(&m_playTimer, &QTimer::timeout, this, [this] {
        int next = frame() + 1;
        setFrame(next > m_slider->maximum() ? m_slider->minimum() : next);
    });
    setFps(24.0);
    showMessage(tr("Select a node to view it"));
}

void ViewerPanel::setImage(render::ImagePtr image, const QString& caption) {
    m_image = std::move(image);
    m_caption->setText(caption);
#ifdef KINEMA_VIEWER_WIDGET
    static_cast<ViewerWidget*>(m_display)->setImage(m_image);
#else
    m_preview = m_image ? previewImage(*m_image) : QImage();
    updatePixmap();
#endif
}

void ViewerPanel::showMessage(const QString& text) {
    m_image.reset();
    m_caption->setText(text);
#ifdef KINEMA_VIEWER_WIDGET
    static_cast<ViewerWidget*>(m_display)->setImage(nullptr);
#else
    m_preview = QImage();
    m_picture->setPixmap(QPixmap());
    m_picture->setText(text);
#endif
}

QString ViewerPanel::caption() const {
    return m_caption->text();
}

void ViewerPanel::updatePixmap() {
    if (!m_picture)
        return;
    if (m_preview.isNull()) {
        m_picture->setPixmap(QPixmap());
        return;
    }
    m_picture->setPixmap(QPixmap::fromImage(
        m_preview.scaled(m_picture->size() - QSize(8, 8), Qt::KeepAspectRatio, Qt::SmoothTransformation)));
}

void ViewerPanel::resizeEvent(QResizeEvent* event) {
    QWidget::resizeEvent(event);
    updatePixmap();
}

void ViewerPanel::setFrameRange(int first, int last) {
    const QSignalBlocker a(m_slider), b(m_field);
    m_slider->setRange(first, std::max(first, last));
    m_field->setRange(first, std::max(first, last));
}

void ViewerPanel::setFrame(int f) {
    f = std::clamp(f, m_slider->minimum(), m_slider->maximum());
    const bool changed = f != m_field->value() || f != m_slider->value();
    {
        const QSignalBlocker a(m_slider), b(m_field);
        m_slider->setValue(f);
        m_field->setValue(f);
    }
    if (changed)
        Q_EMIT frameChanged(f);
}

int ViewerPanel::frame() const {
    return m_field->value();
}

void ViewerPanel::setFps(double fps) {
    m_playTimer.setInterval(static_cast<int>(std::lround(1000.0 / std::max(1.0, fps))));
}

void ViewerPanel::setPlaying(bool playing) {
    if (playing)
        m_playTimer.start();
    else
        m_playTimer.stop();
    const QSignalBlocker block(m_play);
    m_play->setChecked(playing);
    m_play->setText(playing ? QStringLiteral("\u23F8") : QStringLiteral("\u25B6"));
}

} // namespace kinema::app
