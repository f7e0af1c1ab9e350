// SPDX-License-Identifier: Apache-2.0
#include "kinema/viewer/TimelineWidget.h"

#include <QDoubleSpinBox>
#include <QHBoxLayout>
#include <QKeyEvent>
#include <QLabel>
#include <QMouseEvent>
#include <QPainter>
#include <QTimer>
#include <QToolButton>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace kinema::viewer {

/// The painted scrub area: ticks, cache bar, in/out shading, keyframes and the playhead.
class TimeRuler : public QWidget {
public:
    explicit TimeRuler(TimelineWidget* timeline)
        : QWidget(timeline)
        , m_timeline(timeline) {
        setMinimumHeight(42);
        setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Fixed);
        setMouseTracking(false);
        setFocusPolicy(Qt::NoFocus);
    }
    static constexpr double kMargin = 10.0;

    double positionOf(double frame) const {
        const auto& t = *m_timeline;
        const double span = std::max(1, t.m_last - t.m_first);
        return kMargin + (frame - t.m_first) / span * std::max(1.0, width() - 2.0 * kMargin);
    }
    int frameAt(double x) const {
        const auto& t = *m_timeline;
        const double span = std::max(1, t.m_last - t.m_first);
        const double f = t.m_first + (x - kMargin) / std::max(1.0, width() - 2.0 * kMargin) * span;
        return std::clamp(static_cast<int>(std::lround(f)), t.m_first, t.m_last);
    }

protected:
    void mousePressEvent(QMouseEvent* event) override {
        if (event->button() == Qt::LeftButton) {
            m_scrubbing = true;
            m_timeline->setFrame(frameAt(event->position().x()));
        }
    }
    void mouseMoveEvent(QMouseEvent* event) override {
        if (m_scrubbing)
            m_timeline->setFrame(frameAt(event->position().x()));
    }
    void mouseReleaseEvent(QMouseEvent*) override { m_scrubbing = false; }

    void paintEvent(QPaintEvent*) override {
        const auto& t = *m_timeline;
        QPainter p(this);
        p.fillRect(rect(), QColor(38, 38, 38));
        const double h = height();
        const double frameWidth = positionOf(t.m_first + 1) - positionOf(t.m_first);
        // In/out shading.
        if (t.m_hasInOut) {
            p.fillRect(
                QRectF(positionOf(t.m_in - 0.5), 0, positionOf(t.m_out + 0.5) - positionOf(t.m_in - 0.5), h),
                QColor(60, 60, 70));
        }
        // Cache bar along the bottom: computing (amber) below cached (green).
        const double barY = h - 5;
        for (int f : t.m_computing)
            p.fillRect(QRectF(positionOf(f - 0.5), barY, std::max(1.0, frameWidth), 4), QColor(220, 160, 40));
        for (int f : t.m_cached)
            p.fillRect(QRectF(positionOf(f - 0.5), barY, std::max(1.0, frameWidth), 4), QColor(70, 190, 90));
        // Ticks with labels at a readable spacing.
        const int span = std::max(1, t.m_last - t.m_first);
        int step = 1;
        for (int candidate : {1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000}) {
            step = candidate;
            if (width() / (double(span) / candidate) >= 48.0)
                break;
        }
        p.setPen(QColor(150, 150, 150));
        QFont font = p.font();
        font.setPointSizeF(std::max(6.0, font.pointSizeF() * 0.85));
        p.setFont(font);
        const int firstTick = int(std::ceil(double(t.m_first) / step)) * step;
        for (int f = firstTick; f <= t.m_last; f += step) {
            const double x = positionOf(f);
            p.drawLine(QPointF(x, 0), QPointF(x, 8));
            p.drawText(QPointF(x + 2, 18), QString::number(f));
        }
        // In/out markers.
        if (t.m_hasInOut) {
            p.setPen(QPen(QColor(120, 170, 255), 2));
            p.drawLine(QPointF(positionOf(t.m_in - 0.5), 0), QPointF(positionOf(t.m_in - 0.5), h));
            p.drawLine(QPointF(positionOf(t.m_out + 0.5), 0), QPointF(positionOf(t.m_out + 0.5), h));
        }
        // Keyframe ticks: small diamonds.
        p.setRenderHint(QPainter::Antialiasing, true);
        p.setPen(Qt::NoPen);
        p.setBrush(QColor(240, 200, 60));
        for (int f : t.m_keys) {
            const double x = positionOf(f);
            const double y = h - 14;
            const QPointF diamond[4] = {{x, y - 4}, {x + 4, y}, {x, y + 4}, {x - 4, y}};
            p.drawPolygon(diamond, 4);
        }
        // Playhead.
        const double x = positionOf(t.m_frame);
        p.setPen(QPen(QColor(255, 80, 60), 2));
        p.drawLine(QPointF(x, 0), QPointF(x, h));
    }

private:
    TimelineWidget* m_timeline;
    bool m_scrubbing = false;
};

TimelineWidget::TimelineWidget(QWidget* parent)
    : QWidget(parent) {
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 2, 4, 2);
    layout->setSpacing(2);
    auto* transport = new QHBoxLayout;
    auto button = [&](const QString& text, const QString& tip) {
        auto* b = new QToolButton(this);
        b->setText(text);
        b->setToolTip(tip);
        b->setAutoRaise(true);
        transport->addWidget(b);
        return b;
    };
    connect(button(QStringLiteral("|◀"), tr("First frame")), &QToolButton::clicked, this,
            [this] { setFrame(inPoint()); });
    connect(button(QStringLiteral("◀|"), tr("Previous frame")), &QToolButton::clicked, this,
            &TimelineWidget::stepBackward);
    m_playButton = button(QStringLiteral("▶"), tr("Play / pause (Space)"));
    connect(m_playButton, &QToolButton::clicked, this, &TimelineWidget::togglePlay);
    connect(button(QStringLiteral("|▶"), tr("Next frame")), &QToolButton::clicked, this,
            &TimelineWidget::stepForward);
    connect(button(QStringLiteral("▶|"), tr("Last frame")), &QToolButton::clicked, this,
            [this] { setFrame(outPoint()); });
    m_loopButton = button(tr("Loop"), tr("Loop playback"));
    m_loopButton->setCheckable(true);
    m_loopButton->setChecked(m_loop);
    connect(m_loopButton, &QToolButton::toggled, this, &TimelineWidget::setLoop);
    connect(button(tr("In"), tr("Set the in point at the current frame (I)")), &QToolButton::clicked, this,
            [this] { setInOut(m_frame, m_hasInOut ? std::max(m_out, m_frame) : m_last); });
    connect(button(tr("Out"), tr("Set the out point at the current frame (O)")), &QToolButton::clicked, this,
            [this] { setInOut(m_hasInOut ? std::min(m_in, m_frame) : m_first, m_frame); });
    m_fpsBox = new QDoubleSpinBox(this);
    m_fpsBox->setRange(0.1, 240.0);
    m_fpsBox->setDecimals(3);
    m_fpsBox->setValue(m_fps);
    m_fpsBox->setSuffix(tr(" fps"));
    connect(m_fpsBox, &QDoubleSpinBox::valueChanged, this, [this](double v) { setFps(v); });
    transport->addWidget(m_fpsBox);
    m_readout = new QLabel(this);
    m_readout->setMinimumWidth(220);
    transport->addWidget(m_readout, 1);
    layout->addLayout(transport);
    m_ruler = new TimeRuler(this);
    layout->addWidget(m_ruler);
    setFocusPolicy(Qt::StrongFocus);

    m_timer = new QTimer(this);
    m_timer->setTimerType(Qt::PreciseTimer);
    connect(m_timer, &QTimer::timeout, this, &TimelineWidget::tick);
    updateReadout();
}

TimelineWidget::~TimelineWidget() = default;

QWidget* TimelineWidget::ruler() const {
    return m_ruler;
}

int TimelineWidget::frameAtPosition(double x) const {
    return static_cast<TimeRuler*>(m_ruler)->frameAt(x);
}

double TimelineWidget::positionOfFrame(int frame) const {
    return static_cast<TimeRuler*>(m_ruler)->positionOf(frame);
}

void TimelineWidget::setFrameRange(int first, int last) {
    if (first > last)
        throw std::invalid_argument("timeline: frame range " + std::to_string(first) + "–" +
                                    std::to_string(last) + " is empty");
    m_first = first;
    m_last = last;
    if (m_hasInOut) {
        m_in = std::clamp(m_in, first, last);
        m_out = std::clamp(m_out, m_in, last);
    }
    Q_EMIT frameRangeChanged(first, last);
    Q_EMIT playRangeChanged(inPoint(), outPoint());
    setFrameInternal(std::clamp(m_frame, first, last));
    m_ruler->update();
    updateReadout();
}

void TimelineWidget::setInOut(int in, int out) {
    m_in = std::clamp(std::min(in, out), m_first, m_last);
    m_out = std::clamp(std::max(in, out), m_first, m_last);
    m_hasInOut = true;
    Q_EMIT playRangeChanged(m_in, m_out);
    m_ruler->update();
}

void TimelineWidget::clearInOut() {
    m_hasInOut = false;
    Q_EMIT playRangeChanged(m_first, m_last);
    m_ruler->update();
}

void TimelineWidget::setFps(double fps) {
    if (!(fps > 0.0) || !std::isfinite(fps))
        throw std::invalid_argument("timeline: fps must be positive, got " + std::to_string(fps));
    if (fps == m_fps)
        return;
    m_fps = fps;
    {
        const QSignalBlocker block(m_fpsBox);
        m_fpsBox->setValue(fps);
    }
    if (m_playing) { // restart the clock from the current frame at the new rate
        m_clock.restart();
        m_ticksShown = 0;
        m_shownSinceStart = 0;
        m_timer->setInterval(std::max(1, int(500.0 / m_fps)));
    }
    Q_EMIT fpsChanged(fps);
    updateReadout();
}

void TimelineWidget::setLoop(bool loop) {
    if (loop == m_loop)
        return;
    m_loop = loop;
    const QSignalBlocker block(m_loopButton);
    m_loopButton->setChecked(loop);
    Q_EMIT loopChanged(loop);
}

double TimelineWidget::measuredFps() const {
    if (!m_clock.isValid() || m_shownSinceStart < 2)
        return 0.0;
    const double seconds = m_clock.elapsed() / 1000.0;
    return seconds > 0.0 ? m_shownSinceStart / seconds : 0.0;
}

void TimelineWidget::setCachedFrames(const QList<int>& frames) {
    m_cached = QSet<int>(frames.begin(), frames.end());
    m_ruler->update();
}

void TimelineWidget::setComputingFrames(const QList<int>& frames) {
    m_computing = QSet<int>(frames.begin(), frames.end());
    m_ruler->update();
}

void TimelineWidget::setKeyframes(const QList<int>& frames) {
    m_keys = QSet<int>(frames.begin(), frames.end());
    m_ruler->update();
}

void TimelineWidget::setFrame(int frame) {
    setFrameInternal(std::clamp(frame, m_first, m_last));
}

void TimelineWidget::setFrameInternal(int frame) {
    if (frame == m_frame)
        return;
    m_frame = frame;
    m_ruler->update();
    updateReadout();
    Q_EMIT frameChanged(frame);
}

void TimelineWidget::play() {
    if (m_playing)
        return;
    if (m_frame < inPoint() || m_frame >= outPoint())
        setFrame(inPoint());
    m_playing = true;
    m_dropped = 0;
    m_shownSinceStart = 0;
    m_ticksShown = 0;
    m_clock.start();
    m_timer->start(std::max(1, int(500.0 / m_fps))); // tick at twice the frame rate
    m_playButton->setText(QStringLiteral("❚❚"));
    Q_EMIT playingChanged(true);
    Q_EMIT droppedFramesChanged(0);
    updateReadout();
}

void TimelineWidget::pause() {
    if (!m_playing)
        return;
    m_playing = false;
    m_timer->stop();
    m_playButton->setText(QStringLiteral("▶"));
    Q_EMIT playingChanged(false);
    updateReadout();
}

void TimelineWidget::togglePlay() {
    m_playing ? pause() : play();
}

void TimelineWidget::stepForward() {
    setFrame(m_frame >= m_last ? (m_loop ? m_first : m_last) : m_frame + 1);
}

void TimelineWidget::stepBackward() {
    setFrame(m_frame <= m_first ? (m_loop ? m_last : m_first) : m_frame - 1);
}

void TimelineWidget::reportDroppedFrames(int count) {
    if (count <= 0)
        return;
    m_dropped += count;
    Q_EMIT droppedFramesChanged(m_dropped);
    updateReadout();
}

void TimelineWidget::tick() {
    if (!m_playing)
        return;
    const qint64 index = static_cast<qint64>(std::floor(m_clock.nsecsElapsed() * 1e-9 * m_fps));
    if (index <= m_ticksShown)
        return;
    const int advance = static_cast<int>(index - m_ticksShown);
    m_ticksShown = index;
    if (advance > 1) {
        m_dropped += advance - 1;
        Q_EMIT droppedFramesChanged(m_dropped);
    }
    const int a = inPoint(), b = outPoint();
    const int length = b - a + 1;
    int next = m_frame + advance;
    bool stop = false;
    if (next > b) {
        if (m_loop) {
            next = a + ((next - a) % length);
        } else {
            next = b;
            stop = true;
        }
    }
    ++m_shownSinceStart;
    setFrameInternal(next);
    if (stop)
        pause();
    updateReadout();
}

QString TimelineWidget::readoutText() const {
    QString text = tr("frame %1  [%2–%3]").arg(m_frame).arg(m_first).arg(m_last);
    if (m_playing || m_dropped > 0)
        text += tr("  %1 fps  dropped %2").arg(measuredFps(), 0, 'f', 1).arg(m_dropped);
    return text;
}

void TimelineWidget::updateReadout() {
    m_readout->setText(readoutText());
}

void TimelineWidget::keyPressEvent(QKeyEvent* event) {
    switch (event->key()) {
    case Qt::Key_Space:
        togglePlay();
        break;
    case Qt::Key_Right:
        stepForward();
        break;
    case Qt::Key_Left:
        stepBackward();
        break;
    case Qt::Key_Home:
        setFrame(inPoint());
        break;
    case Qt::Key_End:
        setFrame(outPoint());
        break;
    case Qt::Key_I:
        setInOut(m_frame, m_hasInOut ? std::max(m_out, m_frame) : m_last);
        break;
    case Qt::Key_O:
        setInOut(m_hasInOut ? std::min(m_in, m_frame) : m_first, m_frame);
        break;
    default:
        QWidget::keyPressEvent(event);
    }
}

} // namespace kinema::viewer
