// SPDX-License-Identifier: Apache-2.0
#include "kinema/color/Processor.h"
#include "OcioInternal.h"
#include "ParallelRows.h"
#include "ProcessorInternal.h"

#include <algorithm>
#include <atomic>
#include <list>
#include <mutex>
#include <thread>
#include <unordered_map>

namespace kinema::color {

namespace {

std::atomic<int> g_defaultThreads{0};

struct ProcessorCache {
    std::mutex mutex;
    std::size_t capacity = 256;
    // Most recently used first.
    std::list<std::pair<std::string, std::shared_ptr<const Processor>>> entries;
    std::unordered_map<std::string, decltype(entries)::iterator> index;
    std::size_t hits = 0;
    std::size_t misses = 0;

    void trim() {
        while (entries.size() > capacity) {
            index.erase(entries.back().first);
            entries.pop_back();
        }
    }
};

ProcessorCache& cache() {
    static ProcessorCache instance;
    return instance;
}

int resolveThreads(int threads) {
    if (threads > 0)
        return threads;
    return defaultThreadCount();
}

} // namespace

Processor::Processor(std::unique_ptr<Impl> impl)
    : m_impl(std::move(impl)) {}
Processor::~Processor() = default;

bool Processor::isNoOp() const {
    return m_impl->processor->isNoOp();
}
bool Processor::hasChannelCrosstalk() const {
    return m_impl->processor->hasChannelCrosstalk();
}
const std::string& Processor::cacheKey() const {
    return m_impl->key;
}
const std::vector<std::pair<std::string, std::string>>& Processor::usedContextVariables() const {
    return m_impl->usedVariables;
}
const ColorTransform& Processor::transform() const {
    return m_impl->transform;
}

void Processor::applyPixel(std::array<float, 4>& rgba) const {
    m_impl->cpu->applyRGBA(rgba.data());
}

void Processor::apply(const PlanarImageView& image, int threads) const {
    auto fail = [&](const std::string& why) {
        return ColorError("colour: cannot apply " + m_impl->transform.describe() +
                          " to a planar image: " + why);
    };
    if (image.width < 0 || image.height < 0)
        throw fail("negative size " + std::to_string(image.width) + "x" + std::to_string(image.height));
    if (image.width == 0 || image.height == 0)
        return;
    if (!image.r || !image.g || !image.b)
        throw fail("the R, G and B planes must not be null");
    const std::ptrdiff_t stride = image.rowStride == 0 ? image.width : image.rowStride;
    if (stride < image.width)
        throw fail("rowStride " + std::to_string(stride) + " is shorter than the width " +
                   std::to_string(image.width));
    if (isNoOp())
        return;
    const auto* cpu = m_impl->cpu.get();
    const std::ptrdiff_t yStrideBytes = stride * static_cast<std::ptrdiff_t>(sizeof(float));
    parallelForRows(image.height, resolveThreads(threads), [&](int first, int rows) {
        const std::ptrdiff_t offset = static_cast<std::ptrdiff_t>(first) * stride;
        OCIO::PlanarImageDesc desc(image.r + offset, image.g + offset, image.b + offset,
                                   image.a ? image.a + offset : nullptr, image.width, rows,
                                   OCIO::BIT_DEPTH_F32, OCIO::AutoStride, yStrideBytes);
        cpu->apply(desc);
    });
}

void Processor::apply(const PackedImageView& image, int threads) const {
    auto fail = [&](const std::string& why) {
        return ColorError("colour: cannot apply " + m_impl->transform.describe() +
                          " to a packed image: " + why);
    };
    if (image.width < 0 || image.height < 0)
        throw fail("negative size " + std::to_string(image.width) + "x" + std::to_string(image.height));
    if (image.channels != 3 && image.channels != 4)
        throw fail("channels must be 3 or 4, got " + std::to_string(image.channels));
    if (image.width == 0 || image.height == 0)
        return;
    if (!image.pixels)
        throw fail("the pixel pointer must not be null");
    const std::ptrdiff_t rowFloats = static_cast<std::ptrdiff_t>(image.width) * image.channels;
    const std::ptrdiff_t stride = image.rowStride == 0 ? rowFloats : image.rowStride;
    if (stride < rowFloats)
        throw fail("rowStride " + std::to_string(stride) + " is shorter than a row of " +
                   std::to_string(rowFloats) + " floats");
    if (isNoOp())
        return;
    const auto* cpu = m_impl->cpu.get();
    const std::ptrdiff_t yStrideBytes = stride * static_cast<std::ptrdiff_t>(sizeof(float));
    parallelForRows(image.height, resolveThreads(threads), [&](int first, int rows) {
        OCIO::PackedImageDesc desc(image.pixels + static_cast<std::ptrdiff_t>(first) * stride, image.width,
                                   rows, image.channels, OCIO::BIT_DEPTH_F32, OCIO::AutoStride,
                                   OCIO::AutoStride, yStrideBytes);
        cpu->apply(desc);
    });
}

std::string processorCacheKey(const ConfigHandle& config, const ColorTransform& transform,
                              const std::map<std::string, std::string>& usedVariables) {
    std::string key = config.identity();
    key += '\x1f';
    for (const auto& [name, value] : usedVariables) {
        key += name;
        key += '=';
        key += value;
        key += '\x1e';
    }
    key += '\x1f';
    key += transform.key();
    return key;
}

std::shared_ptr<const Processor> processorFor(const ConfigHandle& config, const ColorTransform& transform,
                                              const ContextVariables& contextOverrides) {
    const auto& ocio = *config.impl().config;
    const OcioTransform translated = toOcioTransform(config, transform);
    const auto context = makeContext(config, contextOverrides);
    const auto used = collectUsedContextVariables(ocio, *context, translated.transform);
    const std::string key = processorCacheKey(config, transform, used);

    auto& c = cache();
    {
        std::lock_guard lock(c.mutex);
        if (auto it = c.index.find(key); it != c.index.end()) {
            ++c.hits;
            c.entries.splice(c.entries.begin(), c.entries, it->second);
            return it->second->second;
        }
        ++c.misses;
    }

    auto impl = std::make_unique<Processor::Impl>();
    try {
        impl->processor = ocio.getProcessor(context, translated.transform, translated.direction);
        impl->cpu = impl->processor->getOptimizedCPUProcessor(OCIO::BIT_DEPTH_F32, OCIO::BIT_DEPTH_F32,
                                                              OCIO::OPTIMIZATION_DEFAULT);
    } catch (const OCIO::Exception& e) {
        throw ColorError("colour: " + describeConfig(config) + " cannot build " + transform.describe() +
                         ": " + e.what());
    }
    impl->transform = transform;
    impl->key = key;
    impl->usedVariables.assign(used.begin(), used.end());
    auto processor = std::make_shared<const Processor>(std::move(impl));

    std::lock_guard lock(c.mutex);
    // Another thread may have built the same processor meanwhile: keep the first one.
    if (auto it = c.index.find(key); it != c.index.end())
        return it->second->second;
    c.entries.emplace_front(key, processor);
    c.index[key] = c.entries.begin();
    c.trim();
    return processor;
}

ProcessorCacheStats processorCacheStats() {
    auto& c = cache();
    std::lock_guard lock(c.mutex);
    return {c.entries.size(), c.hits, c.misses};
}

void clearProcessorCache() {
    auto& c = cache();
    std::lock_guard lock(c.mutex);
    c.entries.clear();
    c.index.clear();
    c.hits = 0;
    c.misses = 0;
}

void setProcessorCacheCapacity(std::size_t capacity) {
    auto& c = cache();
    std::lock_guard lock(c.mutex);
    c.capacity = std::max<std::size_t>(1, capacity);
    c.trim();
}

void setDefaultThreadCount(int threads) {
    g_defaultThreads.store(std::max(0, threads));
}

int defaultThreadCount() {
    const int configured = g_defaultThreads.load();
    if (configured > 0)
        return configured;
    return std::max(1u, std::thread::hardware_concurrency());
}

} // namespace kinema::color
