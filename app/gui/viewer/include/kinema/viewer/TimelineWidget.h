// SPDX-License-Identifier: Apache-2.0
#pragma once
/// The timeline: frame range, current frame, scrubbing, transport, cache bar, in/out points and
/// keyframe ticks.
///
/// Design note
/// - One widget: a transport row (buttons, fps, readout) above a painted ruler. Scrubbing the ruler
///   with the left button sets the current frame; every change of frame emits frameChanged once.
/// - Playback is clocked, not stepped: each timer tick computes which frame should be on screen from
///   the time since play started and the fps. Frames the clock skips count as dropped, as do frames
///   that the PlaybackController reports were not decoded in time (reportDroppedFrames).
/// - Playback runs over the in/out range when set, else over the whole range, looping or stopping at
///   the end. Cache state and keyframes are set from outside (the timeline knows no engine).
#include <QElapsedTimer>
#include <QList>
#include <QSet>
#include <QWidget>

class QLabel;
class QTimer;
class QToolButton;
class QDoubleSpinBox;

namespace kinema::viewer {

class TimelineWidget : public QWidget {
    Q_OBJECT
public:
    explicit TimelineWidget(QWidget* parent = nullptr);
    ~TimelineWidget() override;

    /// Sets the frame range (first <= last, else std::invalid_argument); clamps the current frame and
    /// the in/out points into it.
    void setFrameRange(int first, int last);
    int firstFrame() const { return m_first; }
    int lastFrame() const { return m_last; }
    int frame() const { return m_frame; }

    /// In/out points (clamped to the range, in <= out). Playback loops over them.
    void setInOut(int in, int out);
    void clearInOut();
    bool hasInOut() const { return m_hasInOut; }
    int inPoint() const { return m_hasInOut ? m_in : m_first; }
    int outPoint() const { return m_hasInOut ? m_out : m_last; }

    /// Playback rate in frames per second (> 0, else std::invalid_argument).
    void setFps(double fps);
    double fps() const { return m_fps; }
    void setLoop(bool loop);
    bool loop() const { return m_loop; }
    bool isPlaying() const { return m_playing; }
    /// Frames dropped since playback last started.
    int droppedFrames() const { return m_dropped; }
    /// Frames per second actually shown since playback last started (0 when not measured yet).
    double measuredFps() const;

    void setCachedFrames(const QList<int>& frames);
    void setComputingFrames(const QList<int>& frames);
    void setKeyframes(const QList<int>& frames);
    const QSet<int>& cachedFrames() const { return m_cached; }
    const QSet<int>& computingFrames() const { return m_computing; }
    const QSet<int>& keyframes() const { return m_keys; }

    /// The ruler widget (scrub area) and the mapping between its x coordinate and frames.
    QWidget* ruler() const;
    int frameAtPosition(double x) const;
    double positionOfFrame(int frame) const;
    /// The readout text (frame, fps, dropped frames) as shown.
    QString readoutText() const;

public Q_SLOTS:
    void setFrame(int frame);
    void play();
    void pause();
    void togglePlay();
    void stepForward();
    void stepBackward();
    /// Adds frames that could not be shown in time (called by the playback controller).
    void reportDroppedFrames(int count);

Q_SIGNALS:
    void frameChanged(int frame);
    void playingChanged(bool playing);
    void frameRangeChanged(int first, int last);
    /// The playback range changed (in/out points set or cleared, or the frame range changed).
    void playRangeChanged(int first, int last);
    void loopChanged(bool loop);
    void fpsChanged(double fps);
    void droppedFramesChanged(int dropped);

protected:
    void keyPressEvent(QKeyEvent* event) override;

private:
    friend class TimeRuler;
    void tick();
    void updateReadout();
    void setFrameInternal(int frame);

    int m_first = 1, m_last = 100, m_frame = 1;
    bool m_hasInOut = false;
    int m_in = 1, m_out = 100;
    double m_fps = 24.0;
    bool m_loop = true;
    bool m_playing = false;
    int m_dropped = 0;
    int m_shownSinceStart = 0;
    qint64 m_ticksShown = 0; // clock frame index last shown
    int m_startFrame = 1;
    QElapsedTimer m_clock;
    QSet<int> m_cached, m_computing, m_keys;

    QWidget* m_ruler = nullptr;
    QTimer* m_timer = nullptr;
    QToolButton* m_playButton = nullptr;
    QToolButton* m_loopButton = nullptr;
    QDoubleSpinBox* m_fpsBox = nullptr;
    QLabel* m_readout = nullptr;
};

} // namespace kinema::viewer
