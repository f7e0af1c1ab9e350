// SPDX-License-Identifier: Apache-2.0
#include "color/ColorCorrect.h"

#include <cmath>
#include <functional>

#include "comp/ImageOps.h"

namespace kinema::nodes {

using namespace graph;

namespace {

/// Applies fn(rgb) to every pixel of the main layer's colour, optionally between unpremult and premult.
render::ImagePtr applyRgb(const render::EvalContext& ec, const render::Image& in, bool unpremult,
                          const std::function<void(float (&)[3])>& fn) {
    auto out = std::make_shared<render::Image>(in);
    float* planes[3] = {out->findChannel("R"), out->findChannel("G"), out->findChannel("B")};
    const float* alpha = out->findChannel("A");
    const Box2i& w = out->dataWindow();
    ops::forEachRow(ec, w, [&](int y) {
        const std::size_t base = ops::pixelIndex(w, w.x0, y);
        for (int x = 0; x < w.width(); ++x) {
            const std::size_t i = base + static_cast<std::size_t>(x);
            float rgb[3];
            for (int c = 0; c < 3; ++c)
                rgb[c] = planes[c] ? planes[c][i] : 0.0f;
            const float a = alpha ? alpha[i] : 1.0f;
            const bool divide = unpremult && alpha;
            if (divide) {
                if (a == 0.0f)
                    continue;
                for (float& v : rgb)
                    v /= a;
            }
            fn(rgb);
            for (int c = 0; c < 3; ++c)
                if (planes[c])
                    planes[c][i] = divide ? rgb[c] * a : rgb[c];
        }
    });
    return out;
}

ParamSpec unpremultSpec() {
    return ops::boolSpec("unpremult", false, "Divide colour by alpha before the operation, multiply after.");
}

} // namespace

Grade::Grade()
    : ImageNode({"Grade", 1, "Color", "Levels: black/white points, lift, gain, gamma, offset."}) {
    addInput({"input", PlugType::Image, false, "Input"});
    addParam(ops::colorSpec("blackpoint", 0.0, "Input value mapped to lift."));
    addParam(ops::colorSpec("whitepoint", 1.0, "Input value mapped to gain."));
    addParam(ops::colorSpec("lift", 0.0, "Output value of the black point."));
    addParam(ops::colorSpec("gain", 1.0, "Output value of the white point."));
    addParam(ops::colorSpec("multiply", 1.0, "Extra multiplier of the slope."));
    addParam(ops::colorSpec("offset", 0.0, "Added after the linear part."));
    auto gamma = ops::colorSpec("gamma", 1.0, "out = value^(1/gamma) for positive values.");
    gamma.metadata.minimum = 1e-6;
    addParam(gamma);
    addParam(ops::boolSpec("blackClamp", true, "Clamp negative results to 0."));
    addParam(ops::boolSpec("whiteClamp", false, "Clamp results above 1 to 1."));
    addParam(unpremultSpec());
}

render::ImagePtr Grade::compute(const render::EvalContext& ec) const {
    auto in = ec.pullInput(0);
    const double f = ec.frame();
    const auto bp = param("blackpoint").getVec(f), wp = param("whitepoint").getVec(f);
    const auto lift = param("lift").getVec(f), gain = param("gain").getVec(f);
    const auto mul = param("multiply").getVec(f), off = param("offset").getVec(f);
    const auto gamma = param("gamma").getVec(f);
    const bool blackClamp = param("blackClamp").getBool(f), whiteClamp = param("whiteClamp").getBool(f);
    float slope[3], intercept[3], invGamma[3];
    for (int c = 0; c < 3; ++c) {
        const double range = wp[c] - bp[c];
        const double A = range != 0.0 ? mul[c] * (gain[c] - lift[c]) / range : 0.0;
        slope[c] = static_cast<float>(A);
        intercept[c] = static_cast<float>(off[c] + lift[c] - A * bp[c]);
        invGamma[c] = static_cast<float>(1.0 / gamma[c]);
    }
    return applyRgb(ec, *in, param("unpremult").getBool(f), [&](float(&rgb)[3]) {
        for (int c = 0; c < 3; ++c) {
            float v = slope[c] * rgb[c] + intercept[c];
            if (invGamma[c] != 1.0f && v > 0.0f)
                v = std::pow(v, invGamma[c]);
            if (blackClamp && v < 0.0f)
                v = 0.0f;
            if (whiteClamp && v > 1.0f)
                v = 1.0f;
            rgb[c] = v;
        }
    });
}

Saturation::Saturation()
    : ImageNode({"Saturation", 1, "Color", "Saturation around luminance."}) {
    addInput({"input", PlugType::Image, false, "Input"});
    auto s = ops::floatSpec("saturation", 1.0, 0.0, 4.0, "0 = grey, 1 = unchanged.");
    addParam(s);
    addParam(ops::enumSpec("luminanceMath", {"Rec.709", "ACEScg"}, 0,
                           "Primaries whose luminance weights are used."));
    addParam(unpremultSpec());
}

render::ImagePtr Saturation::compute(const render::EvalContext& ec) const {
    auto in = ec.pullInput(0);
    const double f = ec.frame();
    const float s = static_cast<float>(param("saturation").getDouble(f));
    static constexpr float kRec709[3] = {0.2126f, 0.7152f, 0.0722f};
    static constexpr float kAp1[3] = {0.2722287f, 0.6740818f, 0.0536895f};
    const float* wts = param("luminanceMath").getInt(f) == 1 ? kAp1 : kRec709;
    return applyRgb(ec, *in, param("unpremult").getBool(f), [&](float(&rgb)[3]) {
        const float l = wts[0] * rgb[0] + wts[1] * rgb[1] + wts[2] * rgb[2];
        for (float& v : rgb)
            v = l + s * (v - l);
    });
}

Exposure::Exposure()
    : ImageNode({"Exposure", 1, "Color", "Exposure change in stops."}) {
    addInput({"input", PlugType::Image, false, "Input"});
    addParam(ops::floatSpec("stops", 0.0, -4.0, 4.0, "Master exposure change in stops (doublings)."));
    ParamSpec per{"channelStops", ParamType::Float3, std::array<double, 3>{0.0, 0.0, 0.0}};
    per.metadata.tooltip = "Extra stops per R, G, B.";
    addParam(per);
}

render::ImagePtr Exposure::compute(const render::EvalContext& ec) const {
    auto in = ec.pullInput(0);
    const double f = ec.frame();
    const double master = param("stops").getDouble(f);
    const auto per = param("channelStops").getVec(f);
    float gain[3];
    for (int c = 0; c < 3; ++c)
        gain[c] = static_cast<float>(std::exp2(master + per[c]));
    return applyRgb(ec, *in, false, [&](float(&rgb)[3]) {
        for (int c = 0; c < 3; ++c)
            rgb[c] *= gain[c];
    });
}

} // namespace kinema::nodes
