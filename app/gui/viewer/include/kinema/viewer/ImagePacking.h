// SPDX-License-Identifier: Apache-2.0
#pragma once
/// CPU side of the viewer's texture upload: picks the channels to show from an Image and packs them
/// as interleaved RGBA float32, optionally box-filtered down by a proxy factor first.
#include <string>
#include <vector>

#include "kinema/render/Image.h"

namespace kinema::viewer {

/// Interleaved RGBA float32 pixels of an image's data window, possibly reduced by a proxy factor.
/// Row 0 is the top row of the data window (y down, like the Image).
struct PackedRgba {
    int width = 0;             ///< texels per row (ceil(dataWindow.width / proxy))
    int height = 0;            ///< rows (ceil(dataWindow.height / proxy))
    int proxy = 1;             ///< the factor actually used
    std::vector<float> pixels; ///< width × height × 4 floats
};

/// The channel names shown for a layer: {R, G, B, A} where each entry is a channel of `image` or
/// empty when missing. Layer "" is the main layer ("R", "G", "B", "A"); layer "diffuse" uses
/// "diffuse.R" and so on. A layer with a single colour channel (e.g. "Y" or "depth.Z") shows it in
/// all three colour slots.
std::vector<std::string> displayChannels(const render::Image& image, const std::string& layer);

/// Packs the layer's channels as RGBA. Missing colour channels read 0, a missing alpha reads 1.
/// proxy must be 1, 2 or 4 (others throw std::invalid_argument naming the value); each output texel
/// is the mean of the proxy × proxy block it covers (partial blocks at the edges average what exists).
PackedRgba packRgba(const render::Image& image, const std::string& layer = {}, int proxy = 1);

} // namespace kinema::viewer
