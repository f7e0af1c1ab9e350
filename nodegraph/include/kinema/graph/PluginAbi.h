// SPDX-License-Identifier: Apache-2.0
#pragma once
/// The binary contract between Kinema and node plugins (see plugins/sdk for the author-facing header).
///
/// A plugin is a shared library exporting `kinema_plugin_descriptor()`, returning a descriptor whose
/// abiVersion must equal KINEMA_PLUGIN_ABI_VERSION and whose compiler fields match the host's. The ABI
/// version changes whenever a class a plugin derives from (Node, ImageNode) or the registry changes layout.
#include <cstdint>

#define KINEMA_PLUGIN_ABI_VERSION 2u
#define KINEMA_PLUGIN_ENTRY_POINT "kinema_plugin_descriptor"

namespace kinema::graph {
class NodeRegistry;
}

extern "C" {
struct KinemaPluginDescriptor {
    std::uint32_t abiVersion;
    std::uint32_t compilerMajor; ///< __GNUC__ of the build
    std::uint32_t cxx11Abi;      ///< _GLIBCXX_USE_CXX11_ABI of the build
    const char* name;
    const char* version;
    /// Registers the plugin's node types; `origin` is the plugin's file path, for messages.
    void (*registerTypes)(kinema::graph::NodeRegistry& registry, const char* origin);
};
typedef const KinemaPluginDescriptor* (*KinemaPluginEntryPoint)();
}
