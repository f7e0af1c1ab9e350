// SPDX-License-Identifier: Apache-2.0
#include "io/StrictJson.h"

#include <cstdint>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace kinema::diffusion {

namespace {

/// SAX pass that rejects duplicate keys, excessive nesting and oversized objects before any DOM is built
/// (nlohmann's parser callbacks are quadratic in the size of an object, so they are not used).
class StrictChecker {
public:
    StrictChecker(int maxDepth, std::size_t maxMembers)
        : m_maxDepth(maxDepth)
        , m_maxMembers(maxMembers) {}

    bool null() { return true; }
    bool boolean(bool) { return true; }
    bool number_integer(nlohmann::json::number_integer_t) { return true; }
    bool number_unsigned(nlohmann::json::number_unsigned_t) { return true; }
    bool number_float(nlohmann::json::number_float_t, const std::string&) { return true; }
    bool string(std::string&) { return true; }
    bool binary(nlohmann::json::binary_t&) { return true; }
    bool start_object(std::size_t) { return open(true); }
    bool start_array(std::size_t) { return open(false); }
    bool end_object() { return close(); }
    bool end_array() { return close(); }
    bool key(std::string& key) {
        auto& keys = m_keys.back();
        if (!keys.insert(key).second)
            throw std::runtime_error("duplicate JSON key \"" + key + "\"");
        if (keys.size() > m_maxMembers)
            throw JsonTooManyMembers("a JSON object has more than " + std::to_string(m_maxMembers) +
                                     " members");
        return true;
    }
    bool parse_error(std::size_t, const std::string&, const nlohmann::json::exception& e) {
        throw std::runtime_error(std::string("invalid JSON: ") + e.what());
    }

private:
    bool open(bool object) {
        if (static_cast<int>(m_keys.size()) >= m_maxDepth)
            throw std::runtime_error("JSON nesting deeper than " + std::to_string(m_maxDepth));
        m_keys.emplace_back(); // arrays get an unused set so the stack mirrors the nesting
        (void)object;
        return true;
    }
    bool close() {
        m_keys.pop_back();
        return true;
    }

    int m_maxDepth;
    std::size_t m_maxMembers;
    std::vector<std::set<std::string>> m_keys;
};

} // namespace

nlohmann::json parseStrictJson(std::string_view text, int maxDepth, std::size_t maxMembers) {
    StrictChecker checker(maxDepth, maxMembers);
    try {
        nlohmann::json::sax_parse(text.begin(), text.end(), &checker);
        return nlohmann::json::parse(text.begin(), text.end());
    } catch (const nlohmann::json::exception& e) {
        throw std::runtime_error(std::string("invalid JSON: ") + e.what());
    }
}

bool isValidUtf8(std::string_view text) {
    const auto* s = reinterpret_cast<const unsigned char*>(text.data());
    const std::size_t n = text.size();
    std::size_t i = 0;
    while (i < n) {
        const unsigned char c = s[i];
        if (c < 0x80) {
            ++i;
            continue;
        }
        int extra = 0;
        std::uint32_t cp = 0;
        if (c >= 0xC2 && c <= 0xDF) {
            extra = 1;
            cp = c & 0x1F;
        } else if (c >= 0xE0 && c <= 0xEF) {
            extra = 2;
            cp = c & 0x0F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            extra = 3;
            cp = c & 0x07;
        } else {
            return false;
        }
        if (n - i <= static_cast<std::size_t>(extra))
            return false;
        for (int k = 1; k <= extra; ++k) {
            const unsigned char cc = s[i + k];
            if ((cc & 0xC0) != 0x80)
                return false;
            cp = (cp << 6) | (cc & 0x3F);
        }
        if ((extra == 2 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
            (extra == 3 && (cp < 0x10000 || cp > 0x10FFFF)))
            return false;
        i += extra + 1;
    }
    return true;
}

} // namespace kinema::diffusion
