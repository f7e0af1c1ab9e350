// SPDX-License-Identifier: Apache-2.0
// kinema-train text-attention: whether the text encoder reads word order.
//
// The DiT's cross-attention gives text tokens no position, so whatever a caption says by word order (which
// object a colour belongs to, "red circle beside a blue star" against "blue circle beside a red star") has
// to be carried by the text encoder's own attention, through its relative position bias. When the content
// term q·k of that attention is far larger than the bias, the softmax saturates on content alone: every
// token's output is then a function of its own token and of the caption's set of tokens, and a caption
// whose words are shuffled gives the same outputs, shuffled the same way. The order sensitivity measures
// exactly that: the relative difference between encode(shuffled ids) and shuffle(encode(ids)), 0 for an
// encoder that sees a bag of words.
#include "TrainerInternal.h"
#include "Workers.h"
#include "text/PromptTokenizers.h"

#include <kinema/scenes/SceneSpec.h>

#include <ATen/CPUGeneratorImpl.h>
#include <c10/core/GradMode.h>

namespace kinema::trainer {

using namespace detail;

namespace {
constexpr std::uint64_t kTextAttentionStage = 8; ///< seed stream of the measured captions
constexpr std::uint64_t kProbeStage = 9;         ///< seed stream of --text-logit-cap's probe captions
constexpr int kProbes = 8;

std::vector<wan21::PromptIds> sceneCaptionIds(const TrainOptions& o, const PromptTokenizer& tokenizer,
                                              std::uint64_t stage, int count) {
    std::vector<wan21::PromptIds> prompts;
    for (int i = 0; i < count; ++i) {
        const auto seed = mixSeed(o.seed, stage, static_cast<std::uint64_t>(i));
        const auto text = sceneCaption(scenes::sample(seed), seed);
        prompts.push_back(
            wan21::promptIds(tokenizer.tokenize(text, static_cast<std::size_t>(o.shape.textLen))));
    }
    return prompts;
}

/// The encoder's outputs [L, dim] for `prompt` cut to its length, with each block's attention logits.
at::Tensor encodeWithLogits(const wan21::WanT5& t5, const wan21::PromptIds& prompt,
                            std::vector<wan21::T5AttentionLogits>& logits) {
    const auto ids = prompt.ids.narrow(1, 0, prompt.length);
    return t5.forward(ids, at::ones_like(ids), &logits)[0];
}
} // namespace

namespace detail {

TextAttentionReport measureTextAttention(const wan21::WanT5& t5, const std::vector<wan21::PromptIds>& prompts,
                                         std::uint64_t seed) {
    c10::NoGradGuard noGrad;
    TextAttentionReport report;
    auto gen = at::detail::createCPUGenerator(seed);
    for (const auto& prompt : prompts) {
        std::vector<wan21::T5AttentionLogits> logits;
        const auto hidden = encodeWithLogits(t5, prompt, logits);
        if (report.blocks.empty())
            report.blocks.resize(logits.size());
        for (std::size_t b = 0; b < logits.size(); ++b) {
            const auto& part = logits[b];
            auto& row = report.blocks[b];
            row.block = static_cast<int>(b);
            row.contentLogitStd += part.content.std().item<double>();
            row.positionBiasStd += part.position.std().item<double>();
            row.largestWeight +=
                std::get<0>(at::softmax(part.content + part.position, -1).max(-1)).mean().item<double>();
        }
        const auto order = at::randperm(prompt.length, gen, at::TensorOptions().dtype(at::kLong));
        const auto ids = prompt.ids.narrow(1, 0, prompt.length).index_select(1, order);
        const auto shuffled = t5.forward(ids, at::ones_like(ids))[0];
        report.orderSensitivity +=
            ((shuffled - hidden.index_select(0, order)).norm() / hidden.norm()).item<double>();
    }
    const auto n = static_cast<double>(prompts.size());
    for (auto& row : report.blocks) {
        row.contentLogitStd /= n;
        row.positionBiasStd /= n;
        row.largestWeight /= n;
    }
    report.orderSensitivity /= n;
    report.captions = static_cast<int>(prompts.size());
    return report;
}

std::vector<wan21::PromptIds> textAttentionProbes(const TrainOptions& o, const PromptTokenizer& tokenizer) {
    return sceneCaptionIds(o, tokenizer, kProbeStage, kProbes);
}

void capTextAttention(const wan21::WanT5& t5, ParamMap& params, const std::vector<wan21::PromptIds>& probes,
                      double cap, SampleWorkers* workers) {
    // Each probe's content-logit spread per block, then their mean in probe order.
    std::vector<std::vector<double>> perProbe(probes.size());
    forEachIndex(static_cast<std::int64_t>(probes.size()), workers, [&](std::int64_t i) {
        c10::NoGradGuard noGrad; // grad mode is per thread
        std::vector<wan21::T5AttentionLogits> logits;
        encodeWithLogits(t5, probes[static_cast<std::size_t>(i)], logits);
        for (const auto& block : logits)
            perProbe[static_cast<std::size_t>(i)].push_back(block.content.std().item<double>());
    });
    c10::NoGradGuard noGrad;
    std::vector<double> spread;
    for (const auto& blocks : perProbe) {
        spread.resize(blocks.size());
        for (std::size_t b = 0; b < blocks.size(); ++b)
            spread[b] += blocks[b] / static_cast<double>(probes.size());
    }
    for (std::size_t b = 0; b < spread.size(); ++b)
        if (spread[b] > cap)
            params.at("blocks." + std::to_string(b) + ".attn.q.weight").mul_(cap / spread[b]);
}

} // namespace detail

TextAttentionReport measureTextAttention(const TrainOptions& o, int captions) {
    if (captions < 1)
        throw TrainError("--clips must be 1 or more, got " + std::to_string(captions));
    if (o.workDir.empty())
        throw TrainError("no work directory given");
    seedWorkDirFrom(o);
    auto dit = buildDit(ditConfig(o.shape), 0);
    auto t5 = buildT5(t5Config(o.shape, tokenizerVocab(o)), 0);
    loadTrainedDit(o, dit.params, t5.params);
    const auto tokenizer = makeUmt5Tokenizer(o.workDir);
    return measureTextAttention(*t5.model, sceneCaptionIds(o, *tokenizer, kTextAttentionStage, captions),
                                mixSeed(o.seed, kTextAttentionStage));
}

} // namespace kinema::trainer
