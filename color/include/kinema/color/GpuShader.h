// SPDX-License-Identifier: Apache-2.0
#pragma once
#include "kinema/color/ColorTransform.h"
#include "kinema/color/Config.h"

#include <memory>
#include <string>
#include <vector>

namespace kinema::color {

/// Shading languages the GPU path can emit. For a core-profile context use Glsl_4_0 (it samples
/// with texture(); OpenColorIO 2.1's Glsl_1_2 and Glsl_1_3 output still calls texture3D()).
enum class GpuLanguage { Glsl_1_2, Glsl_1_3, Glsl_4_0, GlslEs_3_0 };

/// Texture filtering that the shader expects for a LUT texture.
enum class GpuInterpolation { Nearest, Linear, Tetrahedral, Cubic, Best, Default, Unknown };

/// A 1D (height == 1) or 2D LUT texture. values holds width × height texels of `channels` floats
/// (1 = red channel only, 3 = RGB), row-major, ready for glTexImage2D/1D with GL_FLOAT.
struct GpuTexture {
    std::string textureName;
    std::string samplerName;
    unsigned width = 0;
    unsigned height = 0;
    int channels = 3;
    GpuInterpolation interpolation = GpuInterpolation::Linear;
    std::vector<float> values;
};

/// A 3D LUT texture of edgeLength³ RGB texels, laid out for glTexImage3D (x fastest). The shader
/// samples it with the colour's (b, g, r) as (x, y, z) coordinates, i.e. index = (r·N + g)·N + b.
struct GpuTexture3D {
    std::string textureName;
    std::string samplerName;
    unsigned edgeLength = 0;
    GpuInterpolation interpolation = GpuInterpolation::Linear;
    std::vector<float> values;
};

/// A uniform the shader declares, with its value when the program was built.
struct GpuUniform {
    enum class Type { Double, Bool, Float3, FloatArray, IntArray };
    std::string name;
    Type type = Type::Double;
    std::vector<double> values;
};

/// How the GPU program is built.
struct GpuShaderOptions {
    GpuLanguage language = GpuLanguage::Glsl_4_0;
    std::string functionName = "kinemaColorTransform";
    std::string resourcePrefix = "kinema_ocio";
    /// 0: OpenColorIO's exact (analytic) shader, the same ops as the CPU processor.
    /// N > 0: a fast path with a log2 shaper and one N³ 3D LUT baked from the CPU processor.
    unsigned bakedLutEdge = 0;
    /// Baked path shaper: x' = (log2(x + 2^log2Min) − log2Min) / (log2Max − log2Min), clamped to
    /// [0, 1]; covers scene-linear values from 0 to 2^log2Max − 2^log2Min.
    double shaperLog2Min = -10.0;
    double shaperLog2Max = 8.0;
    /// Baked path: clamp the LUT's output values to [0, 1] (display code values). Keep it on for
    /// display transforms; turn it off for transforms whose outputs are not display-referred.
    bool clampBakedOutput = true;

    bool operator==(const GpuShaderOptions&) const = default;
};

/// Everything a GL viewer needs to apply a transform in a fragment shader: the shader text that
/// defines `vec4 <functionName>(vec4 inPixel)`, its uniforms and its LUT textures.
struct GpuShaderProgram {
    std::string shaderText;
    std::string functionName;
    GpuLanguage language = GpuLanguage::Glsl_4_0;
    std::vector<GpuTexture> textures;
    std::vector<GpuTexture3D> textures3D;
    std::vector<GpuUniform> uniforms;
    /// Key of the CPU processor the program was derived from, plus the options.
    std::string cacheKey;
    /// Baked path only: the shaper parameters used (see GpuShaderOptions).
    bool baked = false;
    double shaperLog2Min = 0.0;
    double shaperLog2Max = 0.0;
};

/// Builds (or returns from the cache) the GPU program for a transform, typically a DisplayView
/// one for the viewer. Throws ColorError like processorFor().
///
/// Exposure and gamma set with ColorTransform::withExposure/withGamma are compiled into the
/// program. For interactive sliders the viewer can instead keep them out of the transform and do
/// `in.rgb *= exp2(stops)` before the function and `out.rgb = pow(out.rgb, vec3(1.0 / gamma))`
/// after it in its own shader: with a scene_linear source that is the same arithmetic.
std::shared_ptr<const GpuShaderProgram> gpuShaderFor(const ConfigHandle& config,
                                                     const ColorTransform& transform,
                                                     const GpuShaderOptions& options = {},
                                                     const ContextVariables& context = {});

} // namespace kinema::color
