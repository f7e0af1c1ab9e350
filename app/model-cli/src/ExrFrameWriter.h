// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Writing generated frames as EXR files, atomically (temporary name in the same folder, then rename).
#include <kinema/diffusion/Session.h>

#include <filesystem>

namespace kinema::modelcli {

/// Writes `image` (RGB in [-1, 1] as decoded) to `path` as a half-float RGBA EXR with alpha 1: scene-linear
/// values for a native-HDR model (pixel encoding "acescct-linear-rec709"), else the display code values
/// (v + 1) / 2. Throws std::runtime_error naming the file on failure; never leaves a partial file under
/// the final name.
void writeExrFrame(const std::filesystem::path& path, const diffusion::Image& image,
                   const std::string& pixelEncoding);

} // namespace kinema::modelcli
