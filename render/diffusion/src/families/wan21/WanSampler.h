// SPDX-License-Identifier: Apache-2.0
#pragma once
/// The Wan 2.1 denoising loop: classifier-free guidance (v = v_u + g (v_c - v_u)) with the cond and uncond
/// branches batched in one forward when allowed (falling back to two batch-1 forwards for the rest of the
/// run if the batched forward runs out of memory), integer timesteps for the model, float32 sigmas for
/// the solver.
#include "families/wan21/WanDit.h"
#include "schedulers/FlowSolvers.h"

#include <atomic>
#include <functional>

namespace kinema::diffusion::wan21 {

struct SampleOptions {
    SolverKind solver = SolverKind::UniPC;
    int steps = 50;
    double shift = 5.0;
    double guidance = 5.0;
    /// Cond and uncond in one batched forward (twice the activation memory of one branch).
    bool batchGuidance = true;
    /// First step to run (video-to-video starts part-way through the schedule). 0 = pure noise.
    int startStep = 0;
    /// Checked before every model evaluation; throws CancelledError when set.
    const std::atomic<bool>* cancel = nullptr;
    /// Called after every step with (steps done, total, current latent); returning false cancels.
    std::function<bool(int, int, const at::Tensor&)> onStep;
};

struct SampleOutput {
    at::Tensor latent;            ///< the final x0 estimate, [C, F, H, W]
    at::Tensor firstStepVelocity; ///< guided velocity of the first step run
};

/// Runs the loop from `start` (noise, or the noised init latent when startStep > 0).
/// `context` and `contextNull` are embedded contexts (WanDit::embedContext); `y` is the i2v conditioning.
SampleOutput sample(const WanDit& dit, const at::Tensor& start, const at::Tensor& context,
                    const at::Tensor& contextNull, const SampleOptions& options, const at::Tensor& y = {});

} // namespace kinema::diffusion::wan21
