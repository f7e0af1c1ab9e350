// SPDX-License-Identifier: Apache-2.0
#include "kinema/graph/PluginLoader.h"

#include <algorithm>
#include <cstdlib>
#include <dlfcn.h>
#include <filesystem>
#include <stdexcept>

#include "kinema/graph/PluginAbi.h"

namespace kinema::graph {

std::string loadPlugin(const std::string& path, NodeRegistry& registry) {
    void* handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
        const char* err = ::dlerror();
        throw std::runtime_error(path + ": cannot load: " + (err ? err : "unknown error"));
    }
    auto entry = reinterpret_cast<KinemaPluginEntryPoint>(::dlsym(handle, KINEMA_PLUGIN_ENTRY_POINT));
    if (!entry) {
        ::dlclose(handle);
        throw std::runtime_error(path + ": not a Kinema plugin (no " KINEMA_PLUGIN_ENTRY_POINT " symbol)");
    }
    const KinemaPluginDescriptor* d = entry();
    if (!d) {
        ::dlclose(handle);
        throw std::runtime_error(path + ": the plugin returned no descriptor");
    }
    if (d->abiVersion != KINEMA_PLUGIN_ABI_VERSION) {
        std::string msg = path + ": plugin ABI version " + std::to_string(d->abiVersion) +
                          " does not match this build's ABI version " +
                          std::to_string(KINEMA_PLUGIN_ABI_VERSION) +
                          "; rebuild the plugin against this Kinema's SDK";
        ::dlclose(handle);
        throw std::runtime_error(msg);
    }
    if (d->compilerMajor != static_cast<std::uint32_t>(__GNUC__) ||
        d->cxx11Abi != static_cast<std::uint32_t>(_GLIBCXX_USE_CXX11_ABI)) {
        ::dlclose(handle);
        throw std::runtime_error(path + ": plugin built with an incompatible compiler or C++ library ABI");
    }
    if (!d->registerTypes) {
        ::dlclose(handle);
        throw std::runtime_error(path + ": the plugin descriptor has no registration function");
    }
    d->registerTypes(registry, path.c_str());
    // The library stays loaded for the life of the process: node objects and vtables live in it.
    return std::string(d->name ? d->name : "?") + " " + (d->version ? d->version : "?") + " (" + path + ")";
}

PluginLoadReport loadPluginsFromPath(const std::string& searchPath, NodeRegistry& registry) {
    PluginLoadReport report;
    std::size_t start = 0;
    while (start <= searchPath.size()) {
        auto colon = searchPath.find(':', start);
        std::string dir =
            searchPath.substr(start, colon == std::string::npos ? std::string::npos : colon - start);
        start = colon == std::string::npos ? searchPath.size() + 1 : colon + 1;
        if (dir.empty())
            continue;
        std::error_code ec;
        std::vector<std::filesystem::path> files;
        for (auto& entry : std::filesystem::directory_iterator(dir, ec))
            if (entry.is_regular_file() && entry.path().extension() == ".so")
                files.push_back(entry.path());
        if (ec) {
            report.errors.push_back(dir + ": cannot list plugin directory: " + ec.message());
            continue;
        }
        std::sort(files.begin(), files.end());
        for (auto& f : files) {
            try {
                report.loaded.push_back(loadPlugin(f.string(), registry));
            } catch (const std::exception& e) {
                report.errors.push_back(e.what());
            }
        }
    }
    return report;
}

PluginLoadReport loadPluginsFromEnvironment(NodeRegistry& registry) {
    const char* path = std::getenv("KINEMA_PLUGIN_PATH");
    return path ? loadPluginsFromPath(path, registry) : PluginLoadReport{};
}

} // namespace kinema::graph
