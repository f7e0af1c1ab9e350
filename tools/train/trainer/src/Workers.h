// SPDX-License-Identifier: Apache-2.0
#pragma once
// Persistent worker threads for data-parallel training steps.
//
// The demo model's ops are small: one op gains nothing from a second core, while OpenMP's hand-offs cost
// more than the op (a 2-thread step measured twice as slow as a 1-thread one). So every op runs on the
// thread that calls it, with one intra-op thread, and parallelism comes from running different samples of
// a batch on different threads. The threads live as long as the pool, so their per-thread state (OpenMP
// settings, oneDNN's primitive cache) is set up once.
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace kinema::trainer::detail {

class SampleWorkers {
public:
    /// `count` workers (>= 1); the calling thread is worker 0, so count - 1 threads are started. Sets
    /// libtorch to `intraOpThreads` threads per op on every worker (and OpenBLAS, when it is the BLAS, to
    /// one thread when that is 1). More than one intra-op thread only serves to reproduce checkpoints of
    /// runs that used it: ops of this size run faster on one.
    explicit SampleWorkers(int count, int intraOpThreads = 1);
    ~SampleWorkers();
    SampleWorkers(const SampleWorkers&) = delete;
    SampleWorkers& operator=(const SampleWorkers&) = delete;

    int count() const { return m_count; }

    /// Runs `job(worker)` for every worker concurrently and returns when all are done; rethrows the
    /// exception of the lowest-numbered worker that threw.
    void run(const std::function<void(int worker)>& job);

private:
    void loop(int worker);

    int m_count = 1;
    int m_intraOpThreads = 1;
    std::vector<std::thread> m_threads;
    std::mutex m_mutex;
    std::condition_variable m_wake, m_done;
    const std::function<void(int)>* m_job = nullptr;
    unsigned long m_generation = 0;
    int m_pending = 0;
    bool m_stop = false;
    std::vector<std::exception_ptr> m_errors;
};

/// Runs `job(i)` for every index i below `count`: index i on worker i mod workers->count(), or all of them in
/// order on the calling thread when `workers` is null. `job` may only read shared state and write its own
/// index's results.
void forEachIndex(std::int64_t count, SampleWorkers* workers, const std::function<void(std::int64_t)>& job);

} // namespace kinema::trainer::detail
