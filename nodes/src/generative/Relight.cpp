// SPDX-License-Identifier: Apache-2.0
#include "Relight.h"

#include <algorithm>
#include <cmath>

namespace kinema::nodes::generative {

using namespace graph;

namespace {

ParamSpec lightingEnum(const std::string& name, std::vector<std::string> items, std::int64_t index,
                       const std::string& tooltip) {
    ParamSpec p{name, ParamType::Enum, index};
    p.enumItems = std::move(items);
    p.metadata.tooltip = tooltip;
    p.metadata.animatable = false;
    p.metadata.group = "Lighting";
    return p;
}

ParamSpec lightingFloat(const std::string& name, double value, double max, const std::string& tooltip) {
    ParamSpec p{name, ParamType::Float, value};
    p.metadata.tooltip = tooltip;
    p.metadata.minimum = 0.0;
    p.metadata.maximum = max;
    p.metadata.softMinimum = 0.0;
    p.metadata.softMaximum = max;
    p.metadata.animatable = false;
    p.metadata.group = "Lighting";
    return p;
}

/// Separable box blur of a w x h plane, applied twice (close to a Gaussian), edges clamped.
void blurPlane(std::vector<float>& plane, int w, int h, int radius) {
    if (radius <= 0)
        return;
    std::vector<float> tmp(plane.size());
    const float norm = 1.0f / static_cast<float>(2 * radius + 1);
    for (int pass = 0; pass < 2; ++pass) {
        for (int y = 0; y < h; ++y)
            for (int x = 0; x < w; ++x) {
                float sum = 0.0f;
                for (int k = -radius; k <= radius; ++k)
                    sum += plane[static_cast<std::size_t>(y * w + std::clamp(x + k, 0, w - 1))];
                tmp[static_cast<std::size_t>(y * w + x)] = sum * norm;
            }
        for (int y = 0; y < h; ++y)
            for (int x = 0; x < w; ++x) {
                float sum = 0.0f;
                for (int k = -radius; k <= radius; ++k)
                    sum += tmp[static_cast<std::size_t>(std::clamp(y + k, 0, h - 1) * w + x)];
                plane[static_cast<std::size_t>(y * w + x)] = sum * norm;
            }
    }
}

/// Area average of a W x H plane down to w x h.
std::vector<float> areaDownsample(const float* src, int W, int H, int w, int h) {
    std::vector<float> out(static_cast<std::size_t>(w * h));
    for (int y = 0; y < h; ++y) {
        const int y0 = y * H / h, y1 = std::max(y0 + 1, (y + 1) * H / h);
        for (int x = 0; x < w; ++x) {
            const int x0 = x * W / w, x1 = std::max(x0 + 1, (x + 1) * W / w);
            double sum = 0.0;
            for (int yy = y0; yy < y1; ++yy)
                for (int xx = x0; xx < x1; ++xx)
                    sum += src[static_cast<std::size_t>(yy * W + xx)];
            out[static_cast<std::size_t>(y * w + x)] = static_cast<float>(sum / ((y1 - y0) * (x1 - x0)));
        }
    }
    return out;
}

/// Bilinear sample of a w x h plane at output pixel (x, y) of a W x H image (pixel centres aligned).
float upsample(const std::vector<float>& plane, int w, int h, int W, int H, int x, int y) {
    const double fx = std::clamp((x + 0.5) * w / W - 0.5, 0.0, static_cast<double>(w - 1));
    const double fy = std::clamp((y + 0.5) * h / H - 0.5, 0.0, static_cast<double>(h - 1));
    const int x0 = static_cast<int>(fx), y0 = static_cast<int>(fy);
    const int x1 = std::min(x0 + 1, w - 1), y1 = std::min(y0 + 1, h - 1);
    const double tx = fx - x0, ty = fy - y0;
    auto at = [&](int xx, int yy) {
        return static_cast<double>(plane[static_cast<std::size_t>(yy * w + xx)]);
    };
    const double top = at(x0, y0) * (1 - tx) + at(x1, y0) * tx;
    const double bottom = at(x0, y1) * (1 - tx) + at(x1, y1) * tx;
    return static_cast<float>(top * (1 - ty) + bottom * ty);
}

} // namespace

Relight::Relight()
    : VideoToVideo({"Relight", 1, "Generative",
                    "Relights the source video generatively, keeping its structure and detail."},
                   0.45) {
    addParam(
        lightingEnum("direction", {"Left", "Right", "Top", "Front"}, 0, "Where the new light comes from."));
    addParam(lightingEnum("temperature", {"Neutral", "Warm", "Cool"}, 1, "Colour of the new light."));
    addParam(lightingEnum("intensity", {"Dim", "Normal", "Bright"}, 1, "Strength of the new light."));
    addParam(lightingFloat("amount", 1.0, 2.0, "How much of the generated lighting change is applied."));
    addParam(lightingFloat("radius", 1.5, 16.0,
                           "Blur radius, in clip pixels, that separates lighting (kept from the model) from "
                           "detail (kept from the source)."));
}

void Relight::place(const render::EvalContext&, ClipSettings& s) const {
    std::string direction = param("direction").enumItem();
    std::transform(direction.begin(), direction.end(), direction.begin(), ::tolower);
    std::string temperature = param("temperature").enumItem();
    std::transform(temperature.begin(), temperature.end(), temperature.begin(), ::tolower);
    const std::string intensity = param("intensity").enumItem();
    const std::string from = direction == "top"     ? "light from above"
                             : direction == "front" ? "light from the front"
                                                    : "light from the " + direction;
    std::string phrase = temperature + " " + from;
    if (intensity == "Dim")
        phrase += ", dim light";
    else if (intensity == "Bright")
        phrase += ", bright light";
    s.prompt = s.prompt.empty() ? phrase : s.prompt + ", " + phrase;
}

render::Hash128 Relight::hash(const render::EvalContext& ec) const {
    Hasher h;
    h.append(ClipNode::hash(ec));
    h.append("relight").append(param("amount").getDouble(0)).append(param("radius").getDouble(0));
    if (ec.hasInput(0)) {
        try {
            const ClipSettings s = settings(ec);
            const int index =
                std::clamp(static_cast<int>(std::lround(ec.frame())) - s.startFrame, 0, s.duration - 1);
            h.append(ec.inputHash(0, ec.context().withFrame(s.startFrame + index)));
        } catch (const std::exception& e) {
            h.append("error").append(std::string(e.what()));
        }
    }
    return h.finish();
}

render::ImagePtr Relight::compute(const render::EvalContext& ec) const {
    const ClipSettings s = settings(ec);
    const double amount = param("amount").getDouble(0);
    const int radius = static_cast<int>(std::lround(param("radius").getDouble(0)));
    const render::ImagePtr generated = ClipNode::compute(ec); // working space, clip size, with metadata
    const ClipPtr c = clip(ec);
    const int index = std::clamp(static_cast<int>(std::lround(ec.frame())) - s.startFrame, 0,
                                 std::min(s.duration, c->frames) - 1);
    if (!ec.hasInput(0))
        throw GenerativeError("input 'source' is not connected");
    const render::ImagePtr source = ec.pullInput(0, ec.context().withFrame(s.startFrame + index));
    if (!source || source->format().width <= 0 || source->format().height <= 0)
        throw GenerativeError("input 'source' is empty");

    // The source over its display window, in the model's code values.
    const Format format = source->format();
    const int W = format.width, H = format.height;
    auto out = std::make_shared<render::Image>(format, format.displayWindow(), render::Image::rgba());
    for (const char* ch : {"R", "G", "B", "A"}) {
        float* dst = out->channel(ch);
        const bool hasAlpha = std::string(ch) != "A" || source->findChannel("A");
        std::size_t i = 0;
        for (int y = 0; y < H; ++y)
            for (int x = 0; x < W; ++x)
                dst[i++] = hasAlpha ? source->sample(ch, x, y) : 1.0f;
    }
    toModelCodes(ec, s, *out);

    // Lighting change = low-pass(generated) - low-pass(source), both at the clip size, in code values.
    const int w = c->width, h = c->height;
    const float* gen = c->frame(index);
    for (int ch = 0; ch < 3; ++ch) {
        const char* name = ch == 0 ? "R" : ch == 1 ? "G" : "B";
        float* plane = out->channel(name);
        std::vector<float> genLow(static_cast<std::size_t>(w * h));
        for (std::size_t i = 0; i < genLow.size(); ++i)
            genLow[i] = gen[i * 3 + static_cast<std::size_t>(ch)];
        std::vector<float> srcLow = areaDownsample(plane, W, H, w, h);
        blurPlane(genLow, w, h, radius);
        blurPlane(srcLow, w, h, radius);
        for (std::size_t i = 0; i < genLow.size(); ++i)
            genLow[i] -= srcLow[i];
        for (int y = 0; y < H; ++y)
            for (int x = 0; x < W; ++x)
                plane[static_cast<std::size_t>(y * W + x)] +=
                    static_cast<float>(amount) * upsample(genLow, w, h, W, H, x, y);
    }
    fromModelCodes(ec, s, *out);
    out->metadata() = source->metadata();
    for (const auto& [key, value] : generated->metadata())
        if (key.rfind("kinema/gen/", 0) == 0)
            out->metadata()[key] = value;
    return out;
}

} // namespace kinema::nodes::generative
