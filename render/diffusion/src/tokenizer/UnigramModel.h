// SPDX-License-Identifier: Apache-2.0
#pragma once
/// The tokenizer model shared by the `.model` and `tokenizer.json` readers (private to the tokenizer).
#include "kinema/diffusion/Tokenizer.h"

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace kinema::diffusion::tokenizer {

/// Hash that lets string-keyed maps be searched with string_views (no temporary strings).
struct StringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view text) const { return std::hash<std::string_view>{}(text); }
};
using PieceMap = std::unordered_map<std::string, std::int32_t, StringHash, std::equal_to<>>;

/// sentencepiece's ModelProto.SentencePiece.Type values.
enum class PieceType : std::uint8_t {
    Normal = 1,
    Unknown = 2,
    Control = 3,
    UserDefined = 4,
    Unused = 5,
    Byte = 6
};

struct Piece {
    std::string text;
    float score = 0.0f;
    PieceType type = PieceType::Normal;
};

/// sentencepiece's precompiled character map: a darts-clone double-array trie over UTF-8 input whose
/// values index NUL-terminated replacement strings. Lookups are bounds-checked.
class CharsMap {
public:
    CharsMap() = default;
    /// Parses `<uint32 trie size><trie units><replacement strings>`; throws TokenizerError naming `context`.
    CharsMap(std::string blob, const std::string& context);
    bool empty() const { return m_units.empty(); }
    /// Longest rule matching a prefix of `input`: sets `replacement` and returns the matched byte length,
    /// or 0 when no rule applies.
    std::size_t longestMatch(std::string_view input, std::string_view& replacement) const;

private:
    std::vector<std::uint32_t> m_units;
    std::string m_strings;
};

struct NormalizerSettings {
    CharsMap charsMap;
    bool addDummyPrefix = true;
    bool removeExtraWhitespaces = true;
    bool escapeWhitespaces = true;
};

} // namespace kinema::diffusion::tokenizer

namespace kinema::diffusion {

struct UnigramTokenizer::Model {
    std::filesystem::path source;
    std::vector<tokenizer::Piece> pieces;
    tokenizer::NormalizerSettings normalizer;
    bool byteFallback = false;
    /// HuggingFace accumulates path scores in double precision, sentencepiece in float.
    bool doubleScores = false;

    /// Special tokens matched literally in the raw text before normalisation, longest first (HuggingFace
    /// added tokens; sentencepiece itself never does this).
    std::vector<std::pair<std::string, std::int32_t>> literalTokens;

    // Derived by finalize().
    tokenizer::PieceMap matchable; ///< normal and user-defined pieces
    tokenizer::PieceMap byText;    ///< every piece (first id wins)
    std::array<std::int32_t, 256> byteIds{};
    std::int32_t unk = -1;
    std::int32_t eos = -1;
    std::int32_t pad = -1;
    float minScore = 0.0f;
    float maxScore = 0.0f;
    std::size_t maxPieceBytes = 0;

    /// Builds the lookup tables and checks the vocabulary (an unknown piece, byte pieces when byte
    /// fallback is on). Throws TokenizerError.
    void finalize();
};

} // namespace kinema::diffusion
