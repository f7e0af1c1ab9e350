// SPDX-License-Identifier: Apache-2.0
#include "kinema/viewer/ImagePacking.h"

#include <algorithm>
#include <stdexcept>

namespace kinema::viewer {

std::vector<std::string> displayChannels(const render::Image& image, const std::string& layer) {
    const std::string prefix = layer.empty() ? std::string() : layer + ".";
    std::vector<std::string> result(4);
    const char* components[4] = {"R", "G", "B", "A"};
    int colourCount = 0;
    for (int i = 0; i < 4; ++i) {
        const std::string name = prefix + components[i];
        if (image.hasChannel(name)) {
            result[i] = name;
            if (i < 3)
                ++colourCount;
        }
    }
    if (colourCount == 0) {
        // A single-channel layer (Y, Z, mask...): show its first non-alpha channel as grey.
        for (const auto& name : image.channelNames()) {
            if (render::layerOf(name) != layer || render::componentOf(name) == "A")
                continue;
            result[0] = result[1] = result[2] = name;
            break;
        }
    }
    return result;
}

PackedRgba packRgba(const render::Image& image, const std::string& layer, int proxy) {
    if (proxy != 1 && proxy != 2 && proxy != 4)
        throw std::invalid_argument("viewer proxy factor " + std::to_string(proxy) + " is not 1, 2 or 4");
    const auto names = displayChannels(image, layer);
    const int srcW = image.width();
    const int srcH = image.height();
    PackedRgba out;
    out.proxy = proxy;
    out.width = (srcW + proxy - 1) / proxy;
    out.height = (srcH + proxy - 1) / proxy;
    out.pixels.assign(static_cast<std::size_t>(out.width) * out.height * 4, 0.0f);
    for (int c = 0; c < 4; ++c) {
        const float* plane = names[c].empty() ? nullptr : image.findChannel(names[c]);
        const float fill = c == 3 ? 1.0f : 0.0f;
        for (int ty = 0; ty < out.height; ++ty) {
            const int y0 = ty * proxy;
            const int y1 = std::min(srcH, y0 + proxy);
            float* dst = out.pixels.data() + static_cast<std::size_t>(ty) * out.width * 4 + c;
            for (int tx = 0; tx < out.width; ++tx, dst += 4) {
                if (!plane) {
                    *dst = fill;
                    continue;
                }
                const int x0 = tx * proxy;
                const int x1 = std::min(srcW, x0 + proxy);
                double sum = 0.0;
                for (int y = y0; y < y1; ++y) {
                    const float* row = plane + static_cast<std::size_t>(y) * srcW;
                    for (int x = x0; x < x1; ++x)
                        sum += row[x];
                }
                *dst = static_cast<float>(sum / ((y1 - y0) * (x1 - x0)));
            }
        }
    }
    return out;
}

} // namespace kinema::viewer
