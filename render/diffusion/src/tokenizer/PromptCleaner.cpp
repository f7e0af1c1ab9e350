// SPDX-License-Identifier: Apache-2.0
// Wan's prompt cleaning (ftfy subset, HTML unescaping, whitespace) and the padded umT5 id sequence.
#include "kinema/diffusion/Tokenizer.h"
#include "tokenizer/Utf8.h"

#include <algorithm>

namespace kinema::diffusion {

namespace {

using Text = std::u32string;

Text decode(std::string_view utf8) {
    Text out;
    out.reserve(utf8.size());
    while (!utf8.empty()) {
        char32_t c;
        const std::size_t length = tokenizer::decodeUtf8(utf8, c);
        if (length == 0) {
            out += U'\uFFFD';
            utf8.remove_prefix(1);
        } else {
            out += c;
            utf8.remove_prefix(length);
        }
    }
    return out;
}

std::string encode(const Text& text) {
    std::string out;
    out.reserve(text.size());
    for (char32_t c : text)
        tokenizer::appendUtf8(out, c);
    return out;
}

/// Python's str.isspace(), which is what `\s` matches in a str regex.
bool isSpace(char32_t c) {
    return (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x20) || c == 0x85 || c == 0xa0 || c == 0x1680 ||
           (c >= 0x2000 && c <= 0x200a) || c == 0x2028 || c == 0x2029 || c == 0x202f || c == 0x205f ||
           c == 0x3000;
}

Text strip(const Text& text) {
    std::size_t begin = 0;
    std::size_t end = text.size();
    while (begin < end && isSpace(text[begin]))
        ++begin;
    while (end > begin && isSpace(text[end - 1]))
        --end;
    return text.substr(begin, end - begin);
}

struct NamedEntity {
    const char* name;
    char32_t first;
    bool withoutSemicolon; ///< HTML5 also accepts the name without ';'
};

// The named references prompts plausibly contain (html.entities.html5 has 2231; the rest stay literal).
constexpr NamedEntity kEntities[] = {
    {"amp", U'&', true},      {"lt", U'<', true},        {"gt", U'>', true},       {"quot", U'"', true},
    {"apos", U'\'', false},   {"nbsp", 0xa0, true},      {"copy", 0xa9, true},     {"reg", 0xae, true},
    {"trade", 0x2122, false}, {"hellip", 0x2026, false}, {"mdash", 0x2014, false}, {"ndash", 0x2013, false},
    {"lsquo", 0x2018, false}, {"rsquo", 0x2019, false},  {"ldquo", 0x201c, false}, {"rdquo", 0x201d, false},
    {"laquo", 0xab, true},    {"raquo", 0xbb, true},     {"middot", 0xb7, true},   {"bull", 0x2022, false},
    {"deg", 0xb0, true},      {"times", 0xd7, true},     {"divide", 0xf7, true},   {"euro", 0x20ac, false},
    {"pound", 0xa3, true},    {"yen", 0xa5, true},       {"cent", 0xa2, true},     {"sect", 0xa7, true},
    {"para", 0xb6, true},     {"plusmn", 0xb1, true},    {"frac12", 0xbd, true},   {"frac14", 0xbc, true},
    {"frac34", 0xbe, true},   {"iexcl", 0xa1, true},     {"iquest", 0xbf, true},   {"shy", 0xad, true},
    {"micro", 0xb5, true},    {"ensp", 0x2002, false},   {"emsp", 0x2003, false},  {"thinsp", 0x2009, false},
};

// Windows-1252 meanings of C1 code points, which html.unescape uses for numeric references 0x80-0x9f.
constexpr char32_t kCp1252[32] = {0x20ac, 0x81,   0x201a, 0x192,  0x201e, 0x2026, 0x2020, 0x2021,
                                  0x2c6,  0x2030, 0x160,  0x2039, 0x152,  0x8d,   0x17d,  0x8f,
                                  0x90,   0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014,
                                  0x2dc,  0x2122, 0x161,  0x203a, 0x153,  0x9d,   0x17e,  0x178};

bool isAsciiAlnum(char32_t c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/// Python's html.unescape for numeric references and the named references above.
Text unescapeHtml(const Text& text) {
    Text out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] != U'&') {
            out += text[i];
            continue;
        }
        std::size_t j = i + 1;
        if (j < text.size() && text[j] == U'#') {
            const bool hex = j + 1 < text.size() && (text[j + 1] == U'x' || text[j + 1] == U'X');
            std::size_t k = j + (hex ? 2 : 1);
            const std::size_t digitsStart = k;
            std::uint64_t value = 0;
            while (k < text.size() && (hex ? std::isxdigit(static_cast<int>(text[k] < 128 ? text[k] : 0))
                                           : (text[k] >= '0' && text[k] <= '9'))) {
                const char32_t c = text[k];
                const unsigned digit = c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
                value = std::min<std::uint64_t>(value * (hex ? 16 : 10) + digit, 0x110000);
                ++k;
            }
            if (k == digitsStart) {
                out += text[i];
                continue;
            }
            if (k < text.size() && text[k] == U';')
                ++k;
            char32_t c;
            if (value >= 0x80 && value <= 0x9f)
                c = kCp1252[value - 0x80];
            else if (value == 0 || value > 0x10ffff || (value >= 0xd800 && value <= 0xdfff))
                c = 0xfffd;
            else
                c = static_cast<char32_t>(value);
            out += c;
            i = k - 1;
            continue;
        }
        std::size_t k = j;
        while (k < text.size() && k - j < 32 && isAsciiAlnum(text[k]))
            ++k;
        const std::string name(text.begin() + static_cast<std::ptrdiff_t>(j),
                               text.begin() + static_cast<std::ptrdiff_t>(k));
        const bool semicolon = k < text.size() && text[k] == U';';
        const NamedEntity* found = nullptr;
        std::size_t consumed = 0;
        for (const auto& entity : kEntities) {
            const std::size_t length = std::char_traits<char>::length(entity.name);
            if (semicolon && name == entity.name) {
                found = &entity;
                consumed = length + 1;
                break;
            }
            // Legacy names also match as a prefix without ';' ("&ampfoo" -> "&foo"); the longest wins.
            if (entity.withoutSemicolon && name.compare(0, length, entity.name) == 0 && length > consumed) {
                found = &entity;
                consumed = length;
            }
        }
        if (!found) {
            out += text[i];
            continue;
        }
        out += found->first;
        i = j + consumed - 1;
    }
    return out;
}

// Half-width katakana U+FF66..U+FF9F and their NFKC forms.
constexpr std::u32string_view kHalfwidthKatakana =
    U"ヲァィゥェォャュョッーアイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリ"
    U"ルレロワン\u3099\u309a";

/// ftfy's fix_character_width: full-width ASCII, the ideographic space and other half/full-width forms.
void appendWidthFixed(Text& out, char32_t c) {
    if (c >= 0xff01 && c <= 0xff5e) {
        out += c - 0xfee0;
    } else if (c == 0x3000) {
        out += U' ';
    } else if (c >= 0xff66 && c <= 0xff9f) {
        out += kHalfwidthKatakana[c - 0xff66];
    } else {
        switch (c) {
        case 0xff5f:
            out += U'\u2985';
            break;
        case 0xff60:
            out += U'\u2986';
            break;
        case 0xff61:
            out += U'\u3002';
            break;
        case 0xff62:
            out += U'\u300c';
            break;
        case 0xff63:
            out += U'\u300d';
            break;
        case 0xff64:
            out += U'\u3001';
            break;
        case 0xff65:
            out += U'\u30fb';
            break;
        case 0xffe0:
            out += U'\u00a2';
            break;
        case 0xffe1:
            out += U'\u00a3';
            break;
        case 0xffe2:
            out += U'\u00ac';
            break;
        case 0xffe3:
            out += U" \u0304";
            break;
        case 0xffe4:
            out += U'\u00a6';
            break;
        case 0xffe5:
            out += U'\u00a5';
            break;
        case 0xffe6:
            out += U'\u20a9';
            break;
        case 0xffe8:
            out += U'\u2502';
            break;
        case 0xffe9:
            out += U'\u2190';
            break;
        case 0xffea:
            out += U'\u2191';
            break;
        case 0xffeb:
            out += U'\u2192';
            break;
        case 0xffec:
            out += U'\u2193';
            break;
        case 0xffed:
            out += U'\u25a0';
            break;
        case 0xffee:
            out += U'\u25cb';
            break;
        default:
            out += c;
        }
    }
}

bool isRemovedControl(char32_t c) {
    return c <= 0x08 || c == 0x0b || (c >= 0x0e && c <= 0x1f) || c == 0x7f || (c >= 0x206a && c <= 0x206f) ||
           c == 0xfeff || (c >= 0xfff9 && c <= 0xfffc) || (c >= 0x1d173 && c <= 0x1d17a) ||
           (c >= 0xe0000 && c <= 0xe007f);
}

/// One pass of the ftfy steps Kinema reproduces, in ftfy's order.
/// `unescape` is decided once for the whole text, like ftfy's unescape_html="auto" (off if it has a '<').
Text ftfyPass(const Text& input, bool unescape) {
    Text text = unescape ? unescapeHtml(input) : input;
    Text out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        char32_t c = text[i];
        if (c >= 0x80 && c <= 0x9f) // fix_c1_controls: C1 controls are read as Windows-1252
            c = kCp1252[c - 0x80];
        switch (c) { // Latin ligatures
        case 0x132:
            out += U"IJ";
            continue;
        case 0x133:
            out += U"ij";
            continue;
        case 0x149:
            out += U"\u02bcn";
            continue;
        case 0x1f1:
            out += U"DZ";
            continue;
        case 0x1f2:
            out += U"Dz";
            continue;
        case 0x1f3:
            out += U"dz";
            continue;
        case 0x1c4:
            out += U"D\u017d";
            continue;
        case 0x1c5:
            out += U"D\u017e";
            continue;
        case 0x1c6:
            out += U"d\u017e";
            continue;
        case 0x1c7:
            out += U"LJ";
            continue;
        case 0x1c8:
            out += U"Lj";
            continue;
        case 0x1c9:
            out += U"lj";
            continue;
        case 0x1ca:
            out += U"NJ";
            continue;
        case 0x1cb:
            out += U"Nj";
            continue;
        case 0x1cc:
            out += U"nj";
            continue;
        case 0xfb00:
            out += U"ff";
            continue;
        case 0xfb01:
            out += U"fi";
            continue;
        case 0xfb02:
            out += U"fl";
            continue;
        case 0xfb03:
            out += U"ffi";
            continue;
        case 0xfb04:
            out += U"ffl";
            continue;
        case 0xfb05:
            out += U"\u017ft";
            continue;
        case 0xfb06:
            out += U"st";
            continue;
        default:
            break;
        }
        out += c;
    }
    text.clear();
    for (char32_t c : out)
        appendWidthFixed(text, c);
    out.clear();
    for (std::size_t i = 0; i < text.size(); ++i) {
        char32_t c = text[i];
        if (c == 0x2bc || (c >= 0x2018 && c <= 0x201b))
            c = U'\'';
        else if (c >= 0x201c && c <= 0x201f)
            c = U'"';
        if (c == U'\r') { // line breaks: \r\n, \r, U+2028, U+2029, U+0085 -> \n
            if (i + 1 < text.size() && text[i + 1] == U'\n')
                ++i;
            c = U'\n';
        } else if (c == 0x2028 || c == 0x2029 || c == 0x85) {
            c = U'\n';
        }
        if (isRemovedControl(c))
            continue;
        out += c;
    }
    return out;
}

} // namespace

std::string cleanPrompt(std::string_view prompt) {
    Text text = decode(prompt);
    const bool unescape = text.find(U'<') == Text::npos;
    for (int pass = 0; pass < 16; ++pass) { // ftfy repeats its steps until nothing changes
        Text fixed = ftfyPass(text, unescape);
        if (fixed == text)
            break;
        text = std::move(fixed);
    }
    text = strip(unescapeHtml(unescapeHtml(text)));
    Text collapsed;
    collapsed.reserve(text.size());
    for (char32_t c : text) {
        if (isSpace(c)) {
            if (collapsed.empty() || collapsed.back() != U' ')
                collapsed += U' ';
        } else {
            collapsed += c;
        }
    }
    return encode(strip(collapsed));
}

PromptTokens tokenizePrompt(const UnigramTokenizer& tokenizer, std::string_view prompt,
                            std::size_t textLength) {
    if (textLength == 0)
        throw TokenizerError("the text length must be at least 1");
    if (tokenizer.eosId() < 0 || tokenizer.padId() < 0)
        throw TokenizerError("tokenizer '" + tokenizer.source().string() + "' has no </s> or <pad> piece");
    PromptTokens tokens;
    tokens.ids = tokenizer.encode(cleanPrompt(prompt));
    if (tokens.ids.size() > textLength - 1)
        tokens.ids.resize(textLength - 1);
    tokens.ids.push_back(tokenizer.eosId());
    tokens.length = tokens.ids.size();
    tokens.ids.resize(textLength, tokenizer.padId());
    return tokens;
}

} // namespace kinema::diffusion
