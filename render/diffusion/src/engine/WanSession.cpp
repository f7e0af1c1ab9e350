// SPDX-License-Identifier: Apache-2.0
// The Wan 2.1 implementation of Session: text encoding, noise, sampling with conditioning, VAE decode.
//
// Placement: every tensor a stage produces lives on the session's device, except the text (and CLIP)
// encodings under offloading, which are computed on the CPU and moved by the DiT. place() puts the DiT and
// the VAE where the stage about to run needs them (Offload::Model / Blocks: one of the two at a time), so
// results do not depend on the offload mode. Noise is always drawn on the CPU for seed stability.
#include "engine/ConditioningClip.h"
#include "engine/ImageToVideo.h"
#include "engine/Placement.h"
#include "engine/TiledDecode.h"
#include "families/wan21/WanClip.h"
#include "families/wan21/WanDit.h"
#include "families/wan21/WanKeys.h"
#include "families/wan21/WanModelFolder.h"
#include "families/wan21/WanSampler.h"
#include "families/wan21/WanT5.h"
#include "families/wan21/WanVae.h"
#include "nn/Ops.h"
#include "text/PromptTokenizers.h"

#include <kinema/diffusion/Errors.h>
#include <kinema/diffusion/Session.h>

#include <ATen/CPUGeneratorImpl.h>
#include <c10/core/GradMode.h>

#include <array>
#include <cmath>
#include <map>
#include <optional>
#include <set>
#include <thread>

namespace kinema::diffusion {

namespace {

using namespace wan21;

std::string storageDtypes(const SafetensorsCheckpoint& ckpt) {
    std::set<std::string> names;
    for (const auto& file : ckpt.files())
        for (const auto& t : file.tensors())
            names.insert(std::string(dtypeName(t.dtype)));
    std::string out;
    for (const auto& n : names)
        out += (out.empty() ? "" : "+") + n;
    return out;
}

std::int64_t parameterCount(const SafetensorsCheckpoint& ckpt) {
    std::int64_t n = 0;
    for (const auto& file : ckpt.files())
        for (const auto& t : file.tensors())
            n += t.numel();
    return n;
}

KeyMapper ditMapper(const SafetensorsCheckpoint& ckpt) {
    if (ckpt.find("condition_embedder.time_proj.weight"))
        return ditDiffusersKey;
    return {};
}

ModelInfo describe(const ModelFolder& f) {
    ModelInfo info;
    info.family = "wan2.1";
    info.modelType = f.dit.modelType;
    info.dim = f.dit.dim;
    info.layers = f.dit.numLayers;
    info.heads = f.dit.numHeads;
    info.ffnDim = f.dit.ffnDim;
    info.textLen = f.dit.textLen;
    info.latentChannels = f.dit.outDim;
    info.pixelEncoding = f.pixelEncoding;
    info.supportedSizes = f.sizes;
    info.description = "dim " + std::to_string(f.dit.dim) + ", " + std::to_string(f.dit.numLayers) +
                       " layers, " + std::to_string(f.dit.numHeads) + " heads, ffn " +
                       std::to_string(f.dit.ffnDim) + ", text_len " + std::to_string(f.dit.textLen) +
                       "; VAE dim " + std::to_string(f.vae.dim) + ", z_dim " + std::to_string(f.vae.zDim) +
                       "; text encoder " + std::to_string(f.textEncoder.numLayers) + " layers x " +
                       std::to_string(f.textEncoder.dim) + "; tokenizer " + f.tokenizer;
    return info;
}

Image toImage(const at::Tensor& chw) {
    // chw: [3, H, W] float
    Image img;
    img.height = static_cast<int>(chw.size(1));
    img.width = static_cast<int>(chw.size(2));
    const auto hwc = chw.permute({1, 2, 0}).contiguous().to(at::kFloat).cpu();
    img.rgb.assign(hwc.data_ptr<float>(), hwc.data_ptr<float>() + hwc.numel());
    return img;
}

at::Tensor fromImage(const Image& img, int width, int height, const std::string& what) {
    if (img.width != width || img.height != height ||
        img.rgb.size() != static_cast<std::size_t>(width) * static_cast<std::size_t>(height) * 3)
        throw RequestError(what + " must be " + std::to_string(width) + "x" + std::to_string(height) +
                           " RGB (got " + std::to_string(img.width) + "x" + std::to_string(img.height) + ")");
    for (float v : img.rgb)
        if (!std::isfinite(v))
            throw RequestError(what + " holds a non-finite value");
    return at::from_blob(const_cast<float*>(img.rgb.data()), {height, width, 3}, at::kFloat)
        .permute({2, 0, 1})
        .clone(); // [3, H, W]
}

/// Rough preview: three latent channels of the middle frame squashed to [-1, 1].
Image previewOf(const at::Tensor& latent) {
    const auto frame =
        latent.select(1, latent.size(1) / 2).narrow(0, 0, std::min<std::int64_t>(3, latent.size(0)));
    auto rgb = at::tanh(frame.to(at::kFloat) * 0.5);
    if (rgb.size(0) < 3)
        rgb = at::cat({rgb, rgb.narrow(0, 0, 1).expand({3 - rgb.size(0), rgb.size(1), rgb.size(2)})}, 0);
    return toImage(rgb);
}

class WanSession final : public Session {
public:
    WanSession(const std::filesystem::path& dir, const SessionOptions& options)
        : m_folder(resolveModelFolder(dir))
        , m_info(describe(m_folder)) {
        const int threads = options.threads > 0
                                ? options.threads
                                : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
        nn::setComputeThreads(threads);
        if (options.device == Device::Cuda && !at::hasCUDA())
            throw ModelError("CUDA was requested but this build of the diffusion core has no CUDA support");
        m_deviceKind = options.device;
        if (options.device == Device::Cuda)
            m_device = at::Device(at::kCUDA, static_cast<at::DeviceIndex>(options.deviceIndex));
        c10::NoGradGuard noGrad;
        {
            const auto ckpt = SafetensorsCheckpoint::open(m_folder.textEncoderWeights);
            WeightMap wm(ckpt, m_folder.textEncoderWeights.string());
            m_t5 = std::make_unique<WanT5>(m_folder.textEncoder, wm);
            wm.requireAllUsed();
            m_info.components.push_back({"text_encoder", m_folder.textEncoderWeights.string(),
                                         storageDtypes(ckpt), m_t5->parameterCount()});
        }
        const std::string ditDtypes = loadDit();
        m_info.components.push_back(
            {"dit", m_folder.ditWeights.string(), ditDtypes, m_dit->parameterCount()});
        {
            const auto ckpt = SafetensorsCheckpoint::open(m_folder.vaeWeights);
            WeightMap wm(ckpt, m_folder.vaeWeights.string());
            m_vae = std::make_unique<WanVae>(m_folder.vae, wm, true, true);
            wm.requireAllUsed();
            m_info.components.push_back(
                {"vae", m_folder.vaeWeights.string(), storageDtypes(ckpt), m_vae->parameterCount()});
        }
        if (m_folder.dit.hasImageInput()) {
            const auto ckpt = SafetensorsCheckpoint::open(m_folder.clipWeights);
            WeightMap wm(ckpt, m_folder.clipWeights.string());
            m_clip = std::make_unique<WanClipVision>(m_folder.clip, wm);
            wm.requireAllUsed({"visual."}); // the text tower (textual.*) is not needed
            m_info.components.push_back(
                {"clip", m_folder.clipWeights.string(), storageDtypes(ckpt), m_clip->parameterCount()});
        }
        m_tokenizer = m_folder.tokenizer == "bytes" ? makeByteTokenizer(m_folder.textEncoder.vocab)
                                                    : makeUmt5Tokenizer(m_folder.dir);
        m_info.components.push_back({"tokenizer", m_folder.tokenizer, "", 0});

        // On a GPU the DiT usually runs in bf16 (half its fp32 bytes); the other components stay fp32.
        const auto ditBytes = static_cast<std::uint64_t>(m_dit->weightBytes().total) / 2;
        std::uint64_t allBytes = ditBytes;
        for (const auto& c : m_info.components)
            if (c.name != "dit")
                allBytes += static_cast<std::uint64_t>(c.parameters) * 4;
        m_offload = resolveOffload(options.offload, options.device,
                                   options.device == Device::Cuda ? cudaTotalMemoryBytes(options.deviceIndex)
                                                                  : std::nullopt,
                                   allBytes, ditBytes);
        m_dit->setStreamBlocks(m_offload == Offload::Blocks);
        // The text encoder stays on the CPU when offloading; the DiT and the VAE are placed per stage.
        m_t5->to(m_offload == Offload::None ? m_device : at::Device(at::kCPU));
        if (m_clip)
            m_clip->to(m_offload == Offload::None ? m_device : at::Device(at::kCPU));
        // The DiT and the VAE are placed by the first generate() or decode().
    }

    ModelInfo info() const override { return m_info; }
    Offload offload() const override { return m_offload; }

    GenerateResult generate(const GenerateRequest& request, const ProgressCallback& progress) override {
        validate(request);
        c10::NoGradGuard noGrad;
        useComputeType(request.computeType);
        place(Stage::Encode);
        const auto solverKind = parseSolverKind(request.solver);
        const std::int64_t latentFrames = (request.frames - 1) / 4 + 1;
        const std::int64_t stride = m_folder.vae.spatialStride();
        const std::int64_t lh = request.height / stride, lw = request.width / stride;
        const std::int64_t channels = m_folder.dit.outDim;
        auto cancelled = [&] { return request.cancel && request.cancel->load(); };

        // i2v / flf2v: CLIP features of the key frame(s) go into both contexts, y carries their latents.
        ImageConditioning image;
        if (m_clip)
            image = buildImageConditioning(m_folder.dit.modelType, *m_clip, *m_vae, keyFrames(request),
                                           request.frames);
        const auto context = m_dit->embedContext(encodeText(request.prompt), image.clipFeatures);
        if (cancelled())
            throw CancelledError("generation cancelled");
        const auto contextNull = m_dit->embedContext(
            encodeText(request.negativePrompt.empty() ? defaultNegativePrompt(m_folder.dit.modelType)
                                                      : request.negativePrompt),
            image.clipFeatures);

        auto generator = at::detail::createCPUGenerator(request.seed);
        // Drawn on the CPU so that a seed gives the same noise on every device.
        const auto noise =
            at::randn({channels, latentFrames, lh, lw}, generator, at::TensorOptions().dtype(at::kFloat))
                .to(m_device);

        SampleOptions options;
        options.solver = solverKind;
        options.steps = request.steps;
        options.shift = request.shift;
        options.guidance = request.guidance;
        options.cancel = request.cancel;
        const auto schedule = makeFlowSchedule(solverKind, request.steps, request.shift);

        at::Tensor start = noise;
        at::Tensor initLatent; // the init video's normalised latents (video-to-video)
        if (!request.initVideo.empty() && request.strength < 1.0) {
            std::vector<at::Tensor> frames;
            for (std::size_t i = 0; i < request.initVideo.size(); ++i)
                frames.push_back(fromImage(request.initVideo[i], request.width, request.height,
                                           "init video frame " + std::to_string(i)));
            const auto x0 = m_vae->normalize(m_vae->encode(at::stack(frames, 1).unsqueeze(0)))[0];
            initLatent = x0;
            options.startStep = startStepForStrength(request.steps, request.strength);
            const float sigma = schedule.sigmas[static_cast<std::size_t>(options.startStep)];
            start = (1.0f - sigma) * x0 + sigma * noise;
        }

        // Conditioning frames: their latents replace the sample at their latent index, noised to the
        // current noise level, before every step and in the final result.
        const auto cond = m_clip ? std::vector<std::pair<std::int64_t, at::Tensor>>{}
                                 : conditioningLatents(request, channels, lh, lw);
        const bool conditioningChannels = !m_clip && m_folder.dit.inDim == 2 * channels + 4;
        at::Tensor unkeyedLatent;
        if (conditioningChannels && m_folder.unkeyedCondition == "grey")
            unkeyedLatent = greyLatent(request.frames, request.height, request.width);
        else if (conditioningChannels && m_folder.unkeyedCondition == "position")
            unkeyedLatent = positionLatent(channels, latentFrames, lh, lw).to(m_device);
        auto applyConditioning = [&](at::Tensor x, float sigma) {
            for (const auto& [index, latent] : cond)
                x.select(1, index).copy_((1.0f - sigma) * latent + sigma * noise.select(1, index));
            return x;
        };
        if (!cond.empty())
            start = applyConditioning(start.clone(),
                                      schedule.sigmas[static_cast<std::size_t>(options.startStep)]);

        options.onStep = [&](int done, int total, const at::Tensor& x) {
            if (!cond.empty()) {
                const auto next = static_cast<std::size_t>(options.startStep + done);
                applyConditioning(x, schedule.sigmas[next]);
            }
            if (progress) {
                Progress p;
                p.step = done;
                p.total = total;
                p.preview = previewOf(x);
                if (!progress(p))
                    return false;
            }
            return !cancelled();
        };
        // Models with image-to-video conditioning channels but no CLIP branch (in_dim = 2 * z_dim + 4, like
        // the embedded demo model) also see y = [4 mask channels, conditioning latent]: the mask is 1 on
        // every conditioned latent frame, the latent channels hold the clean conditioning latents, and the
        // unkeyed frames zeros, the grey clip's latent or the position pattern
        // (ModelFolder::unkeyedCondition).
        at::Tensor y = image.y;
        if (conditioningChannels) {
            y = at::zeros({4 + channels, latentFrames, lh, lw}, noise.options());
            if (unkeyedLatent.defined())
                y.narrow(0, 4, channels).copy_(unkeyedLatent);
            for (const auto& [index, latent] : cond) {
                y.narrow(0, 0, 4).select(1, index).fill_(1.0f);
                y.narrow(0, 4, channels).select(1, index).copy_(latent);
            }
        }
        options.batchGuidance = request.batchGuidance;
        // Strength 0 keeps the init video: its latents (with the conditioning frames) are the result.
        const bool keepInit = !request.initVideo.empty() && request.strength <= 0.0;
        at::Tensor finalLatent;
        if (keepInit) {
            finalLatent = cond.empty() ? initLatent : applyConditioning(initLatent.clone(), 0.0f);
            if (progress) {
                Progress p;
                p.step = p.total = 1;
                p.preview = previewOf(finalLatent);
                if (!progress(p))
                    throw CancelledError("generation cancelled by the progress callback");
            }
        } else {
            place(Stage::Sample);
            finalLatent = sample(*m_dit, start, context, contextNull, options, y).latent;
        }

        GenerateResult result;
        const auto latent = finalLatent.contiguous().cpu();
        result.latentChannels = static_cast<int>(channels);
        result.latentFrames = static_cast<int>(latentFrames);
        result.latentHeight = static_cast<int>(lh);
        result.latentWidth = static_cast<int>(lw);
        result.latents.assign(latent.data_ptr<float>(), latent.data_ptr<float>() + latent.numel());
        if (cancelled())
            throw CancelledError("generation cancelled");
        result.frames = decodeFrames(latent, request.vaeTile, result);
        return result;
    }

    std::vector<Image> decode(const GenerateResult& sampled, int vaeTile) override {
        c10::NoGradGuard noGrad;
        const std::int64_t c = sampled.latentChannels, f = sampled.latentFrames, h = sampled.latentHeight,
                           w = sampled.latentWidth;
        if (c != m_folder.dit.outDim || f < 1 || h < 1 || w < 1 ||
            static_cast<std::int64_t>(sampled.latents.size()) != c * f * h * w)
            throw RequestError("latents of shape [" + std::to_string(c) + ", " + std::to_string(f) + ", " +
                               std::to_string(h) + ", " + std::to_string(w) + "] with " +
                               std::to_string(sampled.latents.size()) + " values do not fit this model's " +
                               std::to_string(m_folder.dit.outDim) + "-channel VAE");
        const auto latent = at::tensor(sampled.latents, at::kFloat).view({c, f, h, w});
        return decodeFrames(latent, vaeTile, sampled);
    }

private:
    /// Normalised latent [C, F, h, w] -> frames, down the tile ladder on out-of-memory. `sampled` goes into
    /// the DecodeOutOfMemoryError when every tile size fails.
    std::vector<Image> decodeFrames(const at::Tensor& latent, int vaeTile, const GenerateResult& sampled) {
        place(Stage::Decode);
        const auto z = m_vae->denormalize(latent.unsqueeze(0));
        std::string lastError;
        for (const int tile : decodeTileLadder(vaeTile, z.size(3), z.size(4))) {
            try {
                const auto video = decodeInTiles(*m_vae, z, tile)[0]; // [3, T, H, W]
                std::vector<Image> frames;
                for (std::int64_t t = 0; t < video.size(1); ++t)
                    frames.push_back(toImage(video.select(1, t)));
                return frames;
            } catch (const std::exception& e) {
                if (!nn::isOutOfMemory(e))
                    throw;
                lastError = e.what();
            }
        }
        GenerateResult kept = sampled;
        kept.frames.clear();
        throw DecodeOutOfMemoryError("VAE decode ran out of memory at every tile size (last: " + lastError +
                                         "); the sampled latents are kept and can be decoded again",
                                     std::move(kept));
    }

    /// The conditioning latents by latent frame index. Latent frame 0 is pixel frame 0 alone; latent frame
    /// k >= 1 stands for pixel frames 4k-3..4k, so the pixel frames given in that group are encoded together
    /// as a 5-frame clip (frame 4k-4 as causal context when it is given; missing positions filled with the
    /// nearest frame given in the group) and its second latent frame is used. A single keyframe at position p
    /// thus becomes a latent of the image held over its group, which is what the model sees for a still
    /// moment in training.
    std::vector<std::pair<std::int64_t, at::Tensor>> conditioningLatents(const GenerateRequest& request,
                                                                         std::int64_t channels,
                                                                         std::int64_t lh,
                                                                         std::int64_t lw) const {
        std::map<std::int64_t, at::Tensor> byIndex;
        std::map<std::int64_t, std::map<int, at::Tensor>> pixelGroups; // latent index -> position -> frame
        std::map<int, at::Tensor> pixelFrames;                         // position -> frame
        for (const auto& c : request.conditioning) {
            const std::int64_t index = c.position == 0 ? 0 : (c.position - 1) / 4 + 1;
            if (!c.latent.empty()) {
                if (c.latent.size() != static_cast<std::size_t>(channels * lh * lw))
                    throw RequestError("conditioning latent at frame " + std::to_string(c.position) +
                                       " must have " + std::to_string(channels * lh * lw) + " values");
                byIndex[index] = at::tensor(c.latent, at::kFloat).view({channels, lh, lw});
                continue;
            }
            const auto frame = fromImage(c.image, request.width, request.height,
                                         "conditioning frame " + std::to_string(c.position));
            pixelGroups[index][c.position] = frame;
            pixelFrames[c.position] = frame;
        }
        for (const auto& [index, frames] : pixelGroups) {
            if (byIndex.count(index))
                continue; // an explicit latent wins over pixel frames of the same group
            at::Tensor clip;
            if (index == 0) {
                clip = frames.begin()->second.view({1, 3, 1, request.height, request.width});
            } else {
                clip = conditioningClip(index, frames, pixelFrames);
            }
            const auto latent = m_vae->normalize(m_vae->encode(clip))[0];
            byIndex[index] = latent.select(1, index == 0 ? 0 : 1).contiguous();
        }
        for (auto& [index, latent] : byIndex)
            latent = latent.to(m_device);
        return {byIndex.begin(), byIndex.end()};
    }

    /// The normalised latent of a mid-grey clip of this size (greyClipLatent), on the device; encoded once
    /// per size.
    at::Tensor greyLatent(std::int64_t frames, std::int64_t height, std::int64_t width) {
        auto& latent = m_greyLatents[{frames, height, width}];
        if (!latent.defined())
            latent = m_vae->normalize(greyClipLatent(*m_vae, frames, height, width).unsqueeze(0))[0];
        return latent.to(m_device);
    }

    /// The key images of an i2v (frame 0) or flf2v (frames 0 and last) request, [3, H, W] each.
    std::vector<at::Tensor> keyFrames(const GenerateRequest& r) const {
        const bool flf2v = m_folder.dit.modelType == "flf2v";
        std::optional<at::Tensor> first, last;
        for (const auto& c : r.conditioning) {
            const bool isFirst = c.position == 0, isLast = flf2v && c.position == r.frames - 1;
            if ((!isFirst && !isLast) || !c.latent.empty())
                throw RequestError(m_folder.dit.modelType + " models take " +
                                   (flf2v ? "a first and a last frame" : "one first frame") +
                                   " as pixel images; frame " + std::to_string(c.position) +
                                   (c.latent.empty() ? " is not one of them" : " was given as a latent"));
            (isFirst ? first : last) =
                fromImage(c.image, r.width, r.height, "conditioning frame " + std::to_string(c.position));
        }
        if (!first || (flf2v && !last))
            throw RequestError(
                m_folder.dit.modelType + " needs " +
                (flf2v ? "a first and a last frame (positions 0 and " + std::to_string(r.frames - 1) + ")"
                       : std::string("a first frame (position 0)")) +
                " as conditioning");
        std::vector<at::Tensor> keys{*first};
        if (flf2v)
            keys.push_back(*last);
        return keys;
    }

    void validate(const GenerateRequest& r) const {
        auto fail = [](const std::string& what) { throw RequestError(what); };
        if (r.frames < 1 || r.frames > 1025 || (r.frames - 1) % 4 != 0)
            fail("frames = " + std::to_string(r.frames) +
                 ": must be 4k + 1 (1, 5, 9, ..., 81) and at most 1025");
        // One DiT patch of latent pixels: 16 pixels for Wan 2.1 (VAE stride 8, patch 2).
        const auto multiple = static_cast<int>(m_folder.vae.spatialStride() * m_folder.dit.patchSize[1]);
        if (r.width < multiple || r.height < multiple || r.width % multiple != 0 ||
            r.height % multiple != 0 || r.width > 4096 || r.height > 4096)
            fail("size " + std::to_string(r.width) + "x" + std::to_string(r.height) +
                 ": width and height must be multiples of " + std::to_string(multiple) + " between " +
                 std::to_string(multiple) + " and 4096");
        if (r.steps < 1 || r.steps > 1000)
            fail("steps = " + std::to_string(r.steps) + ": must be between 1 and 1000");
        if (r.vaeTile < 0 || r.vaeTile > 4096)
            fail("vae tile = " + std::to_string(r.vaeTile) +
                 ": must be 0 (automatic) or a size in latent pixels");
        if (!std::isfinite(r.guidance) || r.guidance < 0 || r.guidance > 100)
            fail("guidance must be a finite number between 0 and 100");
        if (!std::isfinite(r.shift) || r.shift <= 0 || r.shift > 1000)
            fail("shift must be a finite number in (0, 1000]");
        if (!std::isfinite(r.strength) || r.strength < 0 || r.strength > 1)
            fail("strength must be between 0 and 1");
        parseSolverKind(r.solver);
        if (r.device != m_deviceKind)
            fail(std::string("the request is for the ") + (r.device == Device::Cuda ? "GPU" : "CPU") +
                 " but this session was opened for the " + (m_deviceKind == Device::Cuda ? "GPU" : "CPU"));
        if (!r.initVideo.empty() && static_cast<int>(r.initVideo.size()) != r.frames)
            fail("the init video has " + std::to_string(r.initVideo.size()) + " frames, the request " +
                 std::to_string(r.frames));
        for (const auto& c : r.conditioning)
            if (c.position < 0 || c.position >= r.frames)
                fail("conditioning frame position " + std::to_string(c.position) + " is outside 0.." +
                     std::to_string(r.frames - 1));
    }

    at::Tensor encodeText(const std::string& text) const {
        const auto prompt =
            promptIds(m_tokenizer->tokenize(text, static_cast<std::size_t>(m_folder.textEncoder.textLen)));
        return m_t5->forward(prompt.ids, prompt.mask)[0].narrow(0, 0, prompt.length);
    }

    /// Loads (or reloads) the DiT in fp32 and puts it where the current placement wants it; returns the
    /// storage dtypes of its file.
    std::string loadDit() {
        c10::NoGradGuard noGrad;
        const auto ckpt = SafetensorsCheckpoint::open(m_folder.ditWeights);
        WeightMap wm(ckpt, m_folder.ditWeights.string(), ditMapper(ckpt));
        m_dit = std::make_unique<WanDit>(m_folder.dit, wm);
        wm.requireAllUsed();
        m_dit->setStreamBlocks(m_offload == Offload::Blocks);
        m_stage = Stage::None;
        return storageDtypes(ckpt);
    }

    void useComputeType(ComputeType type) {
        const auto wanted = type == ComputeType::BF16 ? at::kBFloat16 : at::kFloat;
        if (m_dit->matmulType() == wanted)
            return;
        if (wanted == at::kFloat)
            loadDit(); // bf16 matrices cannot become the file's fp32 values again
        else
            m_dit->setMatmulType(wanted);
    }

    /// Which component works next. Without offloading everything stays on the device; with Model or Blocks
    /// offload the VAE (encode, decode) and the DiT (sampling) take turns, the idle one in CPU memory.
    enum class Stage { None, Encode, Sample, Decode };
    void place(Stage stage) {
        if (stage == m_stage)
            return;
        const at::Device cpu(at::kCPU);
        const bool offloading = m_offload != Offload::None;
        const bool vaeOnDevice = !offloading || stage != Stage::Sample;
        const bool ditOnDevice = !offloading || stage == Stage::Sample || m_offload == Offload::Blocks;
        // Move off the device first so that the two never need to fit at the same time.
        if (!vaeOnDevice)
            m_vae->to(cpu);
        if (!ditOnDevice)
            m_dit->to(cpu);
        if (vaeOnDevice)
            m_vae->to(m_device);
        if (ditOnDevice)
            m_dit->to(m_device);
        m_stage = stage;
    }

    ModelFolder m_folder;
    ModelInfo m_info;
    Device m_deviceKind = Device::Cpu;
    at::Device m_device{at::kCPU};
    Offload m_offload = Offload::None;
    Stage m_stage = Stage::None;
    std::unique_ptr<WanT5> m_t5;
    std::unique_ptr<WanDit> m_dit;
    std::unique_ptr<WanVae> m_vae;
    std::unique_ptr<WanClipVision> m_clip; // i2v / flf2v only
    std::unique_ptr<PromptTokenizer> m_tokenizer;
    std::map<std::array<std::int64_t, 3>, at::Tensor> m_greyLatents; // (frames, height, width) -> latent
};

} // namespace

std::unique_ptr<Session> Session::open(const std::filesystem::path& dir, const SessionOptions& options) {
    return std::make_unique<WanSession>(dir, options);
}

ModelInfo inspectModel(const std::filesystem::path& dir) {
    const auto folder = resolveModelFolder(dir);
    auto info = describe(folder);
    const std::pair<const char*, const std::filesystem::path*> parts[] = {
        {"text_encoder", &folder.textEncoderWeights},
        {"dit", &folder.ditWeights},
        {"vae", &folder.vaeWeights}};
    for (const auto& [name, path] : parts) {
        const auto ckpt = SafetensorsCheckpoint::open(*path);
        info.components.push_back({name, path->string(), storageDtypes(ckpt), parameterCount(ckpt)});
    }
    if (folder.dit.hasImageInput()) {
        const auto ckpt = SafetensorsCheckpoint::open(folder.clipWeights);
        info.components.push_back(
            {"clip", folder.clipWeights.string(), storageDtypes(ckpt), parameterCount(ckpt)});
    }
    info.components.push_back({"tokenizer", folder.tokenizer, "", 0});
    return info;
}

} // namespace kinema::diffusion
