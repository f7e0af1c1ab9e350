// SPDX-License-Identifier: Apache-2.0
// kinema-train caption-gap (alias direction-gap): does the DiT read the caption's direction, colour and
// shape words?
//
// A model that follows "moving left" must predict a clip moving left, so the flow-matching loss of a clip
// moving left is lower with its own caption than with the caption that says "moving right"; the same holds
// for "a red star" against "a blue star" or "a red ring". The measure takes scenes no training stage draws
// (their own seed stream), keeps those whose caption the change alters (every direction reversed, or the
// subject recoloured or reshaped), and compares, on the same noise and with no conditioning, the loss with
// the true caption, the changed caption and the default negative prompt. The relative gap between the
// first two is what the dit stage's --direction-contrast, --colour-contrast and --shape-contrast train up.
#include "TrainerInternal.h"

#include <kinema/scenes/SceneSpec.h>

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>
#include <c10/core/GradMode.h>

#include <algorithm>
#include <array>
#include <cctype>

namespace kinema::trainer {

using namespace detail;
namespace fs = std::filesystem;

namespace {
constexpr std::uint64_t kCaptionGapStage = 7; ///< seed stream of the measured scenes
constexpr std::array<int, 5> kTimesteps{100, 300, 500, 700, 900};

std::string motionGroup(scenes::Motion m) {
    using scenes::Motion;
    switch (m) {
    case Motion::Left:
    case Motion::Right:
        return "left/right";
    case Motion::Up:
    case Motion::Down:
        return "up/down";
    case Motion::UpLeft:
    case Motion::UpRight:
    case Motion::DownLeft:
    case Motion::DownRight:
        return "diagonal";
    case Motion::Grow:
    case Motion::Shrink:
        return "grow/shrink";
    default:
        return "other";
    }
}

/// Whether two captions are made of the same words in another order (letters only, case kept).
bool sameWords(const std::string& a, const std::string& b) {
    const auto words = [](const std::string& text) {
        std::vector<std::string> out(1);
        for (char c : text) {
            if (std::isalpha(static_cast<unsigned char>(c)))
                out.back() += c;
            else if (!out.back().empty())
                out.emplace_back();
        }
        if (out.back().empty())
            out.pop_back();
        std::sort(out.begin(), out.end());
        return out;
    };
    return words(a) == words(b);
}

std::string groupOf(const scenes::SceneSpec& spec, CaptionChange change) {
    const auto& subject = spec.objects.front();
    switch (change) {
    case CaptionChange::Colour:
        return std::string(scenes::toString(subject.colour));
    case CaptionChange::Shape:
        return std::string(scenes::toString(subject.shape));
    default:
        return motionGroup(subject.motion);
    }
}
} // namespace

std::vector<CaptionGapRow> measureCaptionGap(const TrainOptions& o, int clips, CaptionChange change) {
    if (clips < 1)
        throw TrainError("--clips must be 1 or more, got " + std::to_string(clips));
    if (o.workDir.empty())
        throw TrainError("no work directory given");
    at::set_num_threads(std::max(1, o.threads > 0 ? o.threads : o.intraOpThreads));
    seedWorkDirFrom(o);
    const auto vaeCfg = vaeConfig(o.shape);
    auto vae = buildVae(vaeCfg, 0);
    loadParams(o.workDir / "vae.safetensors", vae.params);
    const auto frozen = loadFrozenDit(o, *vae.model, paramsDigest(vae.params));

    c10::NoGradGuard noGrad;

    // Sums per group and timestep; "all" first, the groups in the order met.
    std::vector<CaptionGapRow> rows;
    const auto rowsOf = [&](const std::string& group) {
        for (std::size_t r = 0; r < rows.size(); r += kTimesteps.size())
            if (rows[r].group == group)
                return r;
        for (int t : kTimesteps)
            rows.push_back({group, 0, t});
        return rows.size() - kTimesteps.size();
    };
    int measured = 0;
    for (std::uint64_t i = 0; measured < clips; ++i) {
        if (i > 100u * static_cast<std::uint64_t>(clips))
            throw TrainError("caption-gap: too few scenes whose caption the change alters");
        const auto seed = mixSeed(o.seed, kCaptionGapStage, i);
        const auto spec = scenes::sample(seed);
        const auto caption = sceneCaption(spec, seed);
        const auto other = sceneCaption(changedSpec(spec, change, seed), seed);
        if (caption == other)
            continue;
        ++measured;
        const auto s = renderSample(seed, o.width, o.height, o.frames, 0, o.frames, o.supersampling);
        const auto video = s.video.unsqueeze(0);
        const auto z0 = ((vae.model->encode(video)[0] - frozen.mean) / frozen.std).contiguous();
        at::Tensor weight;
        if (o.objectWeight > 0)
            weight = 1.0 + o.objectWeight * latentObjectMask(video, vaeCfg.spatialStride());
        auto gen = at::detail::createCPUGenerator(mixSeed(seed, 3));
        const auto noise = at::randn(z0.sizes(), gen, at::TensorOptions().dtype(at::kFloat));
        const auto y = frozen.conditioning(z0);
        const std::array contexts{frozen.context(caption), frozen.context(other), frozen.negative};
        // A colour swap either keeps the caption's words (only their order tells the captions apart) or,
        // where a style names the subject alone or its article changes ("a"/"an"), changes them.
        // A reversed caption keeps its words when the light's or the camera's "left" and "right" trade
        // places with the motion's ("moving left ... from the right" against "moving right ... from the
        // left"): only word order tells those apart, so they form groups of their own.
        const bool keepsWords = sameWords(caption, other);
        std::string group;
        if (change == CaptionChange::ColourSwap) {
            group = keepsWords ? "same words" : "other words";
        } else {
            group = groupOf(spec, change);
            if (change == CaptionChange::Direction && keepsWords)
                group += ", same words";
        }
        const std::size_t all = rowsOf("all"), own = rowsOf(group);
        for (std::size_t k = 0; k < kTimesteps.size(); ++k) {
            const int timestep = kTimesteps[k];
            const float sigma = static_cast<float>(timestep) / 1000.0f;
            const auto xt = (1.0f - sigma) * z0 + sigma * noise;
            const auto target = noise - z0;
            std::array<double, 3> losses{};
            for (std::size_t c = 0; c < contexts.size(); ++c)
                losses[c] =
                    velocityLoss(frozen.dit.model->forward(xt, timestep, contexts[c], y), target, weight)
                        .item<double>();
            for (auto* row : {&rows[all + k], &rows[own + k]}) {
                row->clips += 1;
                row->trueCaption += losses[0];
                row->changedCaption += losses[1];
                row->negativePrompt += losses[2];
            }
        }
    }
    for (auto& row : rows) {
        row.trueCaption /= row.clips;
        row.changedCaption /= row.clips;
        row.negativePrompt /= row.clips;
    }
    return rows;
}

} // namespace kinema::trainer
