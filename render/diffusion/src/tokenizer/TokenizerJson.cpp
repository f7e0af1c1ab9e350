// SPDX-License-Identifier: Apache-2.0
// Reading HuggingFace `tokenizer.json` files whose model is Unigram (what T5/umT5 ship).
#include "tokenizer/UnigramModel.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>
#include <set>

namespace kinema::diffusion {

namespace {

using nlohmann::json;
using tokenizer::Piece;
using tokenizer::PieceType;

constexpr std::uintmax_t kMaxJsonBytes = 256u << 20;
constexpr std::string_view kMetaspace = "\xe2\x96\x81";

std::string decodeBase64(const std::string& text, const std::string& context) {
    static const auto table = [] {
        std::array<int, 256> t;
        t.fill(-1);
        const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        for (int i = 0; i < 64; ++i)
            t[static_cast<unsigned char>(alphabet[i])] = i;
        return t;
    }();
    std::string out;
    out.reserve(text.size() / 4 * 3);
    std::uint32_t buffer = 0;
    int bits = 0;
    for (char c : text) {
        if (c == '=')
            break;
        if (c == '\n' || c == '\r')
            continue;
        const int value = table[static_cast<unsigned char>(c)];
        if (value < 0)
            throw TokenizerError(context + ": the precompiled character map is not valid base64");
        buffer = (buffer << 6) | static_cast<std::uint32_t>(value);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += static_cast<char>((buffer >> bits) & 0xff);
        }
    }
    return out;
}

struct JsonReader {
    const std::string& context;
    UnigramTokenizer::Model& model;
    bool sawCharsMap = false;

    [[noreturn]] void unsupported(const std::string& what) const {
        throw TokenizerError(context + ": " + what + " is not supported");
    }

    void normalizer(const json& node) {
        if (node.is_null())
            return;
        const std::string type = node.value("type", "");
        if (type == "Sequence") {
            for (const auto& child : node.at("normalizers"))
                normalizer(child);
        } else if (type == "Precompiled") {
            const auto& encoded = node.at("precompiled_charsmap");
            if (encoded.is_null())
                return;
            model.normalizer.charsMap =
                tokenizer::CharsMap(decodeBase64(encoded.get<std::string>(), context), context);
            sawCharsMap = true;
        } else if (type == "Replace") {
            // HuggingFace's sentencepiece converters collapse runs of spaces (" {2,}" -> " " or "▁"), which
            // the whitespace handling already does.
            const auto& pattern = node.at("pattern");
            const std::string text = pattern.contains("Regex") ? pattern["Regex"].get<std::string>()
                                                               : pattern.value("String", std::string());
            const std::string content = node.value("content", "");
            if (!(text == " {2,}" && (content == " " || content == kMetaspace)))
                unsupported("normalizer Replace('" + text + "')");
        } else if (type == "Strip") {
            // Leading and trailing spaces are dropped by the whitespace handling anyway.
        } else {
            unsupported("normalizer type '" + type + "'");
        }
    }

    void preTokenizer(const json& node) {
        if (node.is_null())
            return;
        const std::string type = node.value("type", "");
        if (type == "Sequence") {
            for (const auto& child : node.at("pretokenizers"))
                preTokenizer(child);
        } else if (type == "WhitespaceSplit") {
            model.normalizer.removeExtraWhitespaces = true;
        } else if (type == "Metaspace") {
            if (node.value("replacement", std::string(kMetaspace)) != kMetaspace)
                unsupported("a Metaspace replacement other than U+2581");
            bool prefix = true;
            if (node.contains("prepend_scheme"))
                prefix = node["prepend_scheme"].get<std::string>() != "never";
            else if (node.contains("add_prefix_space"))
                prefix = node["add_prefix_space"].get<bool>();
            model.normalizer.addDummyPrefix = prefix;
        } else {
            unsupported("pre-tokenizer type '" + type + "'");
        }
    }
};

bool isBytePiece(const std::string& text) {
    return text.size() == 6 && text.compare(0, 3, "<0x") == 0 && text[5] == '>' && std::isxdigit(text[3]) &&
           std::isxdigit(text[4]);
}

} // namespace

UnigramTokenizer UnigramTokenizer::fromTokenizerJson(const std::filesystem::path& path) {
    const std::string context = "tokenizer '" + path.string() + "'";
    std::error_code ec;
    const auto size = std::filesystem::file_size(path, ec);
    if (ec)
        throw TokenizerError("cannot read " + context + ": " + ec.message());
    if (size > kMaxJsonBytes)
        throw TokenizerError(context + " is too large (" + std::to_string(size) + " bytes)");
    std::string text(static_cast<std::size_t>(size), '\0');
    std::ifstream in(path, std::ios::binary);
    if (!in.read(text.data(), static_cast<std::streamsize>(text.size())))
        throw TokenizerError("cannot read " + context);

    auto model = std::make_unique<Model>();
    model->source = path;
    model->doubleScores = true;
    model->normalizer.removeExtraWhitespaces = true;
    model->normalizer.escapeWhitespaces = true;
    model->normalizer.addDummyPrefix = false;
    try {
        const json root = json::parse(text);
        const json& spec = root.at("model");
        if (spec.value("type", "") != "Unigram")
            throw TokenizerError(context + " is not a Unigram tokenizer (model type '" +
                                 spec.value("type", "?") + "')");
        const json& vocab = spec.at("vocab");
        if (!vocab.is_array() || vocab.empty())
            throw TokenizerError(context + " has no vocabulary");
        if (!spec.contains("unk_id") || !spec["unk_id"].is_number_integer())
            throw TokenizerError(context + " has no unknown token id");
        const auto unkId = spec["unk_id"].get<std::int64_t>();
        model->byteFallback = spec.value("byte_fallback", false);
        std::set<std::int64_t> specialIds;
        if (root.contains("added_tokens"))
            for (const auto& token : root["added_tokens"]) {
                if (!token.value("special", false))
                    continue;
                const auto id = token.at("id").get<std::int64_t>();
                const auto content = token.at("content").get<std::string>();
                if (id < 0 || static_cast<std::size_t>(id) >= vocab.size() || content.empty())
                    throw TokenizerError(context + ": added token '" + content + "' has an invalid id " +
                                         std::to_string(id));
                specialIds.insert(id);
                model->literalTokens.emplace_back(content, static_cast<std::int32_t>(id));
            }
        std::stable_sort(model->literalTokens.begin(), model->literalTokens.end(),
                         [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });

        model->pieces.reserve(vocab.size());
        for (std::size_t i = 0; i < vocab.size(); ++i) {
            const json& entry = vocab[i];
            if (!entry.is_array() || entry.size() != 2 || !entry[0].is_string() || !entry[1].is_number())
                throw TokenizerError(context + ": vocabulary entry " + std::to_string(i) +
                                     " is not a [piece, score] pair");
            Piece piece;
            piece.text = entry[0].get<std::string>();
            piece.score = static_cast<float>(entry[1].get<double>());
            const auto id = static_cast<std::int64_t>(i);
            if (id == unkId)
                piece.type = PieceType::Unknown;
            else if (specialIds.count(id))
                piece.type = PieceType::Control;
            else if (model->byteFallback && isBytePiece(piece.text))
                piece.type = PieceType::Byte;
            model->pieces.push_back(std::move(piece));
        }
        if (unkId < 0 || static_cast<std::size_t>(unkId) >= model->pieces.size())
            throw TokenizerError(context + ": unknown token id " + std::to_string(unkId) +
                                 " is outside the vocabulary");

        JsonReader reader{context, *model};
        if (root.contains("normalizer"))
            reader.normalizer(root["normalizer"]);
        if (root.contains("pre_tokenizer"))
            reader.preTokenizer(root["pre_tokenizer"]);
    } catch (const json::exception& error) {
        throw TokenizerError(context + " is not a valid tokenizer.json: " + error.what());
    }
    model->finalize();
    return UnigramTokenizer(std::move(model));
}

} // namespace kinema::diffusion
