// SPDX-License-Identifier: Apache-2.0
#include "TrainerInternal.h"
#include <c10/core/GradMode.h>

#include "engine/ConditioningClip.h"
#include "families/wan21/WanModelFolder.h"
#include "io/SafetensorsReader.h"

#include <kinema/diffusion/Errors.h>
#include <kinema/diffusion/Tokenizer.h>

#include <kinema/diffusion/SafetensorsWriter.h>
#include <kinema/scenes/Analyser.h>
#include <kinema/scenes/Caption.h>
#include <kinema/scenes/Render.h>
#include <kinema/scenes/SceneSpec.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <sstream>

namespace kinema::trainer {

float encodePixel(float linear) {
    return 2.0f * scenes::toAcesCct(linear) - 1.0f;
}

float decodePixel(float value) {
    return scenes::fromAcesCct(0.5f * (value + 1.0f));
}

} // namespace kinema::trainer

namespace kinema::trainer::detail {

wan21::VaeConfig vaeConfig(const ModelShape& s) {
    wan21::VaeConfig c;
    c.dim = s.vaeDim;
    c.zDim = s.zDim;
    if (s.vaeDownsamples < 2 || s.vaeDownsamples > 4)
        throw TrainError("--vae-downsamples must be 2 to 4 (the last two stages also halve time), got " +
                         std::to_string(s.vaeDownsamples));
    // Widths as Wan's (1, 2, 4, 4): doubled per stage up to 4 times the base width.
    c.dimMult.clear();
    for (int i = 0; i <= s.vaeDownsamples; ++i)
        c.dimMult.push_back(std::min<std::int64_t>(std::int64_t{1} << i, 4));
    c.numResBlocks = s.vaeResBlocks;
    c.temporalDownsample.clear();
    for (int i = 0; i < s.vaeDownsamples; ++i)
        c.temporalDownsample.push_back(i >= s.vaeDownsamples - 2);
    c.latentsMean.assign(static_cast<std::size_t>(s.zDim), 0.0f);
    c.latentsStd.assign(static_cast<std::size_t>(s.zDim), 1.0f);
    c.validate("trainer VAE shape");
    return c;
}

wan21::DitConfig ditConfig(const ModelShape& s) {
    wan21::DitConfig c;
    c.modelType = "t2v"; // no CLIP branch; the conditioning channels are part of in_dim
    c.textLen = s.textLen;
    c.inDim = 2 * s.zDim + 4;
    c.outDim = s.zDim;
    c.dim = s.ditDim;
    c.ffnDim = s.ditFfn;
    c.freqDim = s.freqDim;
    c.textDim = s.textDim;
    c.numHeads = s.ditHeads;
    c.numLayers = s.ditLayers;
    c.patchSize = {1, s.ditPatch, s.ditPatch};
    c.validate("trainer DiT shape");
    return c;
}

wan21::T5Config t5Config(const ModelShape& s, std::int64_t vocab) {
    wan21::T5Config c;
    c.vocab = vocab;
    c.dim = s.textDim;
    c.dimAttn = s.textDim;
    c.dimFfn = s.textFfn;
    c.numHeads = s.textHeads;
    c.numLayers = s.textLayers;
    c.numBuckets = 32;
    c.maxDistance = 128;
    c.textLen = s.textLen;
    c.validate("trainer text encoder shape");
    return c;
}

namespace {
template <typename Model, typename Config, typename... Extra>
Trainable<Model> build(const Config& config, std::uint64_t seed, const char* label, at::Device device,
                       Extra... extra) {
    Trainable<Model> t;
    t.weights = std::make_unique<WeightMap>(WeightMap::random(seed, label));
    t.weights->setRequiresGrad(true);
    t.weights->setDevice(device);
    t.model = std::make_unique<Model>(config, *t.weights, extra...);
    t.params = t.weights->recorded();
    return t;
}
} // namespace

Trainable<wan21::WanVae> buildVae(const wan21::VaeConfig& config, std::uint64_t seed, at::Device device) {
    return build<wan21::WanVae>(config, seed, "trainer VAE", device, true, true);
}

Trainable<wan21::WanDit> buildDit(const wan21::DitConfig& config, std::uint64_t seed, at::Device device) {
    auto t = build<wan21::WanDit>(config, seed, "trainer DiT", device);
    // Zero-initialised output head: the first predictions are 0, a stable start for flow matching.
    c10::NoGradGuard noGrad;
    t.params.at("head.head.weight").zero_();
    t.params.at("head.head.bias").zero_();
    return t;
}

Trainable<wan21::WanT5> buildT5(const wan21::T5Config& config, std::uint64_t seed, at::Device device) {
    return build<wan21::WanT5>(config, seed, "trainer text encoder", device);
}

at::Device trainingDevice(const TrainOptions& options) {
    std::optional<at::Device> device;
    try {
        device = at::Device(options.device);
    } catch (const std::exception&) {
        throw TrainError("--device '" + options.device + "': expected cpu, cuda or cuda:N");
    }
    if (device->is_cpu())
        return *device;
    if (!device->is_cuda())
        throw TrainError("--device '" + options.device + "': expected cpu, cuda or cuda:N");
    if (!at::hasCUDA())
        throw TrainError(
            "--device '" + options.device +
            "': this kinema-train was built against a libtorch without CUDA, or no GPU is "
            "available (build it against PyTorch's libtorch on a GPU machine: bench/gpu/run.sh)");
    return *device;
}

Adam::Adam(ParamMap params)
    : m_params(std::move(params)) {
    for (const auto& [name, p] : m_params) {
        m_m[name] = at::zeros_like(p.detach());
        m_v[name] = at::zeros_like(p.detach());
    }
}

void Adam::keepAverage(double decay) {
    if (!(decay > 0.0 && decay < 1.0))
        throw TrainError("the moving average's decay must lie between 0 and 1 (exclusive)");
    m_averageDecay = decay;
    m_averagedSteps = 0;
    c10::NoGradGuard noGrad;
    m_average.clear();
    for (const auto& [name, p] : m_params)
        m_average[name] = p.detach().clone();
}

void Adam::updateAverage() {
    if (m_average.empty())
        return;
    c10::NoGradGuard noGrad;
    const double decay = nextAverageDecay();
    std::vector<at::Tensor> averages, params;
    for (auto& [name, a] : m_average) {
        averages.push_back(a);
        params.push_back(m_params.at(name).detach());
    }
    at::_foreach_mul_(averages, decay);
    at::_foreach_add_(averages, params, 1.0 - decay);
}

double Adam::nextAverageDecay() {
    ++m_averagedSteps;
    const double n = m_averagedSteps;
    return std::min(m_averageDecay, (1.0 + n) / (10.0 + n));
}

void Adam::zeroGrad() {
    for (auto& [name, p] : m_params)
        if (p.grad().defined())
            p.mutable_grad() = at::Tensor();
}

double Adam::step(double lr, double clipNorm) {
    c10::NoGradGuard noGrad;
    if (!m_params.empty() && !m_params.begin()->second.is_cpu())
        return stepMultiTensor(lr, clipNorm);
    double sq = 0.0;
    for (const auto& [name, p] : m_params)
        if (p.grad().defined())
            sq += p.grad().pow(2).sum().item<double>();
    const double norm = std::sqrt(sq);
    const double scale = (std::isfinite(norm) && norm > clipNorm) ? clipNorm / norm : 1.0;
    ++m_steps;
    constexpr double b1 = 0.9, b2 = 0.999, eps = 1e-8;
    const double c1 = 1.0 - std::pow(b1, m_steps), c2 = 1.0 - std::pow(b2, m_steps);
    for (auto& [name, p] : m_params) {
        if (!p.grad().defined())
            continue;
        const auto g = p.grad() * scale;
        auto& m = m_m.at(name);
        auto& v = m_v.at(name);
        m.mul_(b1).add_(g, 1.0 - b1);
        v.mul_(b2).addcmul_(g, g, 1.0 - b2);
        p.sub_(lr * (m / c1) / ((v / c2).sqrt() + eps));
    }
    updateAverage();
    return norm;
}

double Adam::stepMultiTensor(double lr, double clipNorm) {
    c10::NoGradGuard noGrad;
    std::vector<at::Tensor> params, grads, ms, vs;
    for (auto& [name, p] : m_params) {
        if (!p.grad().defined())
            continue;
        params.push_back(p);
        grads.push_back(p.grad());
        ms.push_back(m_m.at(name));
        vs.push_back(m_v.at(name));
    }
    ++m_steps;
    if (grads.empty()) {
        updateAverage();
        return 0.0;
    }
    std::vector<at::Tensor> squares;
    for (const auto& g : grads)
        squares.push_back(g.pow(2).sum().to(at::kDouble));
    const double norm = std::sqrt(at::stack(squares).sum().item<double>()); // the step's one host sync
    const double scale = (std::isfinite(norm) && norm > clipNorm) ? clipNorm / norm : 1.0;
    constexpr double b1 = 0.9, b2 = 0.999, eps = 1e-8;
    const double c1 = 1.0 - std::pow(b1, m_steps), c2 = 1.0 - std::pow(b2, m_steps);
    const auto g = at::_foreach_mul(grads, scale);
    at::_foreach_mul_(ms, b1);
    at::_foreach_add_(ms, g, 1.0 - b1);
    at::_foreach_mul_(vs, b2);
    at::_foreach_addcmul_(vs, g, g, 1.0 - b2);
    const auto mHat = at::_foreach_div(ms, c1);
    auto denominator = at::_foreach_div(vs, c2);
    at::_foreach_sqrt_(denominator);
    at::_foreach_add_(denominator, eps);
    at::_foreach_addcdiv_(params, mHat, denominator, -lr);
    updateAverage();
    return norm;
}

void writeTensors(const std::filesystem::path& path, const ParamMap& tensors,
                  const std::map<std::string, std::string>& metadata) {
    std::vector<RawTensor> raws;
    for (const auto& [name, t] : tensors) {
        auto owned = std::make_shared<at::Tensor>(t.detach().to(at::kCPU, at::kFloat).contiguous().clone());
        RawTensor r;
        r.name = name;
        r.dtype = DType::F32;
        r.shape.assign(owned->sizes().begin(), owned->sizes().end());
        r.data = reinterpret_cast<const std::byte*>(owned->data_ptr<float>());
        r.nbytes = static_cast<std::size_t>(owned->numel()) * sizeof(float);
        r.owner = owned;
        raws.push_back(std::move(r));
    }
    writeSafetensors(path, raws, metadata);
}

void Adam::save(const std::filesystem::path& path) const {
    ParamMap all;
    for (const auto& [name, p] : m_params) {
        all["param/" + name] = p;
        all["adam_m/" + name] = m_m.at(name);
        all["adam_v/" + name] = m_v.at(name);
    }
    std::map<std::string, std::string> metadata{{"step", std::to_string(m_steps)}};
    if (!m_average.empty()) {
        for (const auto& [name, a] : m_average)
            all["average/" + name] = a;
        std::ostringstream decay;
        decay << m_averageDecay;
        metadata["average_decay"] = decay.str();
        metadata["averaged_steps"] = std::to_string(m_averagedSteps);
    }
    writeTensors(path, all, metadata);
}

namespace {
void copyInto(const SafetensorsCheckpoint& ckpt, const std::string& key, at::Tensor& dst,
              const std::filesystem::path& path) {
    const auto* raw = ckpt.find(key);
    if (!raw)
        throw TrainError("checkpoint '" + path.string() + "': tensor '" + key + "' is missing");
    const auto src = toTensor(*raw);
    if (src.sizes() != dst.sizes())
        throw TrainError("checkpoint '" + path.string() + "': tensor '" + key +
                         "' has another shape than the model's (different model options?)");
    c10::NoGradGuard noGrad;
    dst.copy_(src);
}
} // namespace

bool Adam::load(const std::filesystem::path& path) {
    if (!std::filesystem::exists(path))
        return false;
    const auto ckpt = SafetensorsCheckpoint::open(path);
    for (auto& [name, p] : m_params) {
        copyInto(ckpt, "param/" + name, p, path);
        copyInto(ckpt, "adam_m/" + name, m_m.at(name), path);
        copyInto(ckpt, "adam_v/" + name, m_v.at(name), path);
    }
    const auto& meta = ckpt.files().front().metadata();
    const auto it = meta.find("step");
    if (it == meta.end())
        throw TrainError("checkpoint '" + path.string() + "': no step count in its metadata");
    m_steps = std::stoi(it->second);
    if (!m_average.empty()) {
        if (const auto average = checkpointAverage(ckpt)) {
            for (auto& [name, a] : m_average)
                copyInto(ckpt, "average/" + name, a, path);
            m_averagedSteps = average->steps;
        } else { // a checkpoint without an average: it starts here
            c10::NoGradGuard noGrad;
            for (auto& [name, a] : m_average)
                a.copy_(m_params.at(name).detach());
            m_averagedSteps = 0;
        }
    }
    return true;
}

namespace {
/// The model folder of --init-from, its files found as the diffusion core finds them.
wan21::ModelFolder initFolder(const std::filesystem::path& dir) {
    if (!std::filesystem::exists(dir / "spiece.model"))
        throw TrainError("--init-from '" + dir.string() +
                         "': 'spiece.model' is missing (not a model folder written by kinema-train export)");
    try {
        return wan21::resolveModelFolder(dir);
    } catch (const ModelError& e) {
        throw TrainError(std::string("--init-from: ") + e.what());
    }
}
} // namespace

void seedWorkDirFrom(const TrainOptions& o) {
    namespace fs = std::filesystem;
    if (o.initFrom.empty())
        return;
    const auto folder = initFolder(o.initFrom);
    // A DiT trained on the grey or position conditioning has never seen zeros at unkeyed frames (the other
    // way round is how a model moves to one of them).
    if (folder.unkeyedCondition != "zero" && o.unkeyedCondition != folder.unkeyedCondition)
        throw TrainError("--init-from '" + o.initFrom.string() + "' was trained with " +
                         folder.unkeyedCondition + " conditioning (kinema.json \"unkeyed_condition\": \"" +
                         folder.unkeyedCondition + "\"): give --unkeyed-condition " +
                         folder.unkeyedCondition);
    fs::create_directories(o.workDir);
    if (!fs::exists(o.workDir / "spiece.model"))
        fs::copy_file(o.initFrom / "spiece.model", o.workDir / "spiece.model");
    if (!fs::exists(o.workDir / "vae.safetensors")) {
        const auto& source = folder.vaeWeights;
        auto vae = buildVae(vaeConfig(o.shape), 0);
        const auto ckpt = SafetensorsCheckpoint::open(source);
        ParamMap named;
        for (auto& [name, p] : vae.params) {
            copyInto(ckpt, name, p, source);
            named["param/" + name] = p;
        }
        writeTensors(o.workDir / "vae.safetensors", named, {{"step", "0"}});
        // The latent statistics the folder's DiT was trained with, tied to this VAE like computed ones.
        const auto& c = folder.vae;
        if (!fs::exists(latentStatsPath(o)) && !c.latentsMean.empty() &&
            c.latentsMean.size() == c.latentsStd.size())
            writeTensors(latentStatsPath(o),
                         {{"mean", at::tensor(c.latentsMean)}, {"std", at::tensor(c.latentsStd)}},
                         {{"vae_digest", paramsDigest(vae.params)}});
    }
}

ParamMap ditAndTextEncoder(const ParamMap& dit, const ParamMap& textEncoder) {
    ParamMap both;
    for (const auto& [name, p] : dit)
        both["dit/" + name] = p;
    for (const auto& [name, p] : textEncoder)
        both["text_encoder/" + name] = p;
    return both;
}

void loadExportedDit(const std::filesystem::path& dir, ParamMap& dit, ParamMap& textEncoder) {
    const auto folder = initFolder(dir);
    for (const auto& [file, params] :
         {std::pair{folder.ditWeights, &dit}, std::pair{folder.textEncoderWeights, &textEncoder}}) {
        const auto ckpt = SafetensorsCheckpoint::open(file);
        for (auto& [name, p] : *params)
            copyInto(ckpt, name, p, file);
    }
}

void loadTrainedDit(const TrainOptions& o, ParamMap& dit, ParamMap& textEncoder) {
    const auto checkpoint = o.workDir / "dit.safetensors";
    if (std::filesystem::exists(checkpoint)) {
        auto both = ditAndTextEncoder(dit, textEncoder);
        loadTrainedParams(checkpoint, both, o.rawWeights);
    } else if (!o.initFrom.empty()) {
        loadExportedDit(o.initFrom, dit, textEncoder);
    } else {
        throw TrainError("'" + checkpoint.string() + "' is missing: run the dit stage or give --init-from");
    }
}

std::int64_t tokenizerVocab(const TrainOptions& o) {
    const auto spiece = o.workDir / "spiece.model";
    if (!std::filesystem::exists(spiece))
        throw TrainError("'" + spiece.string() + "' is missing: run the tokenizer stage first");
    return static_cast<std::int64_t>(UnigramTokenizer::fromSentencePieceModel(spiece).vocabSize());
}

at::Tensor withFrameChange(const at::Tensor& err, const at::Tensor& d, double weight, std::int64_t frameDim) {
    const auto frames = d.size(frameDim);
    if (weight <= 0 || frames < 2)
        return err;
    const auto change = (d.narrow(frameDim, 1, frames - 1) - d.narrow(frameDim, 0, frames - 1)).pow(2);
    return err + weight * at::cat({at::zeros_like(d.narrow(frameDim, 0, 1)), change}, frameDim);
}

at::Tensor spatialChange(const at::Tensor& d, double w) {
    // The change to the next pixel along `dim`, squared, with a zero where there is no next pixel.
    const auto toNext = [&d](std::int64_t dim, at::IntArrayRef pad) {
        const auto n = d.size(dim);
        return at::constant_pad_nd((d.narrow(dim, 1, n - 1) - d.narrow(dim, 0, n - 1)).pow(2), pad);
    };
    return w * (toNext(4, {0, 1}) + toNext(3, {0, 0, 0, 1}));
}

at::Tensor velocityError(const at::Tensor& v, const at::Tensor& target, double temporalWeight,
                         std::int64_t frameDim) {
    const auto d = v - target;
    return withFrameChange(d.pow(2), d, temporalWeight, frameDim);
}

at::Tensor velocityLoss(const at::Tensor& v, const at::Tensor& target, const at::Tensor& weight,
                        double temporalWeight) {
    const auto err = velocityError(v, target, temporalWeight, 1);
    if (!weight.defined())
        return err.mean();
    return (err * weight).sum() / (weight.sum() * err.size(0));
}

void checkUnkeyedCondition(const TrainOptions& o) {
    if (!wan21::isUnkeyedCondition(o.unkeyedCondition))
        throw TrainError("--unkeyed-condition must be zero, grey or position, got '" + o.unkeyedCondition +
                         "'");
}

at::Tensor unkeyedLatent(const TrainOptions& o, const wan21::WanVae& vae, const at::Tensor& mean,
                         const at::Tensor& std) {
    checkUnkeyedCondition(o);
    c10::NoGradGuard noGrad;
    if (o.unkeyedCondition == "position") {
        // Already in the normalised latent space, as the engine places it.
        const auto stride = vaeConfig(o.shape).spatialStride();
        return positionLatent(o.shape.zDim, (o.frames - 1) / 4 + 1, o.height / stride, o.width / stride);
    }
    if (o.unkeyedCondition != "grey")
        return {};
    return ((greyClipLatent(vae, o.frames, o.height, o.width) - mean) / std).contiguous();
}

scenes::SceneSpec changedSpec(const scenes::SceneSpec& spec, CaptionChange change, std::uint64_t seed) {
    switch (change) {
    case CaptionChange::Colour:
        return scenes::withSubjectRecoloured(spec, mixSeed(seed, 37));
    case CaptionChange::Shape:
        return scenes::withSubjectReshaped(spec, mixSeed(seed, 37));
    case CaptionChange::ColourSwap:
        return scenes::withSubjectColourSwapped(spec);
    case CaptionChange::SizeTrade:
        return scenes::withSubjectSizeTraded(spec, mixSeed(seed, 41));
    default:
        return scenes::withDirectionsReversed(spec);
    }
}

at::Tensor contrastHinge(const at::Tensor& truth, const at::Tensor& reversed, double margin) {
    const auto hinge = at::relu(margin - (reversed - truth) / truth.detach());
    return hinge - hinge.detach();
}

std::optional<CheckpointAverage> checkpointAverage(const SafetensorsCheckpoint& checkpoint) {
    const auto& meta = checkpoint.files().front().metadata();
    const auto decay = meta.find("average_decay");
    const auto steps = meta.find("averaged_steps");
    if (decay == meta.end() || steps == meta.end())
        return std::nullopt;
    return CheckpointAverage{decay->second, std::stoi(steps->second)};
}

void loadTrainedParams(const std::filesystem::path& path, ParamMap& params, bool raw) {
    if (!std::filesystem::exists(path))
        throw TrainError("checkpoint '" + path.string() + "' does not exist (run its training stage first)");
    const auto ckpt = SafetensorsCheckpoint::open(path);
    const bool average = !raw && checkpointAverage(ckpt);
    for (auto& [name, p] : params)
        copyInto(ckpt, (average ? "average/" : "param/") + name, p, path);
}

void loadParams(const std::filesystem::path& path, ParamMap& params) {
    loadTrainedParams(path, params, /*raw=*/true);
}

std::uint64_t mixSeed(std::uint64_t a, std::uint64_t b, std::uint64_t c, std::uint64_t d) {
    using scenes::splitMix64;
    return splitMix64(splitMix64(splitMix64(splitMix64(a) ^ b) ^ c) ^ d);
}

Sample renderSample(std::uint64_t sceneSeed, int width, int height, int frames, int firstFrame, int timeline,
                    int supersampling) {
    const auto spec = scenes::sample(sceneSeed);
    scenes::RenderSettings rs;
    rs.width = width;
    rs.height = height;
    rs.frames = frames;
    rs.fps = 16.0;
    rs.firstFrame = firstFrame;
    rs.timelineFrames = timeline;
    rs.supersampling = supersampling;
    const auto clip = scenes::render(spec, rs);
    // clip.rgb: frame-major, rows, pixels, RGB -> [3, T, H, W]
    std::vector<float> encoded(clip.rgb.size());
    for (std::size_t i = 0; i < encoded.size(); ++i)
        encoded[i] = encodePixel(clip.rgb[i]);
    auto video = at::tensor(encoded, at::kFloat).view({frames, height, width, 3}).permute({3, 0, 1, 2});
    Sample s;
    s.video = video.contiguous();
    s.caption = sceneCaption(spec, sceneSeed);
    return s;
}

at::Tensor objectPixels(const at::Tensor& video) {
    const auto median = std::get<0>(video.median(-1, true));
    const auto deviation = std::get<0>((video - median).abs().max(1, true));
    return deviation.gt(0.1).to(video.scalar_type());
}

at::Tensor latentObjectMask(const at::Tensor& video, std::int64_t stride) {
    const auto pixels = objectPixels(video)[0][0]; // [T, H, W]
    const auto frames = pixels.size(0);
    // Latent frame 0 is pixel frame 0; latent frame f >= 1 covers pixel frames 4f - 3 .. 4f.
    auto perLatentFrame = pixels.narrow(0, 0, 1);
    if (frames > 1)
        perLatentFrame = at::cat(
            {perLatentFrame, std::get<0>(pixels.narrow(0, 1, frames - 1)
                                             .view({(frames - 1) / 4, 4, pixels.size(1), pixels.size(2)})
                                             .max(1))},
            0);
    return at::max_pool2d(perLatentFrame.unsqueeze(1), {stride, stride}, {stride, stride}).squeeze(1);
}

std::string sceneCaption(const scenes::SceneSpec& spec, std::uint64_t captionSeed) {
    const auto style = scenes::kAllCaptionStyles[mixSeed(captionSeed, 7) % scenes::kAllCaptionStyles.size()];
    return scenes::caption(spec, style, mixSeed(captionSeed, 11));
}

void appendLossLog(const std::filesystem::path& path, const std::vector<StepLoss>& rows, double seconds) {
    const bool fresh = !std::filesystem::exists(path);
    std::ofstream out(path, std::ios::app);
    if (!out)
        throw TrainError("loss log '" + path.string() + "': cannot open for writing");
    if (fresh)
        out << "step,loss,seconds\n";
    for (const auto& r : rows)
        out << r.step << ',' << r.loss << ',' << seconds << '\n';
}

void trimLossLog(const std::filesystem::path& path, int lastStep) {
    if (!std::filesystem::exists(path))
        return;
    std::string kept, line;
    bool dropped = false;
    {
        std::ifstream in(path);
        while (std::getline(in, line)) {
            // Rows start with their step; the header (and anything else) does not parse as one and stays.
            char* end = nullptr;
            const long step = std::strtol(line.c_str(), &end, 10);
            if (end != line.c_str() && *end == ',' && step > lastStep) {
                dropped = true;
                continue;
            }
            kept += line + '\n';
        }
    }
    if (!dropped)
        return;
    const auto temp = path.string() + ".partial";
    {
        std::ofstream out(temp, std::ios::trunc);
        out << kept;
        if (!out.flush())
            throw TrainError("loss log '" + path.string() + "': cannot rewrite it");
    }
    std::filesystem::rename(temp, path);
}

std::filesystem::path latentStatsPath(const TrainOptions& options) {
    return options.workDir / "latent_stats.safetensors";
}

std::string paramsDigest(const ParamMap& params) {
    std::uint64_t h = 1469598103934665603ull;
    auto mix = [&](const void* data, std::size_t bytes) {
        const auto* p = static_cast<const unsigned char*>(data);
        for (std::size_t i = 0; i < bytes; ++i)
            h = (h ^ p[i]) * 1099511628211ull;
    };
    for (const auto& [name, p] : params) {
        mix(name.data(), name.size());
        const auto t = p.detach().to(at::kCPU, at::kFloat).contiguous();
        mix(t.data_ptr<float>(), static_cast<std::size_t>(t.numel()) * sizeof(float));
    }
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
    return hex;
}

LatentStats readLatentStats(const TrainOptions& options) {
    const auto ckpt = SafetensorsCheckpoint::open(latentStatsPath(options));
    auto values = [&](const char* name) {
        const auto t = toTensor(*ckpt.find(name)).contiguous();
        return std::vector<float>(t.data_ptr<float>(), t.data_ptr<float>() + t.numel());
    };
    const auto& meta = ckpt.files().front().metadata();
    const auto digest = meta.find("vae_digest");
    return {values("mean"), values("std"), digest == meta.end() ? std::string() : digest->second};
}

} // namespace kinema::trainer::detail
