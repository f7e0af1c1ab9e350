// SPDX-License-Identifier: Apache-2.0
#pragma once
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace kinema::color {

/// Where a loaded config came from (the resolution order is Environment, Project, Shipped).
enum class ConfigOrigin {
    Environment, ///< the file named by the $OCIO environment variable
    Project,     ///< the file named by the project's colour setting
    Shipped,     ///< Kinema's own config in resources/ocio
    File,        ///< a file opened explicitly with ConfigHandle::fromFile
    Text,        ///< YAML text given to ConfigHandle::fromText
};

const char* toString(ConfigOrigin origin);

/// The result of config resolution: the file to load and why it was chosen.
struct ConfigLocation {
    std::filesystem::path path;
    ConfigOrigin origin = ConfigOrigin::Shipped;
};

/// Context variable overrides (name → value) applied on top of the config's current context.
using ContextVariables = std::map<std::string, std::string>;

/// An immutable, shareable handle on a loaded OpenColorIO config. Copies share the same config.
/// A default-constructed handle holds no config; every query on it throws ColorError.
class ConfigHandle {
public:
    ConfigHandle();
    ~ConfigHandle();
    ConfigHandle(const ConfigHandle&);
    ConfigHandle& operator=(const ConfigHandle&);
    ConfigHandle(ConfigHandle&&) noexcept;
    ConfigHandle& operator=(ConfigHandle&&) noexcept;

    /// Loads and validates a config file. Throws ColorError naming the file and the cause.
    static ConfigHandle fromFile(const std::filesystem::path& path, ConfigOrigin origin = ConfigOrigin::File);
    /// Loads and validates YAML config text; relative LUT paths resolve against workingDir.
    static ConfigHandle fromText(const std::string& yaml, const std::filesystem::path& workingDir = {});

    bool valid() const { return m_impl != nullptr; }

    /// Stable content identity for node hashes: the OpenColorIO cache id of the config in its
    /// current context (a hash of its serialisation and of the LUT files it references) and the
    /// config path. Equal configs loaded twice give the same identity; any edit changes it.
    const std::string& identity() const;
    const std::filesystem::path& path() const;
    ConfigOrigin origin() const;
    std::string name() const;
    std::string description() const;

    /// Active colour space names in config order; with includeInactive, the inactive ones too.
    std::vector<std::string> colorSpaces(bool includeInactive = false) const;
    /// True for a colour space, alias or role name the config can resolve (inactive ones included).
    bool hasColorSpace(const std::string& nameOrRole) const;
    /// The canonical colour space name for a name, alias or role; throws ColorError when unknown.
    std::string canonicalColorSpace(const std::string& nameOrRole) const;
    /// True when the colour space is flagged as data (never converted).
    bool isData(const std::string& colorSpace) const;

    /// Active displays, in config order (honours active_displays and $OCIO_ACTIVE_DISPLAYS).
    std::vector<std::string> displays() const;
    std::string defaultDisplay() const;
    /// Active views of a display; throws ColorError for an unknown display.
    std::vector<std::string> views(const std::string& display) const;
    std::string defaultView(const std::string& display) const;
    /// Active views of a display suitable for an image in colorSpace (viewing rules applied).
    std::vector<std::string> views(const std::string& display, const std::string& colorSpace) const;
    std::vector<std::string> looks() const;
    bool hasLook(const std::string& look) const;

    /// Roles as (role, colour space) pairs.
    std::vector<std::pair<std::string, std::string>> roles() const;
    /// The colour space of a role, or an empty string when the config does not define it.
    std::string roleColorSpace(const std::string& role) const;
    /// The scene_linear role's colour space (the compositing working space).
    std::string workingSpace() const;
    /// The colour space that the config's file rules assign to an image path.
    std::string colorSpaceForPath(const std::string& path) const;
    /// Context variable names declared in the config's environment section, with their defaults.
    std::map<std::string, std::string> environment() const;

    struct Impl;
    const Impl& impl() const;

private:
    explicit ConfigHandle(std::shared_ptr<const Impl> impl);
    std::shared_ptr<const Impl> m_impl;
};

/// Where an installed resource share/kinema/<relative> may be: next to the running executable and up to
/// three folders above it (the install prefix, or the build tree, which mirrors resources/), nearest
/// first. Shared by the OCIO config and the shipped models.
std::vector<std::filesystem::path> sharedResourceCandidates(const std::filesystem::path& relative);

/// Overrides where the shipped config is looked for; an empty path restores the automatic search.
void setShippedConfigPath(const std::filesystem::path& path);
/// The shipped config: the override if set, else share/kinema/ocio/config.ocio found next to or
/// above the running executable (install prefix or build tree). Throws ColorError if none exists.
std::filesystem::path shippedConfigPath();

/// Config resolution: $OCIO when set and non-empty, else projectSetting when non-empty, else the
/// shipped config. Existence of the chosen file is checked; a missing file throws ColorError
/// naming where the path came from (it never silently falls through to the next source).
ConfigLocation resolveConfigLocation(const std::string& projectSetting = {});
/// Resolves, loads and validates the config (see resolveConfigLocation).
ConfigHandle loadConfig(const std::string& projectSetting = {});

} // namespace kinema::color
