// SPDX-License-Identifier: Apache-2.0
#include "ClipNode.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <mutex>
#include <tuple>

#include "../io/VideoColor.h"
#include "kinema/diffusion/Errors.h"
#include "kinema/diffusion/PixelEncoding.h"
#include "kinema/nodes/ModelLocator.h"
#include "kinema/render/Evaluator.h"

namespace kinema::nodes::generative {

namespace fs = std::filesystem;
using namespace graph;

namespace {

std::atomic<std::uint64_t> g_modelRuns{0};

const std::vector<std::string> kAspects = {"16:9", "9:16", "1:1", "4:3", "2.39:1"};
const std::vector<double> kAspectRatios = {16.0 / 9.0, 9.0 / 16.0, 1.0, 4.0 / 3.0, 2.39};
const std::vector<std::string> kSamplers = {"unipc", "dpm++", "euler"};
const std::vector<std::string> kQualities = {"Draft", "Final"};
constexpr int kMaxSide = 4096;

ParamSpec spec(const std::string& name, ParamType type, ParamValue value, const std::string& tooltip) {
    ParamSpec s{name, type, std::move(value)};
    s.metadata.tooltip = tooltip;
    s.metadata.animatable = false;
    s.metadata.group = "Generation";
    return s;
}

ParamSpec intParam(const std::string& name, std::int64_t value, double min, double max, double softMax,
                   const std::string& tooltip) {
    auto s = spec(name, ParamType::Int, value, tooltip);
    s.metadata.minimum = min;
    s.metadata.maximum = max;
    s.metadata.softMinimum = min;
    s.metadata.softMaximum = softMax;
    return s;
}

ParamSpec floatParam(const std::string& name, double value, double min, double max, double softMax,
                     const std::string& tooltip) {
    auto s = spec(name, ParamType::Float, value, tooltip);
    s.metadata.minimum = min;
    s.metadata.maximum = max;
    s.metadata.softMinimum = min;
    s.metadata.softMaximum = softMax;
    return s;
}

ParamSpec enumParam(const std::string& name, std::vector<std::string> items, std::int64_t index,
                    const std::string& tooltip) {
    auto s = spec(name, ParamType::Enum, index, tooltip);
    s.enumItems = std::move(items);
    return s;
}

int roundTo16(double v) {
    return std::max(16, static_cast<int>(std::lround(v / 16.0)) * 16);
}

/// Hash of a model folder's identity: canonical path plus every file's relative name, size and mtime.
std::string modelIdentity(const std::string& dir) {
    if (dir.empty())
        throw GenerativeError("model: no model folder is set");
    std::error_code ec;
    if (!fs::is_directory(dir, ec))
        throw GenerativeError("model: the model folder '" + dir + "' does not exist");
    const fs::path root = fs::weakly_canonical(dir, ec);
    std::vector<std::tuple<std::string, std::uint64_t, std::int64_t>> files;
    for (auto it = fs::recursive_directory_iterator(root, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        if (!it->is_regular_file(ec))
            continue;
        files.emplace_back(fs::relative(it->path(), root, ec).generic_string(), it->file_size(ec),
                           static_cast<std::int64_t>(it->last_write_time(ec).time_since_epoch().count()));
    }
    std::sort(files.begin(), files.end());
    Hasher h;
    h.append("model").append(root.string());
    for (const auto& [name, size, mtime] : files)
        h.append(name).append(static_cast<std::uint64_t>(size)).append(mtime);
    return h.finish().toString();
}

struct SessionSlot {
    std::mutex mutex;
    std::unique_ptr<diffusion::Session> session;
};

std::shared_ptr<SessionSlot> sessionFor(const ClipSettings& s) {
    static std::mutex mutex;
    static std::map<std::string, std::shared_ptr<SessionSlot>> slots;
    std::shared_ptr<SessionSlot> slot;
    {
        std::lock_guard lock(mutex);
        auto& entry = slots[s.modelIdentity + "|" + s.device];
        if (!entry)
            entry = std::make_shared<SessionSlot>();
        slot = entry;
    }
    return slot;
}

struct ComputeDevice {
    diffusion::Device kind = diffusion::Device::Cpu;
    int index = 0;
};

/// "cpu" (or empty), "cuda" or "cuda:N".
ComputeDevice parseDevice(const std::string& device) {
    ComputeDevice parsed;
    if (!device.empty() && !diffusion::parseDeviceName(device, parsed.kind, parsed.index))
        throw GenerativeError("device: unknown compute device '" + device +
                              "' (expected cpu, cuda or cuda:N)");
    return parsed;
}

diffusion::SessionOptions sessionOptions(const std::string& device) {
    diffusion::SessionOptions options;
    const auto parsed = parseDevice(device);
    options.device = parsed.kind;
    options.deviceIndex = parsed.index;
    return options;
}

/// What the nodes need to know about a model before running it (read from its headers once per identity).
struct ModelTraits {
    std::string pixelEncoding;
    std::vector<std::pair<int, int>> sizes;
};

ModelTraits modelTraits(const std::string& dir, const std::string& identity) {
    static std::mutex mutex;
    static std::map<std::string, ModelTraits> known;
    {
        std::lock_guard lock(mutex);
        if (auto it = known.find(identity); it != known.end())
            return it->second;
    }
    ModelTraits traits;
    try {
        const auto info = diffusion::inspectModel(dir);
        traits.pixelEncoding = info.pixelEncoding;
        traits.sizes = info.supportedSizes;
    } catch (const diffusion::DiffusionError& e) {
        throw GenerativeError("model '" + dir + "': " + e.what());
    }
    std::lock_guard lock(mutex);
    known[identity] = traits;
    return traits;
}

/// The supported size nearest to (width, height): closest aspect ratio first, then closest area.
std::pair<int, int> nearestSupportedSize(const std::vector<std::pair<int, int>>& sizes, int width,
                                         int height) {
    std::pair<int, int> best{width, height};
    double bestAspect = 1e300, bestArea = 1e300;
    for (const auto& [w, h] : sizes) {
        const double aspect =
            std::abs(std::log((static_cast<double>(w) / h) / (static_cast<double>(width) / height)));
        const double area =
            std::abs(std::log((static_cast<double>(w) * h) / (static_cast<double>(width) * height)));
        if (aspect < bestAspect - 1e-9 || (aspect < bestAspect + 1e-9 && area < bestArea)) {
            best = {w, h};
            bestAspect = aspect;
            bestArea = area;
        }
    }
    return best;
}

bool isSceneLinearModel(const ClipSettings& s) {
    return s.pixelEncoding == diffusion::kPixelEncodingAcesCct;
}

/// The scene-linear Rec.709 colour space of a native-HDR model's RGB (shipped and ACES studio names).
std::string modelLinearSpace(const color::ConfigHandle& config) {
    for (const char* name :
         {"Linear Rec.709", "Linear Rec.709 (sRGB)", "lin_rec709", "Utility - Linear - sRGB"})
        if (config.hasColorSpace(name))
            return config.canonicalColorSpace(name);
    throw GenerativeError("the OCIO config has no scene-linear Rec.709 colour space (\"Linear Rec.709\"), "
                          "which the model's native HDR output needs");
}

/// The display-referred colour space the model's RGB is taken to be in.
std::string modelDisplaySpace(const color::ConfigHandle& config) {
    for (const char* name : {kRec709VideoSpace, "sRGB - Display"})
        if (config.hasColorSpace(name))
            return config.canonicalColorSpace(name);
    return {};
}

} // namespace

std::uint64_t modelRunCount() {
    return g_modelRuns.load();
}

ClipNode::ClipNode(NodeTypeInfo info)
    : ImageNode(std::move(info)) {
    auto model = spec("model", ParamType::FilePath, std::string(kDemoModelName),
                      "Model folder, or the name of a model in the model folders ($KINEMA_MODEL_PATH, the "
                      "app's preference, the shipped models; see docs/models.md).");
    model.metadata.uiHint = "folder";
    addParam(model);
    auto prompt = spec("prompt", ParamType::Text, std::string(), "What to generate.");
    prompt.metadata.uiHint = "prompt";
    addParam(prompt);
    addParam(spec("negativePrompt", ParamType::Text, std::string(),
                  "What to avoid; empty uses the model's default negative prompt."));
    addParam(spec("seed", ParamType::Seed, std::uint64_t{0}, "Noise seed: same seed, same clip."));
    addParam(intParam("duration", 81, 1, 1000, 241, "Output frames (the model generates 4k + 1 frames)."));
    addParam(
        enumParam("aspect", kAspects, 0, "Frame aspect, mapped to the nearest size the model supports."));
    addParam(intParam("resolution", 480, 16, kMaxSide, 1080, "Short side in pixels (rounded to 16)."));
    addParam(intParam("steps", 30, 1, 1000, 100, "Denoising steps."));
    addParam(floatParam("guidance", 5.0, 0.0, 50.0, 15.0, "Classifier-free guidance scale."));
    addParam(floatParam("shift", 5.0, 0.0, 100.0, 20.0, "Flow-matching timestep shift."));
    addParam(enumParam("sampler", kSamplers, 0, "Sampler."));
    addParam(
        enumParam("quality", kQualities, 1, "Draft: half resolution and half the steps. Final: as set."));
    addParam(spec("useProjectStart", ParamType::Bool, true, "Place the clip at the project's first frame."));
    addParam(
        intParam("startFrame", 1001, -1e9, 1e9, 2000, "First frame of the clip when not at project start."));
}

ClipSettings ClipNode::settings(const render::EvalContext& ec) const {
    ClipSettings s;
    try {
        s.modelDir = resolveModelFolder(param("model").getString()).string();
    } catch (const std::runtime_error& e) {
        throw GenerativeError(e.what());
    }
    s.modelIdentity = modelIdentity(s.modelDir);
    const ModelTraits traits = modelTraits(s.modelDir, s.modelIdentity);
    s.pixelEncoding = traits.pixelEncoding;
    s.prompt = param("prompt").getString();
    s.negativePrompt = param("negativePrompt").getString();
    s.seed = param("seed").getSeed();
    s.duration = static_cast<int>(param("duration").getInt(0));
    if (s.duration < 1)
        throw GenerativeError("duration: must be at least 1 frame");
    s.genFrames = (s.duration + extraFrames() - 1 + 3) / 4 * 4 + 1;
    s.aspect = param("aspect").enumItem();
    s.quality = param("quality").enumItem();
    s.sampler = param("sampler").enumItem();
    const auto aspectIndex =
        static_cast<std::size_t>(std::find(kAspects.begin(), kAspects.end(), s.aspect) - kAspects.begin());
    const double ratio = kAspectRatios.at(aspectIndex);
    double shortSide = static_cast<double>(param("resolution").getInt(0));
    int steps = static_cast<int>(param("steps").getInt(0));
    if (s.quality == "Draft") {
        shortSide /= 2.0;
        steps = std::max(1, steps / 2);
    }
    if (ratio >= 1.0) {
        s.height = roundTo16(shortSide);
        s.width = roundTo16(shortSide * ratio);
    } else {
        s.width = roundTo16(shortSide);
        s.height = roundTo16(shortSide / ratio);
    }
    if (!traits.sizes.empty()) // a model trained for fixed sizes: the nearest of them
        std::tie(s.width, s.height) = nearestSupportedSize(traits.sizes, s.width, s.height);
    if (s.width > kMaxSide || s.height > kMaxSide)
        throw GenerativeError("resolution: " + std::to_string(s.width) + "x" + std::to_string(s.height) +
                              " is larger than the supported " + std::to_string(kMaxSide) + " pixels");
    s.steps = steps;
    if (s.steps < 1)
        throw GenerativeError("steps: must be at least 1");
    s.guidance = param("guidance").getDouble(0);
    s.shift = param("shift").getDouble(0);
    if (!(s.guidance >= 0.0) || !std::isfinite(s.guidance))
        throw GenerativeError("guidance: must be a finite value >= 0");
    if (!(s.shift > 0.0) || !std::isfinite(s.shift))
        throw GenerativeError("shift: must be a finite value > 0");
    s.device = ec.context().device.empty() ? "cpu" : ec.context().device;
    parseDevice(s.device);
    s.startFrame = param("useProjectStart").getBool(0) ? ec.project().frameStart
                                                       : static_cast<int>(param("startFrame").getInt(0));
    place(ec, s);
    s.genFrames = (s.duration + extraFrames() - 1 + 3) / 4 * 4 + 1;
    return s;
}

Hash128 ClipNode::clipHash(const render::EvalContext& ec) const {
    return clipHash(ec, settings(ec));
}

Hash128 ClipNode::clipHash(const render::EvalContext& ec, const ClipSettings& s) const {
    Hasher h;
    h.append("kinema.clip").append(typeName()).append(version());
    h.append(s.modelIdentity)
        .append(s.pixelEncoding)
        .append(s.prompt)
        .append(s.negativePrompt)
        .append(s.seed);
    h.append(s.duration).append(s.genFrames).append(s.width).append(s.height).append(s.steps);
    h.append(s.guidance).append(s.shift).append(s.sampler).append(s.quality).append(s.device);
    h.append(s.startFrame);
    hashConditioning(ec, s, h);
    return h.finish();
}

Hash128 ClipNode::hash(const render::EvalContext& ec) const {
    Hasher h;
    try {
        const ClipSettings s = settings(ec);
        h.append(clipHash(ec, s)).append(frameIndex(ec, s, s.duration));
    } catch (const std::exception& e) {
        // compute() raises the same error with the node named; the hash just has to be stable.
        h.append("error").append(std::string(e.what()));
    }
    h.append(ec.project().ocioConfig).append(ec.project().workingSpace).append(ec.context().ocioConfig);
    return h.finish();
}

std::optional<render::FrameRange> ClipNode::frameRange(const render::Evaluator&) const {
    const int duration = static_cast<int>(param("duration").getInt(0));
    int start = static_cast<int>(param("startFrame").getInt(0));
    if (param("useProjectStart").getBool(0))
        start = graph() ? graph()->settings().frameStart : ProjectSettings{}.frameStart;
    return render::FrameRange{start, start + std::max(1, duration) - 1};
}

void ClipNode::hashConditioning(const render::EvalContext&, const ClipSettings&, Hasher&) const {}

void ClipNode::addConditioning(const render::EvalContext&, const ClipSettings&,
                               diffusion::GenerateRequest&) const {}

void ClipNode::finishClip(const render::EvalContext&, const ClipSettings&, Clip&) const {}

void ClipNode::addSeamBlendParam(int defaultFrames) {
    ParamSpec spec{"seamBlend", ParamType::Int, std::int64_t{defaultFrames}};
    spec.metadata.tooltip = "Frames over which the difference at the seam fades out, so the join does not "
                            "jump where the model's copy of the seam frame differs from the real one "
                            "(0: off).";
    spec.metadata.minimum = 0;
    spec.metadata.maximum = 64;
    spec.metadata.softMinimum = 0;
    spec.metadata.softMaximum = 16;
    spec.metadata.animatable = false;
    addParam(spec);
}

void ClipNode::blendClipSeam(Clip& clip, int anchor, const std::vector<float>& target,
                             diffusion::SeamSide side, int maxFade) const {
    const int fade = std::min(static_cast<int>(param("seamBlend").getInt(0)), maxFade);
    const std::size_t floats = static_cast<std::size_t>(clip.width * clip.height * 3);
    if (target.size() != floats)
        throw GenerativeError("seam blend: the seam frame is " + std::to_string(target.size()) +
                              " values, the clip's frames " + std::to_string(floats));
    if (anchor < 0 || anchor >= clip.frames)
        throw GenerativeError("seam blend: frame " + std::to_string(anchor) + " is outside the clip");
    double difference = 0.0;
    for (std::size_t i = 0; i < floats; ++i)
        difference += std::abs(static_cast<double>(target[i]) - clip.frame(anchor)[i]);
    // Mean absolute code-value difference at the seam before blending: how far the model's copy was off.
    clip.measures["seamDifference"] = floats ? difference / static_cast<double>(floats) : 0.0;
    if (fade <= 0)
        return;
    std::vector<float*> frames;
    for (int f = 0; f < clip.frames; ++f)
        frames.push_back(clip.rgb.data() + static_cast<std::size_t>(f) * floats);
    diffusion::blendSeam(frames, floats, anchor, target.data(), fade, side, 0.0f, 1.0f);
    roundToHalf(clip.rgb);
}

diffusion::GenerateRequest ClipNode::baseRequest(const ClipSettings& s) const {
    diffusion::GenerateRequest r;
    r.prompt = s.prompt;
    r.negativePrompt = s.negativePrompt;
    r.seed = s.seed;
    r.frames = s.genFrames;
    r.width = s.width;
    r.height = s.height;
    r.steps = s.steps;
    r.guidance = s.guidance;
    r.shift = s.shift;
    r.solver = s.sampler;
    r.device = parseDevice(s.device).kind;
    // On a GPU the DiT runs in the reference's bf16 mixed precision; the CPU path is fp32.
    r.computeType =
        r.device == diffusion::Device::Cuda ? diffusion::ComputeType::BF16 : diffusion::ComputeType::F32;
    return r;
}

diffusion::GenerateResult ClipNode::runModel(const render::EvalContext& ec, const ClipSettings& s,
                                             diffusion::GenerateRequest request,
                                             const std::string& latentKey) const {
    ec.checkCancelled();
    auto slot = sessionFor(s);
    std::lock_guard lock(slot->mutex);
    try {
        if (!slot->session)
            slot->session = diffusion::Session::open(s.modelDir, sessionOptions(s.device));
        ec.checkCancelled();
        ++g_modelRuns;
        const std::string task = name().empty() ? typeName() : name();
        return slot->session->generate(request, [&](const diffusion::Progress& p) {
            ec.context().reportProgress(task, p.total > 0 ? static_cast<double>(p.step) / p.total : 1.0,
                                        "step " + std::to_string(p.step) + "/" + std::to_string(p.total));
            if (p.preview.width > 0 && p.preview.height > 0) {
                // The engine's preview is in the VAE's [-1, 1] range: map it to display 0..1.
                std::vector<float> rgb(p.preview.rgb.size());
                for (std::size_t i = 0; i < rgb.size(); ++i)
                    rgb[i] = std::clamp(0.5f * (p.preview.rgb[i] + 1.0f), 0.0f, 1.0f);
                ec.context().reportPreview(task, p.preview.width, p.preview.height, rgb);
            }
            return !ec.context().isCancelled();
        });
    } catch (const diffusion::CancelledError&) {
        throw Cancelled();
    } catch (const diffusion::RequestError& e) {
        throw GenerativeError(std::string("generation request rejected: ") + e.what());
    } catch (const diffusion::DecodeOutOfMemoryError& e) {
        return recoverDecode(s, request, e, latentKey);
    } catch (const diffusion::DiffusionError& e) {
        throw GenerativeError("model '" + s.modelDir + "': " + e.what());
    }
}

diffusion::GenerateResult ClipNode::recoverDecode(const ClipSettings& s,
                                                  const diffusion::GenerateRequest& request,
                                                  const diffusion::DecodeOutOfMemoryError& error,
                                                  const std::string& latentKey) const {
    // The sampling succeeded: keep its latents on disk before anything else can fail.
    Clip latentOnly;
    latentOnly.latents = error.sampled.latents;
    latentOnly.latentChannels = error.sampled.latentChannels;
    latentOnly.latentFrames = error.sampled.latentFrames;
    latentOnly.latentHeight = error.sampled.latentHeight;
    latentOnly.latentWidth = error.sampled.latentWidth;
    const auto cacheDir = ClipCache::instance().diskDirectory();
    std::string saved;
    try {
        ClipCache::storeToDisk(cacheDir, latentKey, latentOnly);
        saved = " The sampled latents are saved in the clip cache (" + (cacheDir / latentKey).string() +
                "): rendering again decodes them without sampling.";
    } catch (const std::exception& e) {
        saved = std::string(" The sampled latents could not be saved: ") + e.what();
    }
    // A GPU decode that does not fit in any tile size is decoded on the CPU instead.
    if (request.device != diffusion::Device::Cpu) {
        try {
            ClipSettings cpu = s;
            cpu.device = "cpu";
            auto slot = sessionFor(cpu);
            std::lock_guard lock(slot->mutex);
            if (!slot->session)
                slot->session = diffusion::Session::open(s.modelDir, {});
            diffusion::GenerateResult result = error.sampled;
            result.frames = slot->session->decode(error.sampled);
            return result;
        } catch (const std::exception&) {
            // fall through to the error below
        }
    }
    throw GenerativeError(std::string("out of memory while decoding the clip (") + error.what() + ")." +
                          saved);
}

diffusion::GenerateResult ClipNode::decodeSaved(const ClipSettings& s, const Clip& saved) const {
    diffusion::GenerateResult result;
    result.latents = saved.latents;
    result.latentChannels = saved.latentChannels;
    result.latentFrames = saved.latentFrames;
    result.latentHeight = saved.latentHeight;
    result.latentWidth = saved.latentWidth;
    auto slot = sessionFor(s);
    std::lock_guard lock(slot->mutex);
    try {
        if (!slot->session)
            slot->session = diffusion::Session::open(s.modelDir, sessionOptions(s.device));
        result.frames = slot->session->decode(result);
    } catch (const diffusion::DiffusionError& e) {
        throw GenerativeError("model '" + s.modelDir + "': decoding the saved latents failed: " + e.what());
    }
    return result;
}

int ClipNode::frameIndex(const render::EvalContext& ec, const ClipSettings& s, int available) {
    const int last = std::min(s.duration, available) - 1;
    return std::clamp(static_cast<int>(std::lround(ec.frame())) - s.startFrame, std::min(s.shownFrom, last),
                      last);
}

ClipPtr ClipNode::clip(const render::EvalContext& ec) const {
    const ClipSettings s = settings(ec);
    return clip(ec, s, clipHash(ec, s).toString());
}

ClipPtr ClipNode::clip(const render::EvalContext& ec, const ClipSettings& s, const std::string& key) const {
    return ClipCache::instance().getOrCreate(key, [&]() -> ClipPtr {
        // Latents kept from an earlier run whose decoding ran out of memory: decode them, do not sample.
        const std::string latentKey = key + ".latents";
        diffusion::GenerateResult result;
        if (const ClipPtr saved = ClipCache::loadFromDisk(ClipCache::instance().diskDirectory(), latentKey);
            saved && saved->frames == 0 && !saved->latents.empty()) {
            result = decodeSaved(s, *saved);
        } else {
            diffusion::GenerateRequest request = baseRequest(s);
            addConditioning(ec, s, request);
            result = runModel(ec, s, std::move(request), latentKey);
        }
        auto c = std::make_shared<Clip>();
        c->frames = static_cast<int>(result.frames.size());
        if (c->frames == 0)
            throw GenerativeError("the model returned no frames");
        c->width = result.frames[0].width;
        c->height = result.frames[0].height;
        c->rgb.reserve(static_cast<std::size_t>(c->frames) *
                       static_cast<std::size_t>(c->width * c->height * 3));
        for (const auto& f : result.frames)
            for (float v : f.rgb)
                c->rgb.push_back(std::clamp((v + 1.0f) * 0.5f, 0.0f, 1.0f));
        roundToHalf(c->rgb);
        c->latents = result.latents;
        c->latentChannels = result.latentChannels;
        c->latentFrames = result.latentFrames;
        c->latentHeight = result.latentHeight;
        c->latentWidth = result.latentWidth;
        finishClip(ec, s, *c);
        return c;
    });
}

void ClipNode::toModelCodes(const render::EvalContext& ec, const ClipSettings& s,
                            render::Image& image) const {
    const auto config = videoColorConfig(ec.project());
    const bool hdr = isSceneLinearModel(s);
    const std::string to = hdr ? modelLinearSpace(config) : modelDisplaySpace(config);
    if (!to.empty())
        convertVideoColor(config, videoWorkingSpace(config, ec.project()), to, image);
    if (hdr)
        for (const char* ch : {"R", "G", "B"}) {
            float* p = image.channel(ch);
            for (std::size_t i = 0, n = image.pixelCount(); i < n; ++i)
                p[i] = diffusion::acesCctFromLinear(p[i]);
        }
}

void ClipNode::fromModelCodes(const render::EvalContext& ec, const ClipSettings& s,
                              render::Image& image) const {
    const bool hdr = isSceneLinearModel(s);
    if (hdr)
        for (const char* ch : {"R", "G", "B"}) {
            float* p = image.channel(ch);
            for (std::size_t i = 0, n = image.pixelCount(); i < n; ++i)
                p[i] = diffusion::linearFromAcesCct(p[i]);
        }
    const auto config = videoColorConfig(ec.project());
    const std::string from = hdr ? modelLinearSpace(config) : modelDisplaySpace(config);
    if (!from.empty())
        convertVideoColor(config, from, videoWorkingSpace(config, ec.project()), image);
}

render::ImagePtr ClipNode::frameToImage(const render::EvalContext& ec, const ClipSettings& s,
                                        const Clip& clip, int index) const {
    Format format{clip.width, clip.height, 1.0, ""};
    auto image = std::make_shared<render::Image>(format, format.displayWindow(), render::Image::rgba());
    float* planes[3] = {image->channel("R"), image->channel("G"), image->channel("B")};
    const float* src = clip.frame(index);
    const std::size_t n = image->pixelCount();
    for (std::size_t i = 0; i < n; ++i)
        for (int c = 0; c < 3; ++c)
            planes[c][i] = src[i * 3 + static_cast<std::size_t>(c)];
    std::fill(image->channel("A"), image->channel("A") + n, 1.0f);
    fromModelCodes(ec, s, *image);
    return image;
}

render::ImagePtr ClipNode::compute(const render::EvalContext& ec) const {
    const ClipSettings s = settings(ec);
    const std::string key = clipHash(ec, s).toString();
    const ClipPtr c = clip(ec, s, key);
    const int index = frameIndex(ec, s, c->frames);
    auto image = std::const_pointer_cast<render::Image>(frameToImage(ec, s, *c, index));
    addGenerationMetadata(s, key, *c, index, image->metadata());
    return image;
}

void ClipNode::addGenerationMetadata(const ClipSettings& s, const std::string& key, const Clip& c, int index,
                                     render::Metadata& md) const {
    const std::string p = "kinema/gen/";
    md[p + "node"] = typeName();
    md[p + "model"] = s.modelDir;
    md[p + "modelHash"] = s.modelIdentity;
    md[p + "pixelEncoding"] = s.pixelEncoding;
    md[p + "prompt"] = s.prompt;
    md[p + "negativePrompt"] = s.negativePrompt;
    md[p + "seed"] = std::to_string(s.seed);
    md[p + "duration"] = static_cast<std::int64_t>(s.duration);
    md[p + "frames"] = static_cast<std::int64_t>(s.genFrames);
    md[p + "width"] = static_cast<std::int64_t>(s.width);
    md[p + "height"] = static_cast<std::int64_t>(s.height);
    md[p + "steps"] = static_cast<std::int64_t>(s.steps);
    md[p + "guidance"] = s.guidance;
    md[p + "shift"] = s.shift;
    md[p + "sampler"] = s.sampler;
    md[p + "quality"] = s.quality;
    md[p + "aspect"] = s.aspect;
    md[p + "device"] = s.device;
    md[p + "clipHash"] = key;
    md[p + "frameIndex"] = static_cast<std::int64_t>(index);
    for (const auto& [k, v] : c.measures)
        md[p + k] = v;
}

double resampleBilinear(const float* plane, int w, int h, int W, int H, int x, int y) {
    const double fx = std::clamp((x + 0.5) * w / W - 0.5, 0.0, static_cast<double>(w - 1));
    const double fy = std::clamp((y + 0.5) * h / H - 0.5, 0.0, static_cast<double>(h - 1));
    const int x0 = static_cast<int>(fx), y0 = static_cast<int>(fy);
    const int x1 = std::min(x0 + 1, w - 1), y1 = std::min(y0 + 1, h - 1);
    const double tx = fx - x0, ty = fy - y0;
    const double top = plane[y0 * w + x0] * (1 - tx) + plane[y0 * w + x1] * tx;
    const double bottom = plane[y1 * w + x0] * (1 - tx) + plane[y1 * w + x1] * tx;
    return top * (1 - ty) + bottom * ty;
}

std::shared_ptr<render::Image> ClipNode::inputAsModelCodes(const render::EvalContext& ec, int index,
                                                           double frame, const ClipSettings& s) const {
    if (!ec.hasInput(index))
        throw GenerativeError("input '" + inputSpec(index).name + "' is not connected");
    const render::ImagePtr in = ec.pullInput(index, ec.context().withFrame(frame));
    if (!in || in->format().width <= 0 || in->format().height <= 0)
        throw GenerativeError("input '" + inputSpec(index).name + "' is empty");
    const Format f = in->format();
    auto codes = std::make_shared<render::Image>(f, f.displayWindow(), render::Image::rgba());
    const bool hasAlpha = in->hasChannel("A");
    for (const char* ch : {"R", "G", "B", "A"}) {
        float* dst = codes->channel(ch);
        const bool present = ch[0] != 'A' || hasAlpha;
        std::size_t i = 0;
        for (int y = 0; y < f.height; ++y)
            for (int x = 0; x < f.width; ++x)
                dst[i++] = present ? in->sample(ch, x, y) : 1.0f;
    }
    codes->metadata() = in->metadata();
    toModelCodes(ec, s, *codes);
    return codes;
}

diffusion::Image ClipNode::inputAsModelImage(const render::EvalContext& ec, int index, double frame,
                                             const ClipSettings& s) const {
    const auto codes = inputAsModelCodes(ec, index, frame, s);
    const Format f = codes->format();
    // Bilinear resample to the clip size (pixel centres aligned), then to [-1, 1].
    diffusion::Image out;
    out.width = s.width;
    out.height = s.height;
    out.rgb.resize(static_cast<std::size_t>(s.width * s.height * 3));
    const float* planes[3] = {codes->channel("R"), codes->channel("G"), codes->channel("B")};
    for (int y = 0; y < s.height; ++y)
        for (int x = 0; x < s.width; ++x)
            for (int c = 0; c < 3; ++c) {
                const double v = resampleBilinear(planes[c], f.width, f.height, s.width, s.height, x, y);
                out.rgb[static_cast<std::size_t>((y * s.width + x) * 3 + c)] =
                    static_cast<float>(std::clamp(v * 2.0 - 1.0, -1.0, 1.0));
            }
    return out;
}

} // namespace kinema::nodes::generative
