// SPDX-License-Identifier: Apache-2.0
// A trained DiT and text encoder held for inference inside the trainer: what caption-gap measures and what
// the vae-decoder stage's --sampled-latents samples with.
//
// Sampled latents are the engine's video-to-video run on a training clip: its latent is noised part of the
// way along the schedule and the DiT denoises it with the clip's caption (20 UniPC steps, guidance 5, as the
// engine's defaults; no keys). What comes out carries the DiT's own errors (blur, washed-out colour,
// speckle) on a clip whose pixels are known, so a decoder trained on it learns to render what the DiT
// produces, not only what the encoder produces. On the demo model it gave the colour that plain decoder
// training gave and worse loop and extension seams (docs/demo-model.md, the thirteenth round).
#include "TrainerInternal.h"
#include "families/wan21/WanModelFolder.h"
#include "families/wan21/WanSampler.h"
#include "schedulers/FlowSchedule.h"
#include "text/PromptTokenizers.h"

#include <ATen/CPUGeneratorImpl.h>
#include <c10/core/GradMode.h>

namespace kinema::trainer::detail {

FrozenDit loadFrozenDit(const TrainOptions& o, wan21::WanVae& vae, const std::string& vaeDigest) {
    FrozenDit d;
    const auto vocab = tokenizerVocab(o);
    const auto stats = latentStats(o, vae, vaeDigest);
    d.mean = at::tensor(stats.mean).view({-1, 1, 1, 1});
    d.std = at::tensor(stats.std).view({-1, 1, 1, 1});
    d.grey = unkeyedLatent(o, vae, d.mean, d.std);
    d.tokenizer = makeUmt5Tokenizer(o.workDir);
    d.textLen = o.shape.textLen;
    d.dit = buildDit(ditConfig(o.shape), 0);
    d.textEncoder = buildT5(t5Config(o.shape, vocab), 0);
    loadTrainedDit(o, d.dit.params, d.textEncoder.params);
    for (auto* params : {&d.dit.params, &d.textEncoder.params})
        for (auto& [name, p] : *params)
            p.requires_grad_(false);
    d.negative = d.context(wan21::defaultNegativePrompt());
    return d;
}

at::Tensor FrozenDit::context(const std::string& text) const {
    c10::NoGradGuard noGrad;
    const auto prompt = wan21::promptIds(tokenizer->tokenize(text, static_cast<std::size_t>(textLen)));
    return dit.model->embedContext(
        textEncoder.model->forward(prompt.ids, prompt.mask)[0].narrow(0, 0, prompt.length));
}

at::Tensor FrozenDit::conditioning(const at::Tensor& z0) const {
    auto y = at::zeros({4 + z0.size(0), z0.size(1), z0.size(2), z0.size(3)}, at::kFloat);
    if (grey.defined())
        y.narrow(0, 4, z0.size(0)).copy_(grey);
    return y;
}

at::Tensor FrozenDit::sampleFrom(const at::Tensor& rawLatent, const std::string& caption, double strength,
                                 std::uint64_t seed, double shift) const {
    c10::NoGradGuard noGrad;
    constexpr int kSteps = 20;
    wan21::SampleOptions options;
    options.solver = SolverKind::UniPC;
    options.steps = kSteps;
    options.shift = shift;
    options.guidance = 5.0;
    options.startStep = startStepForStrength(kSteps, strength); // as the engine's video-to-video
    const auto schedule = makeFlowSchedule(options.solver, kSteps, shift);
    const float sigma = schedule.sigmas[static_cast<std::size_t>(options.startStep)];
    const auto z0 = (rawLatent - mean) / std;
    auto gen = at::detail::createCPUGenerator(seed);
    const auto noise = at::randn(z0.sizes(), gen, at::TensorOptions().dtype(at::kFloat));
    const auto start = (1.0f - sigma) * z0 + sigma * noise;
    const auto out = wan21::sample(*dit.model, start, context(caption), negative, options, conditioning(z0));
    return out.latent * std + mean;
}

} // namespace kinema::trainer::detail
