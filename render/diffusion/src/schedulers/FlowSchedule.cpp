// SPDX-License-Identifier: Apache-2.0
#include "schedulers/FlowSchedule.h"

#include <kinema/diffusion/Errors.h>

#include <algorithm>
#include <cmath>

namespace kinema::diffusion {

SolverKind parseSolverKind(std::string_view name) {
    if (name == "unipc")
        return SolverKind::UniPC;
    if (name == "dpm++" || name == "dpmpp")
        return SolverKind::DpmPP;
    if (name == "euler")
        return SolverKind::Euler;
    throw RequestError("solver '" + std::string(name) + "' is unknown (expected unipc, dpm++ or euler)");
}

std::string_view solverName(SolverKind kind) {
    switch (kind) {
    case SolverKind::UniPC:
        return "unipc";
    case SolverKind::DpmPP:
        return "dpm++";
    case SolverKind::Euler:
        return "euler";
    }
    return "?";
}

namespace {
/// numpy.linspace(start, stop, num): start + i * ((stop - start) / (num - 1)), last value exactly stop.
std::vector<double> linspace(double start, double stop, int num) {
    std::vector<double> out(static_cast<std::size_t>(num));
    const double step = num > 1 ? (stop - start) / (num - 1) : 0.0;
    for (int i = 0; i < num; ++i)
        out[static_cast<std::size_t>(i)] = i * step + start;
    if (num > 1)
        out.back() = stop;
    return out;
}
} // namespace

FlowSchedule makeFlowSchedule(SolverKind kind, int steps, double shift, int numTrainTimesteps) {
    if (steps < 1 || steps > 10000)
        throw RequestError("steps = " + std::to_string(steps) + " is out of range (1 to 10000)");
    if (!(shift > 0.0) || shift > 1e4)
        throw RequestError("shift = " + std::to_string(shift) + " is out of range (must be > 0)");
    const double sigmaMax = kind == SolverKind::UniPC ? static_cast<double>(static_cast<float>(0.999)) : 1.0;
    auto sigmas = linspace(sigmaMax, 0.0, steps + 1);
    sigmas.pop_back();
    FlowSchedule schedule;
    for (double s : sigmas) {
        const double warped = shift * s / (1.0 + (shift - 1.0) * s);
        schedule.sigmas.push_back(static_cast<float>(warped));
        schedule.timesteps.push_back(static_cast<std::int64_t>(warped * numTrainTimesteps));
    }
    schedule.sigmas.push_back(0.0f);
    return schedule;
}

int startStepForStrength(int steps, double strength) {
    return std::min(steps - 1, static_cast<int>(std::floor(steps * (1.0 - strength))));
}

} // namespace kinema::diffusion
