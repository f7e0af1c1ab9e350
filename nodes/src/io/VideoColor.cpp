// SPDX-License-Identifier: Apache-2.0
#include "VideoColor.h"

#include <filesystem>
#include <map>
#include <mutex>

#include "kinema/color/Processor.h"

namespace kinema::nodes {

namespace fs = std::filesystem;

color::ConfigHandle videoColorConfig(const graph::ProjectSettings& project) {
    static std::mutex mutex;
    static std::map<std::string, std::pair<std::int64_t, color::ConfigHandle>> loaded;
    const color::ConfigLocation location = color::resolveConfigLocation(project.ocioConfig);
    std::error_code ec;
    const std::int64_t mtime =
        static_cast<std::int64_t>(fs::last_write_time(location.path, ec).time_since_epoch().count());
    const std::string key = location.path.string();
    std::lock_guard lock(mutex);
    auto it = loaded.find(key);
    if (it != loaded.end() && it->second.first == mtime)
        return it->second.second;
    color::ConfigHandle config = color::ConfigHandle::fromFile(location.path, location.origin);
    loaded[key] = {mtime, config};
    return config;
}

std::string videoWorkingSpace(const color::ConfigHandle& config, const graph::ProjectSettings& project) {
    if (!project.workingSpace.empty() && config.hasColorSpace(project.workingSpace))
        return config.canonicalColorSpace(project.workingSpace);
    return config.workingSpace();
}

std::string videoColorSpaceFromTags(const color::ConfigHandle& config, const VideoStreamInfo& info,
                                    const std::string& path) {
    const std::string& trc = info.colorTransfer;
    const std::string& pri = info.colorPrimaries;
    const bool rec709Primaries = pri == "bt709" || pri == "unknown";
    std::string wanted;
    if (rec709Primaries && (trc == "bt709" || trc == "smpte170m" || trc == "bt470bg" || trc == "unknown" ||
                            trc == "bt2020-10" || trc == "bt2020-12" || trc == "gamma22"))
        wanted = kRec709VideoSpace;
    else if (rec709Primaries && trc == "iec61966-2-1")
        wanted = "sRGB - Display";
    if (!wanted.empty() && config.hasColorSpace(wanted))
        return config.canonicalColorSpace(wanted);
    return config.colorSpaceForPath(path);
}

void convertVideoColor(const color::ConfigHandle& config, const std::string& from, const std::string& to,
                       render::Image& image) {
    if (from == to || config.isData(from) || config.isData(to) || image.pixelCount() == 0)
        return;
    auto processor = color::processorFor(config, color::ColorTransform::colorSpace(from, to));
    if (processor->isNoOp())
        return;
    color::PlanarImageView view;
    view.r = image.channel("R");
    view.g = image.channel("G");
    view.b = image.channel("B");
    view.a = image.findChannel("A");
    view.width = image.width();
    view.height = image.height();
    view.rowStride = image.width();
    processor->apply(view);
}

} // namespace kinema::nodes
