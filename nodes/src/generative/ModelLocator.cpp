// SPDX-License-Identifier: Apache-2.0
#include "kinema/nodes/ModelLocator.h"

#include "kinema/color/Config.h"

#include <cstdlib>
#include <mutex>
#include <stdexcept>

namespace kinema::nodes {

namespace fs = std::filesystem;

namespace {
std::mutex g_mutex;
std::vector<fs::path> g_appFolders;
} // namespace

void setModelSearchPath(std::vector<fs::path> folders) {
    std::lock_guard lock(g_mutex);
    g_appFolders = std::move(folders);
}

std::vector<fs::path> modelSearchPath() {
    std::vector<fs::path> out;
    {
        std::lock_guard lock(g_mutex);
        out = g_appFolders;
    }
    if (const char* env = std::getenv("KINEMA_MODEL_PATH"); env && *env) {
        std::string list = env;
        std::size_t start = 0;
        while (start <= list.size()) {
            const std::size_t end = std::min(list.find(':', start), list.size());
            if (end > start)
                out.emplace_back(list.substr(start, end - start));
            start = end + 1;
        }
    }
    for (const auto& shipped : color::sharedResourceCandidates("models"))
        out.push_back(shipped);
    return out;
}

fs::path resolveModelFolder(const std::string& value) {
    if (value.empty())
        throw std::runtime_error("model: no model is set (give a model folder or a model name such as '" +
                                 std::string(kDemoModelName) + "')");
    std::error_code ec;
    const fs::path asPath(value);
    if (fs::is_directory(asPath, ec))
        return asPath;
    const bool isName = value.find('/') == std::string::npos && value != "." && value != "..";
    if (!isName)
        throw std::runtime_error("model: the model folder '" + value + "' does not exist");
    std::string searched;
    for (const auto& folder : modelSearchPath()) {
        const fs::path candidate = folder / value;
        if (fs::is_directory(candidate, ec))
            return candidate;
        searched += (searched.empty() ? "" : ", ") + folder.string();
    }
    throw std::runtime_error("model: no model named '" + value +
                             "' was found (searched the app's model folders, "
                             "$KINEMA_MODEL_PATH and the shipped models: " +
                             (searched.empty() ? std::string("nothing") : searched) + ")");
}

} // namespace kinema::nodes
