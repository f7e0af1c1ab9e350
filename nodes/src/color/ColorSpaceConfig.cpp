// SPDX-License-Identifier: Apache-2.0
#include "ColorSpaceConfig.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <map>
#include <mutex>
#include <vector>

namespace kinema::nodes {

namespace fs = std::filesystem;

color::ConfigHandle configForProject(const graph::ProjectSettings& project) {
    const color::ConfigLocation location = color::resolveConfigLocation(project.ocioConfig);
    std::error_code err;
    const auto mtime = fs::last_write_time(location.path, err);
    const std::string key = fs::absolute(location.path, err).lexically_normal().string();
    struct Entry {
        fs::file_time_type mtime;
        color::ConfigHandle config;
    };
    static std::mutex mutex;
    static std::map<std::string, Entry> cache;
    {
        std::lock_guard lock(mutex);
        auto it = cache.find(key);
        if (it != cache.end() && it->second.mtime == mtime)
            return it->second.config;
    }
    color::ConfigHandle config = color::ConfigHandle::fromFile(location.path, location.origin);
    std::lock_guard lock(mutex);
    cache[key] = Entry{mtime, config};
    return config;
}

color::ConfigHandle configFor(const render::EvalContext& ec) {
    return configForProject(ec.project());
}

std::string workingSpaceOf(const color::ConfigHandle& config, const graph::ProjectSettings& project) {
    if (!project.workingSpace.empty() && config.hasColorSpace(project.workingSpace))
        return config.canonicalColorSpace(project.workingSpace);
    const std::string role = config.workingSpace();
    if (role.empty())
        throw color::ColorError("OCIO config " + config.path().string() + ": no scene_linear role and the " +
                                "project's working space '" + project.workingSpace + "' is not defined");
    return role;
}

namespace {

constexpr Chromaticities kAp0{0.7347, 0.2653, 0.0, 1.0, 0.0001, -0.077, 0.32168, 0.33767};
constexpr Chromaticities kAp1{0.713, 0.293, 0.165, 0.830, 0.128, 0.044, 0.32168, 0.33767};
constexpr Chromaticities kRec709{0.64, 0.33, 0.30, 0.60, 0.15, 0.06, 0.3127, 0.3290};
constexpr Chromaticities kRec2020{0.708, 0.292, 0.170, 0.797, 0.131, 0.046, 0.3127, 0.3290};
constexpr Chromaticities kP3D65{0.680, 0.320, 0.265, 0.690, 0.150, 0.060, 0.3127, 0.3290};
constexpr Chromaticities kXyz{1.0, 0.0, 0.0, 1.0, 0.0, 0.0, 1.0 / 3.0, 1.0 / 3.0};

std::string lowered(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
    return s;
}

/// Well-known colour space names (the shipped config and the ACES studio configs, with their aliases).
const std::map<std::string, const Chromaticities*>& knownSpaces() {
    static const std::map<std::string, const Chromaticities*> table = [] {
        std::map<std::string, const Chromaticities*> t;
        for (const char* n : {"aces2065-1", "lin_ap0", "aces - aces2065-1"})
            t[n] = &kAp0;
        for (const char* n : {"acescg", "lin_ap1", "acescct", "acescct_ap1", "acescc", "acescc_ap1",
                              "aces - acescg", "aces - acescct", "aces - acescc"})
            t[n] = &kAp1;
        for (const char* n :
             {"linear rec.709", "linear rec.709 (srgb)", "lin_rec709", "lin_srgb", "srgb - texture",
              "srgb_tx", "srgb_texture", "srgb - display", "srgb_display", "rec.1886 rec.709 - display",
              "rec1886_rec709_display", "gamma 2.2 rec.709 - texture", "utility - linear - srgb",
              "utility - srgb - texture", "output - srgb", "output - rec.709"})
            t[n] = &kRec709;
        for (const char* n :
             {"linear rec.2020", "lin_rec2020", "rec.1886 rec.2020 - display", "rec.2100-pq - display",
              "rec.2100-hlg - display", "utility - linear - rec.2020"})
            t[n] = &kRec2020;
        for (const char* n : {"linear p3-d65", "lin_p3d65", "display p3 - display", "p3-d65 - display",
                              "displayp3_display", "p3d65_display"})
            t[n] = &kP3D65;
        for (const char* n : {"cie-xyz-d65", "cie_xyz_d65"})
            t[n] = &kXyz;
        return t;
    }();
    return table;
}

} // namespace

const Chromaticities& ap0Chromaticities() {
    return kAp0;
}
const Chromaticities& ap1Chromaticities() {
    return kAp1;
}

std::optional<Chromaticities> chromaticitiesOf(const color::ConfigHandle& config,
                                               const std::string& colorSpace) {
    const std::string canonical = config.canonicalColorSpace(colorSpace);
    if (config.isData(canonical))
        return std::nullopt;
    for (const std::string& name : {canonical, colorSpace}) {
        auto it = knownSpaces().find(lowered(name));
        if (it != knownSpaces().end())
            return *it->second;
    }
    const std::string xyz = config.roleColorSpace("cie_xyz_d65_interchange");
    if (xyz.empty())
        return std::nullopt;
    std::shared_ptr<const color::Processor> processor;
    try {
        processor = color::processorFor(config, color::ColorTransform::colorSpace(canonical, xyz));
    } catch (const color::ColorError&) {
        return std::nullopt;
    }
    Chromaticities out{};
    const std::array<std::array<float, 4>, 4> inputs{
        {{1.f, 0.f, 0.f, 1.f}, {0.f, 1.f, 0.f, 1.f}, {0.f, 0.f, 1.f, 1.f}, {1.f, 1.f, 1.f, 1.f}}};
    for (std::size_t i = 0; i < inputs.size(); ++i) {
        auto px = inputs[i];
        processor->applyPixel(px);
        const double sum = double(px[0]) + px[1] + px[2];
        if (!(sum > 1e-9))
            return std::nullopt;
        out[2 * i] = px[0] / sum;
        out[2 * i + 1] = px[1] / sum;
    }
    return out;
}

std::string linearSpaceWithChromaticities(const color::ConfigHandle& config, const Chromaticities& chroma) {
    auto close = [&](const Chromaticities& c) {
        for (std::size_t i = 0; i < c.size(); ++i)
            if (std::abs(c[i] - chroma[i]) > 1e-3)
                return false;
        return true;
    };
    const std::vector<std::pair<const Chromaticities*, std::vector<std::string>>> candidates{
        {&kAp0, {"ACES2065-1", "lin_ap0"}},
        {&kAp1, {"ACEScg", "lin_ap1"}},
        {&kRec709, {"Linear Rec.709", "Linear Rec.709 (sRGB)", "lin_rec709"}},
        {&kRec2020, {"Linear Rec.2020", "lin_rec2020"}},
        {&kP3D65, {"Linear P3-D65", "lin_p3d65"}}};
    for (auto& [c, names] : candidates) {
        if (!close(*c))
            continue;
        for (auto& n : names)
            if (config.hasColorSpace(n))
                return config.canonicalColorSpace(n);
    }
    return {};
}

void applyToRgb(const render::EvalContext* ec, const color::Processor& processor, render::Image& image) {
    if (processor.isNoOp() || image.dataWindow().empty())
        return;
    if (!image.hasChannel("R") && !image.hasChannel("G") && !image.hasChannel("B"))
        return;
    if (ec)
        ec->checkCancelled();
    color::PlanarImageView view;
    view.r = image.addChannel("R");
    view.g = image.addChannel("G");
    view.b = image.addChannel("B");
    view.width = image.width();
    view.height = image.height();
    processor.apply(view);
}

void unpremultiply(render::Image& image) {
    float* a = image.findChannel("A");
    if (!a)
        return;
    const std::size_t n = image.pixelCount();
    for (const char* c : {"R", "G", "B"})
        if (float* p = image.findChannel(c))
            for (std::size_t i = 0; i < n; ++i)
                if (a[i] > 0.0f)
                    p[i] /= a[i];
}

void premultiply(render::Image& image) {
    const float* a = image.findChannel("A");
    if (!a)
        return;
    const std::size_t n = image.pixelCount();
    for (const char* c : {"R", "G", "B"})
        if (float* p = image.findChannel(c))
            for (std::size_t i = 0; i < n; ++i)
                p[i] *= a[i];
}

void hashColorTransform(graph::Hasher& h, const render::EvalContext& ec,
                        const color::ColorTransform& transform) {
    const color::ConfigHandle config = configFor(ec);
    const auto processor = color::processorFor(config, transform);
    h.append(config.identity()).append(processor->transform().key());
    for (auto& [name, value] : processor->usedContextVariables())
        h.append(name).append(value);
}

render::ImagePtr applyColorTransform(const render::EvalContext& ec, const color::ColorTransform& transform,
                                     bool unpremultiplyAround) {
    render::ImagePtr input = ec.pullInput(0);
    const auto processor = color::processorFor(configFor(ec), transform);
    if (processor->isNoOp())
        return input;
    auto out = std::make_shared<render::Image>(*input);
    if (unpremultiplyAround)
        unpremultiply(*out);
    applyToRgb(&ec, *processor, *out);
    if (unpremultiplyAround)
        premultiply(*out);
    return out;
}

} // namespace kinema::nodes
