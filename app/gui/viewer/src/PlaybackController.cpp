// SPDX-License-Identifier: Apache-2.0
#include "kinema/viewer/PlaybackController.h"

#include <algorithm>
#include <stdexcept>

#include "kinema/viewer/TimelineWidget.h"

namespace kinema::viewer {

// FrameCache ----------------------------------------------------------------------------------------

FrameCache::FrameCache(std::size_t budgetBytes)
    : m_budget(budgetBytes) {}

render::ImagePtr FrameCache::find(int frame) {
    auto it = m_entries.find(frame);
    if (it == m_entries.end())
        return nullptr;
    m_lru.splice(m_lru.begin(), m_lru, it->second.lru);
    return it->second.image;
}

void FrameCache::insert(int frame, render::ImagePtr image) {
    auto it = m_entries.find(frame);
    if (it != m_entries.end()) {
        m_bytes -= it->second.bytes;
        m_lru.erase(it->second.lru);
        m_entries.erase(it);
    }
    if (!image)
        return;
    Entry entry;
    entry.bytes = image->memoryBytes();
    entry.image = std::move(image);
    m_lru.push_front(frame);
    entry.lru = m_lru.begin();
    m_bytes += entry.bytes;
    m_entries.emplace(frame, std::move(entry));
    evict();
}

void FrameCache::evict() {
    while (m_bytes > m_budget && m_entries.size() > 1) {
        const int victim = m_lru.back();
        m_lru.pop_back();
        auto it = m_entries.find(victim);
        m_bytes -= it->second.bytes;
        m_entries.erase(it);
    }
}

void FrameCache::clear() {
    m_entries.clear();
    m_lru.clear();
    m_bytes = 0;
}

void FrameCache::setBudget(std::size_t bytes) {
    m_budget = bytes;
    evict();
}

QList<int> FrameCache::frames() const {
    QList<int> out;
    out.reserve(static_cast<qsizetype>(m_entries.size()));
    for (const auto& [frame, entry] : m_entries)
        out << frame;
    return out;
}

// PlaybackController --------------------------------------------------------------------------------

PlaybackController::PlaybackController(FrameSource source, int workers, QObject* parent)
    : QObject(parent)
    , m_source(std::move(source)) {
    if (!m_source)
        throw std::invalid_argument("playback controller: no frame source given");
    qRegisterMetaType<kinema::render::ImagePtr>();
    const int count = std::clamp(workers, 1, 16);
    for (int i = 0; i < count; ++i)
        m_workers.emplace_back([this] { workerLoop(); });
}

PlaybackController::~PlaybackController() {
    {
        std::lock_guard lock(m_mutex);
        m_stop = true;
        m_queue.clear();
    }
    m_wake.notify_all();
    for (auto& t : m_workers)
        t.join();
}

void PlaybackController::setReadAhead(int frames) {
    if (frames < 0)
        throw std::invalid_argument("playback controller: read-ahead of " + std::to_string(frames) +
                                    " frames");
    m_readAhead = frames;
    schedule();
}

void PlaybackController::setPlayRange(int first, int last) {
    m_first = std::min(first, last);
    m_last = std::max(first, last);
    schedule();
}

void PlaybackController::setLoop(bool loop) {
    m_loop = loop;
    schedule();
}

void PlaybackController::setPlaying(bool playing) {
    m_playing = playing;
    schedule();
}

void PlaybackController::setFetchWhilePaused(bool fetch) {
    m_fetchWhilePaused = fetch;
    schedule();
}

void PlaybackController::insertFrame(int frame, render::ImagePtr image) {
    if (!image)
        return;
    m_cache.insert(frame, std::move(image));
    schedule();
}

render::ImagePtr PlaybackController::cachedImage(int frame) {
    return m_cache.find(frame);
}

QList<int> PlaybackController::pendingFrames() const {
    std::lock_guard lock(m_mutex);
    QList<int> out(m_queue.begin(), m_queue.end());
    for (int f : m_inFlight)
        if (!out.contains(f))
            out << f;
    return out;
}

void PlaybackController::setFrame(int frame) {
    m_frame = frame;
    m_hasFrame = true;
    if (auto image = m_cache.find(frame)) {
        Q_EMIT frameReady(frame, image);
    } else if (m_playing) {
        ++m_missed;
        Q_EMIT frameMissed(frame);
    }
    schedule();
}

void PlaybackController::invalidate() {
    {
        std::lock_guard lock(m_mutex);
        ++m_generation;
        m_queue.clear();
    }
    m_cache.clear();
    Q_EMIT cacheChanged();
    schedule();
}

void PlaybackController::schedule() {
    // Frames wanted, nearest first: the current one, then the read-ahead window in playback order.
    std::vector<int> wanted;
    if (!m_hasFrame)
        return;
    if (!m_cache.contains(m_frame) && (m_playing || m_fetchWhilePaused))
        wanted.push_back(m_frame);
    if (m_playing && m_last >= m_first) {
        const int length = m_last - m_first + 1;
        int f = m_frame;
        for (int i = 0; i < std::min(m_readAhead, length - 1); ++i) {
            ++f;
            if (f > m_last) {
                if (!m_loop)
                    break;
                f = m_first;
            }
            if (!m_cache.contains(f))
                wanted.push_back(f);
        }
    }
    {
        std::lock_guard lock(m_mutex);
        m_queue.clear();
        for (int f : wanted)
            if (!m_inFlight.count(f))
                m_queue.push_back(f);
    }
    m_wake.notify_all();
    Q_EMIT cacheChanged();
}

void PlaybackController::workerLoop() {
    for (;;) {
        int frame = 0;
        std::uint64_t generation = 0;
        {
            std::unique_lock lock(m_mutex);
            m_wake.wait(lock, [this] { return m_stop || !m_queue.empty(); });
            if (m_stop)
                return;
            frame = m_queue.front();
            m_queue.pop_front();
            m_inFlight.insert(frame);
            generation = m_generation;
        }
        render::ImagePtr image;
        QString error;
        try {
            image = m_source(frame);
            if (!image)
                error = QStringLiteral("frame %1: the frame source returned no image").arg(frame);
        } catch (const std::exception& e) {
            error = QString::fromUtf8(e.what());
        } catch (...) {
            error = QStringLiteral("frame %1: unknown error").arg(frame);
        }
        QMetaObject::invokeMethod(
            this, [this, frame, generation, image, error] { onResult(frame, generation, image, error); },
            Qt::QueuedConnection);
    }
}

void PlaybackController::onResult(int frame, std::uint64_t generation, render::ImagePtr image,
                                  QString error) {
    {
        std::lock_guard lock(m_mutex);
        m_inFlight.erase(frame);
        if (generation != m_generation)
            return; // computed for a graph that has changed since
    }
    if (!error.isEmpty()) {
        Q_EMIT frameFailed(frame, error);
        Q_EMIT cacheChanged();
        return;
    }
    m_cache.insert(frame, image);
    if (frame == m_frame)
        Q_EMIT frameReady(frame, image);
    schedule();
}

void PlaybackController::attach(TimelineWidget* timeline) {
    setPlayRange(timeline->inPoint(), timeline->outPoint());
    setLoop(timeline->loop());
    setPlaying(timeline->isPlaying());
    connect(timeline, &TimelineWidget::frameChanged, this, &PlaybackController::setFrame);
    connect(timeline, &TimelineWidget::playingChanged, this, &PlaybackController::setPlaying);
    connect(timeline, &TimelineWidget::playRangeChanged, this, &PlaybackController::setPlayRange);
    connect(timeline, &TimelineWidget::loopChanged, this, &PlaybackController::setLoop);
    connect(this, &PlaybackController::frameMissed, timeline,
            [timeline] { timeline->reportDroppedFrames(1); });
    connect(this, &PlaybackController::cacheChanged, timeline, [this, timeline] {
        timeline->setCachedFrames(cachedFrames());
        timeline->setComputingFrames(pendingFrames());
    });
    setFrame(timeline->frame());
}

} // namespace kinema::viewer
