// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Reading and writing image files with Kinema's channel and window conventions.
///
/// EXR goes through OpenEXR directly (ExrFile.h); DPX, TIFF, PNG, JPEG and the other formats OpenImageIO
/// knows go through OpenImageIO. Reading: every channel comes in as float; the main layer's channels
/// become R,G,B,A and other layers keep "layer.C" names, with the long component names (red/green/blue/
/// alpha) mapped to R/G/B/A. The data window is kept, relative to the display window's origin.
/// Single-channel files become R = G = B. Resource limits are applied before pixel memory is allocated.
/// Writing of non-EXR formats takes RGB(A) with straight (unassociated) alpha and the bit depth asked for.
#include <filesystem>
#include <string>

#include "kinema/render/Image.h"

namespace kinema::nodes {

struct ImageReadLimits {
    std::int64_t maxPixels = std::int64_t(1) << 28; ///< 268 Mpixel per image
    int maxChannels = 1024;
    int maxDimension = 1 << 17;
    std::int64_t maxBytes = std::int64_t(16) << 30;
};

/// What a read found besides the pixels.
struct ImageFileInfo {
    /// True when the file stores colour with straight (unassociated) alpha, e.g. PNG: the caller must
    /// premultiply after any colour conversion.
    bool straightAlpha = false;
    bool isExr = false;
};

/// Reads an image file. Throws std::runtime_error naming the file and the cause.
render::Image readImageFile(const std::filesystem::path& path, const ImageReadLimits& limits = {},
                            ImageFileInfo* info = nullptr);

enum class ImageFileType { Exr, Png, Jpeg, Tiff, Dpx };

/// The file type of an output path, from its extension (case-insensitive). Throws naming the path when
/// the extension is not one Kinema writes.
ImageFileType imageFileTypeFor(const std::filesystem::path& path);
const char* toString(ImageFileType type);

struct RasterWriteOptions {
    /// Bits per sample: 8, 10, 12, 16 (integer) or 32 (float); 0 = the format's default (PNG, JPEG 8,
    /// TIFF 16, DPX 10). Values the format cannot store are rejected.
    int bits = 0;
    /// JPEG quality 1–100.
    int quality = 95;
    /// Written as string attributes (software, graph hash...).
    render::Metadata attributes;
};

/// Whether files of `type` at `bits` per sample (0 = default) carry alpha. JPEG never does; neither do
/// 10- and 12-bit DPX (OpenImageIO 2.4 packs their fourth channel wrongly).
bool rasterKeepsAlpha(ImageFileType type, int bits);

/// Writes the R, G, B (and A when present and rasterKeepsAlpha) channels of `image`, display-referred values
/// in [0, 1] with straight alpha, as a PNG, JPEG, TIFF or DPX file at `path` (which may carry a temporary
/// name: `type` decides the format). Throws std::runtime_error naming `displayName` and the cause.
void writeRasterFile(const render::Image& image, const std::filesystem::path& path, ImageFileType type,
                     const RasterWriteOptions& options, const std::string& displayName);

} // namespace kinema::nodes
