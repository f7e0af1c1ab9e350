// SPDX-License-Identifier: Apache-2.0
#include "schedulers/FlowSolvers.h"

#include <cmath>
#include <deque>

namespace kinema::diffusion {

namespace {

/// lambda(sigma) = log(1 - sigma) - log(sigma), in float32 like the reference.
float lambdaOf(float sigma) {
    return std::log(1.0f - sigma) - std::log(sigma);
}

class UniPCSolver final : public FlowSolver {
public:
    UniPCSolver(FlowSchedule schedule)
        : FlowSolver(std::move(schedule)) {}

    at::Tensor step(const at::Tensor& v, int i, const at::Tensor& sample) override {
        const auto& s = m_schedule.sigmas;
        const int n = static_cast<int>(m_schedule.timesteps.size());
        at::Tensor x = sample.to(at::kFloat);
        const at::Tensor m = x - s[i] * v.to(at::kFloat);

        if (i > 0 && m_lastSample.defined()) {
            // Corrector (UniC) on the previous prediction, reusing this step's model output.
            const float sigmaT = s[i], sigmaS = s[i - 1];
            const float alphaT = 1.0f - sigmaT;
            const float h = lambdaOf(sigmaT) - lambdaOf(sigmaS);
            const float hh = -h;
            const float phi = std::expm1(hh);
            const float bh = std::expm1(hh);
            const at::Tensor& m0 = m_outputs.back();
            at::Tensor base = (sigmaT / sigmaS) * m_lastSample - (alphaT * phi) * m0;
            if (m_lastOrder == 1) {
                x = base - (alphaT * bh) * (0.5f * (m - m0));
            } else {
                const float rk = (lambdaOf(s[i - 2]) - lambdaOf(sigmaS)) / h;
                const at::Tensor d1 = (m_outputs[m_outputs.size() - 2] - m0) / rk;
                const float hPhi1 = phi / hh - 1.0f;
                const float b1 = hPhi1 / bh;
                const float b2 = (hPhi1 / hh - 0.5f) * 2.0f / bh;
                // [[1, 1], [rk, 1]] rho = [b1, b2]
                const float det = 1.0f - rk;
                const float rho0 = (b1 - b2) / det;
                const float rho1 = (b2 - rk * b1) / det;
                x = base - (alphaT * bh) * (rho0 * d1 + rho1 * (m - m0));
            }
        }

        m_outputs.push_back(m);
        if (m_outputs.size() > 2)
            m_outputs.pop_front();
        const int order = std::min({2, n - i, m_taken + 1});
        ++m_taken;
        m_lastSample = x;
        m_lastOrder = order;

        // Predictor (UniP).
        const float sigmaT = s[i + 1], sigmaS = s[i];
        const float alphaT = 1.0f - sigmaT;
        const float h = lambdaOf(sigmaT) - lambdaOf(sigmaS);
        const float hh = -h;
        const float phi = std::expm1(hh);
        const float bh = std::expm1(hh);
        at::Tensor next = (sigmaT / sigmaS) * x - (alphaT * phi) * m;
        if (order == 2) {
            const float rk = (lambdaOf(s[i - 1]) - lambdaOf(sigmaS)) / h;
            const at::Tensor d1 = (m_outputs.front() - m) / rk;
            next = next - (alphaT * bh) * (0.5f * d1);
        }
        return next;
    }

private:
    std::deque<at::Tensor> m_outputs;
    at::Tensor m_lastSample;
    int m_lastOrder = 0;
    int m_taken = 0;
};

class DpmPPSolver final : public FlowSolver {
public:
    DpmPPSolver(FlowSchedule schedule)
        : FlowSolver(std::move(schedule)) {}

    at::Tensor step(const at::Tensor& v, int i, const at::Tensor& sample) override {
        const auto& s = m_schedule.sigmas;
        const int n = static_cast<int>(m_schedule.timesteps.size());
        const at::Tensor x = sample.to(at::kFloat);
        const at::Tensor m0 = x - s[i] * v.to(at::kFloat);
        const bool lastStep = i == n - 1; // final_sigmas_type "zero" forces first order there
        const float sigmaT = s[i + 1], sigmaS0 = s[i];
        const float alphaT = 1.0f - sigmaT;
        const float h = lambdaOf(sigmaT) - lambdaOf(sigmaS0);
        const float coeff = alphaT * (std::exp(-h) - 1.0f);
        at::Tensor next;
        if (m_count < 1 || lastStep) {
            next = (sigmaT / sigmaS0) * x - coeff * m0;
        } else {
            const float sigmaS1 = s[i - 1];
            const float h0 = lambdaOf(sigmaS0) - lambdaOf(sigmaS1);
            const float r0 = h0 / h;
            const at::Tensor d1 = (1.0f / r0) * (m0 - m_previous);
            next = (sigmaT / sigmaS0) * x - coeff * m0 - 0.5f * coeff * d1;
        }
        m_previous = m0;
        ++m_count;
        return next;
    }

private:
    at::Tensor m_previous;
    int m_count = 0;
};

class EulerSolver final : public FlowSolver {
public:
    EulerSolver(FlowSchedule schedule)
        : FlowSolver(std::move(schedule)) {}
    at::Tensor step(const at::Tensor& v, int i, const at::Tensor& x) override {
        const auto& s = m_schedule.sigmas;
        return x.to(at::kFloat) + (s[i + 1] - s[i]) * v.to(at::kFloat);
    }
};

} // namespace

std::unique_ptr<FlowSolver> makeFlowSolver(SolverKind kind, int steps, double shift) {
    auto schedule = makeFlowSchedule(kind, steps, shift);
    switch (kind) {
    case SolverKind::UniPC:
        return std::make_unique<UniPCSolver>(std::move(schedule));
    case SolverKind::DpmPP:
        return std::make_unique<DpmPPSolver>(std::move(schedule));
    case SolverKind::Euler:
        return std::make_unique<EulerSolver>(std::move(schedule));
    }
    return nullptr;
}

} // namespace kinema::diffusion
