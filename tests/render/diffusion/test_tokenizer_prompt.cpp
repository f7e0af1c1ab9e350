// SPDX-License-Identifier: Apache-2.0
// Wan's prompt cleaning and the padded umT5 id sequence.
#include "kinema/diffusion/Tokenizer.h"

#include "test_tokenizer_support.h"

#include <catch2/catch.hpp>

using namespace kinema::diffusion;
using namespace kinema::test::spm;

namespace {

std::string replaceAll(std::string text, const std::string& from, const std::string& to) {
    for (std::size_t pos = 0; (pos = text.find(from, pos)) != std::string::npos; pos += to.size())
        text.replace(pos, from.size(), to);
    return text;
}

} // namespace

TEST_CASE("prompt cleaning: the default negative prompt gets ASCII commas", "[tokenizer_prompt]") {
    const auto cleaned = cleanPrompt(kNegativePrompt);
    CHECK(cleaned.find("\xef\xbc\x8c") == std::string::npos);
    CHECK(cleaned == replaceAll(kNegativePrompt, "，", ","));
    CHECK(cleanPrompt("镜头晃动，" + kNegativePrompt).rfind("镜头晃动,色调艳丽,", 0) == 0);
}

TEST_CASE("prompt cleaning: ftfy subset, HTML entities and whitespace", "[tokenizer_prompt]") {
    CHECK(cleanPrompt("  a cat \t\n\r\n  on   grass  ") == "a cat on grass");
    CHECK(cleanPrompt("ＡＢＣ　１２３！") == "ABC 123!");
    CHECK(cleanPrompt("“curly” ‘quotes’ it’s") == "\"curly\" 'quotes' it's");
    CHECK(cleanPrompt("ﬁne ﬂow ﬀ") == "fine flow ff");
    CHECK(cleanPrompt("ﾃｽﾄ") == "テスト");
    CHECK(cleanPrompt("bell\x07 and\x1b escape") == "bell and escape");
    CHECK(cleanPrompt("Tom &amp; Jerry &lt;3") == "Tom & Jerry <3");
    CHECK(cleanPrompt("&amp;amp;amp;amp;") == "&");
    CHECK(cleanPrompt("&#20320;&#x597D; &#150; &euro;5 &nbsp;x") == "你好 – €5 x");
    CHECK(cleanPrompt("&rsquo;") == "'"); // ftfy unescapes before it straightens quotes
    // With markup present ftfy leaves entities alone; html.unescape still runs twice.
    CHECK(cleanPrompt("<b>&amp;amp;amp;</b>") == "<b>&amp;</b>");
    CHECK(cleanPrompt("&unknownentity; & &") == "&unknownentity; & &");
    CHECK(cleanPrompt("\u0093C1 quotes\u0094 \u0080") == "\"C1 quotes\" \u20ac"); // Windows-1252 reading
    CHECK(cleanPrompt("&lt;b&gt; &amp;amp;") == "<b> &");
    CHECK(cleanPrompt("line\u2028break\u00a0nbsp\u3000ideographic") == "line break nbsp ideographic");
    CHECK(cleanPrompt(std::string("bad \xff utf8", 10)) == "bad \xef\xbf\xbd utf8");
    CHECK(cleanPrompt("") == "");
    CHECK(cleanPrompt(" \t ") == "");
}

TEST_CASE("prompt tokens: </s>, padding and truncation", "[tokenizer_prompt]") {
    if (!toolsAvailable()) {
        WARN("skipped: spm_train/spm_encode not found in PATH (install the sentencepiece tools)");
        return;
    }
    // T5's special-id layout: <pad> 0, </s> 1, <unk> 2.
    const auto model = trainedModel("nfkc_cf", "--normalization_rule_name=nmt_nfkc_cf --pad_id=0 --eos_id=1 "
                                               "--unk_id=2 --bos_id=-1");
    const auto tokenizer = UnigramTokenizer::fromSentencePieceModel(model);
    REQUIRE(tokenizer.padId() == 0);
    REQUIRE(tokenizer.eosId() == 1);
    REQUIRE(tokenizer.unkId() == 2);

    const auto tokens = tokenizePrompt(tokenizer, kNegativePrompt);
    const auto expected = spmEncode(model, {cleanPrompt(kNegativePrompt)}).at(0);
    REQUIRE(tokens.ids.size() == 512);
    REQUIRE(tokens.length == expected.size() + 1);
    CHECK(std::vector<std::int32_t>(tokens.ids.begin(), tokens.ids.begin() + expected.size()) == expected);
    CHECK(tokens.ids[expected.size()] == 1);
    CHECK(std::all_of(tokens.ids.begin() + tokens.length, tokens.ids.end(), [](auto id) { return id == 0; }));

    const auto shortTokens = tokenizePrompt(tokenizer, kNegativePrompt, 8);
    REQUIRE(shortTokens.ids.size() == 8);
    CHECK(shortTokens.length == 8);
    CHECK(std::vector<std::int32_t>(shortTokens.ids.begin(), shortTokens.ids.begin() + 7) ==
          std::vector<std::int32_t>(expected.begin(), expected.begin() + 7));
    CHECK(shortTokens.ids[7] == 1);

    const auto empty = tokenizePrompt(tokenizer, "   ");
    CHECK(empty.length == 1);
    CHECK(empty.ids[0] == 1);

    // sentencepiece's default layout has no <pad>: the pipeline refuses it clearly.
    const auto noPad =
        UnigramTokenizer::fromSentencePieceModel(trainedModel("nfkc_bytes", "--byte_fallback=true"));
    CHECK_THROWS_WITH(tokenizePrompt(noPad, "x"), Catch::Contains("no </s> or <pad>"));
}
