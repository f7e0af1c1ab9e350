// SPDX-License-Identifier: Apache-2.0
#include "families/wan21/WanSampler.h"

#include <kinema/diffusion/Errors.h>

#include "nn/Ops.h"

namespace kinema::diffusion::wan21 {

namespace {
void checkCancel(const SampleOptions& options) {
    if (options.cancel && options.cancel->load(std::memory_order_relaxed))
        throw CancelledError("generation cancelled");
}
} // namespace

SampleOutput sample(const WanDit& dit, const at::Tensor& start, const at::Tensor& context,
                    const at::Tensor& contextNull, const SampleOptions& options, const at::Tensor& y) {
    auto solver = makeFlowSolver(options.solver, options.steps, options.shift);
    const auto& timesteps = solver->schedule().timesteps;
    const int total = static_cast<int>(timesteps.size());
    if (options.startStep < 0 || options.startStep >= total)
        throw RequestError("start step " + std::to_string(options.startStep) + " is outside 0.." +
                           std::to_string(total - 1));
    SampleOutput out;
    at::Tensor x = start.to(at::kFloat);
    const bool guided = options.guidance != 1.0;
    bool batched = guided && options.batchGuidance && context.size(1) == contextNull.size(1);
    const at::Tensor both = batched ? at::cat({context, contextNull}, 0) : at::Tensor();
    for (int i = options.startStep; i < total; ++i) {
        checkCancel(options);
        const auto t = timesteps[static_cast<std::size_t>(i)];
        at::Tensor v;
        if (batched) {
            try {
                const auto vv = dit.forwardBatch(x, t, both, y);
                v = vv[1] + options.guidance * (vv[0] - vv[1]);
            } catch (const std::exception& e) {
                if (!nn::isOutOfMemory(e))
                    throw;
                batched = false; // two batch-1 forwards from here on
            }
        }
        if (!v.defined()) {
            v = dit.forward(x, t, context, y);
            if (guided) {
                checkCancel(options);
                const auto vu = dit.forward(x, t, contextNull, y);
                v = vu + options.guidance * (v - vu);
            }
        }
        if (!out.firstStepVelocity.defined())
            out.firstStepVelocity = v;
        x = solver->step(v, i, x);
        if (options.onStep && !options.onStep(i + 1 - options.startStep, total - options.startStep, x))
            throw CancelledError("generation cancelled by the progress callback");
    }
    out.latent = x;
    return out;
}

} // namespace kinema::diffusion::wan21
