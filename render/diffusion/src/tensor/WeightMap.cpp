// SPDX-License-Identifier: Apache-2.0
#include "tensor/WeightMap.h"

#include <kinema/diffusion/Errors.h>

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
    : m_checkpoint(checkpoint)
    , m_label(std::move(label))
    , m_mapper(std::move(mapper))
    , m_floatType(floatType) {}

std::string WeightMap::stored(const std::string& name) const {
    return m_mapper ? m_mapper(name) : name;
}

bool WeightMap::has(const std::string& name) const {
    return m_checkpoint.find(stored(name)) != nullptr;
}

at::Tensor WeightMap::takeOptional(const std::string& name, at::IntArrayRef shape) {
    const auto key = stored(name);
    const auto* raw = m_checkpoint.find(key);
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
    std::vector<std::string> unused;
    for (const auto& name : m_checkpoint.names()) {
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
