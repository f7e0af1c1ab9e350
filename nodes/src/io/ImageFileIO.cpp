// SPDX-License-Identifier: Apache-2.0
#include "ImageFileIO.h"

#include <OpenImageIO/imageio.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>
#include <mutex>
#include <stdexcept>

#include "ExrFile.h"

namespace kinema::nodes {

namespace OIIO = OIIO_NAMESPACE;
using render::Image;

namespace {

/// OpenImageIO's own limits are process-wide: they hold the defaults, and the per-call limits are checked
/// on the header before any pixel memory is allocated.
void setOiioLimits() {
    static std::once_flag once;
    std::call_once(once, [] {
        const ImageReadLimits defaults;
        OIIO::attribute("limits:channels", defaults.maxChannels);
        OIIO::attribute("limits:imagesize_MB", static_cast<int>(std::min<std::int64_t>(
                                                   defaults.maxBytes >> 20, std::int64_t(32768))));
    });
}

Image readWithOiio(const std::filesystem::path& path, const ImageReadLimits& limits, ImageFileInfo& info) {
    const std::string file = path.string();
    setOiioLimits();
    OIIO::ImageSpec config;
    config.attribute("oiio:UnassociatedAlpha", 1); // straight values as stored; premultiplied later
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
    if (static_cast<std::int64_t>(spec.width) * spec.height * spec.nchannels * 8 > limits.maxBytes)
        throw std::runtime_error(file + ": the image needs more memory than the reader's limit allows");
    if (spec.depth > 1 || spec.deep)
        throw std::runtime_error(file + ": volume and deep images are not supported");

    graph::Format format;
    format.width = spec.full_width > 0 ? spec.full_width : spec.width;
    format.height = spec.full_height > 0 ? spec.full_height : spec.height;
    const float aspect = spec.get_float_attribute("PixelAspectRatio", 1.0f);
    format.pixelAspect = std::isfinite(aspect) && aspect > 0.0f ? aspect : 1.0;
    const int ox = spec.full_x, oy = spec.full_y;
    graph::Box2i dataWindow{spec.x - ox, spec.y - oy, spec.x - ox + spec.width, spec.y - oy + spec.height};

    std::vector<std::string> names;
    for (int c = 0; c < spec.nchannels; ++c) {
        std::string raw = c < static_cast<int>(spec.channelnames.size()) ? spec.channelnames[c] : "";
        if (raw.empty())
            raw = "channel" + std::to_string(c);
        std::string n = normaliseChannelName(raw);
        if (std::find(names.begin(), names.end(), n) != names.end())
            n = raw;
        if (std::find(names.begin(), names.end(), n) != names.end())
            n = "channel" + std::to_string(c);
        names.push_back(n);
    }
    std::vector<float> interleaved(static_cast<std::size_t>(spec.width) * spec.height * spec.nchannels);
    if (!in->read_image(0, 0, 0, spec.nchannels, OIIO::TypeDesc::FLOAT, interleaved.data()))
        throw std::runtime_error(file + ": cannot decode pixels: " + in->geterror());
    const bool hasAlpha =
        spec.alpha_channel >= 0 || std::find(names.begin(), names.end(), "A") != names.end();
    // Formats that store associated alpha (TIFF with associated extra samples, EXR) report 0 here.
    // TIFF says whether its alpha is associated; PNG, DPX, TGA and the others store straight alpha.
    const std::string formatName = in->format_name();
    info.straightAlpha =
        hasAlpha && (formatName != "tiff" || in->spec().get_int_attribute("oiio:UnassociatedAlpha", 0) != 0);
    in->close();

    Image image(format, dataWindow, {});
    const std::size_t pixels = static_cast<std::size_t>(spec.width) * spec.height;
    const bool grey = spec.nchannels == 1 || (spec.nchannels == 2 && names[1] == "A");
    for (int c = 0; c < spec.nchannels; ++c) {
        std::vector<std::string> targets{names[static_cast<std::size_t>(c)]};
        if (grey && c == 0)
            targets = {"R", "G", "B"};
        for (auto& t : targets) {
            float* plane = image.addChannel(t);
            for (std::size_t i = 0; i < pixels; ++i)
                plane[i] =
                    interleaved[i * static_cast<std::size_t>(spec.nchannels) + static_cast<std::size_t>(c)];
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
    return image;
}

std::string lowerExtension(const std::filesystem::path& path) {
    std::string ext = path.extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
    return ext;
}

} // namespace

Image readImageFile(const std::filesystem::path& path, const ImageReadLimits& limits, ImageFileInfo* info) {
    const std::string file = path.string();
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec))
        throw std::runtime_error(file + ": no such file");
    ImageFileInfo local;
    ImageFileInfo& result = info ? *info : local;
    result = {};
    Image image;
    if (looksLikeExr(path)) {
        ExrReadLimits exrLimits;
        exrLimits.maxDimension = limits.maxDimension;
        exrLimits.maxPixels = limits.maxPixels;
        exrLimits.maxChannels = limits.maxChannels;
        exrLimits.maxBytes = limits.maxBytes;
        image = readExr(path, exrLimits);
        result.isExr = true;
    } else {
        image = readWithOiio(path, limits, result);
    }
    image.metadata()["input/filename"] = file;
    return image;
}

ImageFileType imageFileTypeFor(const std::filesystem::path& path) {
    static const std::map<std::string, ImageFileType> kTypes{
        {".exr", ImageFileType::Exr},   {".png", ImageFileType::Png},  {".jpg", ImageFileType::Jpeg},
        {".jpeg", ImageFileType::Jpeg}, {".tif", ImageFileType::Tiff}, {".tiff", ImageFileType::Tiff},
        {".dpx", ImageFileType::Dpx}};
    auto it = kTypes.find(lowerExtension(path));
    if (it == kTypes.end())
        throw std::runtime_error(path.string() + ": unsupported output file type '" +
                                 path.extension().string() + "' (use .exr, .png, .jpg, .tif or .dpx)");
    return it->second;
}

const char* toString(ImageFileType type) {
    switch (type) {
    case ImageFileType::Exr:
        return "openexr";
    case ImageFileType::Png:
        return "png";
    case ImageFileType::Jpeg:
        return "jpeg";
    case ImageFileType::Tiff:
        return "tiff";
    case ImageFileType::Dpx:
        return "dpx";
    }
    return "?";
}

bool rasterKeepsAlpha(ImageFileType type, int bits) {
    if (type == ImageFileType::Jpeg)
        return false;
    if (type == ImageFileType::Dpx && (bits == 0 || bits == 10 || bits == 12))
        return false;
    return true;
}

void writeRasterFile(const Image& image, const std::filesystem::path& path, ImageFileType type,
                     const RasterWriteOptions& options, const std::string& displayName) {
    if (type == ImageFileType::Exr)
        throw std::runtime_error(displayName + ": EXR files are written by writeExr");
    const graph::Format& format = image.format();
    if (format.width <= 0 || format.height <= 0)
        throw std::runtime_error(displayName + ": invalid format");
    int bits = options.bits;
    if (bits == 0)
        bits = type == ImageFileType::Tiff ? 16 : type == ImageFileType::Dpx ? 10 : 8;
    std::vector<std::string> names{"R", "G", "B"};
    if (image.hasChannel("A") && rasterKeepsAlpha(type, bits))
        names.push_back("A");
    auto reject = [&] {
        throw std::runtime_error(displayName + ": " + std::to_string(bits) +
                                 "-bit samples cannot be written to " + toString(type) + " files");
    };
    OIIO::TypeDesc sampleType = OIIO::TypeDesc::UINT8;
    switch (type) {
    case ImageFileType::Png:
        if (bits != 8 && bits != 16)
            reject();
        break;
    case ImageFileType::Jpeg:
        if (bits != 8)
            reject();
        break;
    case ImageFileType::Tiff:
        if (bits != 8 && bits != 16 && bits != 32)
            reject();
        break;
    case ImageFileType::Dpx:
        if (bits != 8 && bits != 10 && bits != 12 && bits != 16)
            reject();
        break;
    default:
        break;
    }
    sampleType = bits == 8    ? OIIO::TypeDesc::UINT8
                 : bits == 32 ? OIIO::TypeDesc::FLOAT
                              : OIIO::TypeDesc::UINT16;

    // Formats without data windows get the display window; pixels outside the data window are zero.
    const int w = format.width, h = format.height;
    const std::size_t nc = names.size();
    std::vector<float> interleaved(static_cast<std::size_t>(w) * h * nc, 0.0f);
    const graph::Box2i area = image.dataWindow().intersect(format.displayWindow());
    for (std::size_t c = 0; c < nc; ++c) {
        const float* plane = image.findChannel(names[c]);
        if (!plane || area.empty())
            continue;
        const graph::Box2i& dw = image.dataWindow();
        for (int y = area.y0; y < area.y1; ++y)
            for (int x = area.x0; x < area.x1; ++x)
                interleaved[(static_cast<std::size_t>(y) * w + x) * nc + c] =
                    plane[static_cast<std::size_t>(y - dw.y0) * dw.width() + (x - dw.x0)];
    }

    OIIO::ImageSpec spec(w, h, static_cast<int>(nc), sampleType);
    spec.channelnames = names;
    spec.alpha_channel = nc == 4 ? 3 : -1;
    spec.attribute("oiio:UnassociatedAlpha", 1);
    if (bits == 10 || bits == 12)
        spec.attribute("oiio:BitsPerSample", bits);
    if (type == ImageFileType::Jpeg)
        spec.attribute("compression", "jpeg:" + std::to_string(std::clamp(options.quality, 1, 100)));
    if (type == ImageFileType::Tiff)
        spec.attribute("compression", "zip");
    if (format.pixelAspect > 0.0 && format.pixelAspect != 1.0)
        spec.attribute("PixelAspectRatio", static_cast<float>(format.pixelAspect));
    for (auto& [key, value] : options.attributes)
        if (auto s = std::get_if<std::string>(&value))
            spec.attribute(key, *s);

    auto out = OIIO::ImageOutput::create(toString(type));
    if (!out)
        throw std::runtime_error(displayName + ": no " + toString(type) +
                                 " writer available: " + OIIO::geterror());
    if (!out->open(path.string(), spec))
        throw std::runtime_error(displayName + ": cannot open for writing: " + out->geterror());
    if (!out->write_image(OIIO::TypeDesc::FLOAT, interleaved.data()))
        throw std::runtime_error(displayName + ": cannot write pixels: " + out->geterror());
    if (!out->close())
        throw std::runtime_error(displayName + ": cannot finish the file: " + out->geterror());
}

} // namespace kinema::nodes
