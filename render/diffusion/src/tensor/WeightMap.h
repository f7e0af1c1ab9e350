// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Turning validated RawTensors into ATen tensors, and a name-mapped view of a checkpoint that model
/// constructors draw their parameters from.
///
/// Design: models ask for parameters by their *original* (reference) names with the shape they expect;
/// a KeyMapper translates to the name stored in the file (e.g. diffusers naming). Every tensor handed out
/// is converted to the compute dtype (F32 from BF16/F16/F32 storage on CPU). After construction the model
/// calls requireAllUsed() so unexpected extra tensors fail loudly, like a strict state-dict load.
#include "io/SafetensorsReader.h"

#include <ATen/ATen.h>

#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace kinema::diffusion {

/// Copies a RawTensor into a new CPU tensor; floating types are converted to `floatType`.
at::Tensor toTensor(const RawTensor& raw, at::ScalarType floatType = at::kFloat);

/// Maps a reference parameter name to the name stored in the file.
using KeyMapper = std::function<std::string(const std::string&)>;

class WeightMap {
public:
    /// `label` names the weights in errors (usually the file path). Only names starting with `prefix`
    /// (after mapping) belong to this map when checking for unused tensors.
    WeightMap(const SafetensorsCheckpoint& checkpoint, std::string label, KeyMapper mapper = {},
              at::ScalarType floatType = at::kFloat);

    /// A map that invents every requested parameter with seeded random values (reference-like statistics:
    /// N(0, 1/fan_in) weights, N(0, 0.05^2) biases, 1 + N(0, 0.2^2) norm gains, N(0, 0.2^2) modulations)
    /// and records them, so a model of any configuration can be built without files (tests, benchmarks).
    static WeightMap random(std::uint64_t seed, std::string label = "random weights");

    /// Training: parameters synthesized by a random() map from now on are autograd leaves
    /// (requires_grad), so views a model takes of them stay differentiable. Off by default.
    void setRequiresGrad(bool enabled) { m_requiresGrad = enabled; }
    /// Training: parameters synthesized from now on live on `device` (drawn on the CPU from the same seeds,
    /// so the values do not depend on the device). CPU by default.
    void setDevice(at::Device device) { m_device = device; }

    /// Parameters handed out by a random() map, by stored name.
    const std::map<std::string, at::Tensor>& recorded() const { return m_recorded; }

    /// The parameter `name` with exactly `shape`; throws WeightsError if missing or shaped differently.
    at::Tensor take(const std::string& name, at::IntArrayRef shape);
    /// As take(), but returns an undefined tensor if the file has no such tensor.
    at::Tensor takeOptional(const std::string& name, at::IntArrayRef shape);
    bool has(const std::string& name) const;
    /// Throws WeightsError listing tensors under any of `prefixes` that no take() consumed.
    void requireAllUsed(const std::vector<std::string>& prefixes = {""}) const;
    /// Sum of element counts handed out so far.
    std::int64_t parameterCount() const { return m_parameters; }
    const std::string& label() const { return m_label; }

private:
    std::string stored(const std::string& name) const;

    WeightMap() = default;
    at::Tensor synthesize(const std::string& name, at::IntArrayRef shape);

    const SafetensorsCheckpoint* m_checkpoint = nullptr;
    bool m_random = false;
    bool m_requiresGrad = false;
    at::Device m_device = at::kCPU;
    std::uint64_t m_seed = 0;
    std::map<std::string, at::Tensor> m_recorded;
    std::string m_label;
    KeyMapper m_mapper;
    at::ScalarType m_floatType = at::kFloat;
    std::set<std::string> m_used;
    std::int64_t m_parameters = 0;
};

} // namespace kinema::diffusion
