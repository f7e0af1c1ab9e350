// SPDX-License-Identifier: Apache-2.0
#include "Write.h"

#include <cmath>
#include <filesystem>
#include <optional>

#include "ExrFile.h"
#include "ImageFileIO.h"
#include "color/ColorSpaceConfig.h"
#include "comp/ImageOps.h"
#include "kinema/graph/AtomicFile.h"
#include "kinema/graph/Graph.h"
#include "kinema/nodes/SequencePattern.h"

namespace kinema::nodes {

using namespace graph;

Write::Write()
    : OutputNode({"Write", 1, "Image", "Writes an EXR, PNG, JPEG, TIFF or DPX sequence."}) {
    addInput({"in", PlugType::Image, false, "Input"});
    ParamSpec file{"file", ParamType::FilePath, std::string("render/out.####.exr")};
    file.metadata.tooltip = "Output path; #### or %04d is replaced by the padded frame number.";
    file.metadata.uiHint = "save";
    addParam(file);
    ParamSpec datatype{"datatype", ParamType::Enum, std::int64_t{0}};
    datatype.enumItems = {"half", "float"};
    datatype.metadata.label = "Data type";
    datatype.metadata.tooltip = "EXR sample type.";
    addParam(datatype);
    ParamSpec compression{"compression", ParamType::Enum, std::int64_t{1}};
    compression.enumItems = {"none", "zip1", "zip16", "piz", "rle", "b44", "b44a", "dwaa", "dwab"};
    compression.metadata.tooltip = "EXR compression (ZIP1 = Zip (1 scanline), Nuke's default).";
    addParam(compression);
    ParamSpec dwa{"dwaLevel", ParamType::Float, 45.0};
    dwa.metadata.label = "DWA level";
    dwa.metadata.minimum = 0.0;
    dwa.metadata.maximum = 1000.0;
    dwa.metadata.softMaximum = 200.0;
    dwa.metadata.animatable = false;
    addParam(dwa);
    addParam(ops::enumSpec("frameMode", {"input", "startAt", "offset"}, 0,
                           "File frame numbers: the input frame; startFrame for the project's first frame "
                           "and counting up; or the input frame plus frameOffset."));
    auto start = ops::intSpec("startFrame", 1001, "First file frame number in 'startAt' mode.");
    start.metadata.animatable = false;
    addParam(start);
    auto offset = ops::intSpec("frameOffset", 0, "Added to the input frame in 'offset' mode.");
    offset.metadata.animatable = false;
    addParam(offset);
    addParam(ops::enumSpec("channels", {"all", "rgba", "rgb"}, 0,
                           "Channels to write (PNG, JPEG, TIFF and DPX always get RGB or RGBA)."));
    addParam(ops::boolSpec("multipart", false, "EXR: one part per layer, parts named after their layer."));
    addParam(ops::stringSpec("colorspace", "auto",
                             "Output colour space; 'auto' is the working space for EXR and the OCIO "
                             "config's file rule for other formats."));
    addParam(ops::boolSpec("acesContainer", false,
                           "EXR: ST 2065-4 ACES container (uncompressed half RGB(A), ACES2065-1 / AP0, "
                           "acesImageContainerFlag)."));
    addParam(ops::enumSpec("bitDepth", {"auto", "8", "10", "12", "16", "32f"}, 0,
                           "PNG/JPEG/TIFF/DPX sample depth; auto = 8 (PNG, JPEG), 16 (TIFF), 10 (DPX)."));
    auto quality = ops::intSpec("quality", 95, "JPEG quality.");
    quality.metadata.minimum = 1;
    quality.metadata.maximum = 100;
    quality.metadata.softMinimum = 1;
    quality.metadata.softMaximum = 100;
    addParam(quality);
}

std::int64_t Write::outputFrame(double frame) const {
    const std::int64_t f = static_cast<std::int64_t>(std::llround(frame));
    const std::string& mode = param("frameMode").enumItem();
    if (mode == "startAt") {
        const std::int64_t first = graph() ? graph()->settings().frameStart : 1;
        return param("startFrame").getInt(0.0) + (f - first);
    }
    if (mode == "offset")
        return f + param("frameOffset").getInt(0.0);
    return f;
}

std::string Write::outputPath(double frame) const {
    const std::string file = param("file").getString();
    if (file.empty())
        throw std::runtime_error("parameter 'file' is empty");
    return SequencePattern(file).pathForFrame(outputFrame(frame));
}

std::optional<render::FrameRange> Write::defaultFrames() const {
    return std::nullopt;
}

namespace {

/// The output colour space for the settings (canonical name).
std::string outputSpace(const color::ConfigHandle& config, const std::string& working,
                        const std::string& path, ImageFileType type, const std::string& setting, bool aces) {
    if (aces) {
        std::string space = config.roleColorSpace("aces_interchange");
        if (space.empty() && config.hasColorSpace("ACES2065-1"))
            space = config.canonicalColorSpace("ACES2065-1");
        if (space.empty())
            throw std::runtime_error("ACES container: the OCIO config " + config.path().string() +
                                     " has no aces_interchange role or ACES2065-1 colour space");
        return space;
    }
    if (!setting.empty() && setting != "auto")
        return config.canonicalColorSpace(setting);
    if (type == ImageFileType::Exr)
        return working;
    return config.canonicalColorSpace(config.colorSpaceForPath(path));
}

} // namespace

void Write::execute(const render::EvalContext& ec) const {
    render::ImagePtr input = ec.pullInput(0);
    const std::int64_t fileFrame = outputFrame(ec.frame());
    const std::string path = outputPath(ec.frame());
    const ImageFileType type = imageFileTypeFor(path);
    std::filesystem::path dir = std::filesystem::path(path).parent_path();
    if (!dir.empty())
        std::filesystem::create_directories(dir);

    const bool aces = type == ImageFileType::Exr && param("acesContainer").getBool(ec.frame());
    const color::ConfigHandle config = configFor(ec);
    const std::string working = workingSpaceOf(config, ec.project());
    const std::string space = outputSpace(config, working, path, type, param("colorspace").getString(), aces);
    auto processor = color::processorFor(config, color::ColorTransform::colorSpace(working, space));

    // Work on a copy only when channels are dropped or pixels change.
    const std::string& channelMode = param("channels").enumItem();
    const std::string& depth = param("bitDepth").enumItem();
    const int bits = depth == "auto" ? 0 : depth == "32f" ? 32 : std::stoi(depth);
    // Files with straight alpha get unpremultiplied colour; files without alpha keep premultiplied colour.
    const bool straight = type != ImageFileType::Exr && input->hasChannel("A") && channelMode != "rgb" &&
                          rasterKeepsAlpha(type, bits);
    const bool dropChannels = channelMode != "all" || type != ImageFileType::Exr;
    const render::Image* image = input.get();
    std::optional<render::Image> owned;
    if (dropChannels || straight || !processor->isNoOp()) {
        owned.emplace(*input);
        if (dropChannels) {
            const bool keepAlpha = channelMode != "rgb";
            for (auto& c : owned->channelNames())
                if (!(c == "R" || c == "G" || c == "B" || (c == "A" && keepAlpha)))
                    owned->removeChannel(c);
        }
        if (straight)
            unpremultiply(*owned);
        applyToRgb(&ec, *processor, *owned);
        image = &*owned;
    }

    render::Metadata attributes;
    for (auto& [key, value] : input->metadata())
        if (key.rfind("kinema/", 0) == 0)
            attributes[key] = value;
    attributes["kinema/graphHash"] = ec.inputHash(0).toString();
    attributes["kinema/node"] = name();
    attributes["kinema/frame"] = static_cast<double>(ec.frame());
    attributes["kinema/colorSpace"] = space;
    attributes["kinema/ocioConfig"] = config.path().filename().string();

    AtomicFileWriter writer(path);
    if (type == ImageFileType::Exr) {
        ExrWriteOptions options;
        options.halfFloat = param("datatype").enumItem() == "half";
        options.compression = exrCompressionFromName(param("compression").enumItem());
        options.dwaLevel = static_cast<float>(param("dwaLevel").getDouble(ec.frame()));
        options.multipart = param("multipart").getBool(ec.frame());
        options.acesContainer = aces;
        options.chromaticities =
            aces ? std::optional<Chromaticities>(ap0Chromaticities()) : chromaticitiesOf(config, space);
        options.fps = ec.context().fps;
        options.timeCodeFrame = fileFrame;
        options.attributes = std::move(attributes);
        writeExr(*image, writer.tempPath(), options, path);
    } else {
        RasterWriteOptions options;
        options.bits = bits;
        options.quality = static_cast<int>(param("quality").getInt(ec.frame()));
        for (auto& [key, value] : attributes)
            if (auto s = std::get_if<std::string>(&value))
                options.attributes[key] = *s;
        writeRasterFile(*image, writer.tempPath(), type, options, path);
    }
    writer.commit();
}

} // namespace kinema::nodes
