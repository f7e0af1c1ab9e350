// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Helpers of the tokenizer tests: sentencepiece's own tools run as separate processes (spm_train trains
/// small Unigram models on a generated corpus, spm_encode gives the expected ids), and the test corpus.
#include "TestSupport.h"

#include <catch2/catch.hpp>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace kinema::test::spm {

using kinema::test::TempDir;

// Wan 2.1's default negative prompt (full-width commas U+FF0C).
inline const std::string kNegativePrompt =
    "色调艳丽，过曝，静态，细节模糊不清，字幕，风格，作品，画作，画面，静止，"
    "整体发灰，最差质量，低质量，JPEG压缩残留，"
    "丑陋的，残缺的，多余的手指，画得不好的手部，画得不好的脸部，畸形的，毁容"
    "的，形态畸形的肢体，手指融合，静止不动的画面，"
    "杂乱的背景，三条腿，背景人很多，倒着走";

inline std::optional<std::filesystem::path> findProgram(const std::string& name) {
    const char* path = std::getenv("PATH");
    std::stringstream folders(path ? path : "/usr/bin:/bin");
    std::string folder;
    while (std::getline(folders, folder, ':')) {
        const auto candidate = std::filesystem::path(folder) / name;
        if (!folder.empty() && std::filesystem::is_regular_file(candidate))
            return candidate;
    }
    return std::nullopt;
}

inline std::string shellQuote(const std::string& text) {
    std::string out = "'";
    for (char c : text)
        out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

inline void run(const std::string& command) {
    INFO(command);
    REQUIRE(std::system(command.c_str()) == 0);
}

inline std::vector<std::string> trainingCorpus() {
    const std::vector<std::string> english = {
        "A",      "cat",   "walks",     "on",        "the",         "grass,", "realistic",  "style.",
        "Two",    "cats",  "in",        "comfy",     "boxing",      "gear",   "and",        "bright",
        "gloves", "fight", "intensely", "a",         "spotlighted", "stage.", "The",        "camera",
        "slowly", "pans",  "across",    "misty",     "forest",      "at",     "dawn!",      "(close-up)",
        "golden", "hour;", "4K",        "cinematic", "\"quoted\"",  "it's",   "50%",        "v2.1",
        "über",   "café",  "naïve",     "déjà-vu",   "Straße",      "ＨＤ",   "１０８０ｐ", "①"};
    std::vector<std::string> parts;
    std::stringstream split(kNegativePrompt);
    for (std::string part; std::getline(split, part, '\xef');) // split before each U+FF0C (EF BC 8C)
        parts.push_back(part.size() >= 2 && part.compare(0, 2, "\xbc\x8c") == 0 ? part.substr(2) : part);
    const std::vector<std::string> other = {"日本語のテキストです。", "東京の夜景、ネオンが光る。",
                                            "Привет, мир!",           "한국어 문장입니다.",
                                            "镜头晃动，镜头切换，",   "「引用」と『二重引用』"};
    std::mt19937 random(7);
    std::vector<std::string> lines;
    for (int i = 0; i < 600; ++i) {
        std::string line;
        for (int w = 0, n = 4 + static_cast<int>(random() % 12); w < n; ++w)
            line += (w ? " " : "") + english[random() % english.size()];
        lines.push_back(line);
        std::string chinese;
        for (int w = 0, n = 3 + static_cast<int>(random() % 8); w < n; ++w)
            chinese += (w ? (random() % 3 ? "，" : ",") : "") + parts[random() % parts.size()];
        lines.push_back(chinese);
        lines.push_back(other[random() % other.size()]);
    }
    return lines;
}

/// A model trained once per test run (cached per option string).
inline std::filesystem::path trainedModel(const std::string& name, const std::string& options) {
    static TempDir dir("spm-models");
    static std::map<std::string, std::filesystem::path> cache;
    if (auto it = cache.find(name); it != cache.end())
        return it->second;
    const auto corpus = dir / "corpus.txt";
    if (!std::filesystem::exists(corpus)) {
        std::ofstream out(corpus);
        for (const auto& line : trainingCorpus())
            out << line << '\n';
    }
    const auto prefix = dir / name;
    run(shellQuote(findProgram("spm_train")->string()) + " --input=" + shellQuote(corpus.string()) +
        " --model_prefix=" + shellQuote(prefix.string()) +
        " --model_type=unigram --vocab_size=600 --hard_vocab_limit=false --character_coverage=0.995"
        " --num_threads=1 --minloglevel=2 " +
        options + " > /dev/null 2>&1");
    const auto model = prefix.string() + ".model";
    cache[name] = model;
    return model;
}

inline std::vector<std::vector<std::int32_t>> spmEncode(const std::filesystem::path& model,
                                                        const std::vector<std::string>& lines) {
    TempDir dir("spm-encode");
    {
        std::ofstream out(dir / "in.txt");
        for (const auto& line : lines)
            out << line << '\n';
    }
    run(shellQuote(findProgram("spm_encode")->string()) + " --model=" + shellQuote(model.string()) +
        " --output_format=id < " + shellQuote((dir / "in.txt").string()) + " > " +
        shellQuote((dir / "out.txt").string()) + " 2>/dev/null");
    std::ifstream in(dir / "out.txt");
    std::vector<std::vector<std::int32_t>> result;
    for (std::string line; std::getline(in, line);) {
        std::stringstream ids(line);
        std::vector<std::int32_t> row;
        for (std::int32_t id; ids >> id;)
            row.push_back(id);
        result.push_back(row);
    }
    return result;
}

inline std::vector<std::string> testCorpus() {
    return {kNegativePrompt,
            "镜头晃动，" + kNegativePrompt,
            "A cat walks on the grass, realistic style.",
            "  Leading and   multiple   spaces\tand a tab  ",
            "Two anthropomorphic cats in comfy boxing gear fight intensely on a spotlighted stage!",
            "Full-width：ＡＢＣ　１２３，ｘｙｚ！？",
            "Ligatures ﬁne ﬂow, circled ①②③, superscript x² and ½",
            "Punctuation: \"quotes\", 'single', (parens) [brackets] {braces} <angle> ... --- ;;; !!!",
            "Curly “quotes” and ‘apostrophes’ — dashes – and… ellipsis",
            "日本語のテキストです。東京の夜景、ネオンが光る。",
            "한국어 문장입니다. Привет, мир! Ελληνικά κείμενα",
            "Unseen characters: ☃ 🐱 🎬 ∑ ∫ ℃ Ω ж",
            "Combining: e\xcc\x81 a\xcc\x8a n\xcc\x83 vs é å ñ",
            "Mixed 中文 and English 混合 text, 4K 60fps HDR",
            "x",
            "",
            "   ",
            "a\xe3\x80\x80"
            "b", // ideographic space
            "Digits 0123456789 and 3.14159, 1,000,000"};
}

/// True when both sentencepiece tools are installed.
inline bool toolsAvailable() {
    return findProgram("spm_train") && findProgram("spm_encode");
}

} // namespace kinema::test::spm
