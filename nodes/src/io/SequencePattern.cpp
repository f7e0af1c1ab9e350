// SPDX-License-Identifier: Apache-2.0
#include "kinema/nodes/SequencePattern.h"

#include <algorithm>
#include <cctype>
#include <cstdio>

namespace kinema::nodes {

namespace fs = std::filesystem;

SequencePattern::SequencePattern(std::string pattern)
    : m_pattern(std::move(pattern)) {
    // The frame token is searched in the file name only, the last one wins (directories may contain '#').
    std::size_t nameStart = m_pattern.find_last_of('/');
    nameStart = nameStart == std::string::npos ? 0 : nameStart + 1;
    for (std::size_t i = m_pattern.size(); i-- > nameStart;) {
        if (m_pattern[i] == '#') {
            std::size_t j = i;
            while (j > nameStart && m_pattern[j - 1] == '#')
                --j;
            m_tokenPos = j;
            m_tokenLength = i - j + 1;
            m_padding = m_tokenLength == 1 ? 0 : static_cast<int>(m_tokenLength);
            return;
        }
        if (m_pattern[i] == 'd' && i > nameStart) {
            std::size_t j = i;
            while (j > nameStart && std::isdigit(static_cast<unsigned char>(m_pattern[j - 1])))
                --j;
            if (j > nameStart && m_pattern[j - 1] == '%') {
                m_tokenPos = j - 1;
                m_tokenLength = i - m_tokenPos + 1;
                std::string digits = m_pattern.substr(j, i - j);
                m_padding = digits.empty() ? 0 : std::min(16, std::stoi(digits));
                return;
            }
        }
    }
}

std::string SequencePattern::pathForFrame(std::int64_t frame) const {
    if (!hasFrameToken())
        return m_pattern;
    std::string digits = std::to_string(frame < 0 ? -frame : frame);
    if (static_cast<int>(digits.size()) < m_padding)
        digits.insert(0, static_cast<std::size_t>(m_padding) - digits.size(), '0');
    if (frame < 0)
        digits.insert(0, "-");
    return m_pattern.substr(0, m_tokenPos) + digits + m_pattern.substr(m_tokenPos + m_tokenLength);
}

std::optional<std::int64_t> SequencePattern::frameOf(const std::string& path) const {
    if (!hasFrameToken())
        return std::nullopt;
    const std::string prefix = m_pattern.substr(0, m_tokenPos);
    const std::string suffix = m_pattern.substr(m_tokenPos + m_tokenLength);
    if (path.size() <= prefix.size() + suffix.size() || path.compare(0, prefix.size(), prefix) != 0 ||
        path.compare(path.size() - suffix.size(), suffix.size(), suffix) != 0)
        return std::nullopt;
    std::string middle = path.substr(prefix.size(), path.size() - prefix.size() - suffix.size());
    bool negative = !middle.empty() && middle[0] == '-';
    std::string digits = negative ? middle.substr(1) : middle;
    if (digits.empty() || digits.size() > 12 || !std::all_of(digits.begin(), digits.end(), [](char c) {
            return std::isdigit(static_cast<unsigned char>(c));
        }))
        return std::nullopt;
    if (m_padding > 0 && static_cast<int>(digits.size()) < m_padding)
        return std::nullopt;
    if (m_padding > 0 && static_cast<int>(digits.size()) > m_padding && digits[0] == '0')
        return std::nullopt;
    std::int64_t value = std::stoll(digits);
    return negative ? -value : value;
}

std::vector<std::int64_t> SequencePattern::framesOnDisk() const {
    std::vector<std::int64_t> frames;
    if (!hasFrameToken())
        return frames;
    fs::path dir = fs::path(m_pattern).parent_path();
    std::error_code ec;
    for (auto& entry : fs::directory_iterator(dir.empty() ? fs::path(".") : dir, ec)) {
        std::string p =
            dir.empty() ? entry.path().filename().string() : (dir / entry.path().filename()).string();
        if (auto f = frameOf(p))
            frames.push_back(*f);
    }
    std::sort(frames.begin(), frames.end());
    return frames;
}

} // namespace kinema::nodes
