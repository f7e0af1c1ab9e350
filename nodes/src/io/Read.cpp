// SPDX-License-Identifier: Apache-2.0
#include "Read.h"

#include <cmath>
#include <filesystem>

#include "ImageFileIO.h"
#include "color/ColorSpaceConfig.h"
#include "comp/ImageOps.h"
#include "kinema/nodes/SequencePattern.h"

namespace kinema::nodes {

using namespace graph;
namespace fs = std::filesystem;

Read::Read()
    : ImageNode({"Read", 1, "Image", "Reads an image file or an image sequence."}) {
    ParamSpec file{"file", ParamType::FilePath, std::string()};
    file.metadata.tooltip = "Image or sequence path, e.g. plate.####.exr, plate.%04d.exr or plate.#.exr";
    file.metadata.uiHint = "open";
    addParam(file);
    ParamSpec missing{"missingFrames", ParamType::Enum, std::int64_t{0}};
    missing.enumItems = {"error", "black", "nearest"};
    missing.metadata.label = "Missing frames";
    missing.metadata.tooltip = "What to do for a frame that has no file.";
    addParam(missing);
    addParam(ops::stringSpec("colorspace", "auto",
                             "Colour space of the file; 'auto' uses the file's metadata, then the OCIO "
                             "config's file rules. The image is converted to the working space."));
}

std::string Read::resolveFrame(double frame) const {
    const std::string file = param("file").getString();
    if (file.empty())
        throw std::runtime_error("parameter 'file' is empty");
    SequencePattern pattern(file);
    const auto f = static_cast<std::int64_t>(std::floor(frame));
    std::string path = pattern.pathForFrame(f);
    std::error_code ec;
    if (fs::exists(path, ec) || !pattern.hasFrameToken())
        return path;
    const std::string& policy = param("missingFrames").enumItem();
    if (policy == "black")
        return {};
    if (policy == "nearest") {
        auto frames = pattern.framesOnDisk();
        if (frames.empty())
            throw std::runtime_error("no files match '" + file + "'");
        auto best = *std::min_element(frames.begin(), frames.end(), [&](auto a, auto b) {
            return std::llabs(a - f) < std::llabs(b - f) || (std::llabs(a - f) == std::llabs(b - f) && a < b);
        });
        return pattern.pathForFrame(best);
    }
    throw std::runtime_error("frame " + std::to_string(f) + " is missing: " + path);
}

render::Hash128 Read::hash(const render::EvalContext& ec) const {
    Hasher h;
    hashParams(ec, h);
    const std::string path = resolveFrame(ec.frame());
    h.append(path);
    if (path.empty()) {
        h.append(ec.project().format.width).append(ec.project().format.height);
    } else {
        std::error_code err;
        h.append(static_cast<std::uint64_t>(fs::file_size(path, err)));
        auto mtime = fs::last_write_time(path, err);
        h.append(static_cast<std::int64_t>(mtime.time_since_epoch().count()));
        h.append(configFor(ec).identity()).append(ec.project().workingSpace);
    }
    return h.finish();
}

namespace {

/// The colour space a file's pixels are in (see the class comment).
std::string inputSpaceOf(const color::ConfigHandle& config, const render::Image& image,
                         const std::string& path, const ImageFileInfo& info, const std::string& setting) {
    if (!setting.empty() && setting != "auto")
        return config.canonicalColorSpace(setting);
    for (const char* key : {"kinema/colorSpace", "oiio:ColorSpace"}) {
        auto it = image.metadata().find(key);
        if (it == image.metadata().end())
            continue;
        if (auto s = std::get_if<std::string>(&it->second); s && !s->empty() && config.hasColorSpace(*s))
            return config.canonicalColorSpace(*s);
    }
    if (info.isExr) {
        auto it = image.metadata().find("chromaticities");
        if (it != image.metadata().end())
            if (auto v = std::get_if<std::vector<double>>(&it->second); v && v->size() == 8) {
                Chromaticities c;
                std::copy(v->begin(), v->end(), c.begin());
                std::string space = linearSpaceWithChromaticities(config, c);
                if (!space.empty())
                    return space;
            }
    }
    return config.canonicalColorSpace(config.colorSpaceForPath(path));
}

} // namespace

render::ImagePtr Read::compute(const render::EvalContext& ec) const {
    const std::string path = resolveFrame(ec.frame());
    if (path.empty())
        return std::make_shared<render::Image>(ec.project().format, Box2i{}, render::Image::rgba());
    ImageFileInfo info;
    auto image = std::make_shared<render::Image>(readImageFile(path, {}, &info));
    ec.checkCancelled();
    const color::ConfigHandle config = configFor(ec);
    const std::string working = workingSpaceOf(config, ec.project());
    const std::string source = inputSpaceOf(config, *image, path, info, param("colorspace").getString());
    image->metadata()["input/colorSpace"] = source;
    if (!config.isData(source) && source != working) {
        auto processor = color::processorFor(config, color::ColorTransform::colorSpace(source, working));
        applyToRgb(&ec, *processor, *image);
    }
    if (info.straightAlpha)
        premultiply(*image);
    return image;
}

std::optional<render::FrameRange> Read::frameRange(const render::Evaluator&) const {
    SequencePattern pattern(param("file").getString());
    auto frames = pattern.framesOnDisk();
    if (frames.empty())
        return std::nullopt;
    return render::FrameRange{static_cast<int>(frames.front()), static_cast<int>(frames.back())};
}

} // namespace kinema::nodes
