// SPDX-License-Identifier: Apache-2.0
#pragma once
#include "OcioInternal.h"
#include "kinema/color/Processor.h"

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace kinema::color {

struct Processor::Impl {
    OCIO::ConstProcessorRcPtr processor;
    OCIO::ConstCPUProcessorRcPtr cpu;
    ColorTransform transform;
    std::string key;
    std::vector<std::pair<std::string, std::string>> usedVariables;
};

/// The processor-cache key: config identity, used context variables (sorted), transform key.
std::string processorCacheKey(const ConfigHandle& config, const ColorTransform& transform,
                              const std::map<std::string, std::string>& usedVariables);

} // namespace kinema::color
