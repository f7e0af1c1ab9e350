// SPDX-License-Identifier: Apache-2.0
#include "io/StrictJson.h"

#include <cstdint>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace kinema::diffusion {

nlohmann::json parseStrictJson(std::string_view text, int maxDepth) {
    // One key set per open object; arrays push an empty marker so the stack mirrors the nesting.
    std::vector<std::set<std::string>> keys;
    std::vector<bool> isObject;
    auto callback = [&](int depth, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
        using Event = nlohmann::json::parse_event_t;
        switch (event) {
        case Event::object_start:
        case Event::array_start:
            if (static_cast<int>(isObject.size()) >= maxDepth)
                throw std::runtime_error("JSON nesting deeper than " + std::to_string(maxDepth));
            isObject.push_back(event == Event::object_start);
            keys.emplace_back();
            break;
        case Event::object_end:
        case Event::array_end:
            if (!isObject.empty()) {
                isObject.pop_back();
                keys.pop_back();
            }
            break;
        case Event::key: {
            const auto& key = parsed.get_ref<const std::string&>();
            if (keys.empty() || !keys.back().insert(key).second)
                throw std::runtime_error("duplicate JSON key \"" + key + "\"");
            break;
        }
        case Event::value:
            break;
        }
        (void)depth;
        return true;
    };
    try {
        return nlohmann::json::parse(text.begin(), text.end(), callback, /*allow_exceptions=*/true);
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
