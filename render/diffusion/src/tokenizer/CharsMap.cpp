// SPDX-License-Identifier: Apache-2.0
#include "tokenizer/UnigramModel.h"

namespace kinema::diffusion::tokenizer {

namespace {

// darts-clone unit layout.
bool hasLeaf(std::uint32_t unit) {
    return (unit >> 8) & 1;
}
std::uint32_t value(std::uint32_t unit) {
    return unit & ((1u << 31) - 1);
}
std::uint32_t label(std::uint32_t unit) {
    return unit & ((1u << 31) | 0xff);
}
std::uint32_t offset(std::uint32_t unit) {
    return (unit >> 10) << ((unit & (1u << 9)) >> 6);
}

} // namespace

CharsMap::CharsMap(std::string blob, const std::string& context) {
    if (blob.empty())
        return;
    if (blob.size() < 4)
        throw TokenizerError(context + ": the precompiled character map is truncated");
    std::uint32_t trieSize = 0;
    for (int i = 0; i < 4; ++i)
        trieSize |= std::uint32_t(static_cast<unsigned char>(blob[i])) << (8 * i);
    if (trieSize % 4 != 0 || trieSize > blob.size() - 4)
        throw TokenizerError(context + ": the precompiled character map declares a trie of " +
                             std::to_string(trieSize) + " bytes in a map of " + std::to_string(blob.size()));
    m_units.resize(trieSize / 4);
    for (std::size_t i = 0; i < m_units.size(); ++i) {
        std::uint32_t unit = 0;
        for (int b = 0; b < 4; ++b)
            unit |= std::uint32_t(static_cast<unsigned char>(blob[4 + 4 * i + b])) << (8 * b);
        m_units[i] = unit;
    }
    m_strings = blob.substr(4 + trieSize);
}

std::size_t CharsMap::longestMatch(std::string_view input, std::string_view& replacement) const {
    if (m_units.empty())
        return 0;
    std::size_t best = 0;
    std::size_t pos = offset(m_units[0]);
    for (std::size_t i = 0; i < input.size(); ++i) {
        const auto c = static_cast<unsigned char>(input[i]);
        pos ^= c;
        if (pos >= m_units.size())
            break;
        const std::uint32_t unit = m_units[pos];
        if (label(unit) != c)
            break;
        pos ^= offset(unit);
        if (pos >= m_units.size())
            break;
        if (hasLeaf(unit)) {
            const std::uint32_t index = value(m_units[pos]);
            if (index < m_strings.size()) {
                const auto end = m_strings.find('\0', index);
                replacement = std::string_view(m_strings).substr(
                    index, end == std::string::npos ? std::string::npos : end - index);
                best = i + 1;
            }
        }
    }
    return best;
}

} // namespace kinema::diffusion::tokenizer
