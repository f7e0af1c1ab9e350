// SPDX-License-Identifier: Apache-2.0
#include "ContactSheet.h"

#include <OpenImageIO/imagebuf.h>
#include <OpenImageIO/imagebufalgo.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace kinema::scenes {

namespace OIIO = OIIO_NAMESPACE;

unsigned char sheetDisplayValue(float linear) {
    float v = std::max(linear, 0.0f);
    if (v > 0.8f)
        v = 0.8f + 0.2f * (1.0f - std::exp(-(v - 0.8f) / 0.2f));
    v = v <= 0.0031308f ? 12.92f * v : 1.055f * std::pow(v, 1.0f / 2.4f) - 0.055f;
    return static_cast<unsigned char>(std::clamp(v * 255.0f + 0.5f, 0.0f, 255.0f));
}

void writeContactSheet(const std::vector<SheetRow>& rows, int columns, const std::filesystem::path& path) {
    if (rows.empty() || columns < 1)
        return;
    const int W = rows[0].clip.width, H = rows[0].clip.height, gap = 2, text = 16;
    for (const auto& row : rows)
        if (row.clip.width != W || row.clip.height != H || row.clip.frames < 1)
            throw std::runtime_error(path.string() + ": contact sheet rows must share one frame size");
    const int sheetW = columns * (W + gap) + gap, rowH = H + gap + text;
    const int sheetH = static_cast<int>(rows.size()) * rowH + gap;
    OIIO::ImageBuf sheet(OIIO::ImageSpec(sheetW, sheetH, 3, OIIO::TypeDesc::UINT8));
    const float grey[3] = {0.12f, 0.12f, 0.12f};
    OIIO::ImageBufAlgo::fill(sheet, grey);
    bool textWorks = true;
    for (std::size_t r = 0; r < rows.size(); ++r) {
        const Clip& clip = rows[r].clip;
        for (int c = 0; c < columns; ++c) {
            const int f = columns > 1
                              ? static_cast<int>(std::lround(double(c) * (clip.frames - 1) / (columns - 1)))
                              : 0;
            std::vector<unsigned char> tile(std::size_t(W) * std::size_t(H) * 3);
            const float* rgb = clip.frame(f);
            for (std::size_t i = 0; i < tile.size(); ++i)
                tile[i] = sheetDisplayValue(rgb[i]);
            const int x0 = gap + c * (W + gap), y0 = gap + static_cast<int>(r) * rowH;
            sheet.set_pixels(OIIO::ROI(x0, x0 + W, y0, y0 + H, 0, 1, 0, 3), OIIO::TypeDesc::UINT8,
                             tile.data());
        }
        if (textWorks) {
            const float white[3] = {0.9f, 0.9f, 0.9f};
            textWorks = OIIO::ImageBufAlgo::render_text(sheet, gap + 2,
                                                        gap + static_cast<int>(r) * rowH + H + text - 3,
                                                        rows[r].caption, 12, "DejaVuSans", white);
        }
    }
    if (!sheet.write(path.string()))
        throw std::runtime_error(path.string() + ": cannot write the contact sheet (" + sheet.geterror() +
                                 ")");
}

} // namespace kinema::scenes
