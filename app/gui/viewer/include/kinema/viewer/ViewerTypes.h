// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Plain value types shared by the viewer widget and its users.
#include <array>

namespace kinema::viewer {

/// What the viewer shows of the image: all colour channels or one isolated channel as grey. Isolated
/// channels go through the same display transform as RGB (the value is copied to R, G and B first).
enum class ChannelMode { RGB, Red, Green, Blue, Alpha, Luminance };

/// How the A and B images are compared. Off shows A only; Wipe shows A left of the wipe line and B
/// right of it; SideBySide draws B to the right of A's format.
enum class CompareMode { Off, Wipe, SideBySide };

/// The result of probing the viewer at a position.
struct PixelProbe {
    bool valid = false;  ///< false outside every image's data window or without an image
    bool imageB = false; ///< the value comes from image B (wipe right side or side-by-side right half)
    int x = 0;           ///< absolute pixel column (image coordinates, y down)
    int y = 0;           ///< absolute pixel row
    std::array<float, 4> scene{};   ///< the pixel's RGBA in the working space, full resolution
    std::array<float, 4> display{}; ///< what the viewer displays for it, in display code values
};

} // namespace kinema::viewer
