// SPDX-License-Identifier: Apache-2.0
#include "tensor/WeightMap.h"

#include <kinema/diffusion/Errors.h>

#include <ATen/CPUGeneratorImpl.h>
#include <c10/util/accumulate.h>

#include <cmath>
#include <sstream>

namespace kinema::diffusion {

namespace {
at::ScalarType scalarTypeOf(DType dtype) {
    switch (dtype) {
    case DType::F64:
        return at::kDouble;
    case DType::F32:
        return at::kFloat;
    case DType::F16:
        return at::kHalf;
    case DType::BF16:
        return at::kBFloat16;
    case DType::I64:
        return at::kLong;
    case DType::I32:
        return at::kInt;
    case DType::I16:
        return at::kShort;
    case DType::I8:
        return at::kChar;
    case DType::U8:
        return at::kByte;
    case DType::Bool:
        return at::kBool;
    }
    return at::kFloat;
}

std::string shapeText(at::IntArrayRef shape) {
    std::ostringstream out;
    out << '[';
    for (std::size_t i = 0; i < shape.size(); ++i)
        out << (i ? ", " : "") << shape[i];
    out << ']';
    return out.str();
}
} // namespace

at::Tensor toTensor(const RawTensor& raw, at::ScalarType floatType) {
    const auto type = scalarTypeOf(raw.dtype);
    at::Tensor view = raw.nbytes == 0 ? at::empty(raw.shape, at::TensorOptions().dtype(type))
                                      : at::from_blob(const_cast<std::byte*>(raw.data), raw.shape,
                                                      at::TensorOptions().dtype(type));
    if (at::isFloatingType(type) && type != floatType)
        return view.to(floatType);
    return view.clone();
}

WeightMap::WeightMap(const SafetensorsCheckpoint& checkpoint, std::string label, KeyMapper mapper,
                     at::ScalarType floatType)
    : m_checkpoint(&checkpoint)
    , m_label(std::move(label))
    , m_mapper(std::move(mapper))
    , m_floatType(floatType) {}

std::string WeightMap::stored(const std::string& name) const {
    return m_mapper ? m_mapper(name) : name;
}

bool WeightMap::has(const std::string& name) const {
    return m_random || m_checkpoint->find(stored(name)) != nullptr;
}

WeightMap WeightMap::random(std::uint64_t seed, std::string label) {
    WeightMap map;
    map.m_random = true;
    map.m_seed = seed;
    map.m_label = std::move(label);
    return map;
}

at::Tensor WeightMap::synthesize(const std::string& name, at::IntArrayRef shape) {
    // A per-name seed keeps every tensor independent of the order of requests.
    std::uint64_t h = m_seed ^ 0x9E3779B97F4A7C15ull;
    for (unsigned char ch : name)
        h = (h ^ ch) * 0x100000001B3ull;
    auto gen = at::detail::createCPUGenerator(h);
    auto t = at::randn(shape, gen, at::TensorOptions().dtype(at::kFloat));
    const auto has = [&](const char* part) { return name.find(part) != std::string::npos; };
    const bool isBias = name.size() > 5 && name.compare(name.size() - 5, 5, ".bias") == 0;
    if (has("modulation") || has("scale_shift_table") || has("emb_pos") || has("pos_embedding")) {
        t.mul_(0.2);
    } else if (has("token_embedding")) {
        // N(0, 1)
    } else if (has("norm") || has("gamma")) {
        if (isBias)
            t.mul_(0.05);
        else
            t.mul_(0.2).add_(1.0);
    } else if (isBias || shape.size() < 2) {
        t.mul_(0.05);
    } else {
        t.mul_(1.0 / std::sqrt(static_cast<double>(t.numel() / std::max<std::int64_t>(shape[0], 1))));
    }
    if (!m_device.is_cpu())
        t = t.to(m_device);
    if (m_requiresGrad)
        t.requires_grad_(true);
    m_recorded[name] = t;
    return t.to(m_floatType);
}

at::Tensor WeightMap::takeOptional(const std::string& name, at::IntArrayRef shape) {
    const auto key = stored(name);
    if (m_random) {
        m_parameters += c10::multiply_integers(shape);
        return synthesize(key, shape);
    }
    const auto* raw = m_checkpoint->find(key);
    if (!raw)
        return {};
    if (!at::isFloatingType(scalarTypeOf(raw->dtype)))
        throw WeightsError("weights '" + m_label + "', tensor '" + key + "': dtype " +
                           std::string(dtypeName(raw->dtype)) + " is not a floating-point type");
    if (at::IntArrayRef(raw->shape) != shape)
        throw WeightsError("weights '" + m_label + "', tensor '" + key + "': shape " + shapeText(raw->shape) +
                           " but the model needs " + shapeText(shape));
    m_used.insert(key);
    m_parameters += raw->numel();
    return toTensor(*raw, m_floatType);
}

at::Tensor WeightMap::take(const std::string& name, at::IntArrayRef shape) {
    auto t = takeOptional(name, shape);
    if (!t.defined())
        throw WeightsError("weights '" + m_label + "', tensor '" + stored(name) + "': missing (shape " +
                           shapeText(shape) + " expected)");
    return t;
}

void WeightMap::requireAllUsed(const std::vector<std::string>& prefixes) const {
    if (m_random)
        return;
    std::vector<std::string> unused;
    for (const auto& name : m_checkpoint->names()) {
        if (m_used.count(name))
            continue;
        for (const auto& p : prefixes)
            if (name.compare(0, p.size(), p) == 0) {
                unused.push_back(name);
                break;
            }
    }
    if (unused.empty())
        return;
    std::string list;
    for (std::size_t i = 0; i < unused.size() && i < 5; ++i)
        list += (i ? ", '" : "'") + unused[i] + "'";
    if (unused.size() > 5)
        list += ", ...";
    throw WeightsError("weights '" + m_label + "': " + std::to_string(unused.size()) +
                       " unexpected tensor(s) the model does not use: " + list);
}

} // namespace kinema::diffusion
