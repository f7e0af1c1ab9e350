// SPDX-License-Identifier: Apache-2.0
#pragma once
/// The Unigram (sentencepiece-style) tokenizer used by umT5, read from a model folder, and the reference
/// prompt pipeline of Wan 2.1.
///
/// Design: one tokenizer model, two file readers. `spiece.model` / `tokenizer.model` (a sentencepiece
/// ModelProto, read with a minimal protobuf wire-format reader) and HuggingFace `tokenizer.json` (Unigram
/// model) both become the same vocabulary + normalizer. Encoding follows sentencepiece:
/// 1. normalisation with the model's precompiled character map (the double-array trie sentencepiece
///    compiles from its NFKC rules), whitespace trimming and collapsing, a "▁" dummy prefix and "▁" for
///    spaces;
/// 2. Viterbi segmentation over the vocabulary (unknown characters score min_score - 10);
/// 3. a run of unknown characters becomes one unknown token, or with byte fallback the `<0xXX>` pieces of
///    its UTF-8 bytes.
/// For tokenizer.json, special added tokens (`</s>`, `<pad>`, `<extra_id_N>` ...) written literally in the
/// text are matched before normalisation, as HuggingFace does; sentencepiece models treat them as text.
/// Known gaps, kept deliberately small: sentencepiece's user-defined symbols are matched like ordinary
/// pieces (not before normalisation); for tokenizer.json, HF's grapheme-wise application of the character
/// map is replaced by sentencepiece's longest-match rule (identical for NFKC maps on ordinary text), and
/// the lstrip/rstrip flags of added tokens are ignored.
/// Torch-free.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace kinema::diffusion {

/// Raised when a tokenizer file cannot be read; the message names the file and the cause.
class TokenizerError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

class UnigramTokenizer {
public:
    /// Reads a sentencepiece `.model` file (Unigram models only).
    static UnigramTokenizer fromSentencePieceModel(const std::filesystem::path& path);
    /// Reads a HuggingFace `tokenizer.json` whose model is Unigram.
    static UnigramTokenizer fromTokenizerJson(const std::filesystem::path& path);
    /// Reads the tokenizer of a model folder: `tokenizer.json` (what the reference's AutoTokenizer uses)
    /// if present, else `spiece.model`, else `tokenizer.model`. Also looks in `google/umt5-xxl/` below it.
    static UnigramTokenizer fromDirectory(const std::filesystem::path& directory);

    UnigramTokenizer(UnigramTokenizer&&) noexcept;
    UnigramTokenizer& operator=(UnigramTokenizer&&) noexcept;
    ~UnigramTokenizer();

    /// The normalised text the segmentation runs on ("▁" marks spaces).
    std::string normalize(std::string_view text) const;
    /// Token ids of `text`, without special tokens (what `spm_encode --output_format=id` prints).
    std::vector<std::int32_t> encode(std::string_view text) const;
    /// Token pieces of `text` (for diagnostics; byte-fallback pieces appear as `<0xXX>`).
    std::vector<std::string> encodePieces(std::string_view text) const;

    std::size_t vocabSize() const;
    /// The piece of an id; throws std::out_of_range for invalid ids.
    const std::string& piece(std::int32_t id) const;
    /// The id of a piece, or -1.
    std::int32_t pieceId(std::string_view piece) const;
    std::int32_t unkId() const;
    /// Id of `</s>` (-1 if the vocabulary has none).
    std::int32_t eosId() const;
    /// Id of `<pad>` (-1 if the vocabulary has none).
    std::int32_t padId() const;
    /// The file it was read from.
    const std::filesystem::path& source() const;

    struct Model;

private:
    explicit UnigramTokenizer(std::unique_ptr<Model> model);
    std::vector<std::int32_t> encodeSegment(std::string_view text) const;
    std::unique_ptr<Model> m_model;
};

/// The reference's prompt cleaning (`clean='whitespace'` of Wan's HuggingfaceTokenizer): a subset of
/// ftfy.fix_text (HTML entities when the text has no '<', C1 controls read as Windows-1252, Latin ligatures,
/// full-width/half-width forms except half-width Hangul, curly quotes, line breaks, control characters),
/// html.unescape twice, strip, every whitespace run replaced by one space, strip. Not covered: ftfy's
/// mojibake repair and NFC composition (NFKC of the tokenizer's own normaliser covers composition for
/// tokenization purposes), and HTML entities beyond the common named ones and numeric references.
std::string cleanPrompt(std::string_view text);

/// Token ids as the text encoder receives them: the cleaned prompt, encoded, truncated to
/// `textLength - 1` tokens, `</s>` appended and padded with `<pad>` to exactly `textLength` ids.
struct PromptTokens {
    std::vector<std::int32_t> ids;
    /// Number of non-pad ids (including `</s>`): the attention mask is 1 for the first `length` ids.
    std::size_t length = 0;
};
PromptTokens tokenizePrompt(const UnigramTokenizer& tokenizer, std::string_view prompt,
                            std::size_t textLength = 512);

} // namespace kinema::diffusion
