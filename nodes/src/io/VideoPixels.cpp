// SPDX-License-Identifier: Apache-2.0
#include "VideoPixels.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace kinema::nodes {

namespace {

struct CodeScale {
    double yOffset, yScale, cOffset, cScale, aScale, maxCode;
};

CodeScale codeScale(const YuvLayout& layout) {
    if (layout.bitDepth < 8 || layout.bitDepth > 16)
        throw std::invalid_argument("unsupported Y'CbCr bit depth " + std::to_string(layout.bitDepth));
    const double maxCode = std::ldexp(1.0, layout.bitDepth) - 1.0;
    const double unit = std::ldexp(1.0, layout.bitDepth - 8);
    if (layout.fullRange)
        return {0.0, maxCode, std::ldexp(1.0, layout.bitDepth - 1), maxCode, maxCode, maxCode};
    return {16.0 * unit, 219.0 * unit, 128.0 * unit, 224.0 * unit, maxCode, maxCode};
}

inline double sampleAt(const std::uint8_t* row, int x, bool wide) {
    if (wide)
        return reinterpret_cast<const std::uint16_t*>(row)[x];
    return row[x];
}

inline std::uint16_t quantise(double v, double maxCode) {
    return static_cast<std::uint16_t>(std::clamp(std::lround(v), 0L, static_cast<long>(maxCode)));
}

} // namespace

int YuvImage::planeWidth(int plane) const {
    return (plane == 1 || plane == 2) ? width >> layout.chromaShiftX : width;
}

int YuvImage::planeHeight(int plane) const {
    return (plane == 1 || plane == 2) ? height >> layout.chromaShiftY : height;
}

void yuvToRgb(const YuvPlanesView& src, const YuvLayout& layout, int width, int height,
              const RgbPlanes& dst) {
    if (layout.chromaShiftX < 0 || layout.chromaShiftX > 1 || layout.chromaShiftY < 0 ||
        layout.chromaShiftY > 1)
        throw std::invalid_argument("unsupported chroma subsampling");
    const CodeScale s = codeScale(layout);
    const bool wide = layout.bitDepth > 8;
    const double kr = layout.matrix.kr, kb = layout.matrix.kb, kg = 1.0 - kr - kb;
    const int cw = (width + (1 << layout.chromaShiftX) - 1) >> layout.chromaShiftX;
    const int ch = (height + (1 << layout.chromaShiftY) - 1) >> layout.chromaShiftY;
    std::vector<double> cbRow(static_cast<std::size_t>(cw)), crRow(static_cast<std::size_t>(cw));

    for (int y = 0; y < height; ++y) {
        // Vertical chroma position: 4:2:0 samples sit between luma rows 2j and 2j+1.
        int cy0 = y, cy1 = y;
        double fy = 0.0;
        if (layout.chromaShiftY == 1) {
            const double cy = std::max(0.0, (y - 0.5) / 2.0);
            cy0 = std::min(static_cast<int>(cy), ch - 1);
            cy1 = std::min(cy0 + 1, ch - 1);
            fy = cy - cy0;
        }
        const std::uint8_t* cb0 = src.data[1] + src.linesize[1] * cy0;
        const std::uint8_t* cb1 = src.data[1] + src.linesize[1] * cy1;
        const std::uint8_t* cr0 = src.data[2] + src.linesize[2] * cy0;
        const std::uint8_t* cr1 = src.data[2] + src.linesize[2] * cy1;
        for (int i = 0; i < cw; ++i) {
            cbRow[static_cast<std::size_t>(i)] =
                sampleAt(cb0, i, wide) * (1.0 - fy) + sampleAt(cb1, i, wide) * fy;
            crRow[static_cast<std::size_t>(i)] =
                sampleAt(cr0, i, wide) * (1.0 - fy) + sampleAt(cr1, i, wide) * fy;
        }
        const std::uint8_t* yRow = src.data[0] + src.linesize[0] * y;
        const std::uint8_t* aRow = layout.hasAlpha ? src.data[3] + src.linesize[3] * y : nullptr;
        float* r = dst.r + dst.stride * y;
        float* g = dst.g + dst.stride * y;
        float* b = dst.b + dst.stride * y;
        float* a = dst.a ? dst.a + dst.stride * y : nullptr;
        for (int x = 0; x < width; ++x) {
            double cb, cr;
            if (layout.chromaShiftX == 1) {
                // Horizontal chroma is co-sited with even luma columns.
                const int cx0 = x >> 1;
                const int cx1 = std::min(cx0 + 1, cw - 1);
                const double fx = (x & 1) ? 0.5 : 0.0;
                cb = cbRow[static_cast<std::size_t>(cx0)] * (1.0 - fx) +
                     cbRow[static_cast<std::size_t>(cx1)] * fx;
                cr = crRow[static_cast<std::size_t>(cx0)] * (1.0 - fx) +
                     crRow[static_cast<std::size_t>(cx1)] * fx;
            } else {
                cb = cbRow[static_cast<std::size_t>(x)];
                cr = crRow[static_cast<std::size_t>(x)];
            }
            const double yv = (sampleAt(yRow, x, wide) - s.yOffset) / s.yScale;
            const double pb = (cb - s.cOffset) / s.cScale;
            const double pr = (cr - s.cOffset) / s.cScale;
            const double rv = yv + 2.0 * (1.0 - kr) * pr;
            const double bv = yv + 2.0 * (1.0 - kb) * pb;
            const double gv = (yv - kr * rv - kb * bv) / kg;
            r[x] = static_cast<float>(rv);
            g[x] = static_cast<float>(gv);
            b[x] = static_cast<float>(bv);
            if (a)
                a[x] = aRow ? static_cast<float>(sampleAt(aRow, x, wide) / s.aScale) : 1.0f;
        }
    }
}

YuvImage rgbToYuv(const ConstRgbPlanes& src, int width, int height, const YuvLayout& layout) {
    if (layout.chromaShiftX < 0 || layout.chromaShiftX > 1 || layout.chromaShiftY < 0 ||
        layout.chromaShiftY > 1)
        throw std::invalid_argument("unsupported chroma subsampling");
    if (width <= 0 || height <= 0 || (width % (1 << layout.chromaShiftX)) != 0 ||
        (height % (1 << layout.chromaShiftY)) != 0)
        throw std::invalid_argument("image size " + std::to_string(width) + "x" + std::to_string(height) +
                                    " does not fit the chroma subsampling");
    const CodeScale s = codeScale(layout);
    const double kr = layout.matrix.kr, kb = layout.matrix.kb, kg = 1.0 - kr - kb;
    YuvImage out;
    out.width = width;
    out.height = height;
    out.layout = layout;
    const std::size_t n = static_cast<std::size_t>(width) * static_cast<std::size_t>(height);
    out.planes[0].resize(n);
    if (layout.hasAlpha)
        out.planes[3].resize(n);
    std::vector<double> pb(n), pr(n);
    for (int y = 0; y < height; ++y) {
        const float* r = src.r + src.stride * y;
        const float* g = src.g + src.stride * y;
        const float* b = src.b + src.stride * y;
        const float* a = src.a ? src.a + src.stride * y : nullptr;
        for (int x = 0; x < width; ++x) {
            const double rv = std::clamp(static_cast<double>(r[x]), 0.0, 1.0);
            const double gv = std::clamp(static_cast<double>(g[x]), 0.0, 1.0);
            const double bv = std::clamp(static_cast<double>(b[x]), 0.0, 1.0);
            const double yv = kr * rv + kg * gv + kb * bv;
            const std::size_t i =
                static_cast<std::size_t>(y) * static_cast<std::size_t>(width) + static_cast<std::size_t>(x);
            out.planes[0][i] = quantise(s.yOffset + yv * s.yScale, s.maxCode);
            pb[i] = (bv - yv) / (2.0 * (1.0 - kb));
            pr[i] = (rv - yv) / (2.0 * (1.0 - kr));
            if (layout.hasAlpha) {
                const double av = a ? std::clamp(static_cast<double>(a[x]), 0.0, 1.0) : 1.0;
                out.planes[3][i] = quantise(av * s.aScale, s.maxCode);
            }
        }
    }
    const int cw = width >> layout.chromaShiftX;
    const int ch = height >> layout.chromaShiftY;
    for (int p = 1; p <= 2; ++p) {
        const std::vector<double>& full = p == 1 ? pb : pr;
        auto& plane = out.planes[p];
        plane.resize(static_cast<std::size_t>(cw) * static_cast<std::size_t>(ch));
        auto at = [&](int x, int y) {
            x = std::clamp(x, 0, width - 1);
            return full[static_cast<std::size_t>(y) * static_cast<std::size_t>(width) +
                        static_cast<std::size_t>(x)];
        };
        auto horizontal = [&](int cx, int y) {
            if (layout.chromaShiftX == 0)
                return at(cx, y);
            const int x = cx * 2;
            return (at(x - 1, y) + 2.0 * at(x, y) + at(x + 1, y)) / 4.0;
        };
        for (int cy = 0; cy < ch; ++cy)
            for (int cx = 0; cx < cw; ++cx) {
                double v = layout.chromaShiftY == 1
                               ? 0.5 * (horizontal(cx, cy * 2) + horizontal(cx, cy * 2 + 1))
                               : horizontal(cx, cy);
                plane[static_cast<std::size_t>(cy) * static_cast<std::size_t>(cw) +
                      static_cast<std::size_t>(cx)] = quantise(s.cOffset + v * s.cScale, s.maxCode);
            }
    }
    return out;
}

} // namespace kinema::nodes
