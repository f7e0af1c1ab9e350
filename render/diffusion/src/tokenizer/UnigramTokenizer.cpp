// SPDX-License-Identifier: Apache-2.0
// Normalisation and Viterbi segmentation with sentencepiece's rules.
#include "tokenizer/UnigramModel.h"
#include "tokenizer/Utf8.h"

#include <algorithm>

namespace kinema::diffusion {

namespace {

using tokenizer::PieceType;

constexpr std::string_view kSpaceSymbol = "\xe2\x96\x81"; // U+2581 LOWER ONE EIGHTH BLOCK
constexpr std::string_view kReplacementCharacter = "\xef\xbf\xbd";
constexpr float kUnknownPenalty = 10.0f;

int byteOfPiece(const std::string& text) {
    if (text.size() != 6 || text.compare(0, 3, "<0x") != 0 || text[5] != '>')
        return -1;
    int value = 0;
    for (int i = 3; i < 5; ++i) {
        const char c = text[i];
        value <<= 4;
        if (c >= '0' && c <= '9')
            value |= c - '0';
        else if (c >= 'A' && c <= 'F')
            value |= c - 'A' + 10;
        else
            return -1;
    }
    return value;
}

struct Segment {
    std::size_t begin;
    std::size_t end;
    std::int32_t id;
};

/// Best segmentation of `text` (sentencepiece's fast Viterbi: nodes start at character boundaries, ties
/// keep the first candidate found). `Score` is float for sentencepiece parity, double for HuggingFace.
template <typename Score>
std::vector<Segment> viterbi(const UnigramTokenizer::Model& model, std::string_view text) {
    struct Node {
        std::int32_t id = -1;
        Score score = 0;
        std::int64_t start = -1;
    };
    const std::size_t size = text.size();
    std::vector<Node> best(size + 1);
    const Score unknownScore = static_cast<Score>(model.minScore) - static_cast<Score>(kUnknownPenalty);
    const auto offer = [&](std::size_t end, double candidate, std::size_t start, std::int32_t id) {
        Node& node = best[end];
        if (node.start == -1 || candidate > static_cast<double>(node.score)) {
            node.score = static_cast<Score>(candidate);
            node.start = static_cast<std::int64_t>(start);
            node.id = id;
        }
    };
    std::size_t start = 0;
    while (start < size) {
        const Score base = best[start].score;
        const std::size_t charLength =
            std::min(tokenizer::utf8LeadLength(static_cast<unsigned char>(text[start])), size - start);
        bool hasSingleCharacter = false;
        const std::size_t last = std::min(size, start + model.maxPieceBytes);
        for (std::size_t end = start + 1; end <= last; ++end) {
            const auto it = model.matchable.find(text.substr(start, end - start));
            if (it == model.matchable.end())
                continue;
            const auto& piece = model.pieces[static_cast<std::size_t>(it->second)];
            const std::size_t length = end - start;
            const double score = piece.type == PieceType::UserDefined
                                     ? static_cast<double>(length) * model.maxScore - 0.1
                                     : static_cast<double>(piece.score);
            offer(end, score + static_cast<double>(base), start, it->second);
            hasSingleCharacter |= length == charLength;
        }
        if (!hasSingleCharacter)
            offer(start + charLength, static_cast<double>(unknownScore) + static_cast<double>(base), start,
                  model.unk);
        start += charLength;
    }
    std::vector<Segment> segments;
    for (std::size_t end = size; end > 0;) {
        const Node& node = best[end];
        if (node.start < 0)
            break; // unreachable: every character position gets a node
        segments.push_back({static_cast<std::size_t>(node.start), end, node.id});
        end = static_cast<std::size_t>(node.start);
    }
    std::reverse(segments.begin(), segments.end());
    return segments;
}

} // namespace

void UnigramTokenizer::Model::finalize() {
    const std::string context = "tokenizer '" + source.string() + "'";
    if (pieces.empty())
        throw TokenizerError(context + " has an empty vocabulary");
    if (pieces.size() > (1u << 24))
        throw TokenizerError(context + " has an implausibly large vocabulary (" +
                             std::to_string(pieces.size()) + " pieces)");
    byteIds.fill(-1);
    bool anyNormal = false;
    minScore = 0.0f;
    maxScore = 0.0f;
    for (std::size_t i = 0; i < pieces.size(); ++i) {
        const auto& piece = pieces[i];
        const auto id = static_cast<std::int32_t>(i);
        if (piece.text.empty())
            throw TokenizerError(context + ": piece " + std::to_string(i) + " is empty");
        byText.emplace(piece.text, id);
        switch (piece.type) {
        case PieceType::Normal:
            if (!anyNormal) {
                minScore = maxScore = piece.score;
                anyNormal = true;
            }
            minScore = std::min(minScore, piece.score);
            maxScore = std::max(maxScore, piece.score);
            [[fallthrough]];
        case PieceType::UserDefined:
            matchable.emplace(piece.text, id);
            maxPieceBytes = std::max(maxPieceBytes, piece.text.size());
            break;
        case PieceType::Unknown:
            if (unk < 0)
                unk = id;
            break;
        case PieceType::Byte: {
            const int byte = byteOfPiece(piece.text);
            if (byte < 0)
                throw TokenizerError(context + ": byte piece '" + piece.text + "' is not of the form <0xXX>");
            byteIds[static_cast<std::size_t>(byte)] = id;
            break;
        }
        case PieceType::Control:
        case PieceType::Unused:
            break;
        }
    }
    if (unk < 0)
        throw TokenizerError(context + " has no unknown piece");
    if (byteFallback)
        for (std::size_t b = 0; b < 256; ++b)
            if (byteIds[b] < 0)
                throw TokenizerError(context + " enables byte fallback but lacks the piece for byte " +
                                     std::to_string(b));
    if (auto it = byText.find("</s>"); it != byText.end())
        eos = it->second;
    if (auto it = byText.find("<pad>"); it != byText.end())
        pad = it->second;
}

UnigramTokenizer::UnigramTokenizer(std::unique_ptr<Model> model)
    : m_model(std::move(model)) {}
UnigramTokenizer::UnigramTokenizer(UnigramTokenizer&&) noexcept = default;
UnigramTokenizer& UnigramTokenizer::operator=(UnigramTokenizer&&) noexcept = default;
UnigramTokenizer::~UnigramTokenizer() = default;

std::string UnigramTokenizer::normalize(std::string_view input) const {
    const auto& settings = m_model->normalizer;
    const auto prefix = [&](std::string_view text, std::string_view& replacement) -> std::size_t {
        if (const std::size_t matched = settings.charsMap.longestMatch(text, replacement))
            return matched;
        char32_t c;
        const std::size_t length = tokenizer::decodeUtf8(text, c);
        if (length == 0) {
            replacement = kReplacementCharacter;
            return 1;
        }
        replacement = text.substr(0, length);
        return length;
    };
    std::string_view replacement;
    if (settings.removeExtraWhitespaces) {
        while (!input.empty()) {
            const std::size_t consumed = prefix(input, replacement);
            if (replacement != " ")
                break;
            input.remove_prefix(consumed);
        }
    }
    std::string out;
    if (input.empty())
        return out;
    const std::string_view space = settings.escapeWhitespaces ? kSpaceSymbol : std::string_view(" ");
    if (settings.addDummyPrefix)
        out += space;
    bool previousSpace = settings.removeExtraWhitespaces;
    while (!input.empty()) {
        const std::size_t consumed = prefix(input, replacement);
        if (previousSpace)
            while (!replacement.empty() && replacement.front() == ' ')
                replacement.remove_prefix(1);
        if (!replacement.empty()) {
            for (char c : replacement) {
                if (c == ' ')
                    out += space;
                else
                    out += c;
            }
            previousSpace = replacement.back() == ' ';
        }
        input.remove_prefix(consumed);
        previousSpace = previousSpace && settings.removeExtraWhitespaces;
    }
    if (settings.removeExtraWhitespaces)
        while (out.size() >= space.size() && out.compare(out.size() - space.size(), space.size(), space) == 0)
            out.resize(out.size() - space.size());
    return out;
}

std::vector<std::int32_t> UnigramTokenizer::encode(std::string_view text) const {
    if (m_model->literalTokens.empty())
        return encodeSegment(text);
    // Split the raw text at special tokens (leftmost, longest); each piece between them is encoded alone.
    std::vector<std::int32_t> ids;
    std::size_t segmentStart = 0;
    for (std::size_t pos = 0; pos < text.size();) {
        const auto* match = [&]() -> const std::pair<std::string, std::int32_t>* {
            for (const auto& token : m_model->literalTokens)
                if (text.compare(pos, token.first.size(), token.first) == 0)
                    return &token;
            return nullptr;
        }();
        if (!match) {
            ++pos;
            continue;
        }
        const auto before = encodeSegment(text.substr(segmentStart, pos - segmentStart));
        ids.insert(ids.end(), before.begin(), before.end());
        ids.push_back(match->second);
        pos += match->first.size();
        segmentStart = pos;
    }
    const auto rest = encodeSegment(text.substr(segmentStart));
    ids.insert(ids.end(), rest.begin(), rest.end());
    return ids;
}

std::vector<std::int32_t> UnigramTokenizer::encodeSegment(std::string_view text) const {
    const std::string normalized = normalize(text);
    const auto segments =
        m_model->doubleScores ? viterbi<double>(*m_model, normalized) : viterbi<float>(*m_model, normalized);
    std::vector<std::int32_t> ids;
    ids.reserve(segments.size());
    for (std::size_t i = 0; i < segments.size(); ++i) {
        if (segments[i].id != m_model->unk) {
            ids.push_back(segments[i].id);
            continue;
        }
        // Like sentencepiece and HuggingFace, a run of unknown characters becomes one unknown token.
        const std::size_t begin = segments[i].begin;
        std::size_t end = segments[i].end;
        while (i + 1 < segments.size() && segments[i + 1].id == m_model->unk)
            end = segments[++i].end;
        if (!m_model->byteFallback) {
            ids.push_back(m_model->unk);
            continue;
        }
        for (std::size_t b = begin; b < end; ++b)
            ids.push_back(m_model->byteIds[static_cast<unsigned char>(normalized[b])]);
    }
    return ids;
}

std::vector<std::string> UnigramTokenizer::encodePieces(std::string_view text) const {
    std::vector<std::string> pieces;
    for (auto id : encode(text))
        pieces.push_back(piece(id));
    return pieces;
}

std::size_t UnigramTokenizer::vocabSize() const {
    return m_model->pieces.size();
}

const std::string& UnigramTokenizer::piece(std::int32_t id) const {
    if (id < 0 || static_cast<std::size_t>(id) >= m_model->pieces.size())
        throw std::out_of_range("token id " + std::to_string(id) + " is outside the vocabulary of " +
                                std::to_string(m_model->pieces.size()));
    return m_model->pieces[static_cast<std::size_t>(id)].text;
}

std::int32_t UnigramTokenizer::pieceId(std::string_view text) const {
    const auto it = m_model->byText.find(text);
    return it == m_model->byText.end() ? -1 : it->second;
}

std::int32_t UnigramTokenizer::unkId() const {
    return m_model->unk;
}
std::int32_t UnigramTokenizer::eosId() const {
    return m_model->eos;
}
std::int32_t UnigramTokenizer::padId() const {
    return m_model->pad;
}
const std::filesystem::path& UnigramTokenizer::source() const {
    return m_model->source;
}

UnigramTokenizer UnigramTokenizer::fromDirectory(const std::filesystem::path& directory) {
    std::string searched;
    for (const auto& folder : {directory, directory / "google" / "umt5-xxl"}) {
        if (std::filesystem::is_regular_file(folder / "tokenizer.json"))
            return fromTokenizerJson(folder / "tokenizer.json");
        for (const char* name : {"spiece.model", "tokenizer.model"})
            if (std::filesystem::is_regular_file(folder / name))
                return fromSentencePieceModel(folder / name);
        searched += (searched.empty() ? "" : ", ") + folder.string();
    }
    throw TokenizerError("no tokenizer (tokenizer.json, spiece.model or tokenizer.model) in " + searched);
}

} // namespace kinema::diffusion
