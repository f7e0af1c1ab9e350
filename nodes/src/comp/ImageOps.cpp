// SPDX-License-Identifier: Apache-2.0
#include "comp/ImageOps.h"

#include <algorithm>

#include "kinema/render/ThreadPool.h"

namespace kinema::nodes::ops {

using namespace graph;

std::shared_ptr<Image> newImage(const Format& format, const Box2i& window,
                                const std::vector<std::string>& channels, const Image* like) {
    auto image = std::make_shared<Image>(format, window.empty() ? Box2i{} : window, channels);
    if (like)
        image->metadata() = like->metadata();
    return image;
}

void forEachRow(const render::EvalContext& ec, const Box2i& box, const std::function<void(int)>& row) {
    if (box.empty())
        return;
    const std::int64_t grain = std::max<std::int64_t>(1, 32768 / std::max(1, box.width()));
    render::parallelFor(box.y0, box.y1, grain, [&](std::int64_t b, std::int64_t e) {
        ec.checkCancelled();
        for (std::int64_t y = b; y < e; ++y)
            row(static_cast<int>(y));
    });
}

std::vector<std::string> unionChannels(const Image& a, const Image& b) {
    std::vector<std::string> names = a.channelNames();
    for (const auto& n : b.channelNames())
        if (std::find(names.begin(), names.end(), n) == names.end())
            names.push_back(n);
    return names;
}

void copyChannel(const render::EvalContext& ec, const Image& src, const std::string& from, Image& dst,
                 const std::string& to) {
    const float* in = src.findChannel(from);
    float* out = dst.addChannel(to);
    const Box2i overlap = src.dataWindow().intersect(dst.dataWindow());
    if (!in || overlap.empty())
        return;
    forEachRow(ec, overlap, [&](int y) {
        std::copy_n(in + pixelIndex(src.dataWindow(), overlap.x0, y), overlap.width(),
                    out + pixelIndex(dst.dataWindow(), overlap.x0, y));
    });
}

std::shared_ptr<Image> copyToWindow(const render::EvalContext& ec, const Image& src, const Box2i& window) {
    auto out = newImage(src.format(), window, src.channelNames(), &src);
    for (const auto& c : src.channelNames())
        copyChannel(ec, src, c, *out, c);
    return out;
}

std::shared_ptr<Image> blendImages(const render::EvalContext& ec, const Image& a, const Image& b, float t) {
    const Box2i window = a.dataWindow().unite(b.dataWindow());
    const auto channels = unionChannels(a, b);
    auto out = newImage(a.format(), window, channels, &a);
    const Box2i& wa = a.dataWindow();
    const Box2i& wb = b.dataWindow();
    for (const auto& c : channels) {
        float* dst = out->channel(c);
        const float* pa = a.findChannel(c);
        const float* pb = b.findChannel(c);
        forEachRow(ec, window, [&](int y) {
            float* row = dst + pixelIndex(window, window.x0, y);
            for (int x = window.x0; x < window.x1; ++x) {
                const float va = pa && wa.contains(x, y) ? pa[pixelIndex(wa, x, y)] : 0.0f;
                const float vb = pb && wb.contains(x, y) ? pb[pixelIndex(wb, x, y)] : 0.0f;
                row[x - window.x0] = (1.0f - t) * va + t * vb;
            }
        });
    }
    return out;
}

ParamSpec floatSpec(const std::string& name, double value, double softMin, double softMax,
                    const std::string& tooltip) {
    ParamSpec s{name, ParamType::Float, value};
    s.metadata.tooltip = tooltip;
    s.metadata.softMinimum = softMin;
    s.metadata.softMaximum = softMax;
    return s;
}

ParamSpec colorSpec(const std::string& name, double value, const std::string& tooltip) {
    ParamSpec s{name, ParamType::Color, std::array<double, 4>{value, value, value, value}};
    s.metadata.tooltip = tooltip;
    s.metadata.softMaximum = std::max(1.0, value * 2.0);
    return s;
}

ParamSpec float2Spec(const std::string& name, double x, double y, const std::string& tooltip) {
    ParamSpec s{name, ParamType::Float2, std::array<double, 2>{x, y}};
    s.metadata.tooltip = tooltip;
    return s;
}

ParamSpec intSpec(const std::string& name, std::int64_t value, const std::string& tooltip) {
    ParamSpec s{name, ParamType::Int, value};
    s.metadata.tooltip = tooltip;
    return s;
}

ParamSpec boolSpec(const std::string& name, bool value, const std::string& tooltip) {
    ParamSpec s{name, ParamType::Bool, value};
    s.metadata.tooltip = tooltip;
    return s;
}

ParamSpec enumSpec(const std::string& name, std::vector<std::string> items, std::int64_t index,
                   const std::string& tooltip) {
    ParamSpec s{name, ParamType::Enum, index};
    s.enumItems = std::move(items);
    s.metadata.tooltip = tooltip;
    return s;
}

ParamSpec stringSpec(const std::string& name, const std::string& value, const std::string& tooltip) {
    ParamSpec s{name, ParamType::String, value};
    s.metadata.tooltip = tooltip;
    return s;
}

} // namespace kinema::nodes::ops
