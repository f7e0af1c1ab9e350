// SPDX-License-Identifier: Apache-2.0
// Adam::stepFused: the optimiser update of the dit stage's --batch-chunks steps on the CPU. Adam::step is
// about ten libtorch ops per parameter; for the demo model's 1.7 M parameters in 145 tensors that
// is several milliseconds a step, as long as a tenth of the forward and backward passes. Here each
// parameter's gradient, moments, values and moving average are updated in one pass over plain floats
// (compiled without errno on sqrt so that the loop vectorises), split into fixed parts that the worker
// threads share: equal to step() up to float rounding, and the same whatever the number of workers.
#include "TrainerInternal.h"
#include "Workers.h"

#include <c10/core/GradMode.h>

#include <cmath>
#include <cstdint>
#include <utility>
#include <vector>

namespace kinema::trainer::detail {

namespace {

/// Parts each parameter's values are split into (fixed, so that the gradient norm's partial sums, and so
/// the weights, do not depend on the number of workers).
constexpr std::int64_t kParts = 4;

bool fusable(const at::Tensor& t) {
    return t.is_cpu() && t.scalar_type() == at::kFloat && t.is_contiguous();
}

/// Values [begin, end) of part `part` of `n`.
std::pair<std::int64_t, std::int64_t> partRange(std::int64_t n, std::int64_t part) {
    return {part * n / kParts, (part + 1) * n / kParts};
}

} // namespace

double Adam::stepFused(double lr, SampleWorkers* workers, double clipNorm) {
    c10::NoGradGuard noGrad;
    struct Entry {
        float *w, *m, *v, *a;
        const float* g;
        std::int64_t n;
    };
    std::vector<Entry> entries;
    for (auto& [name, p] : m_params) {
        const auto& g = p.grad();
        auto& m = m_m.at(name);
        auto& v = m_v.at(name);
        at::Tensor* a = m_average.empty() ? nullptr : &m_average.at(name);
        if (!fusable(p) || !fusable(m) || !fusable(v) || (g.defined() && !fusable(g)) || (a && !fusable(*a)))
            return step(lr, clipNorm);
        entries.push_back({p.data_ptr<float>(), m.data_ptr<float>(), v.data_ptr<float>(),
                           a ? a->data_ptr<float>() : nullptr, g.defined() ? g.data_ptr<float>() : nullptr,
                           p.numel()});
    }
    const auto tasks = static_cast<std::int64_t>(entries.size()) * kParts;

    // The gradient norm: one partial sum per part, added in parameter and part order.
    std::vector<double> partial(static_cast<std::size_t>(tasks), 0.0);
    forEachIndex(tasks, workers, [&](std::int64_t task) {
        const auto& e = entries[static_cast<std::size_t>(task / kParts)];
        if (!e.g)
            return;
        const auto [begin, end] = partRange(e.n, task % kParts);
        double sum = 0.0;
        for (std::int64_t i = begin; i < end; ++i)
            sum += static_cast<double>(e.g[i]) * e.g[i];
        partial[static_cast<std::size_t>(task)] = sum;
    });
    double sq = 0.0;
    for (const double s : partial)
        sq += s;
    const double norm = std::sqrt(sq);
    const double scale = (std::isfinite(norm) && norm > clipNorm) ? clipNorm / norm : 1.0;

    ++m_steps;
    constexpr double b1 = 0.9, b2 = 0.999, eps = 1e-8;
    const double c1 = 1.0 - std::pow(b1, m_steps), c2 = 1.0 - std::pow(b2, m_steps);
    const float decay = m_average.empty() ? 0.0f : static_cast<float>(nextAverageDecay());
    const auto f = [](double x) { return static_cast<float>(x); };
    const float gs = f(scale), fb1 = f(b1), fb2 = f(b2), k1 = f(1.0 - b1), k2 = f(1.0 - b2),
                ic1 = f(1.0 / c1), ic2 = f(1.0 / c2), rate = f(lr), feps = f(eps), keep = 1.0f - decay;
    forEachIndex(tasks, workers, [&](std::int64_t task) {
        const auto& e = entries[static_cast<std::size_t>(task / kParts)];
        const auto [begin, end] = partRange(e.n, task % kParts);
        if (e.g)
            for (std::int64_t i = begin; i < end; ++i) {
                const float gi = e.g[i] * gs;
                const float m = e.m[i] * fb1 + k1 * gi;
                const float v = e.v[i] * fb2 + k2 * gi * gi;
                e.m[i] = m;
                e.v[i] = v;
                e.w[i] -= rate * (m * ic1) / (std::sqrt(v * ic2) + feps);
            }
        if (e.a)
            for (std::int64_t i = begin; i < end; ++i)
                e.a[i] = e.a[i] * decay + keep * e.w[i];
    });
    return norm;
}

} // namespace kinema::trainer::detail
