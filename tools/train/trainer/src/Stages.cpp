// SPDX-License-Identifier: Apache-2.0
// The training stages: tokenizer (spm_train subprocess), VAE, DiT + text encoder.
#include "LatentPool.h"
#include "TrainerInternal.h"
#include "Workers.h"
#include "families/wan21/WanModelFolder.h"
#include "io/SafetensorsReader.h"
#include "text/PromptTokenizers.h"

#include <kinema/diffusion/Tokenizer.h>
#include <kinema/scenes/Caption.h>
#include <kinema/scenes/SceneSpec.h>

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>
#include <c10/core/GradMode.h>
#include <torch/csrc/autograd/autograd.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <optional>
#include <thread>

namespace kinema::trainer {

using namespace detail;
namespace fs = std::filesystem;

namespace {

constexpr int kTimeline = 17; ///< scenes are rendered on a 17-frame timeline (about 1 s at 16 fps)
constexpr std::uint64_t kVaeStage = 1, kDitStage = 2, kTokenizerStage = 3, kStatsStage = 4, kDecoderStage = 5,
                        kPoolStage = 6;

void checkOptions(const TrainOptions& o) {
    if (o.workDir.empty())
        throw TrainError("no work directory given");
    if (!wan21::DitConfig::supportedPatch(o.shape.ditPatch))
        throw TrainError("--dit-patch must be 1, 2, 4 or 8, got " + std::to_string(o.shape.ditPatch));
    // One DiT token covers `multiple` pixels on each side (VAE stride times patch size).
    const int multiple = static_cast<int>(vaeConfig(o.shape).spatialStride()) * o.shape.ditPatch;
    if (o.width < multiple || o.height < multiple || o.width % multiple || o.height % multiple)
        throw TrainError("size " + std::to_string(o.width) + "x" + std::to_string(o.height) +
                         ": width and height must be multiples of " + std::to_string(multiple));
    if (o.frames < 1 || (o.frames - 1) % 4 || o.vaeFrames < 1 || (o.vaeFrames - 1) % 4)
        throw TrainError("frame counts must be 4k + 1");
    if (o.steps < 0 || o.batch < 1 || !(o.learningRate > 0) || !(o.shift > 0) || o.intraOpThreads < 1)
        throw TrainError(
            "steps must be >= 0, batch >= 1, intra-op threads >= 1, learning rate and shift > 0");
    if (o.vaeCrop < 0 || o.vaeCrop % 8 || o.vaeCrop > std::min(o.width, o.height))
        throw TrainError("--vae-crop must be 0 or a multiple of 8 no larger than the frame, got " +
                         std::to_string(o.vaeCrop));
    for (const auto& [flag, weight] :
         {std::pair{"--chroma-weight", o.chromaWeight}, std::pair{"--object-weight", o.objectWeight},
          std::pair{"--temporal-weight", o.temporalWeight}, std::pair{"--edge-weight", o.edgeWeight}})
        if (!(weight >= 0) || !std::isfinite(weight))
            throw TrainError(std::string(flag) + " must be 0 or more, got " + std::to_string(weight));
    for (const auto& [flag, fraction] :
         {std::pair{"--key-chunks", o.keyChunks}, std::pair{"--held-keys", o.heldKeys},
          std::pair{"--sampled-latents", o.sampledLatents},
          std::pair{"--sampled-strength", o.sampledStrength}})
        if (!(fraction >= 0.0 && fraction <= 1.0))
            throw TrainError(std::string(flag) + " must be a fraction from 0 to 1, got " +
                             std::to_string(fraction));
    if (o.latentPool < 0)
        throw TrainError("--latent-pool must be 0 or more, got " + std::to_string(o.latentPool));
    for (const auto& [flag, value] :
         {std::pair{"--direction-contrast", o.directionContrast},
          std::pair{"--direction-margin", o.directionMargin}, std::pair{"--size-contrast", o.sizeContrast},
          std::pair{"--colour-contrast", o.colourContrast}, std::pair{"--shape-contrast", o.shapeContrast},
          std::pair{"--colour-swap-contrast", o.colourSwapContrast},
          std::pair{"--text-logit-cap", o.textLogitCap}, std::pair{"--subject-margin", o.subjectMargin}})
        if (!(value >= 0) || !std::isfinite(value))
            throw TrainError(std::string(flag) + " must be 0 or more, got " + std::to_string(value));
    checkUnkeyedCondition(o);
    fs::create_directories(o.workDir);
    at::set_num_threads(o.intraOpThreads); // see Workers.h
}

/// The tokenizer stage runs on the CPU only.
void requireCpu(const TrainOptions& o, const char* stage) {
    if (o.device != "cpu")
        throw TrainError(std::string("--device ") + o.device + ": the " + stage +
                         " stage runs on the CPU only");
}

/// Linear warm-up over 20 steps, then a cosine decay to `finalLrRatio` of the peak at the last step.
double learningRate(const TrainOptions& o, int step) {
    constexpr int kWarmup = 20;
    if (step <= kWarmup)
        return o.learningRate * static_cast<double>(step) / kWarmup;
    const double progress =
        std::min(1.0, static_cast<double>(step - kWarmup) / std::max(1, o.steps - kWarmup));
    const double cosine = 0.5 * (1.0 + std::cos(3.14159265358979323846 * progress));
    return o.learningRate * (o.finalLrRatio + (1.0 - o.finalLrRatio) * cosine);
}

/// Worker threads of a stage: `--threads` (0 = all cores), at most one per sample of a batch.
int workerCount(const TrainOptions& o) {
    const int wanted =
        o.threads > 0 ? o.threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    return std::clamp(wanted, 1, o.batch);
}

/// Runs optimiser steps from the checkpoint's step to options.steps. `lossOf(dataStep, unit)` builds the
/// loss of one unit of a batch (already divided by the batch size): by default a unit is one sample of the
/// batch, and there are options.batch of them; with `units` > 0 there are that many (the dit stage's
/// chunks of samples, whose steps update with Adam::stepFused). It is called concurrently from the worker
/// threads, so it may only read shared state.
///
/// Data parallelism (see Workers.h): unit i of a step runs on worker i % workers. Each unit's gradients
/// are kept apart and summed in unit order afterwards, the order in which per-unit backward passes on
/// one thread accumulate, so the weights do not depend on the number of workers.
///
/// With `batchLossOf` (the dit stage's batched steps), a step is instead one backward pass of
/// batchLossOf(dataStep, workers), the sum of the batch's per-sample losses.
template <typename LossFn>
std::vector<StepLoss> runLoop(const TrainOptions& o, Adam& adam, const fs::path& ckpt, const fs::path& log,
                              const char* stage, LossFn&& lossOf,
                              const std::function<at::Tensor(int dataStep, SampleWorkers&)>& batchLossOf = {},
                              const std::function<void(SampleWorkers&)>& afterStep = {}, int units = 0) {
    if (!(o.resume && adam.load(ckpt)))
        fs::remove(log);
    else // a run stopped between logging steps and checkpointing them repeats those steps
        trimLossLog(log, adam.steps());
    std::vector<at::Tensor> leaves;
    for (const auto& [name, p] : adam.params())
        leaves.push_back(p);
    SampleWorkers workers(workerCount(o), o.intraOpThreads);

    struct SampleResult {
        double loss = 0.0;
        std::vector<at::Tensor> grads;
    };
    const int unitCount = units > 0 ? units : o.batch;
    std::vector<SampleResult> results(static_cast<std::size_t>(unitCount));
    auto runSamples = [&](int worker, int dataStep) {
        for (int i = worker; i < unitCount; i += workers.count()) {
            const at::Tensor loss = lossOf(dataStep, i);
            auto& r = results[static_cast<std::size_t>(i)];
            r.grads =
                torch::autograd::grad({loss}, leaves, {}, /*retain_graph=*/false, /*create_graph=*/false,
                                      /*allow_unused=*/true);
            r.loss = loss.item<double>();
        }
    };

    std::vector<StepLoss> losses;
    const auto start = std::chrono::steady_clock::now();
    std::vector<StepLoss> pending;
    auto flush = [&] {
        const double seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        appendLossLog(log, pending, seconds);
        pending.clear();
        adam.save(ckpt);
    };
    while (adam.steps() < o.steps) {
        const int step = adam.steps() + 1;
        const int dataStep = o.fixedBatch ? 1 : step;
        adam.zeroGrad();
        double loss = 0.0;
        if (batchLossOf) {
            const at::Tensor batchLoss = batchLossOf(dataStep, workers);
            const auto grads = torch::autograd::grad({batchLoss}, leaves, {}, /*retain_graph=*/false,
                                                     /*create_graph=*/false, /*allow_unused=*/true);
            for (std::size_t j = 0; j < leaves.size(); ++j)
                if (grads[j].defined())
                    leaves[j].mutable_grad() = grads[j];
            loss = batchLoss.item<double>();
        } else {
            workers.run([&](int worker) { runSamples(worker, dataStep); });
            {
                c10::NoGradGuard noGrad;
                for (std::size_t j = 0; j < leaves.size(); ++j) {
                    at::Tensor sum;
                    for (auto& r : results) {
                        const auto& g = r.grads[j];
                        if (!g.defined())
                            continue;
                        if (sum.defined())
                            sum.add_(g);
                        else
                            sum = g.clone();
                    }
                    if (sum.defined())
                        leaves[j].mutable_grad() = sum;
                }
            }
            for (auto& r : results) {
                loss += r.loss;
                r.grads.clear();
            }
        }
        const double lr = learningRate(o, step);
        const double norm = units > 0 ? adam.stepFused(lr, &workers) : adam.step(lr);
        if (afterStep)
            afterStep(workers);
        losses.push_back({step, loss});
        pending.push_back({step, loss});
        if (!o.quiet)
            std::cout << stage << " step " << step << "/" << o.steps << " loss " << loss << " grad " << norm
                      << std::endl;
        if (step % std::max(1, o.checkpointEvery) == 0 || step == o.steps)
            flush();
    }
    if (!pending.empty())
        flush();
    return losses;
}

} // namespace

void trainTokenizer(const TrainOptions& o) {
    checkOptions(o);
    requireCpu(o, "tokenizer");
    const auto corpus = o.workDir / "captions.txt";
    {
        std::ofstream out(corpus);
        for (int i = 0; i < o.tokenizerCaptions; ++i) {
            const auto seed = mixSeed(o.seed, kTokenizerStage, static_cast<std::uint64_t>(i));
            const auto spec = scenes::sample(seed);
            for (auto style : scenes::kAllCaptionStyles)
                out << scenes::caption(spec, style, mixSeed(seed, 11)) << '\n';
        }
        if (!out)
            throw TrainError("cannot write '" + corpus.string() + "'");
    }
    const auto prefix = o.workDir / "spiece";
    const std::string command = "spm_train --input='" + corpus.string() + "' --model_prefix='" +
                                prefix.string() + "' --vocab_size=" + std::to_string(o.shape.vocab) +
                                " --model_type=unigram --character_coverage=1.0 --pad_id=0 --eos_id=1"
                                " --unk_id=2 --bos_id=-1 --hard_vocab_limit=false --num_threads=1"
                                " --minloglevel=2 > '" +
                                (o.workDir / "spm_train.log").string() + "' 2>&1";
    if (std::system(command.c_str()) != 0 || !fs::exists(prefix.string() + ".model"))
        throw TrainError("spm_train failed (is the sentencepiece package installed?); see '" +
                         (o.workDir / "spm_train.log").string() + "'");
    const auto tok = UnigramTokenizer::fromSentencePieceModel(prefix.string() + ".model");
    if (tok.eosId() != 1 || tok.padId() != 0)
        throw TrainError("the trained tokenizer does not have <pad> = 0 and </s> = 1");
    if (!o.quiet)
        std::cout << "tokenizer: " << tok.vocabSize() << " pieces -> " << prefix.string() << ".model\n";
}

namespace {

/// The loss terms of the VAE stages, from the options (see TrainOptions).
struct ReconstructionWeights {
    double object = 0.0, chroma = 0.0, temporal = 0.0, edge = 0.0;
};

ReconstructionWeights weightsOf(const TrainOptions& o) {
    return {o.objectWeight, o.chromaWeight, o.temporalWeight, o.edgeWeight};
}

/// Pixel reconstruction loss of the VAE stages. Per pixel and channel the squared error, plus `w.chroma`
/// times the squared error of the pixel's chroma (each channel less the mean of the three; in the model's
/// log pixel space, the colour without the brightness), plus `w.temporal` times the squared change of the
/// error from the previous frame (none on the first: an error that stays put from frame to frame costs
/// nothing extra, one that comes and goes, flicker, does), plus `w.edge` times the squared change of the
/// error to the right and lower neighbours (blurred edges and rounded corners). With `w.object` 0 a plain
/// mean; otherwise pixels that differ from their row's median by more than 0.1 in some channel (about one
/// stop: objects and their edges, not sky gradients) weigh 1 + w.object, normalised by the total weight, so
/// that small objects are not traded for background detail.
at::Tensor reconstructionError(const at::Tensor& rec, const at::Tensor& x, const ReconstructionWeights& w) {
    const auto d = rec - x;
    auto err = d.pow(2);
    if (w.chroma > 0)
        err = err + w.chroma * (d - d.mean(1, true)).pow(2);
    if (w.edge > 0)
        err = err + spatialChange(d, w.edge);
    return withFrameChange(err, d, w.temporal, 2);
}

at::Tensor objectPixelWeight(const at::Tensor& x, const ReconstructionWeights& w) {
    c10::NoGradGuard noGrad;
    return 1.0 + w.object * objectPixels(x);
}

/// The loss of one clip [1, 3, T, H, W].
at::Tensor reconstructionLoss(const at::Tensor& rec, const at::Tensor& x, const ReconstructionWeights& w) {
    const auto err = reconstructionError(rec, x, w);
    if (w.object <= 0)
        return err.mean();
    const auto pixelWeight = objectPixelWeight(x, w);
    return (err * pixelWeight).sum() / (pixelWeight.sum() * x.size(1));
}

/// The same loss of each clip of a batch [B, 3, T, H, W]: [B] (equal to reconstructionLoss of each clip up to
/// float rounding; the batched steps).
at::Tensor reconstructionLosses(const at::Tensor& rec, const at::Tensor& x, const ReconstructionWeights& w) {
    const auto err = reconstructionError(rec, x, w);
    if (w.object <= 0)
        return err.mean({1, 2, 3, 4});
    const auto pixelWeight = objectPixelWeight(x, w);
    return (err * pixelWeight).sum({1, 2, 3, 4}) / (pixelWeight.sum({1, 2, 3, 4}) * x.size(1));
}

/// Whether a VAE stage's steps run batched (--batched, or a device other than the CPU).
bool batchedVaeSteps(const TrainOptions& o, const at::Device& device) {
    return o.batchedSteps || !device.is_cpu();
}

/// Draws `draw(i)` ([1, ...] clips on the CPU) of every sample of a batch on the workers and stacks them
/// on `device`: [batch, ...].
at::Tensor drawBatch(const TrainOptions& o, SampleWorkers& workers, const at::Device& device,
                     const std::function<at::Tensor(int i)>& draw) {
    std::vector<at::Tensor> clips(static_cast<std::size_t>(o.batch));
    workers.run([&](int worker) {
        for (int i = worker; i < o.batch; i += workers.count())
            clips[static_cast<std::size_t>(i)] = draw(i);
    });
    return at::cat(clips).to(device);
}

} // namespace

std::vector<StepLoss> trainVae(const TrainOptions& o) {
    checkOptions(o);
    const auto device = trainingDevice(o);
    auto vae = buildVae(vaeConfig(o.shape), mixSeed(o.seed, kVaeStage), device);
    Adam adam(vae.params);
    // Sample i of step dataStep: a window of the timeline, cropped; [1, 3, T, H, W] on the CPU.
    const auto clip = [&](int dataStep, int i) {
        const auto seed =
            mixSeed(o.seed, kVaeStage, static_cast<std::uint64_t>(dataStep), static_cast<std::uint64_t>(i));
        const int first = static_cast<int>(seed % (kTimeline - o.vaeFrames + 1));
        const auto s = renderSample(seed, o.width, o.height, o.vaeFrames, first,
                                    std::max(kTimeline, o.vaeFrames), o.supersampling);
        auto x = s.video.unsqueeze(0);
        if (o.vaeCrop > 0) {
            const auto top = static_cast<std::int64_t>(mixSeed(seed, 13) % (o.height - o.vaeCrop + 1));
            const auto left = static_cast<std::int64_t>(mixSeed(seed, 17) % (o.width - o.vaeCrop + 1));
            x = x.narrow(3, top, o.vaeCrop).narrow(4, left, o.vaeCrop).contiguous();
        }
        return x;
    };
    // The latent penalty is a mean over equal-sized latents, so the batch's is the mean of the samples'.
    std::function<at::Tensor(int, SampleWorkers&)> batchLoss;
    if (batchedVaeSteps(o, device))
        batchLoss = [&](int dataStep, SampleWorkers& workers) {
            const auto x = drawBatch(o, workers, device, [&](int i) { return clip(dataStep, i); });
            const auto mu = vae.model->encode(x);
            const auto rec = vae.model->decode(mu);
            return reconstructionLosses(rec, x, weightsOf(o)).mean() + 1e-3 * mu.pow(2).mean();
        };
    return runLoop(
        o, adam, o.workDir / "vae.safetensors", o.workDir / "vae_loss.csv", "vae",
        [&](int dataStep, int i) {
            const auto x = clip(dataStep, i);
            const auto mu = vae.model->encode(x);
            const auto rec = vae.model->decode(mu);
            return (reconstructionLoss(rec, x, weightsOf(o)) + 1e-3 * mu.pow(2).mean()) / o.batch;
        },
        batchLoss);
}

namespace {

/// A number in [0, 1) drawn from `seed`.
double uniformDraw(std::uint64_t seed) {
    return static_cast<double>(seed % 1000000) / 1e6;
}

/// With probability `fraction` (drawn from `seed`), puts the held key of a random latent frame after the
/// first in place of that frame's latent in `mu` (the vae-decoder stage's --key-chunks).
void maybeHoldKey(wan21::WanVae& vae, const at::Tensor& video, at::Tensor& mu, std::uint64_t seed,
                  double fraction) {
    const auto chunks = mu.size(2);
    const double draw = uniformDraw(mixSeed(seed, 19));
    if (chunks < 2 || draw >= fraction)
        return;
    const auto chunk = 1 + static_cast<std::int64_t>(mixSeed(seed, 23) % (chunks - 1));
    mu.select(2, chunk).copy_(keyChunkLatent(vae, video, chunk));
}

} // namespace

std::vector<StepLoss> trainVaeDecoder(const TrainOptions& o) {
    checkOptions(o);
    const auto device = trainingDevice(o);
    const bool batched = batchedVaeSteps(o, device);
    if (batched && o.sampledLatents > 0)
        throw TrainError("--sampled-latents: the vae-decoder stage samples latents on the CPU, one clip at a "
                         "time (leave out --batched and --device)");
    seedWorkDirFrom(o);
    auto vae = buildVae(vaeConfig(o.shape), mixSeed(o.seed, kVaeStage), device);
    loadParams(o.workDir / "vae.safetensors", vae.params);
    // The DiT samples latents with the encoder as it is (the statistics are the encoder's alone); the
    // vae-decoder stage's own checkpoint never changes the encoder.
    std::optional<FrozenDit> sampler;
    if (o.sampledLatents > 0)
        sampler.emplace(loadFrozenDit(o, *vae.model, paramsDigest(vae.params)));
    // Only the decoder side (post-quant conv + decoder) learns; the encoder, and so the latent space the
    // DiT is trained on, stays as the vae stage left it.
    ParamMap decoder;
    for (auto& [name, p] : vae.params) {
        const bool decoderSide = name.rfind("decoder.", 0) == 0 || name.rfind("conv2.", 0) == 0;
        p.requires_grad_(decoderSide);
        if (decoderSide)
            decoder[name] = p;
    }
    Adam adam(decoder);
    const auto sampleSeed = [&](int dataStep, int i) {
        return mixSeed(o.seed, kDecoderStage, static_cast<std::uint64_t>(dataStep),
                       static_cast<std::uint64_t>(i));
    };
    // Sample i of step dataStep: a whole clip, on the CPU.
    const auto sample = [&](int dataStep, int i) {
        return renderSample(sampleSeed(dataStep, i), o.width, o.height, o.frames, 0, o.frames,
                            o.supersampling);
    };
    // Batched: the clips are rendered on the workers, then encoded, given their held keys and decoded
    // together on the training device.
    std::function<at::Tensor(int, SampleWorkers&)> batchLoss;
    if (batched)
        batchLoss = [&](int dataStep, SampleWorkers& workers) {
            const auto x =
                drawBatch(o, workers, device, [&](int i) { return sample(dataStep, i).video.unsqueeze(0); });
            at::Tensor mu;
            {
                c10::NoGradGuard noGrad;
                mu = vae.model->encode(x);
                for (int i = 0; i < o.batch; ++i) {
                    auto row = mu.narrow(0, i, 1);
                    maybeHoldKey(*vae.model, x.narrow(0, i, 1), row, sampleSeed(dataStep, i), o.keyChunks);
                }
            }
            return reconstructionLosses(vae.model->decode(mu), x, weightsOf(o)).mean();
        };
    return runLoop(
        o, adam, o.workDir / "vae_decoder.safetensors", o.workDir / "vae_decoder_loss.csv", "vae-decoder",
        [&](int dataStep, int i) {
            const auto seed = sampleSeed(dataStep, i);
            const auto s = sample(dataStep, i);
            const auto x = s.video.unsqueeze(0);
            at::Tensor mu;
            {
                c10::NoGradGuard noGrad;
                mu = vae.model->encode(x);
                if (sampler && uniformDraw(mixSeed(seed, 29)) < o.sampledLatents) {
                    const double strength = o.sampledStrength * uniformDraw(mixSeed(seed, 31));
                    mu = sampler->sampleFrom(mu[0], s.caption, strength, mixSeed(seed, 37), o.shift)
                             .unsqueeze(0);
                } else {
                    maybeHoldKey(*vae.model, x, mu, seed, o.keyChunks);
                }
            }
            return reconstructionLoss(vae.model->decode(mu), x, weightsOf(o)) / o.batch;
        },
        batchLoss);
}

/// Per-channel mean and std of the VAE's raw latents over fixed clips. Computed once per VAE: the file
/// records the digest of the VAE weights, and a VAE trained further since gets new statistics (the DiT then
/// continues on the new latents). Files without a digest are kept as they are.
LatentStats detail::latentStats(const TrainOptions& o, wan21::WanVae& vae, const std::string& vaeDigest) {
    const auto path = latentStatsPath(o);
    if (fs::exists(path)) {
        auto stored = readLatentStats(o);
        if (stored.vaeDigest.empty() || stored.vaeDigest == vaeDigest)
            return stored;
        if (!o.quiet)
            std::cout << "dit: the VAE changed since the latent statistics were computed; recomputing\n";
    }
    c10::NoGradGuard noGrad;
    std::vector<at::Tensor> mus;
    for (int i = 0; i < 16; ++i) {
        const auto seed = mixSeed(o.seed, kStatsStage, static_cast<std::uint64_t>(i));
        const auto s = renderSample(seed, o.width, o.height, o.frames, 0, o.frames, o.supersampling);
        mus.push_back(vae.encode(s.video.unsqueeze(0))[0].flatten(1));
    }
    const auto all = at::cat(mus, 1);
    writeTensors(path, {{"mean", all.mean(1)}, {"std", all.std(1).clamp_min(1e-3)}},
                 {{"vae_digest", vaeDigest}});
    return readLatentStats(o);
}

namespace {

/// Latent-frame conditioning mask of one training sample: none, first, first+last, random keyframes or
/// the first K frames, chosen uniformly.
at::Tensor conditioningMask(std::int64_t frames, at::Generator& gen) {
    auto mask = at::zeros({frames}, at::kFloat);
    const auto pick = [&](std::int64_t n) { return at::randint(n, {1}, gen).item<std::int64_t>(); };
    switch (pick(5)) {
    case 0:
        break;
    case 1:
        mask[0] = 1.0f;
        break;
    case 2:
        mask[0] = 1.0f;
        mask[frames - 1] = 1.0f;
        break;
    case 3:
        for (std::int64_t f = 0; f < frames; ++f)
            if (pick(3) == 0)
                mask[f] = 1.0f;
        break;
    default:
        mask.narrow(0, 0, 1 + pick(std::max<std::int64_t>(1, frames - 1))).fill_(1.0f);
        break;
    }
    return mask;
}

/// Everything one dit training sample draws, on the CPU: the noised latent, the conditioning channels, the
/// velocity target, the loss weights, the prompt's tokens and the timestep.
struct DitDraw {
    at::Tensor xt, y, target, latentWeight;
    wan21::PromptIds prompt;
    /// A caption the sample's clip must cost more with than with its own (a caption contrast), and the
    /// hinge's weight and relative margin.
    struct Contrast {
        wan21::PromptIds prompt;
        double weight = 0.0, margin = 0.0;
    };
    /// The direction or size contrast first when the sample takes part in one, then the colour or shape
    /// contrast.
    std::vector<Contrast> contrasts;
    std::int64_t t = 0;
};

/// Timesteps from which the caption contrasts apply: below, the noised latent still shows the motion, the
/// colour and the shape.
constexpr std::int64_t kContrastMinTimestep = 500;

} // namespace

std::vector<StepLoss> trainDit(const TrainOptions& o) {
    checkOptions(o);
    const auto device = trainingDevice(o);
    if (o.batchChunks < 0 || o.batchChunks > o.batch)
        throw TrainError("--batch-chunks must be from 0 to the batch size (" + std::to_string(o.batch) +
                         "), got " + std::to_string(o.batchChunks));
    if (o.batchChunks > 0 && !device.is_cpu())
        throw TrainError("--batch-chunks splits batched steps on the CPU; --device " + o.device +
                         " runs each batch in one pass");
    const bool batched = o.batchedSteps || o.batchChunks > 0 || !device.is_cpu();
    if (batched && o.latentPool <= 0)
        throw TrainError(device.is_cpu() ? (o.batchChunks > 0 ? "--batch-chunks needs --latent-pool"
                                                              : "--batched needs --latent-pool")
                                         : "--device " + o.device +
                                               " needs --latent-pool (the batched steps "
                                               "draw their samples from the pool)");
    seedWorkDirFrom(o);
    const auto vocab = tokenizerVocab(o);
    auto vaeCfg = vaeConfig(o.shape);
    auto vae = buildVae(vaeCfg, mixSeed(o.seed, kVaeStage));
    loadParams(o.workDir / "vae.safetensors", vae.params);
    for (auto& [name, p] : vae.params)
        p.requires_grad_(false);
    // The frozen VAE stays on the CPU (the latent statistics, and the samples' encodes without a pool); a
    // GPU run builds its pool with a copy on the GPU, a batch of scenes per encode (one scene per encode
    // on the GPU was slower than the CPU's workers: 32 ms per scene on an H100 against 23 ms on 16 cores).
    const auto vaeDigest = paramsDigest(vae.params);
    const auto stats = latentStats(o, *vae.model, vaeDigest);
    const auto meanT = at::tensor(stats.mean).view({-1, 1, 1, 1}),
               stdT = at::tensor(stats.std).view({-1, 1, 1, 1});

    const auto grey = unkeyedLatent(o, *vae.model, meanT, stdT);
    const auto tokenizer = makeUmt5Tokenizer(o.workDir);
    auto dit = buildDit(ditConfig(o.shape), mixSeed(o.seed, kDitStage), device);
    auto t5 = buildT5(t5Config(o.shape, vocab), mixSeed(o.seed, kDitStage, 1), device);
    if (!o.initFrom.empty() && !o.freshDit && !(o.resume && fs::exists(o.workDir / "dit.safetensors")))
        loadExportedDit(o.initFrom, dit.params, t5.params);
    Adam adam(ditAndTextEncoder(dit.params, t5.params));
    const auto& negative = wan21::defaultNegativePrompt();
    // --text-logit-cap: the text encoder's content logits are held at the cap after every step (and before
    // the first, which rescales a model that starts above it).
    std::function<void(SampleWorkers&)> capText;
    if (o.textLogitCap > 0) {
        const auto probes = textAttentionProbes(o, *tokenizer);
        capText = [&, probes](SampleWorkers& workers) {
            capTextAttention(*t5.model, t5.params, probes, o.textLogitCap, &workers);
        };
        capTextAttention(*t5.model, t5.params, probes, o.textLogitCap);
    }
    if (o.averageDecay > 0) // after the cap's first rescale: the average starts from the weights trained
        adam.keepAverage(o.averageDecay);
    LatentPool pool;
    if (o.latentPool > 0) {
        SampleWorkers workers(workerCount(o), o.intraOpThreads);
        // Batched steps build the pool in batches on the training device: with the frozen VAE itself on
        // the CPU, with a copy of it on a GPU.
        std::optional<Trainable<wan21::WanVae>> deviceVae;
        if (batched && !device.is_cpu()) {
            deviceVae.emplace(buildVae(vaeCfg, mixSeed(o.seed, kVaeStage), device));
            loadParams(o.workDir / "vae.safetensors", deviceVae->params);
            for (auto& [name, p] : deviceVae->params)
                p.requires_grad_(false);
        }
        // --batch-chunks runs build it per scene on the workers, as the per-sample steps do (the same pool
        // bit for bit, and on this CPU faster than one thread encoding batches).
        auto* batchVae = !batched || o.batchChunks > 0 ? nullptr
                         : deviceVae                   ? deviceVae->model.get()
                                                       : vae.model.get();
        pool =
            loadOrBuildLatentPool(o, *vae.model, vaeDigest, mixSeed(o.seed, kPoolStage), workers, batchVae);
    }

    // Sample i of step dataStep: every random choice comes from its own generator, in a fixed order.
    const auto draw = [&](int dataStep, int i) {
        c10::NoGradGuard noGrad;
        const auto seed =
            mixSeed(o.seed, kDitStage, static_cast<std::uint64_t>(dataStep), static_cast<std::uint64_t>(i));
        auto gen = at::detail::createCPUGenerator(mixSeed(seed, 3));
        // The clip's raw latents and held-key latents: a pooled scene, or a scene rendered and encoded for
        // this sample.
        at::Tensor raw, video;
        std::string caption;
        std::int64_t entry = -1;
        std::uint64_t sceneSeed = seed;
        if (pool.size() > 0) {
            entry = static_cast<std::int64_t>(mixSeed(seed, 29) % static_cast<std::uint64_t>(pool.size()));
            raw = pool.latents[entry];
            sceneSeed = pool.sceneSeed(entry);
            caption = sceneCaption(scenes::sample(sceneSeed), seed);
        } else {
            const auto s = renderSample(seed, o.width, o.height, o.frames, 0, o.frames, o.supersampling);
            video = s.video.unsqueeze(0);
            raw = vae.model->encode(video)[0];
            caption = s.caption;
        }
        DitDraw d;
        // Latent pixels over objects weigh 1 + --object-weight: a small subject is a few latent pixels of a
        // clip otherwise filled by its background, and would barely count in a plain mean.
        if (o.objectWeight > 0)
            d.latentWeight =
                1.0 + o.objectWeight * (entry >= 0 ? pool.objectMasks[entry]
                                                   : latentObjectMask(video, vaeCfg.spatialStride()));
        const auto heldKey = [&](std::int64_t k) {
            return entry >= 0 ? pool.heldKeys[entry].select(1, k) : keyChunkLatent(*vae.model, video, k)[0];
        };
        const auto z0 = ((raw - meanT) / stdT).contiguous();
        const bool drop = at::rand({1}, gen).item<double>() < o.textDropout;
        const auto textLen = static_cast<std::size_t>(o.shape.textLen);
        d.prompt = wan21::promptIds(tokenizer->tokenize(drop ? negative : caption, textLen));

        const double u = at::rand({1}, gen).item<double>();
        const double shifted = o.shift * u / (1.0 + (o.shift - 1.0) * u);
        d.t = std::clamp<std::int64_t>(std::llround(shifted * 1000.0), 1, 999);
        const float sigma = static_cast<float>(d.t) / 1000.0f;
        const auto noise = at::randn(z0.sizes(), gen, at::TensorOptions().dtype(at::kFloat));
        d.xt = (1.0f - sigma) * z0 + sigma * noise;
        const auto frames = conditioningMask(z0.size(1), gen);
        const auto frameMask = frames.view({1, -1, 1, 1});
        auto condition = z0 * frameMask;
        if (grey.defined())
            condition = condition + grey * (1.0f - frameMask);
        if (o.heldKeys > 0) {
            // A key whose latent frame follows an unkeyed one is, at inference, one pixel frame (a Keyframe,
            // Loop or last frame): the engine conditions on the key held still.
            const auto keyed = frames.accessor<float, 1>();
            for (std::int64_t k = 1; k < z0.size(1); ++k) {
                if (keyed[k] == 0.0f || keyed[k - 1] != 0.0f ||
                    at::rand({1}, gen).item<double>() >= o.heldKeys)
                    continue;
                condition.select(1, k).copy_((heldKey(k) - meanT.select(1, 0)) / stdT.select(1, 0));
            }
        }
        d.y = at::cat({frameMask.expand({4, z0.size(1), z0.size(2), z0.size(3)}), condition}, 0);
        d.target = noise - z0;
        // Caption contrasts: none of them draws from `gen`, so every draw is the same with them on or off.
        const bool contrasting = o.directionContrast > 0 || o.sizeContrast > 0 || o.colourContrast > 0 ||
                                 o.shapeContrast > 0 || o.colourSwapContrast > 0;
        if (contrasting && !drop && d.t >= kContrastMinTimestep &&
            frames.narrow(0, 1, frames.size(0) - 1).sum().item<float>() == 0.0f) {
            const auto spec = scenes::sample(sceneSeed);
            // Whether the change alters the caption, and so adds a contrast.
            const auto contrast = [&](CaptionChange change, double weight, double margin) {
                const auto text = sceneCaption(changedSpec(spec, change, seed), seed);
                if (text == caption)
                    return false;
                d.contrasts.push_back({wan21::promptIds(tokenizer->tokenize(text, textLen)), weight, margin});
                return true;
            };
            const bool traded = o.sizeContrast > 0 &&
                                (o.directionContrast <= 0 || mixSeed(seed, 43) % 2 == 0) &&
                                contrast(CaptionChange::SizeTrade, o.sizeContrast, o.directionMargin);
            if (!traded && o.directionContrast > 0)
                contrast(CaptionChange::Direction, o.directionContrast, o.directionMargin);
            // A first-frame key shows the subject's colour and shape.
            if (frames[0].item<float>() == 0.0f) {
                const bool colour =
                    o.colourContrast > 0 && (o.shapeContrast <= 0 || mixSeed(seed, 31) % 2 == 0);
                if (colour)
                    contrast(CaptionChange::Colour, o.colourContrast, o.subjectMargin);
                else if (o.shapeContrast > 0)
                    contrast(CaptionChange::Shape, o.shapeContrast, o.subjectMargin);
                if (o.colourSwapContrast > 0)
                    contrast(CaptionChange::ColourSwap, o.colourSwapContrast, o.subjectMargin);
            }
        }
        return d;
    };

    // One sample's forward and loss (already divided by the batch size), on the CPU.
    const auto sampleLoss = [&](int dataStep, int i) {
        const auto d = draw(dataStep, i);
        const auto lossWith = [&](const wan21::PromptIds& prompt) {
            const auto hidden = t5.model->forward(prompt.ids, prompt.mask)[0].narrow(0, 0, prompt.length);
            const auto v = dit.model->forward(d.xt, d.t, dit.model->embedContext(hidden), d.y);
            return velocityLoss(v, d.target, d.latentWeight, o.temporalWeight);
        };
        const auto loss = lossWith(d.prompt);
        auto total = loss;
        for (const auto& c : d.contrasts)
            total = total + c.weight * contrastHinge(loss, lossWith(c.prompt), c.margin);
        return total / o.batch;
    };

    // Samples' draws in one forward on the training device: the sum of the same per-sample losses as
    // sampleLoss's, each divided by the batch size.
    const auto drawsLoss = [&](std::vector<DitDraw> draws) {
        const auto samples = static_cast<std::int64_t>(draws.size());
        // Caption contrasts: each contrasting caption runs its sample again as an extra row.
        std::vector<std::pair<std::int64_t, DitDraw::Contrast>> contrasted; // (sample row, contrast)
        for (std::int64_t i = 0; i < samples; ++i)
            for (const auto& c : draws[static_cast<std::size_t>(i)].contrasts) {
                contrasted.emplace_back(i, c);
                DitDraw extra = draws[static_cast<std::size_t>(i)];
                extra.prompt = c.prompt;
                extra.contrasts.clear();
                draws.push_back(std::move(extra));
            }
        const auto stack = [&](at::Tensor DitDraw::*field) {
            std::vector<at::Tensor> parts;
            for (const auto& d : draws)
                parts.push_back(d.*field);
            return at::stack(parts).to(device);
        };
        std::vector<std::int64_t> timesteps;
        std::vector<at::Tensor> ids, masks;
        for (const auto& d : draws) {
            timesteps.push_back(d.t);
            ids.push_back(d.prompt.ids);
            masks.push_back(d.prompt.mask);
        }
        const auto mask = at::cat(masks); // [B, text_len], on the CPU, as the text encoder checks ids there
        // Text rows past each prompt's end are zero, as embedContext pads a prompt cut to its length.
        const auto hidden = t5.model->forward(at::cat(ids), mask) * mask.to(device, at::kFloat).unsqueeze(2);
        const auto v = dit.model->forwardSamples(stack(&DitDraw::xt), timesteps,
                                                 dit.model->embedContexts(hidden), stack(&DitDraw::y));
        const auto err = velocityError(v, stack(&DitDraw::target), o.temporalWeight, 2);
        at::Tensor perSample;
        if (draws.front().latentWeight.defined()) {
            const auto w = stack(&DitDraw::latentWeight).unsqueeze(1); // [B, 1, F, h, w]
            perSample = (err * w).sum({1, 2, 3, 4}) / (w.sum({1, 2, 3, 4}) * err.size(1));
        } else {
            perSample = err.mean({1, 2, 3, 4});
        }
        auto loss = perSample.narrow(0, 0, samples).sum();
        for (std::size_t j = 0; j < contrasted.size(); ++j) {
            const auto& [row, c] = contrasted[j];
            loss =
                loss + c.weight * contrastHinge(perSample[row],
                                                perSample[samples + static_cast<std::int64_t>(j)], c.margin);
        }
        return loss / o.batch;
    };

    // The whole batch in one forward: the draws made on the workers, then one pass.
    std::function<at::Tensor(int, SampleWorkers&)> batchLoss;
    if (batched && o.batchChunks == 0)
        batchLoss = [&](int dataStep, SampleWorkers& workers) {
            std::vector<DitDraw> draws(static_cast<std::size_t>(o.batch));
            workers.run([&](int worker) {
                for (int i = worker; i < o.batch; i += workers.count())
                    draws[static_cast<std::size_t>(i)] = draw(dataStep, i);
            });
            return drawsLoss(std::move(draws));
        };
    // --batch-chunks: chunk c of the batch, drawn and run in one pass on its worker.
    const auto chunkLoss = [&](int dataStep, int chunk) {
        const int first = chunk * o.batch / o.batchChunks, end = (chunk + 1) * o.batch / o.batchChunks;
        std::vector<DitDraw> draws;
        for (int i = first; i < end; ++i)
            draws.push_back(draw(dataStep, i));
        return drawsLoss(std::move(draws));
    };

    if (o.batchChunks > 0)
        return runLoop(o, adam, o.workDir / "dit.safetensors", o.workDir / "dit_loss.csv", "dit", chunkLoss,
                       {}, capText, o.batchChunks);
    return runLoop(o, adam, o.workDir / "dit.safetensors", o.workDir / "dit_loss.csv", "dit", sampleLoss,
                   batchLoss, capText);
}

} // namespace kinema::trainer
