// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Loading node plugins from the directories in KINEMA_PLUGIN_PATH.
///
/// Plugins load only from configured directories, at start-up, never because a graph file mentions a
/// type. A plugin whose ABI version or compiler does not match is refused with a message that says why;
/// one bad plugin never stops the others from loading.
#include <string>
#include <vector>

#include "kinema/graph/NodeRegistry.h"

namespace kinema::graph {

struct PluginLoadReport {
    std::vector<std::string> loaded; ///< "name version (path)"
    std::vector<std::string> errors; ///< "path: reason"
};

/// Loads one plugin file; throws std::runtime_error with the reason on failure.
std::string loadPlugin(const std::string& path, NodeRegistry& registry);
/// Loads every `*.so` in the ':'-separated directory list (non-recursive, sorted by name).
PluginLoadReport loadPluginsFromPath(const std::string& searchPath, NodeRegistry& registry);
/// Same, with the value of $KINEMA_PLUGIN_PATH (nothing if unset).
PluginLoadReport loadPluginsFromEnvironment(NodeRegistry& registry);

} // namespace kinema::graph
