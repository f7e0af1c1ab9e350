// SPDX-License-Identifier: Apache-2.0
// The dit stage's direction contrast (--direction-contrast; its batched form is tested with the batched
// steps), starting from an exported model (--init-from), the caption-gap measure and the text-attention
// measure.
#include "TrainerInternal.h"

#include "TestSupport.h"
#include "TrainerTestSupport.h"

#include "families/wan21/WanModelFolder.h"
#include "text/PromptTokenizers.h"

#include <kinema/scenes/SceneSpec.h>

#include <catch2/catch.hpp>

#include <ATen/ATen.h>
#include <c10/core/GradMode.h>

#include <cmath>
#include <filesystem>

using namespace kinema::trainer;
using namespace kinema::trainer::detail;
namespace fs = std::filesystem;

TEST_CASE("trainer: the direction hinge adds a gradient and no value", "[trainer]") {
    const auto truth = at::tensor({1.0f}).requires_grad_(true);
    const auto reversed = at::tensor({1.02f}).requires_grad_(true);
    const auto term = contrastHinge(truth, reversed, 0.05);
    CHECK(term.item<double>() == 0.0);
    term.sum().backward();
    // d/d(reversed) of 0.05 - (reversed - truth) / truth: -1 (the reversed caption's loss is pushed up) and
    // +1 for the true one (held constant in the denominator).
    CHECK(reversed.grad().item<double>() == Approx(-1.0));
    CHECK(truth.grad().item<double>() == Approx(1.0));
    // Past the margin, nothing.
    const auto far = at::tensor({1.2f}).requires_grad_(true);
    contrastHinge(truth.detach(), far, 0.05).sum().backward();
    CHECK(far.grad().item<double>() == 0.0);
}

TEST_CASE("trainer: --init-from starts from an exported model, caption-gap measures it", "[trainer]") {
    kinema::test::TempDir work, folder, fresh;
    auto o = test::preparedWork(work.path());
    o.steps = 2;
    const auto scratch = trainDit(o);
    REQUIRE(exportModel(o, folder.path()) > 0);
    const auto own = measureCaptionGap(o, 3);
    // The five rows of all clips, then five per group of subject motion; the groups share out the clips.
    REQUIRE(own.size() >= 10);
    REQUIRE(own.size() % 5 == 0);
    int grouped = 0;
    for (std::size_t i = 0; i < own.size(); ++i) {
        const auto& row = own[i];
        INFO(row.group << " timestep " << row.timestep);
        CHECK(row.timestep == 100 + 200 * static_cast<int>(i % 5));
        CHECK((row.group == "all") == (i < 5));
        // Directions group by the subject's motion, and by whether the reversed caption keeps its words.
        const auto group = row.group.substr(0, row.group.find(", same words"));
        CHECK((group == "all" || group == "left/right" || group == "up/down" || group == "diagonal" ||
               group == "grow/shrink" || group == "other"));
        CHECK(std::isfinite(row.trueCaption));
        CHECK(row.trueCaption > 0.0);
        CHECK(row.changedCaption > 0.0);
        CHECK(row.negativePrompt > 0.0);
        if (i < 5)
            CHECK(row.clips == 3);
        else if (row.timestep == 900)
            grouped += row.clips;
    }
    CHECK(grouped == 3);
    // Size-traded captions: grouped by the subject's motion, travelling or changing size.
    const auto traded = measureCaptionGap(o, 2, CaptionChange::SizeTrade);
    REQUIRE(traded.size() >= 10);
    for (std::size_t i = 5; i < traded.size(); ++i) {
        INFO(traded[i].group);
        CHECK((traded[i].group == "left/right" || traded[i].group == "up/down" ||
               traded[i].group == "diagonal" || traded[i].group == "grow/shrink"));
    }
    CHECK(traded[4].clips == 2);
    // Recoloured and reshaped captions: grouped by the subject's own colour or shape; colour-swapped ones by
    // whether the swap keeps the caption's words.
    for (auto change : {CaptionChange::Colour, CaptionChange::Shape, CaptionChange::ColourSwap}) {
        const auto rows = measureCaptionGap(o, 2, change);
        REQUIRE(rows.size() >= 10);
        for (std::size_t i = 5; i < rows.size(); ++i) {
            const auto& g = rows[i].group;
            INFO(g);
            if (change == CaptionChange::ColourSwap)
                CHECK((g == "same words" || g == "other words"));
            else if (change == CaptionChange::Colour)
                CHECK_NOTHROW(kinema::scenes::enumFromString<kinema::scenes::Colour>(g, "colour"));
            else
                CHECK_NOTHROW(kinema::scenes::enumFromString<kinema::scenes::Shape>(g, "shape"));
        }
        CHECK(rows[4].clips == 2);
        CHECK(rows[4].changedCaption > 0.0);
    }

    // A work directory seeded from the folder holds the same model: the same measure, to rounding.
    auto seeded = o;
    seeded.workDir = fresh.path();
    seeded.initFrom = folder.path();
    const auto fromFolder = measureCaptionGap(seeded, 3);
    REQUIRE(fromFolder.size() == own.size());
    for (std::size_t i = 0; i < own.size(); ++i) {
        CHECK(fromFolder[i].trueCaption == Approx(own[i].trueCaption).epsilon(1e-5));
        CHECK(fromFolder[i].changedCaption == Approx(own[i].changedCaption).epsilon(1e-5));
    }
    CHECK(fs::exists(fresh.path() / "spiece.model"));
    CHECK(fs::exists(fresh.path() / "vae.safetensors"));
    CHECK(fs::exists(fresh.path() / "latent_stats.safetensors")); // the folder's kinema.json statistics

    // A decoder-only round exports the folder's DiT and text encoder unchanged, with its own decoder.
    {
        kinema::test::TempDir decoderWork, decoderFolder;
        auto decoderOnly = seeded;
        decoderOnly.workDir = decoderWork.path();
        decoderOnly.steps = 1;
        trainVaeDecoder(decoderOnly);
        REQUIRE(exportModel(decoderOnly, decoderFolder.path()) > 0);
        for (const char* file :
             {"diffusion_pytorch_model.safetensors", "models_t5_umt5-xxl-enc-bf16.safetensors"})
            CHECK(kinema::test::readFileBytes(decoderFolder.path() / file) ==
                  kinema::test::readFileBytes(folder.path() / file));
        CHECK(kinema::test::readFileBytes(decoderFolder.path() / "Wan2.1_VAE.safetensors") !=
              kinema::test::readFileBytes(folder.path() / "Wan2.1_VAE.safetensors"));
        decoderOnly.initFrom.clear();
        CHECK_THROWS_WITH(exportModel(decoderOnly, decoderFolder.path()), Catch::Contains("dit.safetensors"));
    }

    // The dit stage continues from the folder's weights with a fresh optimiser.
    seeded.steps = 1;
    const auto steps = trainDit(seeded);
    REQUIRE(steps.size() == 1);
    CHECK(steps[0].step == 1);
    CHECK(fs::exists(fresh.path() / "dit.safetensors"));
    CHECK(steps[0].loss != Approx(scratch[0].loss).epsilon(1e-3));
    // --fresh-dit takes only the folder's tokenizer and VAE: the DiT starts from its seed, as in the
    // work directory trained from scratch (the same first step, to the rounding of the latent statistics
    // the folder stores as text).
    {
        kinema::test::TempDir freshDit;
        auto fromScratch = seeded;
        fromScratch.workDir = freshDit.path();
        fromScratch.freshDit = true;
        const auto first = trainDit(fromScratch);
        REQUIRE(first.size() == 1);
        CHECK(first[0].loss == Approx(scratch[0].loss).epsilon(1e-4));
    }

    seeded.initFrom = fresh.path() / "no-such-model";
    seeded.workDir = fresh.path() / "other";
    CHECK_THROWS_WITH(trainDit(seeded), Catch::Contains("--init-from") && Catch::Contains("spiece.model"));
}

TEST_CASE("trainer: --unkeyed-condition grey and position train, measure and export the conditioning",
          "[trainer]") {
    const std::string condition = GENERATE(as<std::string>{}, "grey", "position");
    const std::string other = condition == "grey" ? "position" : "grey";
    kinema::test::TempDir work, folder;
    auto o = test::preparedWork(work.path());
    o.steps = 2;
    o.unkeyedCondition = condition;
    trainDit(o);
    REQUIRE(exportModel(o, folder.path()) > 0);
    // The engine reads the choice from the exported folder's kinema.json.
    CHECK(kinema::diffusion::wan21::resolveModelFolder(folder.path()).unkeyedCondition == condition);
    // The measure feeds the same weights the unkeyed latent or zeros at the unkeyed frames.
    const auto conditioned = measureCaptionGap(o, 1);
    auto zero = o;
    zero.unkeyedCondition = "zero";
    const auto plain = measureCaptionGap(zero, 1);
    REQUIRE(conditioned.size() == plain.size());
    CHECK(std::abs(conditioned[4].trueCaption - plain[4].trueCaption) > 1e-6);

    // A work directory started from the folder must keep its conditioning: not zeros, not the other one.
    kinema::test::TempDir seeded;
    auto from = zero;
    from.workDir = seeded.path();
    from.initFrom = folder.path();
    CHECK_THROWS_WITH(trainDit(from), Catch::Contains("--unkeyed-condition " + condition));
    from.unkeyedCondition = other;
    CHECK_THROWS_WITH(trainDit(from), Catch::Contains("--unkeyed-condition " + condition));
    from.unkeyedCondition = condition;
    CHECK(measureCaptionGap(from, 1)[4].trueCaption == Approx(conditioned[4].trueCaption).epsilon(1e-5));

    o.unkeyedCondition = "blue";
    CHECK_THROWS_WITH(trainDit(o), Catch::Contains("--unkeyed-condition"));
    CHECK_THROWS_WITH(exportModel(o, folder.path()), Catch::Contains("--unkeyed-condition"));
}

TEST_CASE("trainer: text-attention tells a bag-of-words text encoder from one that reads word order",
          "[trainer]") {
    kinema::test::TempDir work;
    auto o = test::preparedWork(work.path());
    o.steps = 1;
    trainDit(o);
    const auto trained = measureTextAttention(o, 4);
    REQUIRE(trained.blocks.size() == static_cast<std::size_t>(o.shape.textLayers));
    CHECK(trained.captions == 4);
    for (const auto& b : trained.blocks) {
        CHECK(b.contentLogitStd > 0.0);
        CHECK(b.positionBiasStd > 0.0);
        CHECK(b.largestWeight > 0.0);
        CHECK(b.largestWeight <= 1.0);
    }
    CHECK(trained.orderSensitivity > 1e-3);
    CHECK_THROWS_WITH(measureTextAttention(o, 0), Catch::Contains("--clips"));

    // --text-logit-cap holds the content logits near the cap (measured on other captions than its probes).
    {
        kinema::test::TempDir cappedWork;
        auto capped = test::preparedWork(cappedWork.path());
        capped.steps = 2;
        capped.textLogitCap = 1.0;
        trainDit(capped);
        const auto held = measureTextAttention(capped, 4);
        for (std::size_t b = 0; b < held.blocks.size(); ++b) {
            INFO("block " << b << ": " << trained.blocks[b].contentLogitStd << " uncapped");
            CHECK(trained.blocks[b].contentLogitStd > 2.0);
            CHECK(held.blocks[b].contentLogitStd < 1.5);
        }
    }

    // The same kind of encoder with its position tables zeroed sees a bag of words; scaling q scales the
    // content logits and leaves the position bias alone.
    auto t5 = buildT5(t5Config(o.shape, tokenizerVocab(o)), 0);
    const auto tokenizer = kinema::diffusion::makeUmt5Tokenizer(o.workDir);
    std::vector<kinema::diffusion::wan21::PromptIds> prompts;
    for (const char* text :
         {"a red circle moving left next to a small blue star", "large, green, ring, spin"})
        prompts.push_back(kinema::diffusion::wan21::promptIds(
            tokenizer->tokenize(text, static_cast<std::size_t>(o.shape.textLen))));
    const auto before = measureTextAttention(*t5.model, prompts, 1);
    CHECK(before.orderSensitivity > 1e-3);
    {
        c10::NoGradGuard noGrad;
        for (auto& [name, p] : t5.params)
            if (name.find("attn.q.weight") != std::string::npos)
                p.mul_(0.5);
    }
    const auto halved = measureTextAttention(*t5.model, prompts, 1);
    for (std::size_t b = 0; b < before.blocks.size(); ++b) {
        INFO("block " << b);
        CHECK(halved.blocks[b].positionBiasStd == Approx(before.blocks[b].positionBiasStd));
        if (b == 0) // later blocks see other inputs once the first block's attention has changed
            CHECK(halved.blocks[b].contentLogitStd == Approx(0.5 * before.blocks[b].contentLogitStd));
    }
    {
        c10::NoGradGuard noGrad;
        for (auto& [name, p] : t5.params)
            if (name.find("pos_embedding") != std::string::npos)
                p.zero_();
    }
    const auto bag = measureTextAttention(*t5.model, prompts, 1);
    CHECK(bag.orderSensitivity < 1e-5);
    for (const auto& b : bag.blocks)
        CHECK(b.positionBiasStd == 0.0);
}
