// SPDX-License-Identifier: Apache-2.0
#include "ImageFileIO.h"

#include <OpenImageIO/imageio.h>

#include <algorithm>
#include <map>
#include <stdexcept>

#include "kinema/graph/AtomicFile.h"

namespace kinema::nodes {

namespace OIIO = OIIO_NAMESPACE;
using render::Image;

namespace {

/// Maps a file's channel name to Kinema's: ".red" → ".R" etc.; lower-case r/g/b/a of the main layer too.
std::string normaliseChannelName(const std::string& name) {
    static const std::map<std::string, std::string> kLong{{"red", "R"},   {"green", "G"}, {"blue", "B"},
                                                          {"alpha", "A"}, {"r", "R"},     {"g", "G"},
                                                          {"b", "B"},     {"a", "A"}};
    std::string layer = render::layerOf(name);
    std::string comp = render::componentOf(name);
    std::string lower = comp;
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return std::tolower(c); });
    auto it = kLong.find(lower);
    if (it != kLong.end())
        comp = it->second;
    if (layer == "rgba" || layer == "rgb")
        layer.clear();
    return layer.empty() ? comp : layer + "." + comp;
}

} // namespace

Image readImageFile(const std::filesystem::path& path, const ImageReadLimits& limits) {
    const std::string file = path.string();
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec))
        throw std::runtime_error(file + ": no such file");
    OIIO::ImageSpec config;
    config.attribute("oiio:UnassociatedAlpha", 0);
    auto in = OIIO::ImageInput::open(file, &config);
    if (!in)
        throw std::runtime_error(file + ": cannot read: " + OIIO::geterror());
    const OIIO::ImageSpec spec = in->spec();
    if (spec.width <= 0 || spec.height <= 0 || spec.width > limits.maxDimension ||
        spec.height > limits.maxDimension ||
        static_cast<std::int64_t>(spec.width) * spec.height > limits.maxPixels)
        throw std::runtime_error(file + ": image size " + std::to_string(spec.width) + "x" +
                                 std::to_string(spec.height) + " exceeds the reader's limits");
    if (spec.nchannels <= 0 || spec.nchannels > limits.maxChannels)
        throw std::runtime_error(file + ": " + std::to_string(spec.nchannels) + " channels exceed the limit");
    if (spec.depth > 1 || spec.deep)
        throw std::runtime_error(file + ": volume and deep images are not supported");

    graph::Format format;
    format.width = spec.full_width > 0 ? spec.full_width : spec.width;
    format.height = spec.full_height > 0 ? spec.full_height : spec.height;
    format.pixelAspect = spec.get_float_attribute("PixelAspectRatio", 1.0f);
    const int ox = spec.full_x, oy = spec.full_y;
    graph::Box2i dataWindow{spec.x - ox, spec.y - oy, spec.x - ox + spec.width, spec.y - oy + spec.height};

    std::vector<std::string> names;
    for (int c = 0; c < spec.nchannels; ++c) {
        std::string n = c < static_cast<int>(spec.channelnames.size()) ? spec.channelnames[c] : "";
        if (n.empty())
            n = "channel" + std::to_string(c);
        n = normaliseChannelName(n);
        if (std::find(names.begin(), names.end(), n) != names.end())
            n = spec.channelnames[c]; // both spellings exist in the file: keep the original
        names.push_back(n);
    }
    // Single-channel greyscale files become RGB; a Y channel is luminance.
    Image image(format, dataWindow, {});
    std::vector<float> interleaved(static_cast<std::size_t>(spec.width) * spec.height * spec.nchannels);
    if (!in->read_image(0, 0, 0, spec.nchannels, OIIO::TypeDesc::FLOAT, interleaved.data()))
        throw std::runtime_error(file + ": cannot decode pixels: " + in->geterror());
    in->close();
    const std::size_t pixels = static_cast<std::size_t>(spec.width) * spec.height;
    const bool grey = spec.nchannels == 1 || (spec.nchannels == 2 && names[1] == "A");
    for (int c = 0; c < spec.nchannels; ++c) {
        std::vector<std::string> targets{names[c]};
        if (grey && c == 0)
            targets = {"R", "G", "B"};
        for (auto& t : targets) {
            float* plane = image.addChannel(t);
            for (std::size_t i = 0; i < pixels; ++i)
                plane[i] = interleaved[i * spec.nchannels + c];
        }
    }
    for (const auto& attr : spec.extra_attribs) {
        const std::string name = attr.name().string();
        if (attr.type() == OIIO::TypeDesc::STRING)
            image.metadata()[name] = std::string(attr.get_string());
        else if (attr.type() == OIIO::TypeDesc::FLOAT || attr.type() == OIIO::TypeDesc::DOUBLE)
            image.metadata()[name] = static_cast<double>(attr.get_float());
        else if (attr.type() == OIIO::TypeDesc::INT)
            image.metadata()[name] = static_cast<std::int64_t>(attr.get_int());
    }
    image.metadata()["input/filename"] = file;
    return image;
}

void writeExrFile(const Image& image, const std::filesystem::path& path, const ExrWriteOptions& options) {
    const std::string file = path.string();
    std::vector<std::string> names;
    // R,G,B,A first, in that order, then other channels sorted by layer.
    for (auto& c : Image::rgba())
        if (image.hasChannel(c))
            names.push_back(c);
    std::vector<std::string> others;
    for (auto& c : image.channelNames())
        if (std::find(names.begin(), names.end(), c) == names.end())
            others.push_back(c);
    std::sort(others.begin(), others.end());
    names.insert(names.end(), others.begin(), others.end());
    if (names.empty())
        throw std::runtime_error(file + ": the image has no channels to write");

    graph::Box2i dw = image.dataWindow();
    if (dw.empty())
        dw = {0, 0, 1, 1}; // EXR needs at least one pixel; an empty image is written as one black pixel
    OIIO::ImageSpec spec(dw.width(), dw.height(), static_cast<int>(names.size()),
                         options.halfFloat ? OIIO::TypeDesc::HALF : OIIO::TypeDesc::FLOAT);
    spec.x = dw.x0;
    spec.y = dw.y0;
    spec.full_x = 0;
    spec.full_y = 0;
    spec.full_width = image.format().width;
    spec.full_height = image.format().height;
    spec.channelnames = names;
    spec.alpha_channel = -1;
    for (std::size_t i = 0; i < names.size(); ++i)
        if (names[i] == "A")
            spec.alpha_channel = static_cast<int>(i);
    std::string compression = options.compression;
    if (compression == "dwaa" || compression == "dwab")
        compression += ":" + std::to_string(options.dwaLevel);
    spec.attribute("compression", compression);
    spec.attribute("PixelAspectRatio", static_cast<float>(image.format().pixelAspect));
    auto addMeta = [&](const std::string& key, const render::MetadataValue& v) {
        if (key.rfind("input/", 0) == 0)
            return;
        if (auto s = std::get_if<std::string>(&v))
            spec.attribute(key, *s);
        else if (auto d = std::get_if<double>(&v))
            spec.attribute(key, static_cast<float>(*d));
        else if (auto i = std::get_if<std::int64_t>(&v))
            spec.attribute(key, static_cast<int>(*i));
    };
    for (auto& [k, v] : image.metadata())
        addMeta(k, v);
    for (auto& [k, v] : options.extraMetadata)
        addMeta(k, v);

    const std::size_t pixels = static_cast<std::size_t>(dw.width()) * dw.height();
    std::vector<float> interleaved(pixels * names.size(), 0.0f);
    if (!image.dataWindow().empty())
        for (std::size_t c = 0; c < names.size(); ++c) {
            const float* plane = image.channel(names[c]);
            for (std::size_t i = 0; i < pixels; ++i)
                interleaved[i * names.size() + c] = plane[i];
        }

    graph::AtomicFileWriter writer(path);
    auto out = OIIO::ImageOutput::create("openexr");
    if (!out)
        throw std::runtime_error(file + ": no OpenEXR writer available: " + OIIO::geterror());
    if (!out->open(writer.tempPath().string(), spec))
        throw std::runtime_error(file + ": cannot open for writing: " + out->geterror());
    if (!out->write_image(OIIO::TypeDesc::FLOAT, interleaved.data()))
        throw std::runtime_error(file + ": cannot write pixels: " + out->geterror());
    if (!out->close())
        throw std::runtime_error(file + ": cannot finish the file: " + out->geterror());
    writer.commit();
}

} // namespace kinema::nodes
