// SPDX-License-Identifier: Apache-2.0
#pragma once
/// A small synchronous signal/slot mechanism for change notification in the core.
///
/// The core never depends on Qt; the GUI bridges these signals to Qt signals. Slots run on the thread that
/// emits, in connection order. A slot may disconnect itself (or others) while the signal is emitted.
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

namespace kinema::graph {

/// Handle returned by Signal::connect. Disconnects on disconnect(); copying shares the same connection.
class Connection {
public:
    Connection() = default;
    explicit Connection(std::weak_ptr<bool> alive)
        : m_alive(std::move(alive)) {}
    void disconnect() {
        if (auto a = m_alive.lock())
            *a = false;
    }
    bool connected() const {
        auto a = m_alive.lock();
        return a && *a;
    }

private:
    std::weak_ptr<bool> m_alive;
};

/// Disconnects when destroyed: hold one in an observer whose lifetime is shorter than the signal's.
class ScopedConnection {
public:
    ScopedConnection() = default;
    ScopedConnection(Connection c)
        : m_connection(std::move(c)) {}
    ScopedConnection(ScopedConnection&&) = default;
    ScopedConnection& operator=(ScopedConnection&& other) {
        m_connection.disconnect();
        m_connection = std::move(other.m_connection);
        return *this;
    }
    ~ScopedConnection() { m_connection.disconnect(); }

private:
    Connection m_connection;
};

template <typename... Args>
class Signal {
public:
    using Slot = std::function<void(Args...)>;

    Connection connect(Slot slot) {
        std::lock_guard lock(m_mutex);
        auto alive = std::make_shared<bool>(true);
        m_slots.push_back({alive, std::move(slot)});
        return Connection(alive);
    }

    void emit(Args... args) const {
        std::vector<Entry> snapshot;
        {
            std::lock_guard lock(m_mutex);
            snapshot = m_slots;
        }
        for (auto& entry : snapshot)
            if (*entry.alive)
                entry.slot(args...);
        std::lock_guard lock(m_mutex);
        std::erase_if(m_slots, [](const Entry& e) { return !*e.alive; });
    }

    std::size_t slotCount() const {
        std::lock_guard lock(m_mutex);
        std::size_t n = 0;
        for (auto& e : m_slots)
            n += *e.alive ? 1 : 0;
        return n;
    }

private:
    struct Entry {
        std::shared_ptr<bool> alive;
        Slot slot;
    };
    mutable std::mutex m_mutex;
    mutable std::vector<Entry> m_slots;
};

} // namespace kinema::graph
