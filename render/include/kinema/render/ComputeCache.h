// SPDX-License-Identifier: Apache-2.0
#pragma once
/// The compute cache: results keyed only by their 128-bit content hash.
///
/// Bounded in bytes (each entry costs what its value reports), least-recently-used eviction. Concurrent
/// requests for the same hash compute once (single-flight): the first caller computes, the others wait
/// for its result. Errors and cancellations are never cached; waiters of a failed computation receive the
/// same exception, and a later request computes again. Eviction never touches entries being computed.
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "kinema/graph/Hash.h"

namespace kinema::render {

using graph::Hash128;

struct CacheStats {
    std::uint64_t hits = 0;
    std::uint64_t misses = 0;
    std::uint64_t evictions = 0;
    std::uint64_t waits = 0; ///< requests that waited for another thread's computation
    std::size_t bytes = 0;
    std::size_t entries = 0;
};

/// Default budget: a quarter of physical memory, at most 16 GiB, at least 256 MiB.
std::size_t defaultCacheBytes();
/// Parses sizes such as "8G", "512M", "1.5GiB", "1000000"; throws std::invalid_argument.
std::size_t parseByteSize(const std::string& text);

class ComputeCache {
public:
    using Value = std::shared_ptr<const void>;
    using Cost = std::function<std::size_t(const Value&)>;

    explicit ComputeCache(std::size_t budgetBytes = defaultCacheBytes());

    /// Returns the cached value for `key`, or runs `compute` once for all concurrent callers and caches
    /// the result (cost from `cost`). Exceptions from `compute` propagate and are not cached.
    Value getOrCompute(const Hash128& key, const std::function<Value()>& compute, const Cost& cost);
    /// The cached value or nullptr, counting a hit or miss.
    Value find(const Hash128& key);
    bool contains(const Hash128& key) const;
    void insert(const Hash128& key, Value value, std::size_t cost);

    void setBudget(std::size_t bytes);
    std::size_t budget() const;
    void clear();
    CacheStats stats() const;

private:
    struct Entry {
        Value value;
        std::size_t cost = 0;
        std::list<Hash128>::iterator lru;
    };
    struct InFlight {
        bool done = false;
        Value value;
        std::exception_ptr error;
        std::condition_variable cv;
        std::thread::id owner;
    };
    void evictLocked();
    void insertLocked(const Hash128& key, Value value, std::size_t cost);

    mutable std::mutex m_mutex;
    std::unordered_map<Hash128, Entry, graph::Hash128Hasher> m_entries;
    std::unordered_map<Hash128, std::shared_ptr<InFlight>, graph::Hash128Hasher> m_inFlight;
    std::list<Hash128> m_lru; // front = most recent
    std::size_t m_budget;
    std::size_t m_bytes = 0;
    CacheStats m_stats;
};

} // namespace kinema::render
