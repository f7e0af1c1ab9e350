// SPDX-License-Identifier: Apache-2.0
#include <catch2/catch.hpp>

#include <atomic>

#include "kinema/render/ThreadPool.h"

using namespace kinema::render;

TEST_CASE("parallelFor covers the range exactly once, nested too", "[threads]") {
    ThreadPool pool(3);
    std::vector<std::atomic<int>> hits(1000);
    pool.parallelFor(0, 1000, 7, [&](std::int64_t b, std::int64_t e) {
        for (auto i = b; i < e; ++i)
            ++hits[static_cast<std::size_t>(i)];
    });
    for (auto& h : hits)
        CHECK(h == 1);
    std::atomic<int> total{0};
    pool.parallelFor(0, 16, 1, [&](std::int64_t b, std::int64_t e) {
        for (auto i = b; i < e; ++i)
            pool.parallelFor(0, 100, 10,
                             [&](std::int64_t b2, std::int64_t e2) { total += static_cast<int>(e2 - b2); });
    });
    CHECK(total == 1600);
}

TEST_CASE("parallelFor rethrows an exception from a chunk", "[threads]") {
    ThreadPool pool(2);
    CHECK_THROWS_WITH(pool.parallelFor(0, 100, 1,
                                       [&](std::int64_t b, std::int64_t) {
                                           if (b >= 50)
                                               throw std::runtime_error("chunk failed");
                                       }),
                      "chunk failed");
}
