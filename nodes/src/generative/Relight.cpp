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
    // The clip hash already covers every source frame the output reads (VideoToVideo's conditioning).
    Hasher h;
    h.append(ClipNode::hash(ec));
    h.append("relight").append(param("amount").getDouble(0)).append(param("radius").getDouble(0));
    return h.finish();
}

render::ImagePtr Relight::compute(const render::EvalContext& ec) const {
    const ClipSettings s = settings(ec);
    const double amount = param("amount").getDouble(0);
    const int radius = static_cast<int>(std::lround(param("radius").getDouble(0)));
    const std::string key = clipHash(ec, s).toString();
    const ClipPtr c = clip(ec, s, key);
    const int index = frameIndex(ec, s, c->frames);
    // The source over its display window, in the model's code values (with its metadata and alpha).
    const auto out = inputAsModelCodes(ec, 0, s.startFrame + index, s);
    const int W = out->format().width, H = out->format().height;

    // Lighting change = low-pass(generated) - low-pass(source), both at the clip size, in code values.
    const int w = c->width, h = c->height;
    const float* gen = c->frame(index);
    for (int ch = 0; ch < 3; ++ch) {
        float* plane = out->channel(ch == 0 ? "R" : ch == 1 ? "G" : "B");
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
                    static_cast<float>(amount) *
                    static_cast<float>(resampleBilinear(genLow.data(), w, h, W, H, x, y));
    }
    fromModelCodes(ec, s, *out);
    addGenerationMetadata(s, key, *c, index, out->metadata());
    return out;
}

} // namespace kinema::nodes::generative
