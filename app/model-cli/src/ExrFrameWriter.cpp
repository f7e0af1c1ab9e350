// SPDX-License-Identifier: Apache-2.0
#include "ExrFrameWriter.h"

#include <kinema/diffusion/PixelEncoding.h>

#include <ImfArray.h>
#include <ImfRgbaFile.h>

#include <stdexcept>
#include <unistd.h>
#include <vector>

namespace kinema::modelcli {

void writeExrFrame(const std::filesystem::path& path, const diffusion::Image& image,
                   const std::string& pixelEncoding) {
    const bool sceneLinear = pixelEncoding == diffusion::kPixelEncodingAcesCct;
    auto value = [&](float v) {
        const float code = 0.5f * (v + 1.0f);
        return sceneLinear ? diffusion::linearFromAcesCct(code) : code;
    };
    if (image.width <= 0 || image.height <= 0 ||
        image.rgb.size() !=
            static_cast<std::size_t>(image.width) * static_cast<std::size_t>(image.height) * 3)
        throw std::runtime_error("'" + path.string() + "': invalid image");
    std::vector<Imf::Rgba> pixels(static_cast<std::size_t>(image.width) *
                                  static_cast<std::size_t>(image.height));
    for (std::size_t i = 0; i < pixels.size(); ++i) {
        pixels[i].r = value(image.rgb[3 * i]);
        pixels[i].g = value(image.rgb[3 * i + 1]);
        pixels[i].b = value(image.rgb[3 * i + 2]);
        pixels[i].a = 1.0f;
    }
    const auto temp =
        path.parent_path() / ("." + path.filename().string() + ".tmp-" + std::to_string(::getpid()));
    try {
        Imf::RgbaOutputFile file(temp.c_str(), image.width, image.height, Imf::WRITE_RGBA);
        file.setFrameBuffer(pixels.data(), 1, static_cast<std::size_t>(image.width));
        file.writePixels(image.height);
    } catch (const std::exception& e) {
        std::error_code ec;
        std::filesystem::remove(temp, ec);
        throw std::runtime_error("'" + path.string() + "': cannot write EXR: " + e.what());
    }
    std::error_code ec;
    std::filesystem::rename(temp, path, ec);
    if (ec) {
        std::filesystem::remove(temp, ec);
        throw std::runtime_error("'" + path.string() + "': cannot rename the finished frame into place");
    }
}

} // namespace kinema::modelcli
