// SPDX-License-Identifier: Apache-2.0
#pragma once
// Internal glue between the public colour API and OpenColorIO. Never included by public headers.
#include "kinema/color/ColorError.h"
#include "kinema/color/ColorTransform.h"
#include "kinema/color/Config.h"

#include <OpenColorIO/OpenColorIO.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace kinema::color {

namespace OCIO = OCIO_NAMESPACE;

struct ConfigHandle::Impl {
    OCIO::ConstConfigRcPtr config;
    std::filesystem::path path;
    ConfigOrigin origin = ConfigOrigin::File;
    std::string identity;
};

/// "config '<path>'" (or "config text") for error messages.
std::string describeConfig(const ConfigHandle& config);

/// Look names in an OCIO looks string ("+a, -b | c" → a, b, c).
std::vector<std::string> lookNamesOf(const std::string& looks);

/// The OCIO transform and direction implementing a ColorTransform in a config.
struct OcioTransform {
    OCIO::ConstTransformRcPtr transform;
    OCIO::TransformDirection direction = OCIO::TRANSFORM_DIR_FORWARD;
};
OcioTransform toOcioTransform(const ConfigHandle& config, const ColorTransform& transform);

/// The config's current context with the overrides applied.
OCIO::ConstContextRcPtr makeContext(const ConfigHandle& config, const ContextVariables& overrides);

/// The context variables (name → value in `context`) that `transform` can read, directly or via
/// the colour spaces, view transforms, looks, named transforms and file paths it reaches. May
/// over-approximate (both directions of a colour space are inspected), never misses one.
std::map<std::string, std::string> collectUsedContextVariables(const OCIO::Config& config,
                                                               const OCIO::Context& context,
                                                               const OCIO::ConstTransformRcPtr& transform);

} // namespace kinema::color
