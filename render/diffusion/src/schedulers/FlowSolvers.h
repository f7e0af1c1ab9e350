// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Multistep flow-matching solvers operating on x0 estimates (x0 = x - sigma * v): UniPC (bh2, order 2,
/// with corrector), DPM-Solver++ 2M (midpoint) and plain Euler. One solver instance per sampling run.
#include "schedulers/FlowSchedule.h"

#include <ATen/ATen.h>

#include <memory>

namespace kinema::diffusion {

class FlowSolver {
public:
    virtual ~FlowSolver() = default;
    /// Advances sample `x` at step `index` (0-based) given the model velocity `v` there; returns the
    /// sample at step index+1. Must be called for index = 0, 1, ... in order.
    virtual at::Tensor step(const at::Tensor& v, int index, const at::Tensor& x) = 0;
    const FlowSchedule& schedule() const { return m_schedule; }

protected:
    explicit FlowSolver(FlowSchedule schedule)
        : m_schedule(std::move(schedule)) {}
    FlowSchedule m_schedule;
};

std::unique_ptr<FlowSolver> makeFlowSolver(SolverKind kind, int steps, double shift);

} // namespace kinema::diffusion
