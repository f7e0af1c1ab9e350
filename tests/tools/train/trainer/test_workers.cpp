// SPDX-License-Identifier: Apache-2.0
// SampleWorkers: every worker runs each job once, concurrently, and errors reach the caller.
#include "Workers.h"

#include <catch2/catch.hpp>

#include <atomic>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>

using kinema::trainer::detail::SampleWorkers;

TEST_CASE("trainer workers: each job runs once on every worker, on distinct threads", "[trainer]") {
    SampleWorkers workers(3);
    REQUIRE(workers.count() == 3);
    for (int round = 0; round < 20; ++round) {
        std::atomic<int> calls{0}, mask{0};
        std::mutex m;
        std::set<std::thread::id> ids;
        workers.run([&](int w) {
            ++calls;
            mask |= 1 << w;
            std::lock_guard lock(m);
            ids.insert(std::this_thread::get_id());
        });
        CHECK(calls == 3);
        CHECK(mask == 7);
        CHECK(ids.size() == 3);
        CHECK(ids.count(std::this_thread::get_id()) == 1); // worker 0 is the caller
    }
}

TEST_CASE("trainer workers: an exception in a worker reaches the caller and the pool stays usable",
          "[trainer]") {
    SampleWorkers workers(2);
    CHECK_THROWS_WITH(workers.run([](int w) {
        if (w == 1)
            throw std::runtime_error("sample 1 failed");
    }),
                      "sample 1 failed");
    CHECK_THROWS_WITH(workers.run([](int w) { throw std::runtime_error("worker " + std::to_string(w)); }),
                      "worker 0");
    std::atomic<int> calls{0};
    workers.run([&](int) { ++calls; });
    CHECK(calls == 2);
    CHECK(SampleWorkers(0).count() == 1);
}
