// SPDX-License-Identifier: Apache-2.0
#pragma once
/// The scene renderer: a SceneSpec becomes a clip of scene-linear RGB float frames (Rec.709 primaries,
/// linear light). Skies and emissive objects exceed 1.0. Objects are anti-aliased with 4x4 supersampling,
/// shaded by a dome normal towards the light and tinted by the light temperature. Rendering is
/// deterministic: the same spec and settings give bit-identical frames.
#include "kinema/scenes/SceneSpec.h"

#include <array>
#include <cstddef>
#include <vector>

namespace kinema::scenes {

/// Frames of interleaved RGB floats: frame-major, then rows top to bottom, then pixels left to right.
struct Clip {
    int width = 0;
    int height = 0;
    int frames = 0;
    double fps = 16.0;
    std::vector<float> rgb;

    std::size_t frameFloats() const { return std::size_t(width) * std::size_t(height) * 3; }
    float* frame(int index) { return rgb.data() + std::size_t(index) * frameFloats(); }
    const float* frame(int index) const { return rgb.data() + std::size_t(index) * frameFloats(); }
};

struct RenderSettings {
    int width = 128;
    int height = 128;
    int frames = 17;
    double fps = 16.0;
    /// Frames are samples of a longer timeline: frame f shows time (firstFrame + f) / (timelineFrames - 1).
    /// timelineFrames 0 means `frames`. Rendering frames 0-16 and 16-32 of a 33-frame timeline gives two
    /// clips that continue each other.
    int firstFrame = 0;
    int timelineFrames = 0;
    int supersampling = 4; ///< per axis, 1 to 8
};

/// Renders a clip; throws SceneError on an invalid spec or settings (sizes from 8 to 4096, 1 to 1024 frames).
Clip render(const SceneSpec& spec, const RenderSettings& settings = {});

/// Linear RGB reflectance of a named colour (an emissive object uses it scaled to a maximum of 1).
std::array<float, 3> linearColour(Colour colour);

/// Multiplier of the light colour for a temperature.
std::array<float, 3> lightTint(Temperature temperature);

/// Background radiance at a world point (no objects), scene-linear. `pixelScale` is the size of one
/// pixel in world units, used for the extent of stars.
std::array<float, 3> backgroundAt(const SceneSpec& spec, double x, double y, double pixelScale);

} // namespace kinema::scenes
