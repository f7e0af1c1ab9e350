// SPDX-License-Identifier: Apache-2.0
#include "kinema/graph/Hash.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace kinema::graph {
namespace {

constexpr std::uint64_t kPrimeA = 0x9E3779B97F4A7C15ull;
constexpr std::uint64_t kPrimeB = 0xC2B2AE3D27D4EB4Full;
constexpr std::uint64_t kPrimeC = 0x165667B19E3779F9ull;

std::uint64_t avalanche(std::uint64_t x) {
    x ^= x >> 31;
    x *= 0xD6E8FEB86659FD93ull;
    x ^= x >> 29;
    x *= 0xFF51AFD7ED558CCDull;
    x ^= x >> 32;
    return x;
}

std::uint64_t load64(const std::uint8_t* p) {
    std::uint64_t v;
    std::memcpy(&v, p, 8);
    return v;
}

enum : std::uint8_t { kTagBytes = 1, kTagBool, kTagInt, kTagUInt, kTagDouble, kTagHash };

} // namespace

std::string Hash128::toString() const {
    static const char* digits = "0123456789abcdef";
    std::string out(32, '0');
    for (int i = 0; i < 16; ++i) {
        out[15 - i] = digits[(hi >> (4 * i)) & 0xF];
        out[31 - i] = digits[(lo >> (4 * i)) & 0xF];
    }
    return out;
}

Hash128 Hash128::fromString(std::string_view text) {
    if (text.size() != 32)
        throw std::invalid_argument("a hash has 32 hex digits, got '" + std::string(text) + "'");
    Hash128 h;
    for (std::size_t i = 0; i < 32; ++i) {
        char c = text[i];
        std::uint64_t d;
        if (c >= '0' && c <= '9')
            d = static_cast<std::uint64_t>(c - '0');
        else if (c >= 'a' && c <= 'f')
            d = static_cast<std::uint64_t>(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            d = static_cast<std::uint64_t>(c - 'A' + 10);
        else
            throw std::invalid_argument("invalid hex digit in hash '" + std::string(text) + "'");
        std::uint64_t& lane = i < 16 ? h.hi : h.lo;
        lane = (lane << 4) | d;
    }
    return h;
}

Hasher::Hasher()
    : m_h1(0x6A09E667F3BCC908ull)
    , m_h2(0xBB67AE8584CAA73Bull) {}

void Hasher::mixBlock(std::uint64_t a, std::uint64_t b) {
    a *= kPrimeA;
    a = std::rotl(a, 31);
    a *= kPrimeB;
    m_h1 ^= a;
    m_h1 = std::rotl(m_h1, 27) + m_h2;
    m_h1 = m_h1 * 5 + 0x52DCE729;

    b *= kPrimeB;
    b = std::rotl(b, 33);
    b *= kPrimeA;
    m_h2 ^= b;
    m_h2 = std::rotl(m_h2, 31) + m_h1;
    m_h2 = m_h2 * 5 + 0x38495AB5;
}

Hasher& Hasher::appendBytes(const void* data, std::size_t size) {
    auto p = static_cast<const std::uint8_t*>(data);
    m_length += size;
    while (size > 0) {
        if (m_tailSize == 0 && size >= 16) {
            mixBlock(load64(p), load64(p + 8));
            p += 16;
            size -= 16;
            continue;
        }
        std::size_t take = std::min(size, 16 - m_tailSize);
        std::memcpy(m_tail.data() + m_tailSize, p, take);
        m_tailSize += take;
        p += take;
        size -= take;
        if (m_tailSize == 16) {
            mixBlock(load64(m_tail.data()), load64(m_tail.data() + 8));
            m_tailSize = 0;
        }
    }
    return *this;
}

void Hasher::tag(std::uint8_t kind) {
    appendBytes(&kind, 1);
}

Hasher& Hasher::append(std::string_view text) {
    tag(kTagBytes);
    std::uint64_t n = text.size();
    appendBytes(&n, sizeof n);
    return appendBytes(text.data(), text.size());
}

Hasher& Hasher::append(bool value) {
    tag(kTagBool);
    std::uint8_t v = value ? 1 : 0;
    return appendBytes(&v, 1);
}

Hasher& Hasher::append(std::int64_t value) {
    tag(kTagInt);
    return appendBytes(&value, sizeof value);
}

Hasher& Hasher::append(std::uint64_t value) {
    tag(kTagUInt);
    return appendBytes(&value, sizeof value);
}

Hasher& Hasher::append(double value) {
    tag(kTagDouble);
    if (value == 0.0)
        value = 0.0; // folds -0.0
    if (std::isnan(value))
        value = std::numeric_limits<double>::quiet_NaN();
    return appendBytes(&value, sizeof value);
}

Hasher& Hasher::append(const Hash128& value) {
    tag(kTagHash);
    appendBytes(&value.hi, 8);
    return appendBytes(&value.lo, 8);
}

Hash128 Hasher::finish() const {
    std::uint64_t h1 = m_h1;
    std::uint64_t h2 = m_h2;
    std::uint64_t t1 = 0, t2 = 0;
    for (std::size_t i = 0; i < m_tailSize; ++i) {
        if (i < 8)
            t1 |= static_cast<std::uint64_t>(m_tail[i]) << (8 * i);
        else
            t2 |= static_cast<std::uint64_t>(m_tail[i]) << (8 * (i - 8));
    }
    h1 ^= std::rotl(t1 * kPrimeC, 29) * kPrimeA;
    h2 ^= std::rotl(t2 * kPrimeA, 37) * kPrimeC;
    h1 ^= m_length;
    h2 ^= m_length;
    h1 += h2;
    h2 += h1;
    h1 = avalanche(h1);
    h2 = avalanche(h2);
    h1 += h2;
    h2 += h1;
    return Hash128{h1, h2};
}

} // namespace kinema::graph
