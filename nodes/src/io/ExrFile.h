// SPDX-License-Identifier: Apache-2.0
#pragma once
/// OpenEXR reading and writing through OpenEXR's own C++ API (planar float, no interleaving copies).
///
/// Writing follows the Nuke/Resolve conventions: display window = the format (0,0)–(w−1,h−1), data window
/// = the image's bounding box (overscan and negative origins kept), main-layer channels named R,G,B,A and
/// other layers "layer.R", optionally one part per layer (parts named after the layer, "rgba" for the main
/// layer). Reading accepts single-part and multipart files, any data window, and the long component
/// spellings (".red") as well as the short ones. OpenEXR's maximum image and tile sizes are set before a
/// header is parsed so that a damaged header cannot make the library allocate unbounded memory.
#include <array>
#include <filesystem>
#include <optional>
#include <string>

#include "kinema/render/Image.h"

namespace kinema::nodes {

enum class ExrCompression { None, Rle, Zip1, Zip16, Piz, Pxr24, B44, B44a, Dwaa, Dwab };

/// Parses "none", "rle", "zip1", "zip16", "piz", "pxr24", "b44", "b44a", "dwaa", "dwab".
ExrCompression exrCompressionFromName(const std::string& name);
const char* toString(ExrCompression c);

struct ExrWriteOptions {
    bool halfFloat = true;
    ExrCompression compression = ExrCompression::Zip1;
    float dwaLevel = 45.0f;
    /// One part per layer (parts named after their layer, "rgba" for the main layer).
    bool multipart = false;
    /// ST 2065-4 container: forces no compression, half RGB(A) only (missing RGB written black) and
    /// acesImageContainerFlag = 1. The caller provides AP0 chromaticities and AP0 pixel values.
    bool acesContainer = false;
    /// Chromaticities (rx, ry, gx, gy, bx, by, wx, wy); not written when absent.
    std::optional<std::array<double, 8>> chromaticities;
    /// framesPerSecond (written as the exact rational for 23.976, 29.97...); 0 = not written.
    double fps = 0.0;
    /// Frame number for the timeCode attribute (at the nominal rate of fps); absent = not written.
    std::optional<long long> timeCodeFrame;
    /// Further attributes (strings, numbers, number lists) written under their keys.
    render::Metadata attributes;
};

/// Writes `image` to `path` (the caller handles atomic replacement). Throws std::runtime_error naming
/// `displayName` and the cause.
void writeExr(const render::Image& image, const std::filesystem::path& path, const ExrWriteOptions& options,
              const std::string& displayName);

struct ExrReadLimits {
    int maxDimension = 1 << 17;
    std::int64_t maxPixels = std::int64_t(1) << 28;
    int maxChannels = 1024;
    int maxParts = 1024;
    std::int64_t maxBytes = std::int64_t(16) << 30;
};

/// Reads every part of an EXR file into one image (channels of later parts that repeat a name are
/// dropped). Header attributes become metadata: strings, numbers, "chromaticities" (8 numbers),
/// "framesPerSecond" (a number), "timeCode" ("hh:mm:ss:ff"), "exr/compression". Throws std::runtime_error
/// naming the file.
render::Image readExr(const std::filesystem::path& path, const ExrReadLimits& limits = {});

/// True when the file starts with the OpenEXR magic number.
bool looksLikeExr(const std::filesystem::path& path);

/// Maps a channel name as found in files to Kinema's spelling: "diffuse.red" → "diffuse.R", "rgba.R" and
/// "r" → "R"; others unchanged.
std::string normaliseChannelName(const std::string& name);

} // namespace kinema::nodes
