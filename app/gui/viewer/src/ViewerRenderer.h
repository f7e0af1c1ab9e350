// SPDX-License-Identifier: Apache-2.0
#pragma once
/// The viewer's OpenGL side: the display program (image texture, isolation, exposure, OCIO, gamma,
/// warnings), its LUT textures and the two image textures. Needs a current 4.1 core context.
#include <QOpenGLFunctions_4_1_Core>

#include <array>
#include <memory>
#include <string>
#include <vector>

#include "kinema/color/GpuShader.h"
#include "kinema/render/Image.h"
#include "kinema/viewer/ImagePacking.h"

namespace kinema::viewer {

class ViewerRenderer : protected QOpenGLFunctions_4_1_Core {
public:
    /// Draw parameters for one image. The quad covers `rect` (image pixels) and is mapped to
    /// normalised device coordinates by ndc = image * scale + offset.
    struct DrawParams {
        float rect[4] = {0, 0, 0, 0}; // x0, y0, x1, y1
        float scale[2] = {1, 1};
        float offset[2] = {0, 0};
        float gain = 1.0f;
        float invGamma = 1.0f;
        int channel = 0; // ChannelMode as int
        std::array<float, 3> luma{0.2722287f, 0.6740818f, 0.0536895f};
        bool warnings = false;
        bool scissor = false;
        int scissorBox[4] = {0, 0, 0, 0}; // x, y, w, h in framebuffer pixels (origin bottom left)
    };

    ViewerRenderer();
    ~ViewerRenderer();

    /// Resolves GL functions and builds the vertex array and a program without colour transform.
    /// Throws std::runtime_error when the context is not 4.1 core capable or a shader fails.
    void initialize();
    /// Frees every GL object (context must be current).
    void release();

    /// Builds the display program around an OCIO program (nullptr: no transform). On failure throws
    /// std::runtime_error with the compiler log; the previous program stays in use.
    void setColorProgram(const std::shared_ptr<const color::GpuShaderProgram>& program);

    /// Uploads packed pixels to image slot 0 (A) or 1 (B); an empty pack frees the slot.
    void uploadImage(int slot, const PackedRgba& pixels);
    bool hasImage(int slot) const { return m_images[slot].texture != 0; }
    int maxTextureSize() const { return m_maxTextureSize; }

    void drawImage(int slot, const DrawParams& params);

private:
    struct Program {
        unsigned id = 0;
        int image = -1, gain = -1, invGamma = -1, channel = -1, luma = -1, warnings = -1, rect = -1,
            scale = -1, offset = -1;
    };
    struct LutTexture {
        unsigned id = 0;
        unsigned target = 0;
        int unit = 0;
    };
    struct ImageTexture {
        unsigned texture = 0;
        int width = 0, height = 0;
    };
    Program buildProgram(const color::GpuShaderProgram* ocio, std::vector<LutTexture>& luts);
    unsigned compile(unsigned type, const std::string& source);
    void freeProgram(Program& program, std::vector<LutTexture>& luts);

    bool m_initialized = false;
    unsigned m_vao = 0;
    int m_maxTextureSize = 0;
    Program m_program;
    std::vector<LutTexture> m_luts;
    ImageTexture m_images[2];
};

} // namespace kinema::viewer
