// SPDX-License-Identifier: Apache-2.0
#include "kinema/color/GpuShader.h"
#include "OcioInternal.h"
#include "ProcessorInternal.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <mutex>
#include <unordered_map>

namespace kinema::color {

namespace {

OCIO::GpuLanguage toOcio(GpuLanguage language) {
    switch (language) {
    case GpuLanguage::Glsl_1_2:
        return OCIO::GPU_LANGUAGE_GLSL_1_2;
    case GpuLanguage::Glsl_1_3:
        return OCIO::GPU_LANGUAGE_GLSL_1_3;
    case GpuLanguage::Glsl_4_0:
        return OCIO::GPU_LANGUAGE_GLSL_4_0;
    case GpuLanguage::GlslEs_3_0:
        return OCIO::GPU_LANGUAGE_GLSL_ES_3_0;
    }
    return OCIO::GPU_LANGUAGE_GLSL_4_0;
}

GpuInterpolation fromOcio(OCIO::Interpolation interpolation) {
    switch (interpolation) {
    case OCIO::INTERP_NEAREST:
        return GpuInterpolation::Nearest;
    case OCIO::INTERP_LINEAR:
        return GpuInterpolation::Linear;
    case OCIO::INTERP_TETRAHEDRAL:
        return GpuInterpolation::Tetrahedral;
    case OCIO::INTERP_CUBIC:
        return GpuInterpolation::Cubic;
    case OCIO::INTERP_BEST:
        return GpuInterpolation::Best;
    case OCIO::INTERP_DEFAULT:
        return GpuInterpolation::Default;
    default:
        return GpuInterpolation::Unknown;
    }
}

std::string optionsKey(const GpuShaderOptions& o) {
    char numbers[96];
    std::snprintf(numbers, sizeof numbers, "%u;%d;%.17g;%.17g", o.bakedLutEdge, o.clampBakedOutput ? 1 : 0,
                  o.shaperLog2Min, o.shaperLog2Max);
    return std::to_string(static_cast<int>(o.language)) + ";" + o.functionName + ";" + o.resourcePrefix +
           ";" + numbers;
}

/// A processor made of a log2 shaper and one 3D LUT sampled from the CPU processor on the shaper's
/// lattice, so that the shader is a handful of instructions and a single trilinear texture fetch.
OCIO::ConstProcessorRcPtr bakeShaperLut(const Processor& source, const GpuShaderOptions& options) {
    const unsigned n = options.bakedLutEdge;
    const double lo = options.shaperLog2Min;
    const double hi = options.shaperLog2Max;
    const double offset = std::exp2(lo);

    std::vector<float> lattice(static_cast<size_t>(n) * n * n * 3);
    std::vector<float> axis(n);
    for (unsigned i = 0; i < n; ++i)
        axis[i] = static_cast<float>(std::exp2(lo + (hi - lo) * i / (n - 1)) - offset);
    size_t p = 0;
    for (unsigned r = 0; r < n; ++r)
        for (unsigned g = 0; g < n; ++g)
            for (unsigned b = 0; b < n; ++b) {
                lattice[p++] = axis[r];
                lattice[p++] = axis[g];
                lattice[p++] = axis[b];
            }
    source.apply(PackedImageView{lattice.data(), static_cast<int>(n), static_cast<int>(n * n), 3, 0});
    if (options.clampBakedOutput) {
        // Display code values outside [0, 1] cannot be shown; clamping before interpolation keeps
        // huge out-of-gamut values at one lattice point from bleeding into displayable neighbours.
        for (auto& v : lattice)
            v = std::clamp(v, 0.0f, 1.0f);
    }

    auto lut = OCIO::Lut3DTransform::Create(n);
    lut->setInterpolation(OCIO::INTERP_LINEAR);
    p = 0;
    for (unsigned r = 0; r < n; ++r)
        for (unsigned g = 0; g < n; ++g)
            for (unsigned b = 0; b < n; ++b, p += 3)
                lut->setValue(r, g, b, lattice[p], lattice[p + 1], lattice[p + 2]);

    auto shaper = OCIO::AllocationTransform::Create();
    shaper->setAllocation(OCIO::ALLOCATION_LG2);
    const float vars[3] = {static_cast<float>(lo), static_cast<float>(hi), static_cast<float>(offset)};
    shaper->setVars(3, vars);

    auto group = OCIO::GroupTransform::Create();
    group->appendTransform(shaper);
    group->appendTransform(lut);
    // A private config with its processor cache off: OCIO's cache key for a Lut3DTransform does
    // not cover the LUT values, so a shared config could return the processor of an earlier bake.
    auto bakeConfig = OCIO::Config::CreateRaw()->createEditableCopy();
    bakeConfig->setProcessorCacheFlags(OCIO::PROCESSOR_CACHE_OFF);
    return bakeConfig->getProcessor(group);
}

std::shared_ptr<GpuShaderProgram> extractProgram(const OCIO::ConstProcessorRcPtr& processor,
                                                 const GpuShaderOptions& options) {
    auto gpu = processor->getDefaultGPUProcessor();
    auto desc = OCIO::GpuShaderDesc::CreateShaderDesc();
    desc->setLanguage(toOcio(options.language));
    desc->setFunctionName(options.functionName.c_str());
    desc->setResourcePrefix(options.resourcePrefix.c_str());
    gpu->extractGpuShaderInfo(desc);

    auto program = std::make_shared<GpuShaderProgram>();
    program->shaderText = desc->getShaderText();
    program->functionName = options.functionName;
    program->language = options.language;

    for (unsigned i = 0; i < desc->getNumTextures(); ++i) {
        const char* textureName = nullptr;
        const char* samplerName = nullptr;
        unsigned width = 0, height = 0;
        OCIO::GpuShaderDesc::TextureType channel = OCIO::GpuShaderDesc::TEXTURE_RGB_CHANNEL;
        OCIO::Interpolation interpolation = OCIO::INTERP_LINEAR;
        desc->getTexture(i, textureName, samplerName, width, height, channel, interpolation);
        const float* values = nullptr;
        desc->getTextureValues(i, values);
        GpuTexture texture;
        texture.textureName = textureName;
        texture.samplerName = samplerName;
        texture.width = width;
        texture.height = height;
        texture.channels = channel == OCIO::GpuShaderDesc::TEXTURE_RED_CHANNEL ? 1 : 3;
        texture.interpolation = fromOcio(interpolation);
        texture.values.assign(values, values + static_cast<size_t>(width) * height * texture.channels);
        program->textures.push_back(std::move(texture));
    }
    for (unsigned i = 0; i < desc->getNum3DTextures(); ++i) {
        const char* textureName = nullptr;
        const char* samplerName = nullptr;
        unsigned edge = 0;
        OCIO::Interpolation interpolation = OCIO::INTERP_LINEAR;
        desc->get3DTexture(i, textureName, samplerName, edge, interpolation);
        const float* values = nullptr;
        desc->get3DTextureValues(i, values);
        GpuTexture3D texture;
        texture.textureName = textureName;
        texture.samplerName = samplerName;
        texture.edgeLength = edge;
        texture.interpolation = fromOcio(interpolation);
        texture.values.assign(values, values + static_cast<size_t>(edge) * edge * edge * 3);
        program->textures3D.push_back(std::move(texture));
    }
    for (unsigned i = 0; i < desc->getNumUniforms(); ++i) {
        OCIO::GpuShaderDesc::UniformData data;
        GpuUniform uniform;
        uniform.name = desc->getUniform(i, data);
        switch (data.m_type) {
        case OCIO::UNIFORM_DOUBLE:
            uniform.type = GpuUniform::Type::Double;
            uniform.values = {data.m_getDouble()};
            break;
        case OCIO::UNIFORM_BOOL:
            uniform.type = GpuUniform::Type::Bool;
            uniform.values = {data.m_getBool() ? 1.0 : 0.0};
            break;
        case OCIO::UNIFORM_FLOAT3: {
            uniform.type = GpuUniform::Type::Float3;
            const auto& v = data.m_getFloat3();
            uniform.values = {v[0], v[1], v[2]};
            break;
        }
        case OCIO::UNIFORM_VECTOR_FLOAT: {
            uniform.type = GpuUniform::Type::FloatArray;
            const int size = data.m_vectorFloat.m_getSize();
            const float* v = data.m_vectorFloat.m_getVector();
            uniform.values.assign(v, v + size);
            break;
        }
        case OCIO::UNIFORM_VECTOR_INT: {
            uniform.type = GpuUniform::Type::IntArray;
            const int size = data.m_vectorInt.m_getSize();
            const int* v = data.m_vectorInt.m_getVector();
            uniform.values.assign(v, v + size);
            break;
        }
        default:
            continue;
        }
        program->uniforms.push_back(std::move(uniform));
    }
    return program;
}

struct ProgramCache {
    std::mutex mutex;
    std::unordered_map<std::string, std::shared_ptr<const GpuShaderProgram>> programs;
};

ProgramCache& programCache() {
    static ProgramCache instance;
    return instance;
}

} // namespace

std::shared_ptr<const GpuShaderProgram> gpuShaderFor(const ConfigHandle& config,
                                                     const ColorTransform& transform,
                                                     const GpuShaderOptions& options,
                                                     const ContextVariables& context) {
    const bool baked = options.bakedLutEdge != 0;
    if (baked && (options.bakedLutEdge < 2 || options.bakedLutEdge > 129))
        throw ColorError("colour: bakedLutEdge must be 0 or between 2 and 129, got " +
                         std::to_string(options.bakedLutEdge));
    if (baked && !(options.shaperLog2Max > options.shaperLog2Min))
        throw ColorError("colour: shaperLog2Max must exceed shaperLog2Min");
    if (options.functionName.empty())
        throw ColorError("colour: the GPU shader function name must not be empty");

    auto processor = processorFor(config, transform, context);
    const std::string key = processor->cacheKey() + '\x1f' + optionsKey(options);
    auto& cache = programCache();
    {
        std::lock_guard lock(cache.mutex);
        if (auto it = cache.programs.find(key); it != cache.programs.end())
            return it->second;
    }

    std::shared_ptr<GpuShaderProgram> program;
    try {
        auto source = baked ? bakeShaperLut(*processor, options) : processor->impl().processor;
        program = extractProgram(source, options);
    } catch (const OCIO::Exception& e) {
        throw ColorError("colour: " + describeConfig(config) + " cannot build the GPU shader for " +
                         transform.describe() + ": " + e.what());
    }
    program->cacheKey = key;
    program->baked = baked;
    if (baked) {
        program->shaperLog2Min = options.shaperLog2Min;
        program->shaperLog2Max = options.shaperLog2Max;
    }

    std::lock_guard lock(cache.mutex);
    constexpr size_t kMaxPrograms = 64;
    if (cache.programs.size() >= kMaxPrograms)
        cache.programs.clear();
    auto [it, inserted] = cache.programs.emplace(key, std::move(program));
    return it->second;
}

} // namespace kinema::color
