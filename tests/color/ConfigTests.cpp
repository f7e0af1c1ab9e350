// SPDX-License-Identifier: Apache-2.0
#include "ColorTestSupport.h"
#include "kinema/color/Color.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>
#include <sstream>

using namespace kinema::color;
using namespace kinema::color::test;

namespace {

bool contains(const std::vector<std::string>& list, const std::string& item) {
    return std::find(list.begin(), list.end(), item) != list.end();
}

std::string readText(const std::filesystem::path& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

void writeText(const std::filesystem::path& path, const std::string& text) {
    std::ofstream out(path);
    out << text;
}

} // namespace

TEST_CASE("shipped config validates and has the required colour spaces", "[color][config]") {
    const ConfigHandle config = ConfigHandle::fromFile(shippedConfig()); // validates
    const auto spaces = config.colorSpaces();
    for (const char* name :
         {"ACES2065-1", "ACEScg", "ACEScct", "Linear Rec.709", "Linear Rec.2020", "sRGB - Texture",
          "Rec.1886 Rec.709 - Display", "Display P3 - Display", "sRGB - Display", "Raw"})
        CHECK(contains(spaces, name));
    CHECK(config.workingSpace() == "ACEScg");
    CHECK(config.roleColorSpace("default") == "ACEScg");
    CHECK(config.roleColorSpace("aces_interchange") == "ACES2065-1");
    CHECK(config.roleColorSpace("compositing_log") == "ACEScct");
    CHECK(config.roleColorSpace("data") == "Raw");
    CHECK(config.roleColorSpace("no_such_role").empty());
    CHECK(config.isData("Raw"));
    CHECK_FALSE(config.isData("ACEScg"));
    CHECK(config.canonicalColorSpace("lin_ap1") == "ACEScg");
    CHECK(config.canonicalColorSpace("scene_linear") == "ACEScg");
    CHECK_THROWS_AS(config.canonicalColorSpace("Nope"), ColorError);
}

TEST_CASE("shipped config displays and views", "[color][config]") {
    const ConfigHandle config = ConfigHandle::fromFile(shippedConfig());
    CHECK(config.displays() == std::vector<std::string>{"sRGB", "Rec.1886", "P3-D65"});
    CHECK(config.defaultDisplay() == "sRGB");
    for (const auto& display : config.displays()) {
        CHECK(config.views(display) ==
              std::vector<std::string>{"ACES 1.0 SDR-video", "Un-tone-mapped", "Raw"});
        CHECK(config.defaultView(display) == "ACES 1.0 SDR-video");
    }
    CHECK_THROWS_AS(config.views("Cinema"), ColorError);
    CHECK(config.looks().empty());
}

TEST_CASE("shipped config file rules", "[color][config]") {
    const ConfigHandle config = ConfigHandle::fromFile(shippedConfig());
    CHECK(config.colorSpaceForPath("/shots/a/plate.1001.exr") == "ACEScg");
    CHECK(config.colorSpaceForPath("/shots/a/PLATE.1001.EXR") == "ACEScg");
    for (const char* path :
         {"ref.png", "ref.jpg", "ref.jpeg", "scan.0001.dpx", "tex.tif", "tex.TIFF", "a.tga"})
        CHECK(config.colorSpaceForPath(path) == "sRGB - Texture");
    CHECK(config.colorSpaceForPath("probe.hdr") == "Linear Rec.709");
    CHECK(config.colorSpaceForPath("edit.mov") == "Rec.1886 Rec.709 - Display");
    CHECK(config.colorSpaceForPath("edit.mp4") == "Rec.1886 Rec.709 - Display");
    CHECK(config.colorSpaceForPath("notes.xyz") == "ACEScg"); // the Default rule → default role
}

TEST_CASE("config resolution order: $OCIO, project setting, shipped", "[color][config]") {
    setShippedConfigPath(shippedConfig());
    ::unsetenv("OCIO");

    auto shipped = resolveConfigLocation();
    CHECK(shipped.origin == ConfigOrigin::Shipped);
    CHECK(shipped.path == shippedConfig());

    auto project = resolveConfigLocation(studioConfig().string());
    CHECK(project.origin == ConfigOrigin::Project);
    CHECK(project.path == studioConfig());

    ::setenv("OCIO", studioConfig().c_str(), 1);
    auto env = resolveConfigLocation(shippedConfig().string());
    CHECK(env.origin == ConfigOrigin::Environment);
    CHECK(env.path == studioConfig());
    const ConfigHandle fromEnv = loadConfig();
    CHECK(fromEnv.origin() == ConfigOrigin::Environment);
    CHECK(fromEnv.name() == "kinema-test-studio");

    // An empty $OCIO counts as unset.
    ::setenv("OCIO", "", 1);
    CHECK(resolveConfigLocation().origin == ConfigOrigin::Shipped);
    ::unsetenv("OCIO");
}

TEST_CASE("config resolution reports missing files instead of falling through", "[color][config]") {
    kinema::test::TempDir dir;
    setShippedConfigPath(shippedConfig());
    ::setenv("OCIO", (dir / "missing.ocio").c_str(), 1);
    CHECK_THROWS_WITH(resolveConfigLocation(), Catch::Contains("$OCIO") && Catch::Contains("missing.ocio"));
    ::unsetenv("OCIO");
    CHECK_THROWS_WITH(resolveConfigLocation((dir / "project.ocio").string()),
                      Catch::Contains("project.ocio"));
    setShippedConfigPath(dir / "gone" / "config.ocio");
    CHECK_THROWS_AS(loadConfig(), ColorError);
    setShippedConfigPath(shippedConfig());
}

TEST_CASE("bad configs give errors naming the file", "[color][config]") {
    kinema::test::TempDir dir;
    writeText(dir / "garbage.ocio", "ocio_profile_version: 2.1\nroles: [unclosed\n");
    CHECK_THROWS_WITH(ConfigHandle::fromFile(dir / "garbage.ocio"), Catch::Contains("garbage.ocio"));
    // Parses, but a role names a colour space that does not exist: validate() rejects it.
    std::string text = readText(shippedConfig());
    const std::string from = "compositing_log: ACEScct";
    text.replace(text.find(from), from.size(), "compositing_log: ACEScct-missing");
    writeText(dir / "invalid.ocio", text);
    CHECK_THROWS_WITH(ConfigHandle::fromFile(dir / "invalid.ocio"), Catch::Contains("invalid.ocio"));
    CHECK_THROWS_AS(ConfigHandle::fromFile(dir / "absent.ocio"), ColorError);
    CHECK_THROWS_AS(ConfigHandle().identity(), ColorError);
}

TEST_CASE("config identity is stable for equal content and changes with content or path", "[color][config]") {
    kinema::test::TempDir dir;
    const std::string text = readText(shippedConfig());
    writeText(dir / "a.ocio", text);
    const auto first = ConfigHandle::fromFile(dir / "a.ocio");
    const auto again = ConfigHandle::fromFile(dir / "a.ocio");
    CHECK(first.identity() == again.identity());
    CHECK(!first.identity().empty());

    writeText(dir / "b.ocio", text);
    CHECK(ConfigHandle::fromFile(dir / "b.ocio").identity() != first.identity());

    std::string edited = text;
    edited.replace(edited.find("luma: [0.2126"), 13, "luma: [0.2127");
    writeText(dir / "a.ocio", edited);
    CHECK(ConfigHandle::fromFile(dir / "a.ocio").identity() != first.identity());

    // Text configs: equal text, equal identity.
    CHECK(ConfigHandle::fromText(text).identity() == ConfigHandle::fromText(text).identity());
    CHECK(ConfigHandle::fromText(text).identity() != ConfigHandle::fromText(edited).identity());
}

TEST_CASE("studio-layout config: displays, shared views, inactive spaces, looks, roles", "[color][config]") {
    const ConfigHandle config = ConfigHandle::fromFile(studioConfig());
    // P3-D65 - Display is defined but not in active_displays.
    CHECK(config.displays() == std::vector<std::string>{"sRGB - Display", "Rec.1886 Rec.709 - Display"});
    CHECK(config.views("sRGB - Display") ==
          std::vector<std::string>{"ACES 1.0 - SDR Video", "Un-tone-mapped", "Raw"});
    const auto active = config.colorSpaces();
    const auto all = config.colorSpaces(true);
    CHECK_FALSE(contains(active, "Linear P3-D65"));
    CHECK_FALSE(contains(active, "CIE-XYZ-D65"));
    CHECK(contains(all, "Linear P3-D65"));
    CHECK(config.hasColorSpace("Linear P3-D65")); // inactive spaces still resolve
    CHECK(config.looks() == std::vector<std::string>{"ACES 1.3 Reference Gamut Compression", "Shot Grade"});
    CHECK(config.hasLook("Shot Grade"));
    CHECK(config.environment() == std::map<std::string, std::string>{{"SHOT", "shot010"}});
    CHECK(config.workingSpace() == "ACEScg");
    CHECK(config.colorSpaceForPath("plate.exr") == "ACES2065-1");
    // Viewing rules: the Raw view is tied to the data-only rule, so only Raw images offer it.
    CHECK(config.views("sRGB - Display", "Raw") == config.views("sRGB - Display"));
    CHECK(config.views("sRGB - Display", "ACEScg") ==
          std::vector<std::string>{"ACES 1.0 - SDR Video", "Un-tone-mapped"});
    CHECK_THROWS_AS(config.views("sRGB - Display", "NoSuchSpace"), ColorError);
    const auto roles = config.roles();
    CHECK(std::find(roles.begin(), roles.end(),
                    std::pair<std::string, std::string>{"color_timing", "ACEScct"}) != roles.end());
}
