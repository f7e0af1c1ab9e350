// SPDX-License-Identifier: Apache-2.0
#include "Write.h"

#include <cmath>
#include <filesystem>

#include "ImageFileIO.h"
#include "kinema/nodes/SequencePattern.h"

namespace kinema::nodes {

using namespace graph;

Write::Write()
    : OutputNode({"Write", 1, "Image", "Writes an EXR sequence."}) {
    addInput({"in", PlugType::Image, false, "Input"});
    ParamSpec file{"file", ParamType::FilePath, std::string("render/out.####.exr")};
    file.metadata.tooltip = "Output path; #### is replaced by the padded frame number.";
    file.metadata.uiHint = "save";
    addParam(file);
    ParamSpec datatype{"datatype", ParamType::Enum, std::int64_t{0}};
    datatype.enumItems = {"half", "float"};
    datatype.metadata.label = "Data type";
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
    addParam(dwa);
}

std::string Write::outputPath(double frame) const {
    const std::string file = param("file").getString();
    if (file.empty())
        throw std::runtime_error("parameter 'file' is empty");
    return SequencePattern(file).pathForFrame(static_cast<std::int64_t>(std::llround(frame)));
}

std::optional<render::FrameRange> Write::defaultFrames() const {
    return std::nullopt;
}

void Write::execute(const render::EvalContext& ec) const {
    render::ImagePtr image = ec.pullInput(0);
    const std::string path = outputPath(ec.frame());
    std::filesystem::path dir = std::filesystem::path(path).parent_path();
    if (!dir.empty())
        std::filesystem::create_directories(dir);
    ExrWriteOptions options;
    options.halfFloat = param("datatype").enumItem() == "half";
    static const std::map<std::string, std::string> kCompression{
        {"none", "none"}, {"zip1", "zips"}, {"zip16", "zip"}, {"piz", "piz"},  {"rle", "rle"},
        {"b44", "b44"},   {"b44a", "b44a"}, {"dwaa", "dwaa"}, {"dwab", "dwab"}};
    options.compression = kCompression.at(param("compression").enumItem());
    options.dwaLevel = static_cast<int>(param("dwaLevel").getDouble(ec.frame()));
    options.extraMetadata["framesPerSecond"] = ec.context().fps;
    options.extraMetadata["kinema/graphHash"] = ec.inputHash(0).toString();
    options.extraMetadata["kinema/node"] = name();
    writeExrFile(*image, path, options);
}

} // namespace kinema::nodes
