// SPDX-License-Identifier: Apache-2.0
// kinema-train: trains the embedded demo model stage by stage and exports it as a model folder.
//   kinema-train tokenizer --work W      Unigram tokenizer (spm_train) on scene captions
//   kinema-train vae --work W --steps N  causal VAE
//   kinema-train vae-decoder --work W    VAE decoder on full-length clips (encoder frozen)
//   kinema-train dit --work W --steps N  DiT + text encoder (flow matching, conditioning masks)
//   kinema-train export --work W --out resources/models/kinema-demo
#include <kinema/trainer/Trainer.h>

#include <CLI/CLI.hpp>

#include <malloc.h>

#include <cstdio>
#include <exception>
#include <iostream>
#include <map>

namespace {

/// Keeps freed tensor memory in the process instead of returning it to the system. The stages allocate and
/// free the same few megabyte-sized buffers over and over; with glibc's defaults many of them come from
/// fresh mmap pages each time, which the kernel must fault in and zero (15 % of the samples when the dit
/// stage builds its latent pool). Allocation only: the computed values are the same bit for bit.
void keepFreedMemory() {
    mallopt(M_MMAP_THRESHOLD, 32 << 20); // the largest glibc allows; blocks below it come from the heap
    mallopt(M_TRIM_THRESHOLD, 1 << 30);  // and a heap's free top is kept up to 1 GiB
}

} // namespace

int main(int argc, char** argv) {
    using namespace kinema::trainer;
    keepFreedMemory();
    CLI::App app{"kinema-train: trains Kinema's embedded demo model"};
    app.require_subcommand(1);
    TrainOptions o;
    std::string out;
    std::string commandLine;
    for (int i = 0; i < argc; ++i)
        commandLine += (i ? " " : "") + std::string(i == 0 ? "kinema-train" : argv[i]);

    auto common = [&](CLI::App* sub) {
        sub->add_option("--work", o.workDir, "work directory (checkpoints, loss logs, tokenizer)")
            ->required();
        sub->add_option_function<int>(
            "--size", [&](const int& size) { o.width = o.height = size; },
            "frame width and height (multiple of 16)");
        sub->add_option("--frames", o.frames, "DiT clip length (4k + 1)");
        sub->add_option("--vae-frames", o.vaeFrames, "VAE training clip length (4k + 1)");
        sub->add_option(
            "--vae-crop", o.vaeCrop,
            "VAE stage: train on random N x N windows of the frames (multiple of 8; 0: whole frames)");
        sub->add_option("--steps", o.steps, "total optimiser steps of the stage");
        sub->add_option("--batch", o.batch, "clips per step");
        sub->add_option("--lr", o.learningRate, "peak learning rate");
        sub->add_option("--final-lr", o.finalLrRatio,
                        "learning rate at the last step as a fraction of the peak (cosine decay)");
        sub->add_option("--shift", o.shift, "flow-matching timestep shift");
        sub->add_option("--seed", o.seed, "training seed");
        sub->add_option("--threads", o.threads,
                        "worker threads, each training its share of a batch's samples (0 = all cores); the "
                        "weights do not depend on it");
        sub->add_option("--intra-op-threads", o.intraOpThreads,
                        "threads per op on each worker (1 is fastest; the weights depend on it)")
            ->check(CLI::Range(1, 256));
        sub->add_option("--checkpoint-every", o.checkpointEvery, "steps between checkpoints");
        sub->add_flag(
            "--restart", [&](std::int64_t) { o.resume = false; }, "ignore an existing checkpoint");
        sub->add_option("--vae-dim", o.shape.vaeDim);
        sub->add_option("--z-dim", o.shape.zDim);
        sub->add_option("--vae-downsamples", o.shape.vaeDownsamples,
                        "spatial downsampling stages of the VAE (latents 2^n times smaller; Wan 2.1: 3)");
        sub->add_option("--dit-patch", o.shape.ditPatch, "spatial patch size of the DiT (Wan 2.1: 2)");
        sub->add_option("--chroma-weight", o.chromaWeight,
                        "VAE stages: extra weight of the colour (chroma) error (0: plain squared error)");
        sub->add_option("--temporal-weight", o.temporalWeight,
                        "VAE stages: extra weight of the error's change between frames (flicker); dit stage: "
                        "the same on the velocity error between latent frames");
        sub->add_option("--edge-weight", o.edgeWeight,
                        "VAE stages: extra weight of the error's change between neighbouring pixels (blurred "
                        "edges and corners)");
        sub->add_option("--held-keys", o.heldKeys,
                        "dit stage: fraction of single keyframes conditioned on the key held still, as the "
                        "engine does (0 to 1)");
        sub->add_option("--latent-pool", o.latentPool,
                        "dit stage: draw samples from N scenes encoded once and kept in the work directory "
                        "(0: a new scene for every sample)");
        sub->add_option("--key-chunks", o.keyChunks,
                        "vae-decoder stage: fraction of samples with a keyframe's conditioning latent in "
                        "place of one latent frame (0 to 1)");
        sub->add_option(
            "--object-weight", o.objectWeight,
            "VAE stages: extra loss weight of pixels that stand out from their row; dit: of the latent "
            "pixels over them (0: plain MSE)");
        sub->add_option("--dit-dim", o.shape.ditDim);
        sub->add_option("--dit-layers", o.shape.ditLayers);
        sub->add_option("--dit-heads", o.shape.ditHeads);
        sub->add_option("--dit-ffn", o.shape.ditFfn);
        sub->add_option("--text-dim", o.shape.textDim);
        sub->add_option("--text-layers", o.shape.textLayers);
        sub->add_option("--text-ffn", o.shape.textFfn);
        sub->add_option("--text-len", o.shape.textLen);
        sub->add_option("--vocab", o.shape.vocab, "requested tokenizer vocabulary size");
        sub->add_option("--supersampling", o.supersampling, "scene renderer anti-aliasing per axis");
    };
    auto* tok = app.add_subcommand("tokenizer", "train the Unigram tokenizer with spm_train");
    auto* vae = app.add_subcommand("vae", "train the causal VAE");
    auto* dec =
        app.add_subcommand("vae-decoder", "fine-tune the VAE decoder on full-length clips (encoder frozen)");
    auto* dit = app.add_subcommand("dit", "train the DiT and the text encoder");
    auto* exp = app.add_subcommand("export", "write the model folder");
    auto* gap =
        app.add_subcommand("caption-gap", "measure how much the DiT's loss rises when the caption's "
                                          "directions are reversed or its subject recoloured or reshaped");
    gap->alias("direction-gap");
    auto* att = app.add_subcommand("text-attention",
                                   "measure whether the text encoder reads word order: its attention logits' "
                                   "content and position parts, and how its outputs change when a caption's "
                                   "tokens are shuffled");
    for (auto* sub : {tok, vae, dec, dit, exp, gap, att})
        common(sub);
    int clips = 48;
    gap->add_option("--clips", clips, "scenes to measure (captions that the change alters)");
    att->add_option("--clips", clips, "captions to measure");
    CaptionChange change = CaptionChange::Direction;
    gap->add_option("--change", change,
                    "what changes in the caption: direction, colour, shape, colour-swap (the subject's "
                    "colour swapped with another object's) or size-trade (the subject's travel traded for "
                    "a change of size, or back)")
        ->transform(CLI::CheckedTransformer(
            std::map<std::string, CaptionChange>{{"direction", CaptionChange::Direction},
                                                 {"colour", CaptionChange::Colour},
                                                 {"shape", CaptionChange::Shape},
                                                 {"colour-swap", CaptionChange::ColourSwap},
                                                 {"size-trade", CaptionChange::SizeTrade}}));
    dec->add_option("--sampled-latents", o.sampledLatents,
                    "fraction of samples whose latent the trained DiT first denoises from part-way noised "
                    "(video-to-video with the caption), so the decoder learns the DiT's latents (0 to 1)");
    dec->add_option("--sampled-strength", o.sampledStrength,
                    "largest video-to-video strength of --sampled-latents (drawn uniformly up to it)");
    for (auto* sub : {dec, dit, exp, gap, att})
        sub->add_option("--init-from", o.initFrom,
                        "model folder written by export to start from when the work directory has no "
                        "checkpoint (fresh optimiser); export takes its DiT and text encoder when the work "
                        "directory has no dit checkpoint");
    dit->add_flag("--fresh-dit", o.freshDit,
                  "with --init-from: take only the folder's tokenizer and VAE; the DiT and the text encoder "
                  "start from their seeds");
    dit->add_option("--average-decay", o.averageDecay,
                    "keep an exponential moving average of the weights with this decay (0.999: about the "
                    "last 1000 steps) beside them in the checkpoint; export takes it (0: none)")
        ->check(CLI::Range(0.0, 0.999999));
    for (auto* sub : {dec, exp, gap, att})
        sub->add_flag("--raw-weights", o.rawWeights,
                      "take the optimiser's own DiT and text encoder weights from a dit checkpoint that also "
                      "holds their moving average (--average-decay), not the average");
    dit->add_option("--direction-contrast", o.directionContrast,
                    "weight of the hinge that makes the reversed caption's loss exceed the true one's");
    dit->add_option(
        "--size-contrast", o.sizeContrast,
        "weight of the hinge that makes the caption with the subject's travel traded for a change "
        "of size (or back) cost more; with --direction-contrast, half the samples take each");
    dit->add_option("--direction-margin", o.directionMargin,
                    "relative margin of the direction and size contrasts (0.05: 5 % above the true caption's "
                    "loss)");
    dit->add_option("--colour-contrast", o.colourContrast,
                    "weight of the hinge that makes the caption with the subject recoloured cost more");
    dit->add_option("--shape-contrast", o.shapeContrast,
                    "weight of the hinge that makes the caption with the subject reshaped cost more");
    dit->add_option("--colour-swap-contrast", o.colourSwapContrast,
                    "weight of the hinge that makes the caption with the subject's colour swapped with "
                    "another object's cost more");
    dit->add_option("--text-logit-cap", o.textLogitCap,
                    "hold the standard deviation of the text encoder's content attention logits at or below "
                    "this, by scaling its query weights after every step (0: off)");
    dit->add_option("--subject-margin", o.subjectMargin,
                    "relative margin of the colour, shape and colour-swap contrasts");
    // The decoder stage too: its --init-from folder's DiT conditions that way (and --sampled-latents runs
    // it).
    for (auto* sub : {dit, dec, exp, gap})
        sub->add_option("--unkeyed-condition", o.unkeyedCondition,
                        "conditioning latent of unkeyed latent frames: zero; grey (a mid-grey clip's latent, "
                        "which marks the frame's edges); or position (horizontal and vertical ramps)")
            ->check(CLI::IsMember({"zero", "grey", "position"}));
    exp->add_option("--out", out, "model folder to write")->required();
    for (auto* sub : {vae, dec, dit}) {
        sub->add_option("--device", o.device,
                        "train on cpu, cuda or cuda:N (not the CPU: batched steps; dit needs --latent-pool)");
        sub->add_flag("--batched", o.batchedSteps,
                      "one forward over the whole batch instead of one per sample (dit: needs --latent-pool; "
                      "vae-decoder: not with --sampled-latents)");
    }
    dit->add_option("--batch-chunks", o.batchChunks,
                    "batched steps on the CPU in N passes run side by side on the worker threads (implies "
                    "--batched; the weights do not depend on --threads)")
        ->check(CLI::Range(0, 4096));

    CLI11_PARSE(app, argc, argv);
    try {
        if (tok->parsed())
            trainTokenizer(o);
        else if (vae->parsed())
            trainVae(o);
        else if (dec->parsed())
            trainVaeDecoder(o);
        else if (dit->parsed())
            trainDit(o);
        else if (gap->parsed()) {
            const auto rows = measureCaptionGap(o, clips, change);
            const bool direction = change == CaptionChange::Direction;
            const char* other = direction ? "reversed" : "changed";
            std::printf("%-14s  clips  timestep  true caption  %8s  negative prompt  %8s/true\n",
                        direction ? "subject motion" : "subject", other, other);
            for (const auto& r : rows)
                std::printf("%-14s  %5d  %8d  %12.4f  %8.4f  %15.4f  %+12.2f %%\n", r.group.c_str(), r.clips,
                            r.timestep, r.trueCaption, r.changedCaption, r.negativePrompt,
                            100.0 * (r.changedCaption / r.trueCaption - 1.0));
        } else if (att->parsed()) {
            const auto r = measureTextAttention(o, clips);
            std::printf("block  content logit std  position bias std  largest weight\n");
            for (const auto& b : r.blocks)
                std::printf("%5d  %17.4f  %17.4f  %14.4f\n", b.block, b.contentLogitStd, b.positionBiasStd,
                            b.largestWeight);
            std::printf("order sensitivity over %d captions: %.6f (0: the encoder sees a bag of words)\n",
                        r.captions, r.orderSensitivity);
        } else if (exp->parsed()) {
            const auto bytes = exportModel(o, out, commandLine);
            std::cout << "exported " << out << ": " << bytes << " bytes\n";
        }
    } catch (const std::exception& e) {
        std::cerr << "kinema-train: " << e.what() << '\n';
        return 1;
    }
    return 0;
}
