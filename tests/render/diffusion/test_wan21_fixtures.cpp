// SPDX-License-Identifier: Apache-2.0
// Numeric parity with the reference implementation: one test case per fixture in tests/fixtures/wan21.
#include <kinema/diffusion/Fixtures.h>

#include <TestSupport.h>

#include <catch2/catch.hpp>

using namespace kinema::diffusion;

namespace {
const std::filesystem::path kFixtures = KINEMA_WAN21_FIXTURES;

void checkFixture(const std::string& name) {
    const auto result = runFixture(kFixtures / name);
    INFO(name << ": " << result.error);
    REQUIRE(result.error.empty());
    for (const auto& t : result.tensors) {
        INFO(t.name << " rel_l2 " << t.relL2 << " max_abs " << t.maxAbs << " (tolerance " << result.tolRelL2
                    << ", " << result.tolMaxAbs << ")");
        CHECK(t.passed);
    }
    CHECK(result.passed);
}
} // namespace

TEST_CASE("wan21 fixture dit-tiny-a", "[wan21][fixture]") {
    checkFixture("dit-tiny-a");
}
TEST_CASE("wan21 fixture dit-tiny-a-diffusers", "[wan21][fixture]") {
    checkFixture("dit-tiny-a-diffusers");
}
TEST_CASE("wan21 fixture sample-unipc-a", "[wan21][fixture]") {
    checkFixture("sample-unipc-a");
}
TEST_CASE("wan21 fixture schedule-dpm-20-shift3", "[wan21][fixture]") {
    checkFixture("schedule-dpm-20-shift3");
}
TEST_CASE("wan21 fixture schedule-unipc-50-shift5", "[wan21][fixture]") {
    checkFixture("schedule-unipc-50-shift5");
}
TEST_CASE("wan21 fixture t5-a", "[wan21][fixture]") {
    checkFixture("t5-a");
}
TEST_CASE("wan21 fixture vae-decode-a", "[wan21][fixture]") {
    checkFixture("vae-decode-a");
}
TEST_CASE("wan21 fixture vae-encode-a", "[wan21][fixture]") {
    checkFixture("vae-encode-a");
}

TEST_CASE("wan21 fixtures: every fixture folder has a test case", "[wan21][fixture]") {
    const auto all = findFixtures(kFixtures);
    CHECK(all.size() == 8);
}

TEST_CASE("wan21 fixtures: a broken fixture is reported and not thrown", "[wan21][fixture]") {
    kinema::test::TempDir dir;
    const auto result = runFixture(dir.path());
    CHECK_FALSE(result.passed);
    CHECK_THAT(result.error, Catch::Contains("fixture.json"));
}

TEST_CASE("wan21 fixtures in bf16: the DiT and the sampler stay within the documented bound",
          "[wan21][fixture]") {
    FixtureOptions bf16;
    bf16.bf16 = true;
    for (const std::string name : {"dit-tiny-a", "dit-tiny-a-diffusers", "sample-unipc-a"}) {
        const auto fp32 = runFixture(kFixtures / name);
        const auto mixed = runFixture(kFixtures / name, bf16);
        INFO(name << ": " << mixed.error << " rel_l2 fp32 " << fp32.relL2 << " bf16 " << mixed.relL2);
        REQUIRE(mixed.error.empty());
        CHECK(mixed.passed);
        CHECK(mixed.tolRelL2 == kBf16FixtureRelL2);
        // bf16 really ran: the error is orders of magnitude above the fp32 path's.
        CHECK(mixed.relL2 > 1e-4);
        CHECK(mixed.relL2 > 20 * fp32.relL2);
    }
    // Components the reference keeps in fp32 are unaffected by the option.
    const auto vae = runFixture(kFixtures / "vae-decode-a", bf16);
    CHECK(vae.passed);
    CHECK(vae.relL2 == runFixture(kFixtures / "vae-decode-a").relL2);
}
