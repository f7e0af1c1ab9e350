// SPDX-License-Identifier: Apache-2.0
#pragma once
/// 128-bit content hashes.
///
/// Every output in Kinema is identified by a Hash128 built from the node's type and version, its parameter
/// values at the requested frame, its inputs' hashes and the context items it reads. Caches are keyed by
/// this hash only, so identical sub-graphs share entries and undo brings back cache hits. The hasher is a
/// streaming two-lane multiply/rotate mixer with a strong finaliser; it is not cryptographic and must not
/// be used where an adversary chooses inputs to collide.
#include <array>
#include <cstdint>
#include <cstring>
#include <functional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace kinema::graph {

struct Hash128 {
    std::uint64_t hi = 0;
    std::uint64_t lo = 0;

    bool operator==(const Hash128&) const = default;
    auto operator<=>(const Hash128&) const = default;
    bool isZero() const { return hi == 0 && lo == 0; }
    /// 32 lowercase hex digits.
    std::string toString() const;
    /// Parses 32 hex digits; throws std::invalid_argument otherwise.
    static Hash128 fromString(std::string_view text);
};

/// Streaming hasher. Appending the same sequence of values always yields the same Hash128; values are
/// length- and type-tagged so that ("ab","c") and ("a","bc") differ.
class Hasher {
public:
    Hasher();

    Hasher& appendBytes(const void* data, std::size_t size);
    Hasher& append(std::string_view text);
    Hasher& append(const std::string& text) { return append(std::string_view(text)); }
    Hasher& append(const char* text) { return append(std::string_view(text)); }
    Hasher& append(bool value);
    Hasher& append(std::int64_t value);
    Hasher& append(std::uint64_t value);
    Hasher& append(int value) { return append(static_cast<std::int64_t>(value)); }
    Hasher& append(unsigned value) { return append(static_cast<std::uint64_t>(value)); }
    /// Doubles are hashed by value; -0.0 and 0.0 hash alike, all NaNs hash alike.
    Hasher& append(double value);
    Hasher& append(float value) { return append(static_cast<double>(value)); }
    Hasher& append(const Hash128& value);
    template <typename T, std::size_t N>
    Hasher& append(const std::array<T, N>& values) {
        append(static_cast<std::uint64_t>(N));
        for (const auto& v : values)
            append(v);
        return *this;
    }

    Hash128 finish() const;

private:
    void mixBlock(std::uint64_t a, std::uint64_t b);
    void tag(std::uint8_t kind);

    std::uint64_t m_h1;
    std::uint64_t m_h2;
    std::uint64_t m_length = 0;
    std::array<std::uint8_t, 16> m_tail{};
    std::size_t m_tailSize = 0;
};

struct Hash128Hasher {
    std::size_t operator()(const Hash128& h) const noexcept {
        return static_cast<std::size_t>(h.lo ^ (h.hi * 31));
    }
};

} // namespace kinema::graph
