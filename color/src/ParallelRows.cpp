// SPDX-License-Identifier: Apache-2.0
#include "ParallelRows.h"

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace kinema::color {

void parallelForRows(int height, int threads, const std::function<void(int, int)>& body) {
    if (height <= 0)
        return;
    constexpr int kMinRowsPerBand = 8;
    threads = std::clamp(threads, 1, std::max(1, height / kMinRowsPerBand));
    if (threads == 1) {
        body(0, height);
        return;
    }
    // About four bands per thread keeps the tail short without much scheduling overhead.
    const int bandRows = std::max(kMinRowsPerBand, (height + threads * 4 - 1) / (threads * 4));
    const int bands = (height + bandRows - 1) / bandRows;
    std::atomic<int> next{0};
    std::exception_ptr failure;
    std::mutex failureMutex;

    auto worker = [&] {
        for (;;) {
            const int band = next.fetch_add(1, std::memory_order_relaxed);
            if (band >= bands)
                return;
            const int first = band * bandRows;
            try {
                body(first, std::min(bandRows, height - first));
            } catch (...) {
                std::lock_guard lock(failureMutex);
                if (!failure)
                    failure = std::current_exception();
                next.store(bands, std::memory_order_relaxed);
            }
        }
    };

    std::vector<std::thread> pool;
    pool.reserve(threads - 1);
    for (int i = 1; i < threads; ++i)
        pool.emplace_back(worker);
    worker();
    for (auto& t : pool)
        t.join();
    if (failure)
        std::rethrow_exception(failure);
}

} // namespace kinema::color
