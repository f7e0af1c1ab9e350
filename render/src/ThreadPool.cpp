// SPDX-License-Identifier: Apache-2.0
#include "kinema/render/ThreadPool.h"

#include <algorithm>
#include <atomic>
#include <exception>
#include <memory>

namespace kinema::render {

ThreadPool::ThreadPool(unsigned threads) {
    if (threads == 0)
        threads = std::max(1u, std::thread::hardware_concurrency());
    for (unsigned i = 0; i < threads; ++i)
        m_workers.emplace_back([this] { workerLoop(); });
}

ThreadPool::~ThreadPool() {
    {
        std::lock_guard lock(m_mutex);
        m_stop = true;
    }
    m_cv.notify_all();
    for (auto& t : m_workers)
        t.join();
}

void ThreadPool::workerLoop() {
    for (;;) {
        std::function<void()> task;
        {
            std::unique_lock lock(m_mutex);
            m_cv.wait(lock, [this] { return m_stop || !m_queue.empty(); });
            if (m_stop && m_queue.empty())
                return;
            task = std::move(m_queue.front());
            m_queue.pop();
        }
        task();
    }
}

std::future<void> ThreadPool::submit(std::function<void()> fn) {
    auto task = std::make_shared<std::packaged_task<void()>>(std::move(fn));
    auto future = task->get_future();
    {
        std::lock_guard lock(m_mutex);
        m_queue.push([task] { (*task)(); });
    }
    m_cv.notify_one();
    return future;
}

void ThreadPool::parallelFor(std::int64_t begin, std::int64_t end, std::int64_t grain,
                             const std::function<void(std::int64_t, std::int64_t)>& fn) {
    if (end <= begin)
        return;
    grain = std::max<std::int64_t>(1, grain);
    const std::int64_t total = end - begin;
    const std::int64_t maxChunks = static_cast<std::int64_t>(size() + 1) * 4;
    const std::int64_t chunk = std::max(grain, (total + maxChunks - 1) / maxChunks);
    const std::int64_t chunks = (total + chunk - 1) / chunk;
    if (chunks == 1 || size() == 0) {
        fn(begin, end);
        return;
    }

    struct Shared {
        std::atomic<std::int64_t> next{0};
        std::atomic<std::int64_t> done{0};
        std::mutex mutex;
        std::condition_variable cv;
        std::exception_ptr error;
    };
    auto shared = std::make_shared<Shared>();
    auto work = [shared, begin, end, chunk, chunks, &fn] {
        for (;;) {
            std::int64_t i = shared->next.fetch_add(1);
            if (i >= chunks)
                return;
            try {
                fn(begin + i * chunk, std::min(end, begin + (i + 1) * chunk));
            } catch (...) {
                std::lock_guard lock(shared->mutex);
                if (!shared->error)
                    shared->error = std::current_exception();
            }
            if (shared->done.fetch_add(1) + 1 == chunks) {
                std::lock_guard lock(shared->mutex);
                shared->cv.notify_all();
            }
        }
    };
    const std::int64_t helpers = std::min<std::int64_t>(static_cast<std::int64_t>(size()), chunks - 1);
    {
        std::lock_guard lock(m_mutex);
        // Helpers hold `fn` by reference: they only run while this call waits for all chunks below.
        for (std::int64_t h = 0; h < helpers; ++h)
            m_queue.push(work);
    }
    m_cv.notify_all();
    work();
    std::unique_lock lock(shared->mutex);
    shared->cv.wait(lock, [&] { return shared->done.load() == chunks; });
    if (shared->error)
        std::rethrow_exception(shared->error);
}

namespace {
std::mutex g_globalMutex;
std::unique_ptr<ThreadPool> g_global;
} // namespace

ThreadPool& ThreadPool::global() {
    std::lock_guard lock(g_globalMutex);
    if (!g_global)
        g_global = std::make_unique<ThreadPool>(0);
    return *g_global;
}

void ThreadPool::setGlobalThreadCount(unsigned threads) {
    std::lock_guard lock(g_globalMutex);
    g_global = std::make_unique<ThreadPool>(threads);
}

void parallelFor(std::int64_t begin, std::int64_t end, std::int64_t grain,
                 const std::function<void(std::int64_t, std::int64_t)>& fn) {
    ThreadPool::global().parallelFor(begin, end, grain, fn);
}

} // namespace kinema::render
