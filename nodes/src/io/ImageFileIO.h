// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Reading and writing image files through OpenImageIO, with Kinema's channel and window conventions.
///
/// Reading: every channel comes in as float; the main layer's channels become R,G,B,A and other layers
/// keep "layer.C" names, with Nuke's long component names (red/green/blue/alpha) mapped to R/G/B/A. The
/// data window is kept, relative to the display window's origin. Resource limits are checked before any
/// pixel memory is allocated. Writing: EXR with Nuke/Resolve defaults (half, ZIP1), data window = the
/// image's data window, display window = its format, atomically (temp name, fsync, rename).
#include <filesystem>
#include <string>

#include "kinema/render/Image.h"

namespace kinema::nodes {

struct ImageReadLimits {
    std::int64_t maxPixels = std::int64_t(1) << 28; ///< 268 Mpixel per image
    int maxChannels = 1024;
    int maxDimension = 1 << 17;
};

/// Reads an image file. Throws std::runtime_error naming the file and the cause.
render::Image readImageFile(const std::filesystem::path& path, const ImageReadLimits& limits = {});

struct ExrWriteOptions {
    bool halfFloat = true;
    /// OpenEXR compression: none, rle, zips (ZIP1), zip (ZIP16), piz, pxr24, b44, b44a, dwaa, dwab.
    std::string compression = "zips";
    int dwaLevel = 45;
    /// Extra header attributes (strings and numbers) beyond the image's own metadata.
    render::Metadata extraMetadata;
};

/// Writes `image` as an OpenEXR file at `path` (atomically). Throws std::runtime_error on failure.
void writeExrFile(const render::Image& image, const std::filesystem::path& path,
                  const ExrWriteOptions& options);

} // namespace kinema::nodes
