// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Contact sheets of scene-linear clips: frames across, clips down, a caption under each row. Used by
/// kinema-scenes (training scenes) and kinema-eval (generated clips). Display encoding: a soft shoulder
/// above 0.8 keeps highlights readable, then the sRGB curve; the clips themselves stay scene-linear.
#include "kinema/scenes/Render.h"

#include <filesystem>
#include <string>
#include <vector>

namespace kinema::scenes {

struct SheetRow {
    Clip clip;
    std::string caption;
};

/// Display code value (0..255) of a scene-linear value on the sheet.
unsigned char sheetDisplayValue(float linear);

/// Writes a PNG of `columns` evenly spaced frames per row (the first and the last included). Rows may
/// have different frame counts but must share one frame size. Throws std::runtime_error naming `path`.
void writeContactSheet(const std::vector<SheetRow>& rows, int columns, const std::filesystem::path& path);

} // namespace kinema::scenes
