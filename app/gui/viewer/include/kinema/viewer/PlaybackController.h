// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Playback read-ahead: a RAM frame cache filled by background workers ahead of the playhead.
///
/// Design note
/// - The app gives a FrameSource, a callable that returns the image of a frame (typically a blocking
///   evaluation on the engine). Worker threads call it; results come back to the controller's thread
///   through queued calls, so the cache and all signals live on the UI thread only.
/// - setFrame() asks for the current frame; while playing, the next readAhead() frames in playback
///   order (wrapping over the play range when looping) are queued too, nearest first. The queue is
///   rebuilt on every frame change, so stale requests never pile up.
/// - invalidate() (after a graph edit) empties the cache and discards results still being computed.
/// - setFetchWhilePaused(false) leaves the frames of a paused playhead to the host (the app evaluates them
///   interactively and hands the results back with insertFrame), so nothing is computed twice.
/// - A frame not in the cache when shown during playback is reported with frameMissed (the timeline
///   counts it as dropped).
#include <QList>
#include <QObject>
#include <QString>

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <list>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "kinema/render/Image.h"

namespace kinema::viewer {

class TimelineWidget;

/// Decoded frames in RAM, bounded in bytes, least recently used evicted first. Not thread-safe: it is
/// used from the controller's thread only.
class FrameCache {
public:
    explicit FrameCache(std::size_t budgetBytes = std::size_t(2) << 30);

    render::ImagePtr find(int frame); ///< marks the frame as recently used
    bool contains(int frame) const { return m_entries.count(frame) != 0; }
    /// Inserts (or replaces) a frame, then evicts least recently used frames over the budget. A frame
    /// larger than the whole budget is still kept alone, so playback of huge frames works.
    void insert(int frame, render::ImagePtr image);
    void clear();
    void setBudget(std::size_t bytes);
    std::size_t budget() const { return m_budget; }
    std::size_t bytes() const { return m_bytes; }
    std::size_t size() const { return m_entries.size(); }
    QList<int> frames() const;

private:
    struct Entry {
        render::ImagePtr image;
        std::size_t bytes = 0;
        std::list<int>::iterator lru;
    };
    void evict();
    std::map<int, Entry> m_entries;
    std::list<int> m_lru; // front: most recent
    std::size_t m_budget;
    std::size_t m_bytes = 0;
};

class PlaybackController : public QObject {
    Q_OBJECT
public:
    /// Returns the image of a frame; called on worker threads. Exceptions are reported with
    /// frameFailed and not cached.
    using FrameSource = std::function<render::ImagePtr(int frame)>;

    explicit PlaybackController(FrameSource source, int workers = 1, QObject* parent = nullptr);
    ~PlaybackController() override;

    void setReadAhead(int frames); ///< frames requested beyond the current one while playing (>= 0)
    int readAhead() const { return m_readAhead; }
    void setPlayRange(int first, int last);
    void setLoop(bool loop);
    void setPlaying(bool playing);
    bool isPlaying() const { return m_playing; }
    int frame() const { return m_frame; }
    /// Whether the current frame is computed while paused (default true). Off: only playback fetches.
    void setFetchWhilePaused(bool fetch);
    bool fetchWhilePaused() const { return m_fetchWhilePaused; }
    /// Puts a frame computed elsewhere into the cache (it must belong to the current graph state).
    void insertFrame(int frame, render::ImagePtr image);

    FrameCache& cache() { return m_cache; }
    /// The cached image of a frame or nullptr.
    render::ImagePtr cachedImage(int frame);
    QList<int> cachedFrames() const { return m_cache.frames(); }
    /// Frames queued or being computed.
    QList<int> pendingFrames() const;
    int missedFrames() const { return m_missed; }

    /// Connects a timeline both ways: its frame, play state, play range and loop drive this
    /// controller; cache state and missed frames go back to it.
    void attach(TimelineWidget* timeline);

public Q_SLOTS:
    /// The frame to show now: frameReady follows at once when cached, else when computed.
    void setFrame(int frame);
    void invalidate();

Q_SIGNALS:
    void frameReady(int frame, kinema::render::ImagePtr image);
    void frameFailed(int frame, const QString& message);
    void frameMissed(int frame);
    void cacheChanged();

private:
    void workerLoop();
    void schedule();
    void onResult(int frame, std::uint64_t generation, render::ImagePtr image, QString error);

    FrameSource m_source;
    FrameCache m_cache;
    int m_readAhead = 8;
    int m_first = 1, m_last = 100;
    bool m_loop = true;
    bool m_playing = false;
    bool m_fetchWhilePaused = true;
    int m_frame = 1;
    bool m_hasFrame = false; // nothing is requested before the first setFrame
    int m_missed = 0;

    mutable std::mutex m_mutex;
    std::condition_variable m_wake;
    std::deque<int> m_queue;
    std::set<int> m_inFlight;
    std::uint64_t m_generation = 0;
    bool m_stop = false;
    std::vector<std::thread> m_workers;
};

} // namespace kinema::viewer

Q_DECLARE_METATYPE(kinema::render::ImagePtr)
