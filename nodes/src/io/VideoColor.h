// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Colour management for video I/O: which OCIO config and colour spaces a clip uses, and conversion of
/// images between the working space and a video's display encoding.
///
/// Video stores display-referred R'G'B' (BT.709 primaries, BT.1886 gamma 2.4 for Rec.709 video). A reader
/// converts it to the scene-linear working space with OCIO (in the shipped config through the colorimetric
/// "Un-tone-mapped" view transform, so the round trip working space → video → working space is exact up to
/// quantisation), and a writer converts the working space back to the display encoding.
#include <string>

#include "FFmpegReader.h"
#include "kinema/color/Config.h"
#include "kinema/graph/Graph.h"
#include "kinema/render/Image.h"

namespace kinema::nodes {

/// The colour space name of Rec.709 video in the shipped config (also used by the ACES studio configs).
inline constexpr const char* kRec709VideoSpace = "Rec.1886 Rec.709 - Display";

/// The OCIO config of a project ($OCIO, the project's setting, else the shipped config), loaded once per
/// file and modification time. Throws color::ColorError.
color::ConfigHandle videoColorConfig(const graph::ProjectSettings& project);
/// The project's working space when the config defines it, else the config's scene_linear role.
std::string videoWorkingSpace(const color::ConfigHandle& config, const graph::ProjectSettings& project);
/// The colour space a video's tags call for: BT.709/BT.601 transfer (or none) with BT.709 primaries (or
/// none) → Rec.709 video; sRGB transfer → "sRGB - Display"; anything else, or a name the config lacks →
/// the config's file rules for `path`.
std::string videoColorSpaceFromTags(const color::ConfigHandle& config, const VideoStreamInfo& info,
                                    const std::string& path);
/// Converts the R, G, B channels of `image` (A carried) from one colour space to another, in place. No-op
/// when the spaces are equal or either is a data space.
void convertVideoColor(const color::ConfigHandle& config, const std::string& from, const std::string& to,
                       render::Image& image);

} // namespace kinema::nodes
