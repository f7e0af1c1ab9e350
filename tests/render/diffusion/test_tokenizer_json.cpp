// SPDX-License-Identifier: Apache-2.0
// tokenizer.json (HuggingFace Unigram) reading, model-folder discovery and malformed tokenizer files.
#include "kinema/diffusion/Tokenizer.h"

#include "TestSupport.h"
#include "test_tokenizer_support.h"
#include "tokenizer/ProtoReader.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using namespace kinema::diffusion;
using namespace kinema::test::spm;

namespace {

std::string base64(const std::string& bytes) {
    static const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    std::size_t i = 0;
    for (; i + 2 < bytes.size(); i += 3) {
        const unsigned v = (static_cast<unsigned char>(bytes[i]) << 16) |
                           (static_cast<unsigned char>(bytes[i + 1]) << 8) |
                           static_cast<unsigned char>(bytes[i + 2]);
        for (int s = 18; s >= 0; s -= 6)
            out += alphabet[(v >> s) & 63];
    }
    if (i < bytes.size()) {
        unsigned v = static_cast<unsigned char>(bytes[i]) << 16;
        if (i + 1 < bytes.size())
            v |= static_cast<unsigned char>(bytes[i + 1]) << 8;
        out += alphabet[(v >> 18) & 63];
        out += alphabet[(v >> 12) & 63];
        out += i + 1 < bytes.size() ? alphabet[(v >> 6) & 63] : '=';
        out += '=';
    }
    return out;
}

/// A tokenizer.json laid out like the one HuggingFace's converter writes for T5/umT5, built from a
/// sentencepiece model: same pieces and scores, the model's precompiled character map, WhitespaceSplit +
/// Metaspace pre-tokenisation, special pieces listed as added tokens.
nlohmann::json tokenizerJsonFromModel(const std::filesystem::path& modelPath, bool newerConverter = false) {
    const std::string data = kinema::test::readFileBytes(modelPath);
    const std::string context = modelPath.string();
    kinema::diffusion::tokenizer::ProtoReader model(data, context);
    nlohmann::json vocab = nlohmann::json::array();
    nlohmann::json added = nlohmann::json::array();
    std::string charsMap;
    bool byteFallback = false;
    int unk = -1;
    while (model.next()) {
        if (model.field() == 1) {
            kinema::diffusion::tokenizer::ProtoReader piece(model.bytes(), context);
            std::string text;
            float score = 0;
            std::uint64_t type = 1;
            while (piece.next()) {
                if (piece.field() == 1)
                    text = piece.bytes();
                else if (piece.field() == 2)
                    score = piece.fixed32Float();
                else if (piece.field() == 3)
                    type = piece.varintField();
                else
                    piece.skip();
            }
            const int id = static_cast<int>(vocab.size());
            if (type == 2)
                unk = id;
            if (type == 2 || type == 3)
                added.push_back({{"id", id}, {"content", text}, {"special", true}});
            vocab.push_back({text, static_cast<double>(score)});
        } else if (model.field() == 2) {
            kinema::diffusion::tokenizer::ProtoReader trainer(model.bytes(), context);
            while (trainer.next())
                if (trainer.field() == 35)
                    byteFallback = trainer.varintField() != 0;
                else
                    trainer.skip();
        } else if (model.field() == 3) {
            kinema::diffusion::tokenizer::ProtoReader spec(model.bytes(), context);
            while (spec.next())
                if (spec.field() == 2)
                    charsMap = spec.bytes();
                else
                    spec.skip();
        } else {
            model.skip();
        }
    }
    if (newerConverter) // later converters: Strip + Replace(" {2,}" -> "▁"), Metaspace with add_prefix_space
        return {{"version", "1.0"},
                {"added_tokens", added},
                {"normalizer",
                 {{"type", "Sequence"},
                  {"normalizers",
                   {{{"type", "Precompiled"}, {"precompiled_charsmap", base64(charsMap)}},
                    {{"type", "Strip"}, {"strip_left", false}, {"strip_right", true}},
                    {{"type", "Replace"}, {"pattern", {{"Regex", " {2,}"}}}, {"content", "\xe2\x96\x81"}}}}}},
                {"pre_tokenizer",
                 {{"type", "Metaspace"}, {"replacement", "\xe2\x96\x81"}, {"add_prefix_space", true}}},
                {"model",
                 {{"type", "Unigram"}, {"unk_id", unk}, {"vocab", vocab}, {"byte_fallback", byteFallback}}}};
    return {
        {"version", "1.0"},
        {"added_tokens", added},
        {"normalizer",
         {{"type", "Sequence"},
          {"normalizers",
           {{{"type", "Precompiled"}, {"precompiled_charsmap", base64(charsMap)}},
            {{"type", "Replace"}, {"pattern", {{"Regex", " {2,}"}}}, {"content", " "}}}}}},
        {"pre_tokenizer",
         {{"type", "Sequence"},
          {"pretokenizers",
           {{{"type", "WhitespaceSplit"}},
            {{"type", "Metaspace"},
             {"replacement", "\xe2\x96\x81"},
             {"prepend_scheme", "always"},
             {"split", true}}}}}},
        {"model", {{"type", "Unigram"}, {"unk_id", unk}, {"vocab", vocab}, {"byte_fallback", byteFallback}}}};
}

void writeText(const std::filesystem::path& path, const std::string& text) {
    std::filesystem::create_directories(path.parent_path());
    std::ofstream out(path, std::ios::binary);
    out << text;
}

std::string errorOf(const std::function<void()>& action) {
    try {
        action();
    } catch (const TokenizerError& error) {
        return error.what();
    }
    FAIL("expected a TokenizerError");
    return {};
}

} // namespace

TEST_CASE("tokenizer json: same ids as spm_encode", "[tokenizer_json]") {
    if (!toolsAvailable()) {
        WARN("skipped: spm_train/spm_encode not found in PATH (install the sentencepiece tools)");
        return;
    }
    for (const auto& [name, options] : std::vector<std::pair<std::string, std::string>>{
             {"nfkc_bytes", "--byte_fallback=true"}, {"nfkc_unk", "--byte_fallback=false"}}) {
        INFO(name);
        const auto model = trainedModel(name, options);
        TempDir dir("tok-json");
        writeText(dir / "tokenizer.json", tokenizerJsonFromModel(model).dump());
        writeText(dir / "newer" / "tokenizer.json", tokenizerJsonFromModel(model, true).dump());
        const auto tokenizer = UnigramTokenizer::fromTokenizerJson(dir / "tokenizer.json");
        const auto newer = UnigramTokenizer::fromTokenizerJson(dir / "newer" / "tokenizer.json");
        const auto reference = UnigramTokenizer::fromSentencePieceModel(model);
        CHECK(tokenizer.vocabSize() == reference.vocabSize());
        CHECK(tokenizer.unkId() == reference.unkId());
        const auto corpus = testCorpus();
        const auto expected = spmEncode(model, corpus);
        REQUIRE(expected.size() == corpus.size());
        for (std::size_t i = 0; i < corpus.size(); ++i) {
            INFO("line " << i << ": " << corpus[i]);
            CHECK(tokenizer.encode(corpus[i]) == expected[i]);
            CHECK(newer.encode(corpus[i]) == expected[i]);
            CHECK(tokenizer.normalize(corpus[i]) == reference.normalize(corpus[i]));
        }
    }
}

TEST_CASE("tokenizer json: special tokens written in the text are matched literally", "[tokenizer_json]") {
    if (!toolsAvailable()) {
        WARN("skipped: spm_train/spm_encode not found in PATH (install the sentencepiece tools)");
        return;
    }
    const auto model = trainedModel("nfkc_bytes", "--byte_fallback=true");
    TempDir dir("tok-json");
    writeText(dir / "tokenizer.json", tokenizerJsonFromModel(model).dump());
    const auto tokenizer = UnigramTokenizer::fromTokenizerJson(dir / "tokenizer.json");
    const auto eos = tokenizer.pieceId("</s>");
    const auto unk = tokenizer.unkId();
    REQUIRE(eos >= 0);
    std::vector<std::int32_t> expected = tokenizer.encode("a cat ");
    expected.push_back(eos);
    const auto dog = tokenizer.encode(" dog");
    expected.insert(expected.end(), dog.begin(), dog.end());
    expected.push_back(unk);
    expected.push_back(eos);
    CHECK(tokenizer.encode("a cat </s> dog<unk></s>") == expected);
    // The sentencepiece model reads the same characters as plain text, exactly like spm_encode.
    const std::string literal = "a cat </s> dog<unk></s>";
    const auto spm = UnigramTokenizer::fromSentencePieceModel(model);
    CHECK(spm.encode(literal) == spmEncode(model, {literal}).at(0));
    CHECK(spm.encode(literal) != expected);
}

TEST_CASE("tokenizer json: the model folder is searched like the reference does", "[tokenizer_json]") {
    if (!toolsAvailable()) {
        WARN("skipped: spm_train/spm_encode not found in PATH (install the sentencepiece tools)");
        return;
    }
    const auto model = trainedModel("nfkc_bytes", "--byte_fallback=true");
    TempDir dir("tok-dir");
    const auto umt5 = dir / "google" / "umt5-xxl";
    std::filesystem::create_directories(umt5);
    std::filesystem::copy_file(model, umt5 / "spiece.model");
    CHECK(UnigramTokenizer::fromDirectory(dir.path()).source() == umt5 / "spiece.model");
    writeText(umt5 / "tokenizer.json", tokenizerJsonFromModel(model).dump());
    CHECK(UnigramTokenizer::fromDirectory(dir.path()).source() == umt5 / "tokenizer.json");
    TempDir empty("tok-dir");
    const auto message = errorOf([&] { UnigramTokenizer::fromDirectory(empty.path()); });
    CHECK(message.find(empty.path().string()) != std::string::npos);
}

TEST_CASE("tokenizer json: unsupported and malformed files are reported", "[tokenizer_json]") {
    TempDir dir("tok-bad");
    const auto path = dir / "tokenizer.json";
    const auto check = [&](const std::string& text, const std::string& expected) {
        writeText(path, text);
        const auto message = errorOf([&] { UnigramTokenizer::fromTokenizerJson(path); });
        INFO(message);
        CHECK(message.find(path.string()) != std::string::npos);
        CHECK(message.find(expected) != std::string::npos);
    };
    check("{", "not a valid tokenizer.json");
    check(R"({"model": {"type": "BPE", "vocab": {}}})", "not a Unigram tokenizer");
    check(R"({"model": {"type": "Unigram", "unk_id": 0, "vocab": []}})", "no vocabulary");
    check(R"({"model": {"type": "Unigram", "unk_id": 5, "vocab": [["<unk>", 0.0]]}})",
          "outside the vocabulary");
    check(R"({"model": {"type": "Unigram", "unk_id": 0, "vocab": [["<unk>"]]}})", "[piece, score]");
    check(
        R"({"normalizer": {"type": "Lowercase"}, "model": {"type": "Unigram", "unk_id": 0, "vocab": [["<unk>", 0]]}})",
        "normalizer type 'Lowercase' is not supported");
    check(R"({"normalizer": {"type": "Precompiled", "precompiled_charsmap": "!!!"},
              "model": {"type": "Unigram", "unk_id": 0, "vocab": [["<unk>", 0]]}})",
          "base64");
    check(R"({"model": {"type": "Unigram", "unk_id": 0, "byte_fallback": true, "vocab": [["<unk>", 0]]}})",
          "lacks the piece for byte 0");
}

TEST_CASE("tokenizer model: malformed sentencepiece files are reported", "[tokenizer_json]") {
    TempDir dir("tok-bad");
    const auto path = dir / "spiece.model";
    const auto check = [&](const std::string& bytes, const std::string& expected) {
        writeText(path, bytes);
        const auto message = errorOf([&] { UnigramTokenizer::fromSentencePieceModel(path); });
        INFO(message);
        CHECK(message.find(path.string()) != std::string::npos);
        CHECK(message.find(expected) != std::string::npos);
    };
    check("", "empty vocabulary");
    check("\x0a\xff\xff\xff\xff\x0f", "runs past the end");
    check("\x0a\x02\x0a", "corrupt protobuf");
    const char pieceWithBadType[] = "\x0a\x07\x0a\x05<unk>\x0a\x05\x0a\x01"
                                    "a\x18\x09";
    check(std::string(pieceWithBadType, sizeof pieceWithBadType - 1), "unknown type 9");
    CHECK_THROWS_AS(UnigramTokenizer::fromSentencePieceModel(dir / "missing.model"), TokenizerError);
    if (!toolsAvailable())
        return;
    // A BPE model is refused; truncations of a real model load or fail cleanly.
    const auto bpe = dir / "bpe";
    const auto corpus = dir / "corpus.txt";
    writeText(corpus, "hello world\nhello there\nworld peace\n");
    run(shellQuote(findProgram("spm_train")->string()) + " --input=" + shellQuote(corpus.string()) +
        " --model_prefix=" + shellQuote(bpe.string()) +
        " --model_type=bpe --vocab_size=20 --hard_vocab_limit=false --minloglevel=2 > /dev/null 2>&1");
    check(kinema::test::readFileBytes(bpe.string() + ".model"), "not a Unigram model");
    const auto model = kinema::test::readFileBytes(trainedModel("nfkc_bytes", "--byte_fallback=true"));
    int refused = 0;
    for (std::size_t length = 0; length < model.size(); length += 997) {
        writeText(path, model.substr(0, length));
        try {
            UnigramTokenizer::fromSentencePieceModel(path);
        } catch (const TokenizerError&) {
            ++refused;
        }
    }
    CHECK(refused > 0);
}
