// SPDX-License-Identifier: Apache-2.0
#include "ExrFile.h"

#include <Imath/half.h>
#include <OpenEXR/ImfChannelList.h>
#include <OpenEXR/ImfChromaticitiesAttribute.h>
#include <OpenEXR/ImfCompressionAttribute.h>
#include <OpenEXR/ImfDoubleAttribute.h>
#include <OpenEXR/ImfFloatAttribute.h>
#include <OpenEXR/ImfFloatVectorAttribute.h>
#include <OpenEXR/ImfFrameBuffer.h>
#include <OpenEXR/ImfFramesPerSecond.h>
#include <OpenEXR/ImfHeader.h>
#include <OpenEXR/ImfInputPart.h>
#include <OpenEXR/ImfIntAttribute.h>
#include <OpenEXR/ImfMultiPartInputFile.h>
#include <OpenEXR/ImfMultiPartOutputFile.h>
#include <OpenEXR/ImfOutputFile.h>
#include <OpenEXR/ImfOutputPart.h>
#include <OpenEXR/ImfPartType.h>
#include <OpenEXR/ImfRationalAttribute.h>
#include <OpenEXR/ImfStandardAttributes.h>
#include <OpenEXR/ImfStringAttribute.h>
#include <OpenEXR/ImfThreading.h>
#include <OpenEXR/ImfTimeCodeAttribute.h>
#include <OpenEXR/ImfVecAttribute.h>

#include <algorithm>
#include <cctype>
#include <climits>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>

namespace kinema::nodes {

using render::Image;

namespace {

void initThreads() {
    static std::once_flag once;
    std::call_once(once, [] {
        const unsigned n = std::max(1u, std::thread::hardware_concurrency());
        if (Imf::globalThreadCount() == 0)
            Imf::setGlobalThreadCount(static_cast<int>(n));
    });
}

Imf::Compression toImf(ExrCompression c) {
    switch (c) {
    case ExrCompression::None:
        return Imf::NO_COMPRESSION;
    case ExrCompression::Rle:
        return Imf::RLE_COMPRESSION;
    case ExrCompression::Zip1:
        return Imf::ZIPS_COMPRESSION;
    case ExrCompression::Zip16:
        return Imf::ZIP_COMPRESSION;
    case ExrCompression::Piz:
        return Imf::PIZ_COMPRESSION;
    case ExrCompression::Pxr24:
        return Imf::PXR24_COMPRESSION;
    case ExrCompression::B44:
        return Imf::B44_COMPRESSION;
    case ExrCompression::B44a:
        return Imf::B44A_COMPRESSION;
    case ExrCompression::Dwaa:
        return Imf::DWAA_COMPRESSION;
    case ExrCompression::Dwab:
        return Imf::DWAB_COMPRESSION;
    }
    return Imf::ZIPS_COMPRESSION;
}

const std::map<std::string, ExrCompression>& compressionNames() {
    static const std::map<std::string, ExrCompression> names{
        {"none", ExrCompression::None},   {"rle", ExrCompression::Rle},   {"zip1", ExrCompression::Zip1},
        {"zip16", ExrCompression::Zip16}, {"piz", ExrCompression::Piz},   {"pxr24", ExrCompression::Pxr24},
        {"b44", ExrCompression::B44},     {"b44a", ExrCompression::B44a}, {"dwaa", ExrCompression::Dwaa},
        {"dwab", ExrCompression::Dwab}};
    return names;
}

/// Attributes that describe the file's structure: never copied from metadata, never reported as metadata.
bool isStructural(const std::string& name) {
    static const std::set<std::string> kNames{"channels",
                                              "compression",
                                              "dataWindow",
                                              "displayWindow",
                                              "lineOrder",
                                              "pixelAspectRatio",
                                              "screenWindowCenter",
                                              "screenWindowWidth",
                                              "name",
                                              "type",
                                              "version",
                                              "chunkCount",
                                              "tiles",
                                              "maxSamplesPerPixel",
                                              "dwaCompressionLevel"};
    return kNames.count(name) != 0;
}

/// Main-layer channels first in RGBA order, then the others sorted by name.
std::vector<std::string> orderedChannels(const Image& image) {
    std::vector<std::string> names;
    for (auto& c : Image::rgba())
        if (image.hasChannel(c))
            names.push_back(c);
    std::vector<std::string> others;
    for (auto& c : image.channelNames())
        if (std::find(names.begin(), names.end(), c) == names.end())
            others.push_back(c);
    std::sort(others.begin(), others.end());
    names.insert(names.end(), others.begin(), others.end());
    return names;
}

void addAttribute(Imf::Header& header, const std::string& key, const render::MetadataValue& value) {
    if (key.empty() || isStructural(key))
        return;
    if (auto s = std::get_if<std::string>(&value)) {
        header.insert(key, Imf::StringAttribute(*s));
    } else if (auto d = std::get_if<double>(&value)) {
        header.insert(key, Imf::DoubleAttribute(*d));
    } else if (auto i = std::get_if<std::int64_t>(&value)) {
        if (*i >= INT_MIN && *i <= INT_MAX)
            header.insert(key, Imf::IntAttribute(static_cast<int>(*i)));
        else
            header.insert(key, Imf::StringAttribute(std::to_string(*i)));
    } else if (auto v = std::get_if<std::vector<double>>(&value)) {
        std::vector<float> floats(v->begin(), v->end());
        header.insert(key, Imf::FloatVectorAttribute(floats));
    }
}

Imf::TimeCode timeCodeFor(long long frame, double fps) {
    const long long rate = std::max(1LL, std::llround(fps));
    const long long day = 24LL * 3600LL * rate;
    long long f = frame % day;
    if (f < 0)
        f += day;
    return Imf::TimeCode(static_cast<int>(f / (3600 * rate)), static_cast<int>((f / (60 * rate)) % 60),
                         static_cast<int>((f / rate) % 60), static_cast<int>(f % rate));
}

std::string timeCodeText(const Imf::TimeCode& tc) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%02d:%02d:%02d:%02d", tc.hours(), tc.minutes(), tc.seconds(),
                  tc.frame());
    return buffer;
}

} // namespace

ExrCompression exrCompressionFromName(const std::string& name) {
    auto it = compressionNames().find(name);
    if (it == compressionNames().end())
        throw std::runtime_error("unknown EXR compression '" + name + "'");
    return it->second;
}

const char* toString(ExrCompression c) {
    for (auto& [name, value] : compressionNames())
        if (value == c)
            return name.c_str();
    return "?";
}

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

bool looksLikeExr(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    unsigned char magic[4] = {0, 0, 0, 0};
    in.read(reinterpret_cast<char*>(magic), 4);
    return in.gcount() == 4 && magic[0] == 0x76 && magic[1] == 0x2f && magic[2] == 0x31 && magic[3] == 0x01;
}

// [SECTION] Writing ---------------------------------------------------------------------------------------

void writeExr(const Image& image, const std::filesystem::path& path, const ExrWriteOptions& options,
              const std::string& displayName) {
    initThreads();
    std::vector<std::string> names = orderedChannels(image);
    if (options.acesContainer) {
        names = {"R", "G", "B"};
        if (image.hasChannel("A"))
            names.push_back("A");
    }
    if (names.empty())
        throw std::runtime_error(displayName + ": the image has no channels to write");
    const graph::Format& format = image.format();
    if (format.width <= 0 || format.height <= 0)
        throw std::runtime_error(displayName + ": invalid format " + std::to_string(format.width) + "x" +
                                 std::to_string(format.height));

    const bool emptyWindow = image.dataWindow().empty();
    // EXR needs at least one pixel: an empty image is written as one black pixel at the origin.
    const graph::Box2i dw = emptyWindow ? graph::Box2i{0, 0, 1, 1} : image.dataWindow();
    const std::size_t pixels = static_cast<std::size_t>(dw.area());
    std::vector<std::vector<float>> zeroPlanes;
    auto planeOf = [&](const std::string& channel) -> const float* {
        const float* p = emptyWindow ? nullptr : image.findChannel(channel);
        if (p)
            return p;
        zeroPlanes.emplace_back(pixels, 0.0f);
        return zeroPlanes.back().data();
    };

    const ExrCompression compression = options.acesContainer ? ExrCompression::None : options.compression;
    const bool half = options.acesContainer || options.halfFloat;
    const Imath::Box2i display(Imath::V2i(0, 0), Imath::V2i(format.width - 1, format.height - 1));
    const Imath::Box2i data(Imath::V2i(dw.x0, dw.y0), Imath::V2i(dw.x1 - 1, dw.y1 - 1));
    const float aspect = format.pixelAspect > 0.0 ? static_cast<float>(format.pixelAspect) : 1.0f;
    Imf::Header base(display, data, aspect, Imath::V2f(0.0f, 0.0f), 1.0f, Imf::INCREASING_Y,
                     toImf(compression));
    if (compression == ExrCompression::Dwaa || compression == ExrCompression::Dwab)
        base.dwaCompressionLevel() = options.dwaLevel;
    if (options.chromaticities) {
        const auto& c = *options.chromaticities;
        Imf::addChromaticities(base, Imf::Chromaticities(Imath::V2f(float(c[0]), float(c[1])),
                                                         Imath::V2f(float(c[2]), float(c[3])),
                                                         Imath::V2f(float(c[4]), float(c[5])),
                                                         Imath::V2f(float(c[6]), float(c[7]))));
        if (options.acesContainer)
            Imf::addAdoptedNeutral(base, Imath::V2f(float(c[6]), float(c[7])));
    }
    if (options.acesContainer)
        base.insert("acesImageContainerFlag", Imf::IntAttribute(1));
    if (options.fps > 0.0) {
        Imf::addFramesPerSecond(base, Imf::guessExactFps(options.fps));
        if (options.timeCodeFrame && std::llround(options.fps) <= 60)
            Imf::addTimeCode(base, timeCodeFor(*options.timeCodeFrame, options.fps));
    }
    for (auto& [key, value] : options.attributes)
        addAttribute(base, key, value);

    // Parts: one for everything, or one per layer (main layer first).
    std::vector<std::pair<std::string, std::vector<std::string>>> parts;
    if (options.multipart && !options.acesContainer) {
        for (auto& n : names) {
            const std::string layer = render::layerOf(n);
            const std::string partName = layer.empty() ? "rgba" : layer;
            auto it = std::find_if(parts.begin(), parts.end(), [&](auto& p) { return p.first == partName; });
            if (it == parts.end())
                parts.push_back({partName, {n}});
            else
                it->second.push_back(n);
        }
    } else {
        parts.push_back({"", names});
    }

    const Imf::PixelType fileType = half ? Imf::HALF : Imf::FLOAT;
    // OpenEXR's writer does not convert sample types: half files get half copies of the planes.
    std::vector<std::vector<Imath::half>> halfPlanes;
    auto sliceOf = [&](const std::string& c) {
        const float* plane = planeOf(c);
        if (!half)
            return Imf::Slice::Make(Imf::FLOAT, plane, data, sizeof(float),
                                    sizeof(float) * static_cast<std::size_t>(dw.width()));
        halfPlanes.emplace_back(pixels);
        Imath::half* out = halfPlanes.back().data();
        for (std::size_t i = 0; i < pixels; ++i)
            out[i] = Imath::half(plane[i]);
        return Imf::Slice::Make(Imf::HALF, out, data, sizeof(Imath::half),
                                sizeof(Imath::half) * static_cast<std::size_t>(dw.width()));
    };
    halfPlanes.reserve(names.size());
    zeroPlanes.reserve(names.size());
    std::vector<Imf::Header> headers;
    std::vector<Imf::FrameBuffer> buffers;
    for (auto& [partName, channels] : parts) {
        Imf::Header header = base;
        if (parts.size() > 1) {
            header.setName(partName);
            header.setType(Imf::SCANLINEIMAGE);
        }
        Imf::FrameBuffer fb;
        for (auto& c : channels) {
            header.channels().insert(c, Imf::Channel(fileType));
            fb.insert(c, sliceOf(c));
        }
        headers.push_back(std::move(header));
        buffers.push_back(std::move(fb));
    }

    try {
        if (headers.size() == 1) {
            Imf::OutputFile out(path.c_str(), headers[0]);
            out.setFrameBuffer(buffers[0]);
            out.writePixels(dw.height());
        } else {
            Imf::MultiPartOutputFile out(path.c_str(), headers.data(), static_cast<int>(headers.size()));
            for (int i = 0; i < static_cast<int>(headers.size()); ++i) {
                Imf::OutputPart part(out, i);
                part.setFrameBuffer(buffers[static_cast<std::size_t>(i)]);
                part.writePixels(dw.height());
            }
        }
    } catch (const std::exception& e) {
        throw std::runtime_error(displayName + ": cannot write EXR: " + e.what());
    }
}

// [SECTION] Reading ---------------------------------------------------------------------------------------

namespace {

void copyAttributes(const Imf::Header& header, render::Metadata& meta) {
    for (auto it = header.begin(); it != header.end(); ++it) {
        const std::string name = it.name();
        const Imf::Attribute& a = it.attribute();
        if (isStructural(name))
            continue;
        if (auto s = dynamic_cast<const Imf::StringAttribute*>(&a))
            meta[name] = s->value();
        else if (auto i = dynamic_cast<const Imf::IntAttribute*>(&a))
            meta[name] = static_cast<std::int64_t>(i->value());
        else if (auto f = dynamic_cast<const Imf::FloatAttribute*>(&a))
            meta[name] = static_cast<double>(f->value());
        else if (auto d = dynamic_cast<const Imf::DoubleAttribute*>(&a))
            meta[name] = d->value();
        else if (auto c = dynamic_cast<const Imf::ChromaticitiesAttribute*>(&a)) {
            const auto& v = c->value();
            meta[name] = std::vector<double>{v.red.x,  v.red.y,  v.green.x, v.green.y,
                                             v.blue.x, v.blue.y, v.white.x, v.white.y};
        } else if (auto r = dynamic_cast<const Imf::RationalAttribute*>(&a)) {
            if (r->value().d != 0)
                meta[name] = static_cast<double>(r->value());
        } else if (auto t = dynamic_cast<const Imf::TimeCodeAttribute*>(&a))
            meta[name] = timeCodeText(t->value());
        else if (auto v2 = dynamic_cast<const Imf::V2fAttribute*>(&a))
            meta[name] = std::vector<double>{v2->value().x, v2->value().y};
        else if (auto fv = dynamic_cast<const Imf::FloatVectorAttribute*>(&a))
            meta[name] = std::vector<double>(fv->value().begin(), fv->value().end());
    }
    const Imf::Compression c = header.compression();
    for (auto& [n, v] : compressionNames())
        if (toImf(v) == c)
            meta["exr/compression"] = n;
}

constexpr int kMaxExrDimension = 1 << 17;

struct PartPlan {
    int index = 0;
    Imath::Box2i dataWindow;
    std::vector<std::pair<std::string, std::string>> channels; // file name → image name
};

} // namespace

Image readExr(const std::filesystem::path& path, const ExrReadLimits& limits) {
    initThreads();
    const std::string file = path.string();
    // Bounds for OpenEXR's own header checks, set before any header is parsed. They are process-wide (the
    // writer checks them too), so they hold the largest size Kinema handles; the per-call limits are
    // applied below, before any pixel memory is allocated.
    static std::once_flag once;
    std::call_once(once, [] {
        Imf::Header::setMaxImageSize(kMaxExrDimension, kMaxExrDimension);
        Imf::Header::setMaxTileSize(kMaxExrDimension, kMaxExrDimension);
    });
    try {
        Imf::MultiPartInputFile in(file.c_str());
        const int partCount = in.parts();
        if (partCount <= 0 || partCount > limits.maxParts)
            throw std::runtime_error(std::to_string(partCount) + " parts exceed the limit of " +
                                     std::to_string(limits.maxParts));
        const Imf::Header& first = in.header(0);
        const Imath::Box2i disp = first.displayWindow();
        const std::int64_t fw = std::int64_t(disp.max.x) - disp.min.x + 1;
        const std::int64_t fh = std::int64_t(disp.max.y) - disp.min.y + 1;
        if (fw <= 0 || fh <= 0 || fw > limits.maxDimension || fh > limits.maxDimension)
            throw std::runtime_error("display window " + std::to_string(fw) + "x" + std::to_string(fh) +
                                     " is invalid or exceeds the limits");
        graph::Format format;
        format.width = static_cast<int>(fw);
        format.height = static_cast<int>(fh);
        const float aspect = first.pixelAspectRatio();
        format.pixelAspect = std::isfinite(aspect) && aspect > 0.0f ? aspect : 1.0;

        std::vector<PartPlan> plans;
        std::set<std::string> taken;
        graph::Box2i window;
        int totalChannels = 0;
        bool sawDeep = false;
        for (int p = 0; p < partCount; ++p) {
            const Imf::Header& h = in.header(p);
            if (h.hasType() && Imf::isDeepData(h.type())) {
                sawDeep = true;
                continue;
            }
            const Imath::Box2i dw = h.dataWindow();
            const std::int64_t w = std::int64_t(dw.max.x) - dw.min.x + 1;
            const std::int64_t ht = std::int64_t(dw.max.y) - dw.min.y + 1;
            if (w <= 0 || ht <= 0 || w > limits.maxDimension || ht > limits.maxDimension ||
                w * ht > limits.maxPixels)
                throw std::runtime_error("data window " + std::to_string(w) + "x" + std::to_string(ht) +
                                         " is invalid or exceeds the limits");
            PartPlan plan{p, dw, {}};
            std::set<std::string> inPart;
            for (auto c = h.channels().begin(); c != h.channels().end(); ++c) {
                if (c.channel().xSampling != 1 || c.channel().ySampling != 1)
                    continue; // subsampled (luminance/chroma) channels are not supported
                std::string name = normaliseChannelName(c.name());
                if (inPart.count(name))
                    name = c.name(); // both spellings exist in this part: keep the original
                if (taken.count(name))
                    continue; // a later part repeating a channel (another view) is dropped
                inPart.insert(name);
                taken.insert(name);
                plan.channels.push_back({c.name(), name});
                if (++totalChannels > limits.maxChannels)
                    throw std::runtime_error("more than " + std::to_string(limits.maxChannels) + " channels");
            }
            if (plan.channels.empty())
                continue;
            window = window.unite(graph::Box2i{dw.min.x - disp.min.x, dw.min.y - disp.min.y,
                                               dw.max.x - disp.min.x + 1, dw.max.y - disp.min.y + 1});
            plans.push_back(std::move(plan));
        }
        if (plans.empty())
            throw std::runtime_error(sawDeep ? "deep images are not supported" : "no readable channels");
        if (window.area() > limits.maxPixels ||
            window.area() * totalChannels * std::int64_t(sizeof(float)) > limits.maxBytes)
            throw std::runtime_error("the image needs more memory than the reader's limit allows");

        Image image(format, window, {});
        const Imath::Box2i fileWindow(Imath::V2i(window.x0 + disp.min.x, window.y0 + disp.min.y),
                                      Imath::V2i(window.x1 - 1 + disp.min.x, window.y1 - 1 + disp.min.y));
        const std::size_t yStride = sizeof(float) * static_cast<std::size_t>(window.width());
        for (auto& plan : plans) {
            Imf::FrameBuffer fb;
            for (auto& [fileName, name] : plan.channels)
                fb.insert(fileName, Imf::Slice::Make(Imf::FLOAT, image.addChannel(name), fileWindow,
                                                     sizeof(float), yStride));
            Imf::InputPart part(in, plan.index);
            part.setFrameBuffer(fb);
            part.readPixels(plan.dataWindow.min.y, plan.dataWindow.max.y);
        }
        copyAttributes(first, image.metadata());
        if (partCount > 1)
            image.metadata()["exr/parts"] = static_cast<std::int64_t>(partCount);
        return image;
    } catch (const std::exception& e) {
        throw std::runtime_error(file + ": cannot read EXR: " + e.what());
    }
}

} // namespace kinema::nodes
