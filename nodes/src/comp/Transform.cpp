// SPDX-License-Identifier: Apache-2.0
#include "comp/Transform.h"

#include <array>
#include <cmath>
#include <numbers>

#include "comp/ImageOps.h"

namespace kinema::nodes {

using namespace graph;

namespace {

enum class Filter { Impulse, Bilinear, Cubic, Lanczos3 };
const std::vector<std::string> kFilters{"impulse", "bilinear", "cubic", "lanczos3"};

/// x' = m[0]·x + m[1]·y + m[2]; y' = m[3]·x + m[4]·y + m[5].
using Affine = std::array<double, 6>;

Affine multiply(const Affine& a, const Affine& b) {
    return {a[0] * b[0] + a[1] * b[3], a[0] * b[1] + a[1] * b[4], a[0] * b[2] + a[1] * b[5] + a[2],
            a[3] * b[0] + a[4] * b[3], a[3] * b[1] + a[4] * b[4], a[3] * b[2] + a[4] * b[5] + a[5]};
}

Affine invert(const Affine& m, const std::string& what) {
    const double det = m[0] * m[4] - m[1] * m[3];
    if (std::fabs(det) < 1e-12)
        throw std::runtime_error(what + ": the transform is singular (a scale of 0?)");
    const double i = 1.0 / det;
    const double a = m[4] * i, b = -m[1] * i, d = -m[3] * i, e = m[0] * i;
    return {a, b, -(a * m[2] + b * m[5]), d, e, -(d * m[2] + e * m[5])};
}

double radius(Filter f) {
    switch (f) {
    case Filter::Impulse:
        return 0.0;
    case Filter::Bilinear:
        return 1.0;
    case Filter::Cubic:
        return 2.0;
    case Filter::Lanczos3:
        return 3.0;
    }
    return 1.0;
}

double kernel(Filter f, double x) {
    const double ax = std::fabs(x);
    switch (f) {
    case Filter::Impulse:
        return ax < 0.5 ? 1.0 : 0.0;
    case Filter::Bilinear:
        return ax < 1.0 ? 1.0 - ax : 0.0;
    case Filter::Cubic: // Keys, a = −0.5 (Catmull-Rom)
        if (ax < 1.0)
            return (1.5 * ax - 2.5) * ax * ax + 1.0;
        if (ax < 2.0)
            return ((-0.5 * ax + 2.5) * ax - 4.0) * ax + 2.0;
        return 0.0;
    case Filter::Lanczos3: {
        if (ax < 1e-9)
            return 1.0;
        if (ax >= 3.0)
            return 0.0;
        const double px = std::numbers::pi * ax;
        return 3.0 * std::sin(px) * std::sin(px / 3.0) / (px * px);
    }
    }
    return 0.0;
}

/// Resamples `src` through `forward` (input → output pixel coordinates) into a new image of `format`.
render::ImagePtr resample(const render::EvalContext& ec, const render::Image& src, const Affine& forward,
                          Filter filter, const Format& format, const std::string& what) {
    const Affine inv = invert(forward, what);
    const Box2i& iw = src.dataWindow();
    if (iw.empty())
        return ops::newImage(format, {}, src.channelNames(), &src);
    // Bounding box of the mapped input window.
    double minX = 1e300, minY = 1e300, maxX = -1e300, maxY = -1e300;
    for (int cx : {iw.x0, iw.x1})
        for (int cy : {iw.y0, iw.y1}) {
            const double x = forward[0] * cx + forward[1] * cy + forward[2];
            const double y = forward[3] * cx + forward[4] * cy + forward[5];
            minX = std::min(minX, x), maxX = std::max(maxX, x), minY = std::min(minY, y),
            maxY = std::max(maxY, y);
        }
    const int pad = static_cast<int>(std::ceil(radius(filter)));
    constexpr double kLimit = 1 << 20;
    auto clampCoord = [&](double v) { return static_cast<int>(std::clamp(v, -kLimit, kLimit)); };
    const Box2i ow{clampCoord(std::floor(minX + 1e-6)) - pad, clampCoord(std::floor(minY + 1e-6)) - pad,
                   clampCoord(std::ceil(maxX - 1e-6)) + pad, clampCoord(std::ceil(maxY - 1e-6)) + pad};
    const auto channels = src.channelNames();
    auto out = ops::newImage(format, ow, channels, &src);
    std::vector<const float*> inPlanes;
    std::vector<float*> outPlanes;
    for (const auto& c : channels) {
        inPlanes.push_back(src.channel(c));
        outPlanes.push_back(out->channel(c));
    }
    // Kernel widening for minification, per input axis.
    const double fx = std::max(1.0, std::hypot(inv[0], inv[1]));
    const double fy = std::max(1.0, std::hypot(inv[3], inv[4]));
    const double rx = radius(filter) * fx, ry = radius(filter) * fy;

    ops::forEachRow(ec, ow, [&](int y) {
        std::vector<double> wx, wy;
        for (int x = ow.x0; x < ow.x1; ++x) {
            const double ox = x + 0.5, oy = y + 0.5;
            const double u = inv[0] * ox + inv[1] * oy + inv[2];
            const double v = inv[3] * ox + inv[4] * oy + inv[5];
            const std::size_t o = ops::pixelIndex(ow, x, y);
            if (filter == Filter::Impulse) {
                const int ix = static_cast<int>(std::floor(u)), iy = static_cast<int>(std::floor(v));
                if (iw.contains(ix, iy)) {
                    const std::size_t i = ops::pixelIndex(iw, ix, iy);
                    for (std::size_t c = 0; c < channels.size(); ++c)
                        outPlanes[c][o] = inPlanes[c][i];
                }
                continue;
            }
            // Input pixel i has its centre at i + ½.
            const int i0 = static_cast<int>(std::ceil(u - 0.5 - rx)),
                      i1 = static_cast<int>(std::floor(u - 0.5 + rx));
            const int j0 = static_cast<int>(std::ceil(v - 0.5 - ry)),
                      j1 = static_cast<int>(std::floor(v - 0.5 + ry));
            if (i1 < iw.x0 || i0 >= iw.x1 || j1 < iw.y0 || j0 >= iw.y1)
                continue;
            wx.assign(static_cast<std::size_t>(i1 - i0 + 1), 0.0);
            wy.assign(static_cast<std::size_t>(j1 - j0 + 1), 0.0);
            double sx = 0.0, sy = 0.0;
            for (int i = i0; i <= i1; ++i)
                sx += wx[static_cast<std::size_t>(i - i0)] = kernel(filter, (i + 0.5 - u) / fx);
            for (int j = j0; j <= j1; ++j)
                sy += wy[static_cast<std::size_t>(j - j0)] = kernel(filter, (j + 0.5 - v) / fy);
            if (sx == 0.0 || sy == 0.0)
                continue;
            const int a0 = std::max(i0, iw.x0), a1 = std::min(i1, iw.x1 - 1);
            const int b0 = std::max(j0, iw.y0), b1 = std::min(j1, iw.y1 - 1);
            const double norm = 1.0 / (sx * sy);
            for (std::size_t c = 0; c < channels.size(); ++c) {
                double acc = 0.0;
                for (int j = b0; j <= b1; ++j) {
                    const float* row = inPlanes[c] + ops::pixelIndex(iw, iw.x0, j);
                    double rowAcc = 0.0;
                    for (int i = a0; i <= a1; ++i)
                        rowAcc += wx[static_cast<std::size_t>(i - i0)] * row[i - iw.x0];
                    acc += wy[static_cast<std::size_t>(j - j0)] * rowAcc;
                }
                outPlanes[c][o] = static_cast<float>(acc * norm);
            }
        }
    });
    return out;
}

} // namespace

Transform::Transform()
    : ImageNode({"Transform", 1, "Transform", "Translate, rotate and scale."}) {
    addInput({"input", PlugType::Image, false, "Input"});
    addParam(ops::float2Spec("translate", 0.0, 0.0, "Offset in pixels (x right, y down)."));
    addParam(ops::floatSpec("rotate", 0.0, -180.0, 180.0, "Degrees, counter-clockwise on screen."));
    addParam(ops::float2Spec("scale", 1.0, 1.0, "Scale factors about the centre."));
    addParam(ops::float2Spec("center", 0.0, 0.0, "Pivot of rotation and scale, in pixels."));
    addParam(ops::enumSpec("filter", kFilters, 2, "Resampling filter."));
}

render::ImagePtr Transform::compute(const render::EvalContext& ec) const {
    auto in = ec.pullInput(0);
    const double f = ec.frame();
    const auto t = param("translate").getVec(f);
    const auto s = param("scale").getVec(f);
    const auto c = param("center").getVec(f);
    const double theta = param("rotate").getDouble(f) * std::numbers::pi / 180.0;
    const double cs = std::cos(theta), sn = std::sin(theta);
    // Around the centre: scale, then rotate (y down, so counter-clockwise on screen uses +sin in x').
    Affine m{1, 0, -c[0], 0, 1, -c[1]};
    m = multiply(Affine{s[0], 0, 0, 0, s[1], 0}, m);
    m = multiply(Affine{cs, sn, 0, -sn, cs, 0}, m);
    m = multiply(Affine{1, 0, c[0] + t[0], 0, 1, c[1] + t[1]}, m);
    const auto filter = static_cast<Filter>(param("filter").getInt(f));
    const bool identity = m == Affine{1, 0, 0, 0, 1, 0};
    if (identity)
        return in;
    return resample(ec, *in, m, filter, in->format(), paramPath("scale"));
}

Reformat::Reformat()
    : ImageNode({"Reformat", 1, "Transform", "Resize to another format."}) {
    addInput({"input", PlugType::Image, false, "Input"});
    auto w = ops::intSpec("width", 0, "Output width; 0 uses the project format.");
    w.metadata.minimum = 0;
    w.metadata.maximum = 65536;
    addParam(w);
    auto h = ops::intSpec("height", 0, "Output height; 0 uses the project format.");
    h.metadata.minimum = 0;
    h.metadata.maximum = 65536;
    addParam(h);
    addParam(ops::enumSpec("resize", {"none", "fit", "fill", "distort"}, 1,
                           "How the image is scaled to the format."));
    addParam(ops::enumSpec("filter", kFilters, 2, "Resampling filter."));
}

render::ImagePtr Reformat::compute(const render::EvalContext& ec) const {
    auto in = ec.pullInput(0);
    const double f = ec.frame();
    Format format = ec.project().format;
    const auto w = param("width").getInt(f), h = param("height").getInt(f);
    if (w > 0 && h > 0) {
        format.width = static_cast<int>(w);
        format.height = static_cast<int>(h);
        format.name.clear();
    }
    const Format& src = in->format();
    if (src.width <= 0 || src.height <= 0)
        throw std::runtime_error(paramPath("resize") + ": the input format is empty");
    double sx = static_cast<double>(format.width) / src.width;
    double sy = static_cast<double>(format.height) / src.height;
    switch (param("resize").getInt(f)) {
    case 0:
        sx = sy = 1.0;
        break;
    case 1:
        sx = sy = std::min(sx, sy);
        break;
    case 2:
        sx = sy = std::max(sx, sy);
        break;
    default:
        break;
    }
    const double tx = (format.width - src.width * sx) * 0.5;
    const double ty = (format.height - src.height * sy) * 0.5;
    const Affine m{sx, 0, tx, 0, sy, ty};
    if (m == Affine{1, 0, 0, 0, 1, 0}) {
        auto out = std::make_shared<render::Image>(*in);
        out->setFormat(format);
        return out;
    }
    return resample(ec, *in, m, static_cast<Filter>(param("filter").getInt(f)), format, paramPath("resize"));
}

} // namespace kinema::nodes
