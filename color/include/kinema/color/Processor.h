// SPDX-License-Identifier: Apache-2.0
#pragma once
#include "kinema/color/ColorTransform.h"
#include "kinema/color/Config.h"

#include <array>
#include <cstddef>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace kinema::color {

/// A planar float32 image: one array per channel, row-major. rowStride is the distance between
/// the starts of two rows in floats (0 means width). Alpha may be null. Colour transforms carry
/// alpha through (an Exponent transform's fourth value applies to it, and some display curves
/// touch it by a float rounding step or so).
struct PlanarImageView {
    float* r = nullptr;
    float* g = nullptr;
    float* b = nullptr;
    float* a = nullptr;
    int width = 0;
    int height = 0;
    std::ptrdiff_t rowStride = 0;
};

/// A packed (interleaved) float32 image with 3 (RGB) or 4 (RGBA) channels per pixel. rowStride is
/// in floats (0 means width × channels).
struct PackedImageView {
    float* pixels = nullptr;
    int width = 0;
    int height = 0;
    int channels = 4;
    std::ptrdiff_t rowStride = 0;
};

/// A ready-to-use CPU colour processor for one (config, transform, context) combination. It is
/// immutable and safe to use from many threads at once; obtain it through processorFor().
class Processor {
public:
    struct Impl;
    explicit Processor(std::unique_ptr<Impl> impl);
    ~Processor();
    Processor(const Processor&) = delete;
    Processor& operator=(const Processor&) = delete;

    /// Transforms the image in place, splitting its rows over `threads` threads (0: the default
    /// from setDefaultThreadCount). Throws ColorError for null planes, negative sizes or a
    /// rowStride shorter than a row.
    void apply(const PlanarImageView& image, int threads = 0) const;
    void apply(const PackedImageView& image, int threads = 0) const;
    /// Transforms one RGBA pixel in place.
    void applyPixel(std::array<float, 4>& rgba) const;

    bool isNoOp() const;
    bool hasChannelCrosstalk() const;
    /// The processor-cache key: config identity, used context variables, transform key.
    const std::string& cacheKey() const;
    /// The context variables (name, value) that the transform actually depends on.
    const std::vector<std::pair<std::string, std::string>>& usedContextVariables() const;
    const ColorTransform& transform() const;

    const Impl& impl() const { return *m_impl; }

private:
    std::unique_ptr<Impl> m_impl;
};

/// Returns the CPU processor for a transform in a config, from a process-wide cache keyed by
/// (config identity, context variables the transform actually uses, transform key incl. direction).
/// Equal keys return the same instance. Throws ColorError naming the config and the transform when
/// OpenColorIO cannot build it (unknown colour space, missing LUT file, ...).
std::shared_ptr<const Processor> processorFor(const ConfigHandle& config, const ColorTransform& transform,
                                              const ContextVariables& context = {});

/// Processor-cache statistics (for tests and diagnostics).
struct ProcessorCacheStats {
    std::size_t entries = 0;
    std::size_t hits = 0;
    std::size_t misses = 0;
};
ProcessorCacheStats processorCacheStats();
/// Drops every cached processor (instances still held by callers stay valid).
void clearProcessorCache();
/// Most processors kept by the cache (least recently used ones are dropped first). Default 256.
void setProcessorCacheCapacity(std::size_t capacity);

/// Threads used by apply() when its `threads` argument is 0; 0 here means the hardware count.
void setDefaultThreadCount(int threads);
int defaultThreadCount();

} // namespace kinema::color
