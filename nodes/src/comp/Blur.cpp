// SPDX-License-Identifier: Apache-2.0
#include "comp/Blur.h"

#include <cmath>

#include "comp/ImageOps.h"

namespace kinema::nodes {

using namespace graph;

namespace {

/// Normalised Gaussian weights for offsets −r..r.
std::vector<float> gaussianKernel(double sigma) {
    if (sigma <= 0.0)
        return {1.0f};
    const int r = static_cast<int>(std::ceil(3.0 * sigma));
    std::vector<double> w(static_cast<std::size_t>(2 * r + 1));
    double sum = 0.0;
    for (int i = -r; i <= r; ++i)
        sum += w[static_cast<std::size_t>(i + r)] = std::exp(-0.5 * i * i / (sigma * sigma));
    std::vector<float> out(w.size());
    for (std::size_t i = 0; i < w.size(); ++i)
        out[i] = static_cast<float>(w[i] / sum);
    return out;
}

} // namespace

Blur::Blur()
    : ImageNode({"Blur", 1, "Filter", "Separable Gaussian blur."}) {
    addInput({"input", PlugType::Image, false, "Input"});
    auto size = ops::float2Spec("size", 2.0, 2.0, "Standard deviation in pixels (x, y).");
    size.metadata.minimum = 0.0;
    size.metadata.maximum = 1000.0;
    size.metadata.softMaximum = 50.0;
    addParam(size);
}

render::ImagePtr Blur::compute(const render::EvalContext& ec) const {
    auto in = ec.pullInput(0);
    const auto size = param("size").getVec(ec.frame());
    const auto kx = gaussianKernel(size[0]);
    const auto ky = gaussianKernel(size[1]);
    if (kx.size() == 1 && ky.size() == 1)
        return in;
    const int rx = static_cast<int>(kx.size() / 2), ry = static_cast<int>(ky.size() / 2);
    const Box2i& iw = in->dataWindow();
    if (iw.empty())
        return in;
    const Box2i mid{iw.x0 - rx, iw.y0, iw.x1 + rx, iw.y1};
    const Box2i ow{iw.x0 - rx, iw.y0 - ry, iw.x1 + rx, iw.y1 + ry};
    auto out = ops::newImage(in->format(), ow, in->channelNames(), in.get());
    std::vector<float> tmp(static_cast<std::size_t>(mid.area()));
    for (const auto& c : in->channelNames()) {
        const float* src = in->channel(c);
        // Horizontal pass into tmp (covers mid).
        ops::forEachRow(ec, mid, [&](int y) {
            const float* row = src + ops::pixelIndex(iw, iw.x0, y);
            float* dst = tmp.data() + ops::pixelIndex(mid, mid.x0, y);
            for (int x = mid.x0; x < mid.x1; ++x) {
                const int a = std::max(iw.x0, x - rx), b = std::min(iw.x1 - 1, x + rx);
                float sum = 0.0f;
                for (int s = a; s <= b; ++s)
                    sum += kx[static_cast<std::size_t>(s - x + rx)] * row[s - iw.x0];
                dst[x - mid.x0] = sum;
            }
        });
        // Vertical pass into the output.
        float* plane = out->channel(c);
        ops::forEachRow(ec, ow, [&](int y) {
            float* dst = plane + ops::pixelIndex(ow, ow.x0, y);
            std::fill(dst, dst + ow.width(), 0.0f);
            const int a = std::max(mid.y0, y - ry), b = std::min(mid.y1 - 1, y + ry);
            for (int s = a; s <= b; ++s) {
                const float w = ky[static_cast<std::size_t>(s - y + ry)];
                const float* row = tmp.data() + ops::pixelIndex(mid, mid.x0, s);
                for (int i = 0; i < ow.width(); ++i)
                    dst[i] += w * row[i];
            }
        });
    }
    return out;
}

} // namespace kinema::nodes
