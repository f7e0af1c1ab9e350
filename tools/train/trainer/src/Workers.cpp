// SPDX-License-Identifier: Apache-2.0
#include "Workers.h"

#include <ATen/Parallel.h>

#include <dlfcn.h>

namespace kinema::trainer::detail {

namespace {

/// Intra-op threads of libtorch on the calling thread (OpenMP's thread count is per thread).
void useIntraOpThreads(int threads) {
    at::set_num_threads(threads);
}

/// OpenBLAS keeps its own thread pool; when it is the BLAS libtorch uses, make it single-threaded too.
void useSingleThreadedBlas() {
    using SetThreads = void (*)(int);
    if (auto* set = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads")))
        set(1);
}

} // namespace

SampleWorkers::SampleWorkers(int count, int intraOpThreads)
    : m_count(count < 1 ? 1 : count)
    , m_intraOpThreads(intraOpThreads < 1 ? 1 : intraOpThreads)
    , m_errors(static_cast<std::size_t>(m_count)) {
    if (m_intraOpThreads == 1)
        useSingleThreadedBlas();
    useIntraOpThreads(m_intraOpThreads);
    for (int w = 1; w < m_count; ++w)
        m_threads.emplace_back([this, w] { loop(w); });
}

SampleWorkers::~SampleWorkers() {
    {
        std::lock_guard lock(m_mutex);
        m_stop = true;
    }
    m_wake.notify_all();
    for (auto& t : m_threads)
        t.join();
}

void SampleWorkers::loop(int worker) {
    useIntraOpThreads(m_intraOpThreads);
    unsigned long seen = 0;
    for (;;) {
        const std::function<void(int)>* job = nullptr;
        {
            std::unique_lock lock(m_mutex);
            m_wake.wait(lock, [&] { return m_stop || m_generation != seen; });
            if (m_stop)
                return;
            seen = m_generation;
            job = m_job;
        }
        std::exception_ptr error;
        try {
            (*job)(worker);
        } catch (...) {
            error = std::current_exception();
        }
        {
            std::lock_guard lock(m_mutex);
            m_errors[static_cast<std::size_t>(worker)] = error;
            if (--m_pending == 0)
                m_done.notify_all();
        }
    }
}

void SampleWorkers::run(const std::function<void(int worker)>& job) {
    {
        std::lock_guard lock(m_mutex);
        m_job = &job;
        m_pending = m_count - 1;
        ++m_generation;
        for (auto& e : m_errors)
            e = nullptr;
    }
    m_wake.notify_all();
    std::exception_ptr own;
    try {
        job(0);
    } catch (...) {
        own = std::current_exception();
    }
    std::unique_lock lock(m_mutex);
    m_done.wait(lock, [&] { return m_pending == 0; });
    m_errors[0] = own;
    for (const auto& e : m_errors)
        if (e)
            std::rethrow_exception(e);
}

void forEachIndex(std::int64_t count, SampleWorkers* workers, const std::function<void(std::int64_t)>& job) {
    if (!workers) {
        for (std::int64_t i = 0; i < count; ++i)
            job(i);
        return;
    }
    workers->run([&](int worker) {
        for (std::int64_t i = worker; i < count; i += workers->count())
            job(i);
    });
}

} // namespace kinema::trainer::detail
