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

inline std::uint16_t quantise(float v, float maxCode) {
    v = v < 0.0f ? 0.0f : (v > maxCode ? maxCode : v);
    return static_cast<std::uint16_t>(v + 0.5f);
}

/// Converts rows [y0, y1) with samples of type T (uint8 or native uint16).
template <typename T>
void yuvRowsToRgb(const YuvPlanesView& src, const YuvLayout& layout, int width, int height,
                  const RgbPlanes& dst) {
    const CodeScale s = codeScale(layout);
    const float kr = static_cast<float>(layout.matrix.kr), kb = static_cast<float>(layout.matrix.kb);
    const float kg = 1.0f - kr - kb;
    const float crToR = 2.0f * (1.0f - kr), cbToB = 2.0f * (1.0f - kb);
    const float cbToG = -kb * cbToB / kg, crToG = -kr * crToR / kg;
    const float yMul = 1.0f / static_cast<float>(s.yScale), yAdd = -static_cast<float>(s.yOffset / s.yScale);
    const float cMul = 1.0f / static_cast<float>(s.cScale), cAdd = -static_cast<float>(s.cOffset / s.cScale);
    const float aMul = 1.0f / static_cast<float>(s.aScale);
    const int cw = (width + (1 << layout.chromaShiftX) - 1) >> layout.chromaShiftX;
    const int ch = (height + (1 << layout.chromaShiftY) - 1) >> layout.chromaShiftY;
    // Chroma of one luma row at chroma resolution (normalised), then at luma resolution.
    std::vector<float> cbRow(static_cast<std::size_t>(cw)), crRow(static_cast<std::size_t>(cw));
    std::vector<float> cbFull(static_cast<std::size_t>(width)), crFull(static_cast<std::size_t>(width));
    auto rowOf = [&](int plane, int y) {
        return reinterpret_cast<const T*>(src.data[plane] +
                                          src.linesize[plane] * static_cast<std::ptrdiff_t>(y));
    };
    for (int y = 0; y < height; ++y) {
        // Vertical chroma position: 4:2:0 samples sit between luma rows 2j and 2j+1.
        int cy0 = y, cy1 = y;
        float fy = 0.0f;
        if (layout.chromaShiftY == 1) {
            const float cy = std::max(0.0f, (static_cast<float>(y) - 0.5f) * 0.5f);
            cy0 = std::min(static_cast<int>(cy), ch - 1);
            cy1 = std::min(cy0 + 1, ch - 1);
            fy = cy - static_cast<float>(cy0);
        }
        const T* cb0 = rowOf(1, cy0);
        const T* cb1 = rowOf(1, cy1);
        const T* cr0 = rowOf(2, cy0);
        const T* cr1 = rowOf(2, cy1);
        for (int i = 0; i < cw; ++i) {
            cbRow[static_cast<std::size_t>(i)] =
                (static_cast<float>(cb0[i]) * (1.0f - fy) + static_cast<float>(cb1[i]) * fy) * cMul + cAdd;
            crRow[static_cast<std::size_t>(i)] =
                (static_cast<float>(cr0[i]) * (1.0f - fy) + static_cast<float>(cr1[i]) * fy) * cMul + cAdd;
        }
        if (layout.chromaShiftX == 1) {
            // Horizontal chroma is co-sited with even luma columns.
            for (int x = 0; x < width; ++x) {
                const int c0 = x >> 1;
                if (x & 1) {
                    const int c1 = std::min(c0 + 1, cw - 1);
                    cbFull[static_cast<std::size_t>(x)] =
                        0.5f * (cbRow[static_cast<std::size_t>(c0)] + cbRow[static_cast<std::size_t>(c1)]);
                    crFull[static_cast<std::size_t>(x)] =
                        0.5f * (crRow[static_cast<std::size_t>(c0)] + crRow[static_cast<std::size_t>(c1)]);
                } else {
                    cbFull[static_cast<std::size_t>(x)] = cbRow[static_cast<std::size_t>(c0)];
                    crFull[static_cast<std::size_t>(x)] = crRow[static_cast<std::size_t>(c0)];
                }
            }
        } else {
            std::copy_n(cbRow.begin(), width, cbFull.begin());
            std::copy_n(crRow.begin(), width, crFull.begin());
        }
        const T* yRow = rowOf(0, y);
        const T* aRow = layout.hasAlpha ? rowOf(3, y) : nullptr;
        float* r = dst.r + dst.stride * y;
        float* g = dst.g + dst.stride * y;
        float* b = dst.b + dst.stride * y;
        const float* cb = cbFull.data();
        const float* cr = crFull.data();
        for (int x = 0; x < width; ++x) {
            const float yv = static_cast<float>(yRow[x]) * yMul + yAdd;
            r[x] = yv + crToR * cr[x];
            g[x] = yv + cbToG * cb[x] + crToG * cr[x];
            b[x] = yv + cbToB * cb[x];
        }
        if (dst.a) {
            float* a = dst.a + dst.stride * y;
            if (aRow)
                for (int x = 0; x < width; ++x)
                    a[x] = static_cast<float>(aRow[x]) * aMul;
            else
                std::fill_n(a, width, 1.0f);
        }
    }
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
    if (layout.bitDepth > 8)
        yuvRowsToRgb<std::uint16_t>(src, layout, width, height, dst);
    else
        yuvRowsToRgb<std::uint8_t>(src, layout, width, height, dst);
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
    const float kr = static_cast<float>(layout.matrix.kr), kb = static_cast<float>(layout.matrix.kb);
    const float kg = 1.0f - kr - kb;
    const float toPb = 1.0f / (2.0f * (1.0f - kb)), toPr = 1.0f / (2.0f * (1.0f - kr));
    const float yOffset = static_cast<float>(s.yOffset), yScale = static_cast<float>(s.yScale);
    const float cOffset = static_cast<float>(s.cOffset), cScale = static_cast<float>(s.cScale);
    const float aScale = static_cast<float>(s.aScale), maxCode = static_cast<float>(s.maxCode);
    YuvImage out;
    out.width = width;
    out.height = height;
    out.layout = layout;
    const std::size_t w = static_cast<std::size_t>(width);
    const std::size_t n = w * static_cast<std::size_t>(height);
    out.planes[0].resize(n);
    if (layout.hasAlpha)
        out.planes[3].resize(n);
    std::vector<float> pb(n), pr(n);
    auto unit = [](float v) { return v < 0.0f ? 0.0f : (v > 1.0f ? 1.0f : v); };
    for (int y = 0; y < height; ++y) {
        const float* r = src.r + src.stride * y;
        const float* g = src.g + src.stride * y;
        const float* b = src.b + src.stride * y;
        const float* a = src.a ? src.a + src.stride * y : nullptr;
        const std::size_t row = static_cast<std::size_t>(y) * w;
        std::uint16_t* yOut = out.planes[0].data() + row;
        float* pbRow = pb.data() + row;
        float* prRow = pr.data() + row;
        for (int x = 0; x < width; ++x) {
            const float rv = unit(r[x]), gv = unit(g[x]), bv = unit(b[x]);
            const float yv = kr * rv + kg * gv + kb * bv;
            yOut[x] = quantise(yOffset + yv * yScale, maxCode);
            pbRow[x] = (bv - yv) * toPb;
            prRow[x] = (rv - yv) * toPr;
        }
        if (layout.hasAlpha) {
            std::uint16_t* aOut = out.planes[3].data() + row;
            for (int x = 0; x < width; ++x)
                aOut[x] = quantise((a ? unit(a[x]) : 1.0f) * aScale, maxCode);
        }
    }
    const int cw = width >> layout.chromaShiftX;
    const int ch = height >> layout.chromaShiftY;
    std::vector<float> line(static_cast<std::size_t>(cw));
    for (int p = 1; p <= 2; ++p) {
        const std::vector<float>& full = p == 1 ? pb : pr;
        auto& plane = out.planes[p];
        plane.resize(static_cast<std::size_t>(cw) * static_cast<std::size_t>(ch));
        // Horizontal [1 2 1]/4 filter centred on even columns (co-sited), edges clamped.
        auto horizontal = [&](int y, float* dstLine, float weight, bool accumulate) {
            const float* in = full.data() + static_cast<std::size_t>(y) * w;
            for (int cx = 0; cx < cw; ++cx) {
                float v;
                if (layout.chromaShiftX == 0) {
                    v = in[cx];
                } else {
                    const int x = cx * 2;
                    const float left = in[x > 0 ? x - 1 : 0];
                    const float right = in[x + 1 < width ? x + 1 : width - 1];
                    v = 0.25f * (left + 2.0f * in[x] + right);
                }
                dstLine[cx] = accumulate ? dstLine[cx] + weight * v : weight * v;
            }
        };
        for (int cy = 0; cy < ch; ++cy) {
            if (layout.chromaShiftY == 1) {
                horizontal(cy * 2, line.data(), 0.5f, false);
                horizontal(cy * 2 + 1, line.data(), 0.5f, true);
            } else {
                horizontal(cy, line.data(), 1.0f, false);
            }
            std::uint16_t* outRow =
                plane.data() + static_cast<std::size_t>(cy) * static_cast<std::size_t>(cw);
            for (int cx = 0; cx < cw; ++cx)
                outRow[cx] = quantise(cOffset + line[static_cast<std::size_t>(cx)] * cScale, maxCode);
        }
    }
    return out;
}

} // namespace kinema::nodes
