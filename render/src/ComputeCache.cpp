// SPDX-License-Identifier: Apache-2.0
#include "kinema/render/ComputeCache.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <stdexcept>
#include <string>
#include <thread>
#include <unistd.h>

namespace kinema::render {

std::size_t defaultCacheBytes() {
    long pages = ::sysconf(_SC_PHYS_PAGES);
    long pageSize = ::sysconf(_SC_PAGE_SIZE);
    std::size_t ram = pages > 0 && pageSize > 0
                          ? static_cast<std::size_t>(pages) * static_cast<std::size_t>(pageSize)
                          : (std::size_t(4) << 30);
    return std::clamp(ram / 4, std::size_t(256) << 20, std::size_t(16) << 30);
}

std::size_t parseByteSize(const std::string& text) {
    std::size_t pos = 0;
    double number = 0.0;
    try {
        number = std::stod(text, &pos);
    } catch (...) {
        throw std::invalid_argument("invalid size '" + text + "' (examples: 8G, 512M, 1000000)");
    }
    std::string unit = text.substr(pos);
    std::transform(unit.begin(), unit.end(), unit.begin(), [](unsigned char c) { return std::toupper(c); });
    double scale = 1.0;
    if (unit.empty() || unit == "B")
        scale = 1.0;
    else if (unit == "K" || unit == "KB" || unit == "KIB")
        scale = 1024.0;
    else if (unit == "M" || unit == "MB" || unit == "MIB")
        scale = 1024.0 * 1024.0;
    else if (unit == "G" || unit == "GB" || unit == "GIB")
        scale = 1024.0 * 1024.0 * 1024.0;
    else if (unit == "T" || unit == "TB" || unit == "TIB")
        scale = 1024.0 * 1024.0 * 1024.0 * 1024.0;
    else
        throw std::invalid_argument("invalid size unit in '" + text + "' (use K, M, G or T)");
    double bytes = number * scale;
    if (!std::isfinite(bytes) || bytes < 0 || bytes > 1e18)
        throw std::invalid_argument("invalid size '" + text + "'");
    return static_cast<std::size_t>(bytes);
}

ComputeCache::ComputeCache(std::size_t budgetBytes)
    : m_budget(budgetBytes) {}

ComputeCache::Value ComputeCache::find(const Hash128& key) {
    std::lock_guard lock(m_mutex);
    auto it = m_entries.find(key);
    if (it == m_entries.end()) {
        ++m_stats.misses;
        return nullptr;
    }
    ++m_stats.hits;
    m_lru.splice(m_lru.begin(), m_lru, it->second.lru);
    return it->second.value;
}

bool ComputeCache::contains(const Hash128& key) const {
    std::lock_guard lock(m_mutex);
    return m_entries.count(key) != 0;
}

void ComputeCache::insertLocked(const Hash128& key, Value value, std::size_t cost) {
    auto it = m_entries.find(key);
    if (it != m_entries.end()) {
        m_bytes -= it->second.cost;
        m_lru.erase(it->second.lru);
        m_entries.erase(it);
    }
    if (cost > m_budget)
        return; // larger than the whole budget: hand it out but do not keep it
    m_lru.push_front(key);
    m_entries.emplace(key, Entry{std::move(value), cost, m_lru.begin()});
    m_bytes += cost;
    evictLocked();
}

void ComputeCache::insert(const Hash128& key, Value value, std::size_t cost) {
    std::lock_guard lock(m_mutex);
    insertLocked(key, std::move(value), cost);
}

void ComputeCache::evictLocked() {
    while (m_bytes > m_budget && !m_lru.empty()) {
        Hash128 victim = m_lru.back();
        m_lru.pop_back();
        auto it = m_entries.find(victim);
        m_bytes -= it->second.cost;
        m_entries.erase(it);
        ++m_stats.evictions;
    }
}

ComputeCache::Value ComputeCache::getOrCompute(const Hash128& key, const std::function<Value()>& compute,
                                               const Cost& cost) {
    std::shared_ptr<InFlight> flight;
    {
        std::unique_lock lock(m_mutex);
        auto it = m_entries.find(key);
        if (it != m_entries.end()) {
            ++m_stats.hits;
            m_lru.splice(m_lru.begin(), m_lru, it->second.lru);
            return it->second.value;
        }
        auto fl = m_inFlight.find(key);
        if (fl != m_inFlight.end() && fl->second->owner == std::this_thread::get_id()) {
            // This thread is already computing `key` further up its stack: a pass-through node shares its
            // input's hash. Equal keys mean equal results, so compute directly instead of waiting on itself.
            lock.unlock();
            return compute();
        }
        if (fl != m_inFlight.end()) {
            ++m_stats.waits;
            auto waiting = fl->second;
            waiting->cv.wait(lock, [&] { return waiting->done; });
            if (waiting->error)
                std::rethrow_exception(waiting->error);
            return waiting->value;
        }
        ++m_stats.misses;
        flight = std::make_shared<InFlight>();
        flight->owner = std::this_thread::get_id();
        m_inFlight.emplace(key, flight);
    }

    Value value;
    std::exception_ptr error;
    try {
        value = compute();
    } catch (...) {
        error = std::current_exception();
    }
    std::size_t valueCost = 0;
    if (!error && value) {
        try {
            valueCost = cost(value);
        } catch (...) {
            error = std::current_exception();
        }
    }

    std::lock_guard lock(m_mutex);
    flight->done = true;
    flight->error = error;
    flight->value = value;
    m_inFlight.erase(key);
    if (!error && value)
        insertLocked(key, value, valueCost);
    flight->cv.notify_all();
    if (error)
        std::rethrow_exception(error);
    return value;
}

void ComputeCache::setBudget(std::size_t bytes) {
    std::lock_guard lock(m_mutex);
    m_budget = bytes;
    evictLocked();
}

std::size_t ComputeCache::budget() const {
    std::lock_guard lock(m_mutex);
    return m_budget;
}

void ComputeCache::clear() {
    std::lock_guard lock(m_mutex);
    m_entries.clear();
    m_lru.clear();
    m_bytes = 0;
}

CacheStats ComputeCache::stats() const {
    std::lock_guard lock(m_mutex);
    CacheStats s = m_stats;
    s.bytes = m_bytes;
    s.entries = m_entries.size();
    return s;
}

} // namespace kinema::render
