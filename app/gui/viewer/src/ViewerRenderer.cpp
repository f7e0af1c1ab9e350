// SPDX-License-Identifier: Apache-2.0
#include "ViewerRenderer.h"

#include <stdexcept>

namespace kinema::viewer {
namespace {

const char* kVertexShader = R"(#version 410 core
uniform vec4 kinemaViewRect;
uniform vec2 kinemaViewScale;
uniform vec2 kinemaViewOffset;
out vec2 kinemaUv;
void main() {
    vec2 corner = vec2(float(gl_VertexID & 1), float((gl_VertexID >> 1) & 1));
    vec2 p = mix(kinemaViewRect.xy, kinemaViewRect.zw, corner);
    kinemaUv = corner;
    gl_Position = vec4(p * kinemaViewScale + kinemaViewOffset, 0.0, 1.0);
}
)";

// The fragment shader body; the OCIO function (or an identity stand-in) is inserted before it.
const char* kFragmentMain = R"(
uniform sampler2D kinemaViewImage;
uniform float kinemaViewGain;
uniform float kinemaViewInvGamma;
uniform int kinemaViewChannel;
uniform vec3 kinemaViewLuma;
uniform int kinemaViewWarnings;
in vec2 kinemaUv;
out vec4 kinemaFragColor;
void main() {
    vec4 px = texture(kinemaViewImage, kinemaUv);
    vec4 v = px;
    if (kinemaViewChannel == 1) v.rgb = vec3(px.r);
    else if (kinemaViewChannel == 2) v.rgb = vec3(px.g);
    else if (kinemaViewChannel == 3) v.rgb = vec3(px.b);
    else if (kinemaViewChannel == 4) v.rgb = vec3(px.a);
    else if (kinemaViewChannel == 5) v.rgb = vec3(dot(px.rgb, kinemaViewLuma));
    v.rgb *= kinemaViewGain;
    vec4 outColor = KINEMA_COLOR_FUNCTION(v);
    if (kinemaViewInvGamma != 1.0)
        outColor.rgb = pow(max(outColor.rgb, vec3(0.0)), vec3(kinemaViewInvGamma));
    if (kinemaViewWarnings != 0) {
        bool over = any(greaterThan(v.rgb, vec3(1.0)));
        bool under = any(lessThan(v.rgb, vec3(0.0)));
        float stripe = mod(floor((gl_FragCoord.x + gl_FragCoord.y) / 6.0), 2.0);
        if (over && stripe > 0.5)
            outColor.rgb = vec3(1.0, 0.0, 1.0);
        else if (under && stripe > 0.5)
            outColor.rgb = vec3(0.0, 0.8, 1.0);
    }
    kinemaFragColor = vec4(outColor.rgb, 1.0);
}
)";

const char* kIdentityFunction = "vec4 kinemaViewIdentity(vec4 inPixel) { return inPixel; }\n";

GLenum filterFor(color::GpuInterpolation interpolation) {
    return interpolation == color::GpuInterpolation::Nearest ? GL_NEAREST : GL_LINEAR;
}

} // namespace

ViewerRenderer::ViewerRenderer() = default;
ViewerRenderer::~ViewerRenderer() = default;

void ViewerRenderer::initialize() {
    if (!initializeOpenGLFunctions())
        throw std::runtime_error("viewer: the OpenGL context does not provide OpenGL 4.1 core functions");
    glGenVertexArrays(1, &m_vao);
    glGetIntegerv(GL_MAX_TEXTURE_SIZE, &m_maxTextureSize);
    m_program = buildProgram(nullptr, m_luts);
    m_initialized = true;
}

void ViewerRenderer::release() {
    if (!m_initialized)
        return;
    freeProgram(m_program, m_luts);
    for (auto& image : m_images) {
        if (image.texture)
            glDeleteTextures(1, &image.texture);
        image = {};
    }
    glDeleteVertexArrays(1, &m_vao);
    m_vao = 0;
    m_initialized = false;
}

unsigned ViewerRenderer::compile(unsigned type, const std::string& source) {
    const unsigned shader = glCreateShader(type);
    const char* text = source.c_str();
    glShaderSource(shader, 1, &text, nullptr);
    glCompileShader(shader);
    GLint ok = 0;
    glGetShaderiv(shader, GL_COMPILE_STATUS, &ok);
    if (!ok) {
        GLint length = 0;
        glGetShaderiv(shader, GL_INFO_LOG_LENGTH, &length);
        std::string log(static_cast<std::size_t>(std::max(length, 1)), '\0');
        glGetShaderInfoLog(shader, length, nullptr, log.data());
        glDeleteShader(shader);
        throw std::runtime_error(std::string("viewer: ") +
                                 (type == GL_VERTEX_SHADER ? "vertex" : "fragment") +
                                 " shader does not compile: " + log.c_str());
    }
    return shader;
}

ViewerRenderer::Program ViewerRenderer::buildProgram(const color::GpuShaderProgram* ocio,
                                                     std::vector<LutTexture>& luts) {
    std::string fragment = "#version 410 core\n";
    std::string function = "kinemaViewIdentity";
    if (ocio) {
        fragment += ocio->shaderText;
        function = ocio->functionName;
    } else {
        fragment += kIdentityFunction;
    }
    fragment += "#define KINEMA_COLOR_FUNCTION " + function + "\n";
    fragment += kFragmentMain;

    const unsigned vs = compile(GL_VERTEX_SHADER, kVertexShader);
    unsigned fs = 0;
    try {
        fs = compile(GL_FRAGMENT_SHADER, fragment);
    } catch (...) {
        glDeleteShader(vs);
        throw;
    }
    Program program;
    program.id = glCreateProgram();
    glAttachShader(program.id, vs);
    glAttachShader(program.id, fs);
    glLinkProgram(program.id);
    glDeleteShader(vs);
    glDeleteShader(fs);
    GLint ok = 0;
    glGetProgramiv(program.id, GL_LINK_STATUS, &ok);
    if (!ok) {
        GLint length = 0;
        glGetProgramiv(program.id, GL_INFO_LOG_LENGTH, &length);
        std::string log(static_cast<std::size_t>(std::max(length, 1)), '\0');
        glGetProgramInfoLog(program.id, length, nullptr, log.data());
        glDeleteProgram(program.id);
        throw std::runtime_error(std::string("viewer: display program does not link: ") + log.c_str());
    }
    program.image = glGetUniformLocation(program.id, "kinemaViewImage");
    program.gain = glGetUniformLocation(program.id, "kinemaViewGain");
    program.invGamma = glGetUniformLocation(program.id, "kinemaViewInvGamma");
    program.channel = glGetUniformLocation(program.id, "kinemaViewChannel");
    program.luma = glGetUniformLocation(program.id, "kinemaViewLuma");
    program.warnings = glGetUniformLocation(program.id, "kinemaViewWarnings");
    program.rect = glGetUniformLocation(program.id, "kinemaViewRect");
    program.scale = glGetUniformLocation(program.id, "kinemaViewScale");
    program.offset = glGetUniformLocation(program.id, "kinemaViewOffset");

    glUseProgram(program.id);
    glUniform1i(program.image, 0);
    if (ocio) {
        // Static uniform values of the OCIO program.
        for (const auto& u : ocio->uniforms) {
            const GLint loc = glGetUniformLocation(program.id, u.name.c_str());
            if (loc < 0 || u.values.empty())
                continue;
            std::vector<float> f(u.values.begin(), u.values.end());
            switch (u.type) {
            case color::GpuUniform::Type::Double:
                glUniform1f(loc, f[0]);
                break;
            case color::GpuUniform::Type::Bool:
                glUniform1i(loc, u.values[0] != 0.0 ? 1 : 0);
                break;
            case color::GpuUniform::Type::Float3:
                if (f.size() >= 3)
                    glUniform3f(loc, f[0], f[1], f[2]);
                break;
            case color::GpuUniform::Type::FloatArray:
                glUniform1fv(loc, static_cast<GLsizei>(f.size()), f.data());
                break;
            case color::GpuUniform::Type::IntArray: {
                std::vector<GLint> ints(u.values.begin(), u.values.end());
                glUniform1iv(loc, static_cast<GLsizei>(ints.size()), ints.data());
                break;
            }
            }
        }
        // LUT textures on units 1, 2, ...
        int unit = 1;
        for (const auto& t : ocio->textures) {
            LutTexture lut;
            lut.unit = unit++;
            const bool is1D =
                t.height <= 1 && ocio->shaderText.find("sampler1D " + t.samplerName) != std::string::npos;
            lut.target = is1D ? GL_TEXTURE_1D : GL_TEXTURE_2D;
            glGenTextures(1, &lut.id);
            glActiveTexture(GL_TEXTURE0 + lut.unit);
            glBindTexture(lut.target, lut.id);
            const GLenum filter = filterFor(t.interpolation);
            glTexParameteri(lut.target, GL_TEXTURE_MIN_FILTER, filter);
            glTexParameteri(lut.target, GL_TEXTURE_MAG_FILTER, filter);
            glTexParameteri(lut.target, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
            glTexParameteri(lut.target, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
            const GLint internal = t.channels == 1 ? GL_R32F : GL_RGB32F;
            const GLenum format = t.channels == 1 ? GL_RED : GL_RGB;
            glPixelStorei(GL_UNPACK_ALIGNMENT, 4);
            if (is1D)
                glTexImage1D(GL_TEXTURE_1D, 0, internal, static_cast<GLsizei>(t.width), 0, format, GL_FLOAT,
                             t.values.data());
            else
                glTexImage2D(GL_TEXTURE_2D, 0, internal, static_cast<GLsizei>(t.width),
                             static_cast<GLsizei>(std::max(1u, t.height)), 0, format, GL_FLOAT,
                             t.values.data());
            glUniform1i(glGetUniformLocation(program.id, t.samplerName.c_str()), lut.unit);
            luts.push_back(lut);
        }
        for (const auto& t : ocio->textures3D) {
            LutTexture lut;
            lut.unit = unit++;
            lut.target = GL_TEXTURE_3D;
            glGenTextures(1, &lut.id);
            glActiveTexture(GL_TEXTURE0 + lut.unit);
            glBindTexture(GL_TEXTURE_3D, lut.id);
            const GLenum filter = filterFor(t.interpolation);
            glTexParameteri(GL_TEXTURE_3D, GL_TEXTURE_MIN_FILTER, filter);
            glTexParameteri(GL_TEXTURE_3D, GL_TEXTURE_MAG_FILTER, filter);
            glTexParameteri(GL_TEXTURE_3D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
            glTexParameteri(GL_TEXTURE_3D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
            glTexParameteri(GL_TEXTURE_3D, GL_TEXTURE_WRAP_R, GL_CLAMP_TO_EDGE);
            const auto n = static_cast<GLsizei>(t.edgeLength);
            glTexImage3D(GL_TEXTURE_3D, 0, GL_RGB32F, n, n, n, 0, GL_RGB, GL_FLOAT, t.values.data());
            glUniform1i(glGetUniformLocation(program.id, t.samplerName.c_str()), lut.unit);
            luts.push_back(lut);
        }
        glActiveTexture(GL_TEXTURE0);
    }
    glUseProgram(0);
    return program;
}

void ViewerRenderer::freeProgram(Program& program, std::vector<LutTexture>& luts) {
    for (auto& lut : luts)
        glDeleteTextures(1, &lut.id);
    luts.clear();
    if (program.id)
        glDeleteProgram(program.id);
    program = {};
}

void ViewerRenderer::setColorProgram(const std::shared_ptr<const color::GpuShaderProgram>& program) {
    std::vector<LutTexture> luts;
    Program built;
    try {
        built = buildProgram(program.get(), luts);
    } catch (...) {
        for (auto& lut : luts)
            glDeleteTextures(1, &lut.id);
        throw;
    }
    freeProgram(m_program, m_luts);
    m_program = built;
    m_luts = std::move(luts);
}

void ViewerRenderer::uploadImage(int slot, const PackedRgba& pixels) {
    auto& image = m_images[slot];
    if (pixels.width <= 0 || pixels.height <= 0) {
        if (image.texture)
            glDeleteTextures(1, &image.texture);
        image = {};
        return;
    }
    if (!image.texture)
        glGenTextures(1, &image.texture);
    glActiveTexture(GL_TEXTURE0);
    glBindTexture(GL_TEXTURE_2D, image.texture);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_LINEAR);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_NEAREST);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
    glPixelStorei(GL_UNPACK_ALIGNMENT, 4);
    glPixelStorei(GL_UNPACK_ROW_LENGTH, 0);
    glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA32F, pixels.width, pixels.height, 0, GL_RGBA, GL_FLOAT,
                 pixels.pixels.data());
    glBindTexture(GL_TEXTURE_2D, 0);
    image.width = pixels.width;
    image.height = pixels.height;
}

void ViewerRenderer::drawImage(int slot, const DrawParams& p) {
    const auto& image = m_images[slot];
    if (!m_initialized || !image.texture || !m_program.id)
        return;
    glDisable(GL_BLEND);
    glDisable(GL_DEPTH_TEST);
    glDisable(GL_CULL_FACE);
    if (p.scissor) {
        glEnable(GL_SCISSOR_TEST);
        glScissor(p.scissorBox[0], p.scissorBox[1], p.scissorBox[2], p.scissorBox[3]);
    } else {
        glDisable(GL_SCISSOR_TEST);
    }
    glUseProgram(m_program.id);
    glUniform4f(m_program.rect, p.rect[0], p.rect[1], p.rect[2], p.rect[3]);
    glUniform2f(m_program.scale, p.scale[0], p.scale[1]);
    glUniform2f(m_program.offset, p.offset[0], p.offset[1]);
    glUniform1f(m_program.gain, p.gain);
    glUniform1f(m_program.invGamma, p.invGamma);
    glUniform1i(m_program.channel, p.channel);
    glUniform3f(m_program.luma, p.luma[0], p.luma[1], p.luma[2]);
    glUniform1i(m_program.warnings, p.warnings ? 1 : 0);
    for (const auto& lut : m_luts) {
        glActiveTexture(GL_TEXTURE0 + lut.unit);
        glBindTexture(lut.target, lut.id);
    }
    glActiveTexture(GL_TEXTURE0);
    glBindTexture(GL_TEXTURE_2D, image.texture);
    glBindVertexArray(m_vao);
    glDrawArrays(GL_TRIANGLE_STRIP, 0, 4);
    glBindVertexArray(0);
    glBindTexture(GL_TEXTURE_2D, 0);
    glUseProgram(0);
    glDisable(GL_SCISSOR_TEST);
}

} // namespace kinema::viewer
