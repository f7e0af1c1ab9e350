// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Numeric parity fixtures: a folder with fixture.json, weights/inputs/expected safetensors. A fixture runs
/// one model component (dit, vae_encode, vae_decode, text_encoder, schedule, sample) on its inputs and
/// compares every expected tensor: F32 by rel_l2 and max_abs against the fixture's tolerance, I64 exactly.
/// Shared by the tests and `kinema-model check`.
#include <filesystem>
#include <string>
#include <vector>

namespace kinema::diffusion {

struct TensorComparison {
    std::string name;
    double relL2 = 0.0;
    double maxAbs = 0.0;
    bool passed = false;
};

struct FixtureResult {
    std::string name;      ///< the folder name
    std::string component; ///< from fixture.json
    bool passed = false;
    double relL2 = 0.0;  ///< worst over the compared tensors
    double maxAbs = 0.0; ///< worst over the compared tensors
    double tolRelL2 = 0.0;
    double tolMaxAbs = 0.0;
    std::string error; ///< set when the fixture could not run (bad files, unknown component, ...)
    std::vector<TensorComparison> tensors;
};

struct FixtureOptions {
    /// Run DiT and sampling fixtures with the bf16 mixed-precision map instead of fp32. The fixtures hold
    /// fp32 reference outputs, so those cases are then judged by rel_l2 <= kBf16FixtureRelL2 alone (rounding
    /// the Linear outputs to bf16 by itself gives about 4e-3). Other components run in fp32 as the
    /// reference runs them (the VAE always) and keep their tolerances.
    bool bf16 = false;
};

/// The rel_l2 bound for DiT and sampling fixtures on the bf16 path.
inline constexpr double kBf16FixtureRelL2 = 2e-2;

/// Runs the fixture in `dir`. Never throws for a bad fixture: the error is reported in the result.
FixtureResult runFixture(const std::filesystem::path& dir, const FixtureOptions& options = {});

/// `path` itself if it holds a fixture.json, else its immediate subfolders that do, sorted by name.
std::vector<std::filesystem::path> findFixtures(const std::filesystem::path& path);

} // namespace kinema::diffusion
