// SPDX-License-Identifier: Apache-2.0
// The Unigram tokenizer against sentencepiece itself: models are trained with `spm_train` and the expected
// ids come from `spm_encode`, both run as separate processes (libsentencepiece is never linked).
#include "kinema/diffusion/Tokenizer.h"

#include "test_tokenizer_support.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <optional>
#include <random>
#include <sstream>

using namespace kinema::diffusion;
using namespace kinema::test::spm;

namespace {

void compareWithSpm(const std::string& name, const std::string& options) {
    if (!toolsAvailable()) {
        WARN("skipped: spm_train/spm_encode not found in PATH (install the sentencepiece tools)");
        return;
    }
    const auto model = trainedModel(name, options);
    const auto tokenizer = UnigramTokenizer::fromSentencePieceModel(model);
    const auto corpus = testCorpus();
    const auto expected = spmEncode(model, corpus);
    REQUIRE(expected.size() == corpus.size());
    for (std::size_t i = 0; i < corpus.size(); ++i) {
        INFO("line " << i << ": " << corpus[i]);
        CHECK(tokenizer.encode(corpus[i]) == expected[i]);
    }
}

} // namespace

TEST_CASE("tokenizer: matches spm_encode (NFKC, byte fallback)", "[tokenizer]") {
    compareWithSpm("nfkc_bytes", "--byte_fallback=true");
}

TEST_CASE("tokenizer: matches spm_encode (NFKC, unknown pieces)", "[tokenizer]") {
    compareWithSpm("nfkc_unk", "--byte_fallback=false");
}

TEST_CASE("tokenizer: matches spm_encode (identity normaliser, no dummy prefix, kept spaces)",
          "[tokenizer]") {
    compareWithSpm("identity", "--normalization_rule_name=identity --add_dummy_prefix=false "
                               "--remove_extra_whitespaces=false --byte_fallback=true");
}

TEST_CASE("tokenizer: matches spm_encode (NFKC with case folding, custom special ids)", "[tokenizer]") {
    compareWithSpm("nfkc_cf",
                   "--normalization_rule_name=nmt_nfkc_cf --pad_id=0 --eos_id=1 --unk_id=2 --bos_id=-1");
}
