// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Y'CbCr ↔ R'G'B' conversion for video I/O, in float, independent of FFmpeg.
///
/// Design note: video codecs carry non-linear (display-encoded) R'G'B' as Y'CbCr with subsampled chroma.
/// FFmpeg's swscale quantises through fixed-point paths, so the common planar layouts (4:2:0, 4:2:2, 4:4:4,
/// with or without alpha, 8 to 16 bits, limited or full range, BT.601/709/2020 matrices) are converted here
/// exactly in float. Chroma siting follows MPEG-2/H.264/ProRes defaults: co-sited with even luma columns
/// horizontally, centred between rows vertically for 4:2:0. Upsampling is linear; downsampling uses the
/// matching [1 2 1]/4 horizontal and 2-row box vertical filters. Alpha is always full range and straight.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace kinema::nodes {

/// Luma coefficients of a Y'CbCr matrix.
struct YuvMatrix {
    double kr = 0.2126;
    double kb = 0.0722;
    static YuvMatrix bt709() { return {0.2126, 0.0722}; }
    static YuvMatrix bt601() { return {0.299, 0.114}; }
    static YuvMatrix bt2020() { return {0.2627, 0.0593}; }
};

/// How samples are laid out and scaled.
struct YuvLayout {
    int bitDepth = 8;     ///< 8..16; samples wider than 8 bits are stored as native uint16
    int chromaShiftX = 1; ///< log2 of horizontal chroma subsampling (1 for 4:2:0 and 4:2:2)
    int chromaShiftY = 1; ///< log2 of vertical chroma subsampling (1 for 4:2:0)
    bool hasAlpha = false;
    bool fullRange = false;
    YuvMatrix matrix;
};

/// Read-only view of planar Y'CbCr(A) samples (planes 0..2 = Y, Cb, Cr, plane 3 = A).
struct YuvPlanesView {
    const std::uint8_t* data[4] = {nullptr, nullptr, nullptr, nullptr};
    std::ptrdiff_t linesize[4] = {0, 0, 0, 0}; ///< bytes per row
};

/// Owned planar Y'CbCr(A) samples (uint16 regardless of bit depth), the encoder's input.
struct YuvImage {
    int width = 0;
    int height = 0;
    YuvLayout layout;
    std::vector<std::uint16_t> planes[4];
    int planeWidth(int plane) const;
    int planeHeight(int plane) const;
};

/// Float planes of display-encoded R'G'B'A, row-major, `stride` floats between rows. `a` may be null.
struct RgbPlanes {
    float* r = nullptr;
    float* g = nullptr;
    float* b = nullptr;
    float* a = nullptr;
    std::ptrdiff_t stride = 0;
};
struct ConstRgbPlanes {
    const float* r = nullptr;
    const float* g = nullptr;
    const float* b = nullptr;
    const float* a = nullptr;
    std::ptrdiff_t stride = 0;
};

/// Converts planar Y'CbCr(A) to float R'G'B'A; alpha becomes 1 when the layout has none.
void yuvToRgb(const YuvPlanesView& src, const YuvLayout& layout, int width, int height, const RgbPlanes& dst);

/// Converts float R'G'B'A (values clipped to the code range) to planar Y'CbCr(A) in `layout`.
/// Width and height must be multiples of the chroma subsampling.
YuvImage rgbToYuv(const ConstRgbPlanes& src, int width, int height, const YuvLayout& layout);

} // namespace kinema::nodes
