// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Small UTF-8 helpers for the tokenizer (private).
#include <cstddef>
#include <string>
#include <string_view>

namespace kinema::diffusion::tokenizer {

/// Byte length of the character starting with `lead`, as sentencepiece counts it (1 for stray bytes).
inline std::size_t utf8LeadLength(unsigned char lead) {
    static constexpr unsigned char kLengths[16] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4};
    return kLengths[lead >> 4];
}

/// Decodes one code point at the start of `text`; returns its byte length, or 0 if the bytes are not valid
/// UTF-8 (truncated, overlong, surrogate or above U+10FFFF).
inline std::size_t decodeUtf8(std::string_view text, char32_t& codePoint) {
    if (text.empty())
        return 0;
    const auto b0 = static_cast<unsigned char>(text[0]);
    if (b0 < 0x80) {
        codePoint = b0;
        return 1;
    }
    std::size_t length;
    char32_t value;
    char32_t minimum;
    if ((b0 & 0xe0) == 0xc0) {
        length = 2, value = b0 & 0x1f, minimum = 0x80;
    } else if ((b0 & 0xf0) == 0xe0) {
        length = 3, value = b0 & 0x0f, minimum = 0x800;
    } else if ((b0 & 0xf8) == 0xf0) {
        length = 4, value = b0 & 0x07, minimum = 0x10000;
    } else {
        return 0;
    }
    if (text.size() < length)
        return 0;
    for (std::size_t i = 1; i < length; ++i) {
        const auto b = static_cast<unsigned char>(text[i]);
        if ((b & 0xc0) != 0x80)
            return 0;
        value = (value << 6) | (b & 0x3f);
    }
    if (value < minimum || value > 0x10ffff || (value >= 0xd800 && value <= 0xdfff))
        return 0;
    codePoint = value;
    return length;
}

inline void appendUtf8(std::string& out, char32_t c) {
    if (c < 0x80) {
        out += static_cast<char>(c);
    } else if (c < 0x800) {
        out += static_cast<char>(0xc0 | (c >> 6));
        out += static_cast<char>(0x80 | (c & 0x3f));
    } else if (c < 0x10000) {
        out += static_cast<char>(0xe0 | (c >> 12));
        out += static_cast<char>(0x80 | ((c >> 6) & 0x3f));
        out += static_cast<char>(0x80 | (c & 0x3f));
    } else {
        out += static_cast<char>(0xf0 | (c >> 18));
        out += static_cast<char>(0x80 | ((c >> 12) & 0x3f));
        out += static_cast<char>(0x80 | ((c >> 6) & 0x3f));
        out += static_cast<char>(0x80 | (c & 0x3f));
    }
}

} // namespace kinema::diffusion::tokenizer
