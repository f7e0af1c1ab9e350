// SPDX-License-Identifier: Apache-2.0
// Reading sentencepiece `.model` files (a serialised ModelProto) with the minimal wire-format reader.
#include "tokenizer/ProtoReader.h"
#include "tokenizer/UnigramModel.h"

#include <fstream>

namespace kinema::diffusion {

namespace {

using tokenizer::Piece;
using tokenizer::PieceType;
using tokenizer::ProtoReader;

// ModelProto field numbers (sentencepiece_model.proto).
constexpr std::uint32_t kModelPieces = 1;
constexpr std::uint32_t kModelTrainerSpec = 2;
constexpr std::uint32_t kModelNormalizerSpec = 3;
constexpr std::uint32_t kPieceText = 1;
constexpr std::uint32_t kPieceScore = 2;
constexpr std::uint32_t kPieceType = 3;
constexpr std::uint32_t kTrainerModelType = 3;
constexpr std::uint32_t kTrainerTreatWhitespaceAsSuffix = 24;
constexpr std::uint32_t kTrainerByteFallback = 35;
constexpr std::uint32_t kNormalizerCharsMap = 2;
constexpr std::uint32_t kNormalizerAddDummyPrefix = 3;
constexpr std::uint32_t kNormalizerRemoveExtraWhitespaces = 4;
constexpr std::uint32_t kNormalizerEscapeWhitespaces = 5;
constexpr std::uint64_t kUnigram = 1;
constexpr std::uintmax_t kMaxModelBytes = 256u << 20;

Piece readPiece(std::string_view bytes, const std::string& context) {
    ProtoReader reader(bytes, context);
    Piece piece;
    while (reader.next()) {
        if (reader.field() == kPieceText) {
            piece.text = std::string(reader.bytes());
        } else if (reader.field() == kPieceScore) {
            piece.score = reader.fixed32Float();
        } else if (reader.field() == kPieceType) {
            const auto type = reader.varintField();
            if (type < 1 || type > 6)
                throw TokenizerError(context + ": piece '" + piece.text + "' has an unknown type " +
                                     std::to_string(type));
            piece.type = static_cast<PieceType>(type);
        } else {
            reader.skip();
        }
    }
    return piece;
}

} // namespace

UnigramTokenizer UnigramTokenizer::fromSentencePieceModel(const std::filesystem::path& path) {
    const std::string context = "tokenizer model '" + path.string() + "'";
    std::error_code ec;
    const auto size = std::filesystem::file_size(path, ec);
    if (ec)
        throw TokenizerError("cannot read " + context + ": " + ec.message());
    if (size > kMaxModelBytes)
        throw TokenizerError(context + " is too large (" + std::to_string(size) + " bytes)");
    std::string data(static_cast<std::size_t>(size), '\0');
    std::ifstream in(path, std::ios::binary);
    if (!in.read(data.data(), static_cast<std::streamsize>(data.size())))
        throw TokenizerError("cannot read " + context);

    auto model = std::make_unique<Model>();
    model->source = path;
    ProtoReader reader(data, context);
    std::uint64_t modelType = kUnigram;
    while (reader.next()) {
        if (reader.field() == kModelPieces) {
            model->pieces.push_back(readPiece(reader.bytes(), context));
        } else if (reader.field() == kModelTrainerSpec) {
            ProtoReader trainer(reader.bytes(), context);
            while (trainer.next()) {
                if (trainer.field() == kTrainerModelType)
                    modelType = trainer.varintField();
                else if (trainer.field() == kTrainerByteFallback)
                    model->byteFallback = trainer.varintField() != 0;
                else if (trainer.field() == kTrainerTreatWhitespaceAsSuffix) {
                    if (trainer.varintField() != 0)
                        throw TokenizerError(context + ": treat_whitespace_as_suffix is not supported");
                } else
                    trainer.skip();
            }
        } else if (reader.field() == kModelNormalizerSpec) {
            ProtoReader spec(reader.bytes(), context);
            while (spec.next()) {
                if (spec.field() == kNormalizerCharsMap)
                    model->normalizer.charsMap = tokenizer::CharsMap(std::string(spec.bytes()), context);
                else if (spec.field() == kNormalizerAddDummyPrefix)
                    model->normalizer.addDummyPrefix = spec.varintField() != 0;
                else if (spec.field() == kNormalizerRemoveExtraWhitespaces)
                    model->normalizer.removeExtraWhitespaces = spec.varintField() != 0;
                else if (spec.field() == kNormalizerEscapeWhitespaces)
                    model->normalizer.escapeWhitespaces = spec.varintField() != 0;
                else
                    spec.skip();
            }
        } else {
            reader.skip();
        }
    }
    if (modelType != kUnigram)
        throw TokenizerError(context + " is not a Unigram model (model type " + std::to_string(modelType) +
                             "); only Unigram tokenizers are supported");
    model->finalize();
    return UnigramTokenizer(std::move(model));
}

} // namespace kinema::diffusion
