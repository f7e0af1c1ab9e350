// SPDX-License-Identifier: Apache-2.0
#include "OcioInternal.h"

#include <cstdlib>
#include <mutex>
#include <sstream>
#include <system_error>

namespace kinema::color {

namespace {

std::mutex g_shippedMutex;
std::filesystem::path g_shippedOverride;

const ConfigHandle::Impl& requireImpl(const std::shared_ptr<const ConfigHandle::Impl>& impl) {
    if (!impl)
        throw ColorError("colour: no OpenColorIO config is loaded (empty ConfigHandle)");
    return *impl;
}

std::vector<std::string> splitLooks(const std::string& looks) {
    std::vector<std::string> names;
    std::string current;
    auto flush = [&] {
        size_t begin = current.find_first_not_of(" \t+-");
        size_t end = current.find_last_not_of(" \t");
        if (begin != std::string::npos && end != std::string::npos && end >= begin)
            names.push_back(current.substr(begin, end - begin + 1));
        current.clear();
    };
    for (char c : looks) {
        if (c == ',' || c == '|' || c == ':')
            flush();
        else
            current += c;
    }
    flush();
    return names;
}

std::filesystem::path executableDirectory() {
    std::error_code ec;
    auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (ec)
        return {};
    return exe.parent_path();
}

} // namespace

const char* toString(ConfigOrigin origin) {
    switch (origin) {
    case ConfigOrigin::Environment:
        return "$OCIO";
    case ConfigOrigin::Project:
        return "project setting";
    case ConfigOrigin::Shipped:
        return "shipped config";
    case ConfigOrigin::File:
        return "file";
    case ConfigOrigin::Text:
        return "text";
    }
    return "unknown";
}

std::string describeConfig(const ConfigHandle& config) {
    if (!config.valid())
        return "no config";
    if (config.path().empty())
        return "config text '" + config.name() + "'";
    return "config '" + config.path().string() + "'";
}

ConfigHandle::ConfigHandle() = default;
ConfigHandle::~ConfigHandle() = default;
ConfigHandle::ConfigHandle(const ConfigHandle&) = default;
ConfigHandle& ConfigHandle::operator=(const ConfigHandle&) = default;
ConfigHandle::ConfigHandle(ConfigHandle&&) noexcept = default;
ConfigHandle& ConfigHandle::operator=(ConfigHandle&&) noexcept = default;
ConfigHandle::ConfigHandle(std::shared_ptr<const Impl> impl)
    : m_impl(std::move(impl)) {}

namespace {

std::shared_ptr<ConfigHandle::Impl> finishLoad(OCIO::ConstConfigRcPtr config, const std::string& what) {
    try {
        config->validate();
    } catch (const OCIO::Exception& e) {
        throw ColorError("colour: " + what + " is not a valid OpenColorIO config: " + e.what());
    }
    auto impl = std::make_shared<ConfigHandle::Impl>();
    impl->config = std::move(config);
    return impl;
}

} // namespace

ConfigHandle ConfigHandle::fromFile(const std::filesystem::path& path, ConfigOrigin origin) {
    const std::string what = "config '" + path.string() + "' (" + toString(origin) + ")";
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec))
        throw ColorError("colour: " + what + " does not exist or is not a file");
    OCIO::ConstConfigRcPtr config;
    try {
        config = OCIO::Config::CreateFromFile(path.string().c_str());
    } catch (const OCIO::Exception& e) {
        throw ColorError("colour: cannot load " + what + ": " + e.what());
    }
    auto impl = finishLoad(std::move(config), what);
    auto canonical = std::filesystem::weakly_canonical(path, ec);
    impl->path = ec ? std::filesystem::absolute(path) : canonical;
    impl->origin = origin;
    try {
        impl->identity = std::string(impl->config->getCacheID()) + "@" + impl->path.string();
    } catch (const OCIO::Exception& e) {
        throw ColorError("colour: cannot compute the identity of " + what + ": " + e.what());
    }
    return ConfigHandle(std::move(impl));
}

ConfigHandle ConfigHandle::fromText(const std::string& yaml, const std::filesystem::path& workingDir) {
    OCIO::ConstConfigRcPtr config;
    try {
        std::istringstream stream(yaml);
        auto loaded = OCIO::Config::CreateFromStream(stream);
        if (!workingDir.empty()) {
            auto editable = loaded->createEditableCopy();
            editable->setWorkingDir(workingDir.string().c_str());
            loaded = editable;
        }
        config = loaded;
    } catch (const OCIO::Exception& e) {
        throw ColorError(std::string("colour: cannot parse OpenColorIO config text: ") + e.what());
    }
    auto impl = finishLoad(std::move(config), "config text");
    impl->origin = ConfigOrigin::Text;
    try {
        impl->identity = std::string(impl->config->getCacheID()) + "@text:" + workingDir.string();
    } catch (const OCIO::Exception& e) {
        throw ColorError(std::string("colour: cannot compute the identity of config text: ") + e.what());
    }
    return ConfigHandle(std::move(impl));
}

const ConfigHandle::Impl& ConfigHandle::impl() const {
    return requireImpl(m_impl);
}
const std::string& ConfigHandle::identity() const {
    return impl().identity;
}
const std::filesystem::path& ConfigHandle::path() const {
    return impl().path;
}
ConfigOrigin ConfigHandle::origin() const {
    return impl().origin;
}
std::string ConfigHandle::name() const {
    return impl().config->getName();
}
std::string ConfigHandle::description() const {
    return impl().config->getDescription();
}

std::vector<std::string> ConfigHandle::colorSpaces(bool includeInactive) const {
    const auto& config = *impl().config;
    std::vector<std::string> names;
    if (includeInactive) {
        const int n = config.getNumColorSpaces(OCIO::SEARCH_REFERENCE_SPACE_ALL, OCIO::COLORSPACE_ALL);
        for (int i = 0; i < n; ++i)
            names.emplace_back(
                config.getColorSpaceNameByIndex(OCIO::SEARCH_REFERENCE_SPACE_ALL, OCIO::COLORSPACE_ALL, i));
    } else {
        const int n = config.getNumColorSpaces();
        for (int i = 0; i < n; ++i)
            names.emplace_back(config.getColorSpaceNameByIndex(i));
    }
    return names;
}

bool ConfigHandle::hasColorSpace(const std::string& nameOrRole) const {
    return impl().config->getColorSpace(nameOrRole.c_str()) != nullptr;
}

std::string ConfigHandle::canonicalColorSpace(const std::string& nameOrRole) const {
    auto cs = impl().config->getColorSpace(nameOrRole.c_str());
    if (!cs)
        throw ColorError("colour: " + describeConfig(*this) + " has no colour space or role named '" +
                         nameOrRole + "'");
    return cs->getName();
}

bool ConfigHandle::isData(const std::string& colorSpace) const {
    auto cs = impl().config->getColorSpace(colorSpace.c_str());
    if (!cs)
        throw ColorError("colour: " + describeConfig(*this) + " has no colour space named '" + colorSpace +
                         "'");
    return cs->isData();
}

std::vector<std::string> ConfigHandle::displays() const {
    const auto& config = *impl().config;
    std::vector<std::string> names;
    for (int i = 0; i < config.getNumDisplays(); ++i)
        names.emplace_back(config.getDisplay(i));
    return names;
}

std::string ConfigHandle::defaultDisplay() const {
    return impl().config->getDefaultDisplay();
}

namespace {

void requireDisplay(const ConfigHandle& handle, const std::string& display) {
    const auto& config = *handle.impl().config;
    for (int i = 0; i < config.getNumDisplays(); ++i)
        if (display == config.getDisplay(i))
            return;
    throw ColorError("colour: " + describeConfig(handle) + " has no active display named '" + display + "'");
}

} // namespace

std::vector<std::string> ConfigHandle::views(const std::string& display) const {
    requireDisplay(*this, display);
    const auto& config = *impl().config;
    std::vector<std::string> names;
    const int n = config.getNumViews(display.c_str());
    for (int i = 0; i < n; ++i)
        names.emplace_back(config.getView(display.c_str(), i));
    return names;
}

std::vector<std::string> ConfigHandle::views(const std::string& display,
                                             const std::string& colorSpace) const {
    requireDisplay(*this, display);
    const std::string cs = canonicalColorSpace(colorSpace);
    const auto& config = *impl().config;
    std::vector<std::string> names;
    const int n = config.getNumViews(display.c_str(), cs.c_str());
    for (int i = 0; i < n; ++i)
        names.emplace_back(config.getView(display.c_str(), cs.c_str(), i));
    return names;
}

std::string ConfigHandle::defaultView(const std::string& display) const {
    requireDisplay(*this, display);
    return impl().config->getDefaultView(display.c_str());
}

std::vector<std::string> ConfigHandle::looks() const {
    const auto& config = *impl().config;
    std::vector<std::string> names;
    for (int i = 0; i < config.getNumLooks(); ++i)
        names.emplace_back(config.getLookNameByIndex(i));
    return names;
}

bool ConfigHandle::hasLook(const std::string& look) const {
    return impl().config->getLook(look.c_str()) != nullptr;
}

std::vector<std::pair<std::string, std::string>> ConfigHandle::roles() const {
    const auto& config = *impl().config;
    std::vector<std::pair<std::string, std::string>> result;
    for (int i = 0; i < config.getNumRoles(); ++i)
        result.emplace_back(config.getRoleName(i), config.getRoleColorSpace(i));
    return result;
}

std::string ConfigHandle::roleColorSpace(const std::string& role) const {
    const auto& config = *impl().config;
    if (!config.hasRole(role.c_str()))
        return {};
    auto cs = config.getColorSpace(role.c_str());
    return cs ? cs->getName() : std::string();
}

std::string ConfigHandle::workingSpace() const {
    return roleColorSpace(OCIO::ROLE_SCENE_LINEAR);
}

std::string ConfigHandle::colorSpaceForPath(const std::string& path) const {
    const auto& config = *impl().config;
    std::string name;
    try {
        name = config.getColorSpaceFromFilepath(path.c_str());
    } catch (const OCIO::Exception& e) {
        throw ColorError("colour: file rules of " + describeConfig(*this) + " failed for '" + path +
                         "': " + e.what());
    }
    // The Default rule may name a role ("default"): report the colour space it stands for.
    if (auto cs = config.getColorSpace(name.c_str()))
        return cs->getName();
    return name;
}

std::map<std::string, std::string> ConfigHandle::environment() const {
    const auto& config = *impl().config;
    std::map<std::string, std::string> vars;
    for (int i = 0; i < config.getNumEnvironmentVars(); ++i) {
        const char* name = config.getEnvironmentVarNameByIndex(i);
        vars[name] = config.getEnvironmentVarDefault(name);
    }
    return vars;
}

void setShippedConfigPath(const std::filesystem::path& path) {
    std::lock_guard lock(g_shippedMutex);
    g_shippedOverride = path;
}

std::vector<std::filesystem::path> sharedResourceCandidates(const std::filesystem::path& relative) {
    std::vector<std::filesystem::path> out;
    std::filesystem::path dir = executableDirectory();
    for (int level = 0; level < 4 && !dir.empty(); ++level) {
        out.push_back(dir / "share" / "kinema" / relative);
        if (dir == dir.parent_path())
            break;
        dir = dir.parent_path();
    }
    return out;
}

std::filesystem::path shippedConfigPath() {
    {
        std::lock_guard lock(g_shippedMutex);
        if (!g_shippedOverride.empty())
            return g_shippedOverride;
    }
    std::error_code ec;
    std::string searched;
    for (const auto& candidate : sharedResourceCandidates(std::filesystem::path("ocio") / "config.ocio")) {
        if (std::filesystem::is_regular_file(candidate, ec))
            return candidate;
        searched += (searched.empty() ? "" : ", ") + candidate.string();
    }
    throw ColorError("colour: the shipped OpenColorIO config was not found (searched " +
                     (searched.empty() ? std::string("nothing: executable path unknown") : searched) +
                     "); set $OCIO or the project's colour config");
}

ConfigLocation resolveConfigLocation(const std::string& projectSetting) {
    std::error_code ec;
    if (const char* env = std::getenv("OCIO"); env && *env) {
        if (!std::filesystem::is_regular_file(env, ec))
            throw ColorError(std::string("colour: $OCIO names '") + env +
                             "', which does not exist or is not a file");
        return {env, ConfigOrigin::Environment};
    }
    if (!projectSetting.empty()) {
        if (!std::filesystem::is_regular_file(projectSetting, ec))
            throw ColorError("colour: the project's OCIO config '" + projectSetting +
                             "' does not exist or is not a file");
        return {projectSetting, ConfigOrigin::Project};
    }
    auto shipped = shippedConfigPath();
    if (!std::filesystem::is_regular_file(shipped, ec))
        throw ColorError("colour: the shipped OCIO config '" + shipped.string() + "' does not exist");
    return {shipped, ConfigOrigin::Shipped};
}

ConfigHandle loadConfig(const std::string& projectSetting) {
    const auto location = resolveConfigLocation(projectSetting);
    return ConfigHandle::fromFile(location.path, location.origin);
}

// Used by the transform translation to validate look names early with a clear message.
std::vector<std::string> lookNamesOf(const std::string& looks) {
    return splitLooks(looks);
}

} // namespace kinema::color
