// SPDX-License-Identifier: Apache-2.0
#include <catch2/catch.hpp>

#include <set>

#include "kinema/graph/Hash.h"

using kinema::graph::Hash128;
using kinema::graph::Hasher;

TEST_CASE("hashes are deterministic and sensitive to every appended value", "[hash]") {
    auto h = [](auto... values) {
        Hasher hasher;
        (hasher.append(values), ...);
        return hasher.finish();
    };
    CHECK(h(std::string("abc"), 1.5) == h(std::string("abc"), 1.5));
    CHECK(h(std::string("abc"), 1.5) != h(std::string("abd"), 1.5));
    CHECK(h(std::string("ab"), std::string("c")) != h(std::string("a"), std::string("bc")));
    CHECK(h(std::int64_t{1}) != h(1.0));
    CHECK(h(0.0) == h(-0.0));
    std::set<Hash128> seen;
    for (int i = 0; i < 10000; ++i)
        seen.insert(h(std::int64_t{i}));
    CHECK(seen.size() == 10000);
}

TEST_CASE("hash text round trip", "[hash]") {
    Hasher hasher;
    hasher.append("x");
    Hash128 a = hasher.finish();
    CHECK(Hash128::fromString(a.toString()) == a);
    CHECK(a.toString().size() == 32);
    CHECK_THROWS(Hash128::fromString("zz"));
}

TEST_CASE("byte streams hash the same whatever the chunking", "[hash]") {
    std::string data(1000, '\0');
    for (std::size_t i = 0; i < data.size(); ++i)
        data[i] = static_cast<char>(i * 7 + 3);
    Hasher whole;
    whole.appendBytes(data.data(), data.size());
    Hasher pieces;
    for (std::size_t i = 0; i < data.size(); i += 13)
        pieces.appendBytes(data.data() + i, std::min<std::size_t>(13, data.size() - i));
    CHECK(whole.finish() == pieces.finish());
}
