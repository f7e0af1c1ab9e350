// SPDX-License-Identifier: Apache-2.0
#include "comp/Merge.h"

#include <algorithm>
#include <cmath>

#include "comp/ImageOps.h"

namespace kinema::nodes {

using namespace graph;

namespace {

enum class Op {
    Over,
    Under,
    Plus,
    Multiply,
    Screen,
    Difference,
    Max,
    Min,
    In,
    Out,
    Atop,
    Xor,
    Mask,
    Stencil
};

const std::vector<std::string> kOpNames{"over",       "under", "plus", "multiply", "screen",
                                        "difference", "max",   "min",  "in",       "out",
                                        "atop",       "xor",   "mask", "stencil"};

/// One channel of the operation: A and B values, a and b alphas.
inline float apply(Op op, float A, float B, float a, float b) {
    switch (op) {
    case Op::Over:
        return A + B * (1.0f - a);
    case Op::Under:
        return A * (1.0f - b) + B;
    case Op::Plus:
        return A + B;
    case Op::Multiply:
        return A * B;
    case Op::Screen:
        return A + B - A * B;
    case Op::Difference:
        return std::fabs(A - B);
    case Op::Max:
        return std::max(A, B);
    case Op::Min:
        return std::min(A, B);
    case Op::In:
        return A * b;
    case Op::Out:
        return A * (1.0f - b);
    case Op::Atop:
        return A * b + B * (1.0f - a);
    case Op::Xor:
        return A * (1.0f - b) + B * (1.0f - a);
    case Op::Mask:
        return B * a;
    case Op::Stencil:
        return B * (1.0f - a);
    }
    return B;
}

/// Where the operation's result can be non-zero.
Box2i opWindow(Op op, const Box2i& a, const Box2i& b) {
    switch (op) {
    case Op::Multiply:
    case Op::In:
    case Op::Mask:
        return a.intersect(b);
    case Op::Out:
        return a;
    case Op::Atop:
    case Op::Stencil:
        return b;
    default:
        return a.unite(b);
    }
}

} // namespace

Merge::Merge()
    : ImageNode({"Merge", 1, "Merge", "Composites A onto B (over, plus, multiply, in, out...)."}) {
    addInput({"B", PlugType::Image, false, "B (background)"});
    addInput({"A", PlugType::Image, true, "A (foreground)"});
    addParam(ops::enumSpec("operation", kOpNames, 0, "How A combines with B (premultiplied formulas)."));
    auto mix = ops::floatSpec("mix", 1.0, 0.0, 1.0, "Blend between B (0) and the operation's result (1).");
    mix.metadata.minimum = 0.0;
    mix.metadata.maximum = 1.0;
    addParam(mix);
}

render::ImagePtr Merge::compute(const render::EvalContext& ec) const {
    render::ImagePtr bImg = ec.pullInput(kB);
    render::ImagePtr aImg = ec.pullInput(kA);
    if (!aImg)
        return bImg;
    const Op op = static_cast<Op>(param("operation").getInt(ec.frame()));
    const float mix = static_cast<float>(param("mix").getDouble(ec.frame()));
    if (mix <= 0.0f)
        return bImg;

    const render::Image& A = *aImg;
    const render::Image& B = *bImg;
    Box2i window = opWindow(op, A.dataWindow(), B.dataWindow());
    if (mix < 1.0f)
        window = window.unite(B.dataWindow());
    const auto channels = ops::unionChannels(B, A);
    auto out = ops::newImage(B.format(), window, channels, &B);
    if (window.empty())
        return out;

    const float* aAlpha = A.findChannel("A");
    const float* bAlpha = B.findChannel("A");
    const Box2i& aw = A.dataWindow();
    const Box2i& bw = B.dataWindow();
    const int w = window.width();
    std::vector<const float*> aPlanes, bPlanes;
    std::vector<float*> outPlanes;
    for (const auto& c : channels) {
        aPlanes.push_back(A.findChannel(c));
        bPlanes.push_back(B.findChannel(c));
        outPlanes.push_back(out->channel(c));
    }

    ops::forEachRow(ec, window, [&](int y) {
        const bool aRow = y >= aw.y0 && y < aw.y1;
        const bool bRow = y >= bw.y0 && y < bw.y1;
        // Per-row alpha of each input across the output window.
        std::vector<float> ra(static_cast<std::size_t>(w), 0.0f), rb(static_cast<std::size_t>(w), 0.0f);
        auto fetch = [&](const float* plane, const Box2i& pw, bool inRow, std::vector<float>& dst) {
            std::fill(dst.begin(), dst.end(), 0.0f);
            if (!plane || !inRow)
                return;
            const int x0 = std::max(pw.x0, window.x0), x1 = std::min(pw.x1, window.x1);
            for (int x = x0; x < x1; ++x)
                dst[static_cast<std::size_t>(x - window.x0)] = plane[ops::pixelIndex(pw, x, y)];
        };
        fetch(aAlpha, aw, aRow, ra);
        fetch(bAlpha, bw, bRow, rb);
        std::vector<float> va(static_cast<std::size_t>(w)), vb(static_cast<std::size_t>(w));
        for (std::size_t c = 0; c < channels.size(); ++c) {
            fetch(aPlanes[c], aw, aRow, va);
            fetch(bPlanes[c], bw, bRow, vb);
            float* dst = outPlanes[c] + ops::pixelIndex(window, window.x0, y);
            for (int i = 0; i < w; ++i) {
                const auto k = static_cast<std::size_t>(i);
                const float r = apply(op, va[k], vb[k], ra[k], rb[k]);
                dst[i] = mix >= 1.0f ? r : vb[k] + mix * (r - vb[k]);
            }
        }
    });
    return out;
}

} // namespace kinema::nodes
