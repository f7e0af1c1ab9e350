// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Rectified-flow sigma/timestep schedules (torch-free). x_sigma = (1 - sigma) x0 + sigma noise.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace kinema::diffusion {

enum class SolverKind { UniPC, DpmPP, Euler };

/// "unipc", "dpm++" (also "dpmpp") or "euler"; throws RequestError otherwise.
SolverKind parseSolverKind(std::string_view name);
std::string_view solverName(SolverKind kind);

struct FlowSchedule {
    std::vector<float> sigmas;           ///< steps + 1 values, the last one 0
    std::vector<std::int64_t> timesteps; ///< steps values, int64(sigma * 1000) truncated
};

/// The schedule the reference uses for `kind`:
/// - UniPC: linspace(float32(0.999), 0, N+1)[:-1] in float64, shift-warped;
/// - DPM++ and Euler: linspace(1, 0, N+1)[:N], shift-warped (starts at sigma 1).
/// The warp is sigma' = s*sigma / (1 + (s-1)*sigma).
FlowSchedule makeFlowSchedule(SolverKind kind, int steps, double shift, int numTrainTimesteps = 1000);

/// The step video-to-video starts at for `strength` (0 to 1) of a `steps`-step schedule:
/// floor(steps * (1 - strength)), at most steps - 1 so that at least one step runs.
int startStepForStrength(int steps, double strength);

} // namespace kinema::diffusion
