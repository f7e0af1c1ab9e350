// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Kinema node plugin SDK.
///
/// A plugin is a shared library that derives node classes from kinema::render::ImageNode (or OutputNode)
/// and declares itself once with KINEMA_PLUGIN(name, version, registerFunction). Kinema loads plugins
/// only from the directories listed in KINEMA_PLUGIN_PATH, at start-up; it refuses a plugin built against
/// another ABI version or compiler with a message saying so. Build plugins with the same compiler and
/// Kinema headers as the host, linking nothing but the SDK target (symbols come from the host process).
#include "kinema/graph/NodeRegistry.h"
#include "kinema/graph/PluginAbi.h"
#include "kinema/render/ImageNode.h"
#include "kinema/render/ThreadPool.h"

#ifndef KINEMA_PLUGIN_DECLARED_ABI
#define KINEMA_PLUGIN_DECLARED_ABI KINEMA_PLUGIN_ABI_VERSION
#endif

/// Declares the plugin entry point. `registerFn` is `void(kinema::graph::NodeRegistry&, const char* origin)`.
#define KINEMA_PLUGIN(pluginName, pluginVersion, registerFn)                                                 \
    extern "C" __attribute__((visibility("default"))) const KinemaPluginDescriptor*                          \
    kinema_plugin_descriptor() {                                                                             \
        static const KinemaPluginDescriptor descriptor{KINEMA_PLUGIN_DECLARED_ABI,                           \
                                                       static_cast<std::uint32_t>(__GNUC__),                 \
                                                       static_cast<std::uint32_t>(_GLIBCXX_USE_CXX11_ABI),   \
                                                       pluginName,                                           \
                                                       pluginVersion,                                        \
                                                       registerFn};                                          \
        return &descriptor;                                                                                  \
    }
