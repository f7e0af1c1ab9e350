// SPDX-License-Identifier: Apache-2.0
// kinema-eval run as a real process on the shipped demo model: its JSON report names, for every case, what
// the caption asked for beside what the analyser read, and a bad model folder is a clear error.
#include "TestSupport.h"
#include "kinema/scenes/Caption.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <string>

namespace {
nlohmann::json nameOrNull(const auto& value) {
    return value ? nlohmann::json(std::string(kinema::scenes::toString(*value))) : nlohmann::json(nullptr);
}
} // namespace

TEST_CASE("kinema-eval writes each case's caption facts beside the analyser's reading", "[eval][cli]") {
    kinema::test::TempDir dir("kinema-eval-cli");
    const auto model = kinema::test::resourcesDir() / "models" / "kinema-demo";
    const auto report = dir / "report.json";
    const auto result = kinema::test::runProgram(KINEMA_EVAL_EXE,
                                                 {"--model", model.string(), "--captions", "3", "--per-task",
                                                  "0", "--threads", "1", "-q", "--json", report.string()},
                                                 dir.path());
    INFO(result.out);
    REQUIRE(result.exitCode == 0);
    REQUIRE_FALSE(std::filesystem::exists(report.string() + ".partial"));

    const auto json = nlohmann::json::parse(kinema::test::readFileBytes(report));
    const auto& cases = json.at("cases");
    REQUIRE(cases.size() == 3);
    for (const auto& c : cases) {
        INFO(c.at("caption").get<std::string>());
        CHECK(c.at("task") == "text-to-video");
        const auto facts = kinema::scenes::parseCaption(c.at("caption").get<std::string>());
        REQUIRE_FALSE(facts.objects.empty());
        const auto& expected = c.at("expected");
        CHECK(expected.at("colour") == nameOrNull(facts.objects[0].colour));
        CHECK(expected.at("shape") == nameOrNull(facts.objects[0].shape));
        CHECK(expected.at("motion") == nameOrNull(facts.objects[0].motion));
        CHECK(expected.at("light") == nameOrNull(facts.light));
        CHECK(expected.at("camera") == nameOrNull(facts.camera));
        CHECK(expected.at("emissive").get<bool>() == facts.objects[0].emissive);
        // Every held-out caption names its subject's colour, and the score is that comparison.
        REQUIRE(expected.at("colour").is_string());
        if (c.at("subject_found").get<bool>())
            CHECK(c.at("colour").get<bool>() == (c.at("measured").at("colour") == expected.at("colour")));
        // The direction of travel is scored for the eight directions' captions only, against the reading.
        const auto motion = facts.objects[0].motion;
        if (motion && kinema::scenes::isDirection(*motion) && c.at("subject_found").get<bool>())
            CHECK(c.at("direction").get<bool>() == (c.at("measured").at("travel") == expected.at("motion")));
        else if (!motion || !kinema::scenes::isDirection(*motion))
            CHECK(c.at("direction").is_null());
    }
    const auto& measures = json.at("measures");
    REQUIRE(measures.is_array());
    CHECK(measures.at(0).at("name") == "colour");
    CHECK(measures.at(0).at("cases") == 3);
}

TEST_CASE("kinema-eval names a model folder that is not there", "[eval][cli]") {
    kinema::test::TempDir dir("kinema-eval-cli");
    const auto missing = dir / "no-such-model";
    const auto result = kinema::test::runProgram(
        KINEMA_EVAL_EXE, {"--model", missing.string(), "--captions", "1", "--per-task", "0", "-q"},
        dir.path());
    CHECK(result.exitCode == 2);
    CHECK(result.out.find("no-such-model") != std::string::npos);
}
