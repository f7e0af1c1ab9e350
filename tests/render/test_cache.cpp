// SPDX-License-Identifier: Apache-2.0
#include <catch2/catch.hpp>

#include <atomic>
#include <thread>

#include "kinema/render/ComputeCache.h"

using namespace kinema::render;
using kinema::graph::Hasher;

namespace {
Hash128 key(int i) {
    Hasher h;
    h.append(i);
    return h.finish();
}
ComputeCache::Value blob(std::size_t bytes) {
    return std::make_shared<std::vector<char>>(bytes);
}
std::size_t blobCost(const ComputeCache::Value& v) {
    return static_cast<const std::vector<char>*>(v.get())->size();
}
} // namespace

TEST_CASE("hits, misses and LRU eviction under a byte budget", "[cache]") {
    ComputeCache cache(1000);
    int computes = 0;
    auto get = [&](int i) {
        return cache.getOrCompute(
            key(i),
            [&] {
                ++computes;
                return blob(400);
            },
            blobCost);
    };
    get(1);
    get(2);
    CHECK(computes == 2);
    get(1); // hit, and 1 becomes most recent
    CHECK(computes == 2);
    get(3); // 1200 bytes > 1000: evicts the least recent (2)
    CHECK(cache.stats().bytes == 800);
    CHECK(cache.contains(key(1)));
    CHECK_FALSE(cache.contains(key(2)));
    CHECK(cache.contains(key(3)));
    auto s = cache.stats();
    CHECK(s.hits == 1);
    CHECK(s.misses == 3);
    CHECK(s.evictions == 1);
    // Entries larger than the budget are returned but not kept.
    auto big = cache.getOrCompute(
        key(9), [&] { return blob(5000); }, blobCost);
    CHECK(big);
    CHECK_FALSE(cache.contains(key(9)));
    cache.setBudget(400);
    CHECK(cache.stats().bytes <= 400);
}

TEST_CASE("concurrent requests for one hash compute once", "[cache][concurrency]") {
    ComputeCache cache(1 << 20);
    std::atomic<int> computes{0};
    std::atomic<bool> go{false};
    std::vector<std::thread> threads;
    std::vector<ComputeCache::Value> results(8);
    for (int t = 0; t < 8; ++t)
        threads.emplace_back([&, t] {
            while (!go)
                std::this_thread::yield();
            results[t] = cache.getOrCompute(
                key(5),
                [&] {
                    ++computes;
                    std::this_thread::sleep_for(std::chrono::milliseconds(100));
                    return blob(10);
                },
                blobCost);
        });
    go = true;
    for (auto& t : threads)
        t.join();
    CHECK(computes == 1);
    for (auto& r : results)
        CHECK(r == results[0]);
}

TEST_CASE("errors are not cached", "[cache]") {
    ComputeCache cache(1 << 20);
    int attempts = 0;
    auto failing = [&]() -> ComputeCache::Value {
        ++attempts;
        throw std::runtime_error("disk full");
    };
    CHECK_THROWS_WITH(cache.getOrCompute(key(1), failing, blobCost), "disk full");
    CHECK_THROWS_WITH(cache.getOrCompute(key(1), failing, blobCost), "disk full");
    CHECK(attempts == 2);
    CHECK(cache.stats().entries == 0);
}

TEST_CASE("cache sizes parse like the CLI expects", "[cache]") {
    CHECK(parseByteSize("8G") == 8ull << 30);
    CHECK(parseByteSize("512M") == 512ull << 20);
    CHECK(parseByteSize("1.5GiB") == 3ull << 29);
    CHECK(parseByteSize("1000") == 1000);
    CHECK_THROWS(parseByteSize("lots"));
    CHECK_THROWS(parseByteSize("5Q"));
}

TEST_CASE("a computation may request its own key (pass-through) without deadlock", "[cache]") {
    ComputeCache cache(1 << 20);
    int computes = 0;
    std::function<ComputeCache::Value(int)> nested = [&](int depth) {
        return cache.getOrCompute(
            key(1),
            [&] {
                ++computes;
                return depth == 0 ? blob(8) : nested(depth - 1);
            },
            blobCost);
    };
    CHECK(nested(3));
    CHECK(computes == 4);
    CHECK(cache.contains(key(1)));
}
