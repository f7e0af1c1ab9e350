// SPDX-License-Identifier: Apache-2.0
#pragma once
/// A fixed-size thread pool with a parallel-for that is safe to nest.
///
/// parallelFor splits [begin, end) into chunks that the calling thread and idle workers take from a shared
/// counter, so a task running on a worker may itself call parallelFor without deadlock: the caller always
/// makes progress on its own chunks. Used for tiles/scanlines inside operations and frames in batch renders.
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <future>
#include <mutex>
#include <queue>
#include <thread>
#include <vector>

namespace kinema::render {

class ThreadPool {
public:
    /// `threads` workers; 0 = hardware concurrency.
    explicit ThreadPool(unsigned threads = 0);
    ~ThreadPool();
    ThreadPool(const ThreadPool&) = delete;
    ThreadPool& operator=(const ThreadPool&) = delete;

    unsigned size() const { return static_cast<unsigned>(m_workers.size()); }

    /// Runs `fn` on a worker; the future carries its result or exception.
    std::future<void> submit(std::function<void()> fn);

    /// Calls fn(chunkBegin, chunkEnd) over [begin, end) in parallel, in chunks of at least `grain`.
    /// Returns when all chunks are done; rethrows the first exception.
    void parallelFor(std::int64_t begin, std::int64_t end, std::int64_t grain,
                     const std::function<void(std::int64_t, std::int64_t)>& fn);

    /// The process-wide pool (sized by setGlobalThreadCount, default hardware concurrency).
    static ThreadPool& global();
    /// Recreates the global pool with `threads` workers. Call before any work starts.
    static void setGlobalThreadCount(unsigned threads);

private:
    void workerLoop();

    std::vector<std::thread> m_workers;
    std::queue<std::function<void()>> m_queue;
    std::mutex m_mutex;
    std::condition_variable m_cv;
    bool m_stop = false;
};

/// parallelFor on the global pool.
void parallelFor(std::int64_t begin, std::int64_t end, std::int64_t grain,
                 const std::function<void(std::int64_t, std::int64_t)>& fn);

} // namespace kinema::render
