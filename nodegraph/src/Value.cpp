// SPDX-License-Identifier: Apache-2.0
#include "kinema/graph/Value.h"

#include <cmath>
#include <sstream>
#include <stdexcept>

namespace kinema::graph {
namespace {

struct TypeName {
    ParamType type;
    std::string_view name;
};
constexpr TypeName kTypeNames[] = {
    {ParamType::Bool, "bool"},     {ParamType::Int, "int"},       {ParamType::Float, "float"},
    {ParamType::Float2, "float2"}, {ParamType::Float3, "float3"}, {ParamType::Float4, "float4"},
    {ParamType::Color, "color"},   {ParamType::Enum, "enum"},     {ParamType::String, "string"},
    {ParamType::Text, "text"},     {ParamType::FilePath, "file"}, {ParamType::Seed, "seed"},
};

} // namespace

std::string_view paramTypeName(ParamType type) {
    for (auto& t : kTypeNames)
        if (t.type == type)
            return t.name;
    return "unknown";
}

ParamType paramTypeFromName(std::string_view name) {
    for (auto& t : kTypeNames)
        if (t.name == name)
            return t.type;
    throw std::invalid_argument("unknown parameter type '" + std::string(name) + "'");
}

int componentCount(ParamType type) {
    switch (type) {
    case ParamType::Int:
    case ParamType::Float:
        return 1;
    case ParamType::Float2:
        return 2;
    case ParamType::Float3:
        return 3;
    case ParamType::Float4:
    case ParamType::Color:
        return 4;
    default:
        return 0;
    }
}

bool isNumeric(ParamType type) {
    return componentCount(type) > 0;
}

bool isTextual(ParamType type) {
    return type == ParamType::String || type == ParamType::Text || type == ParamType::FilePath;
}

std::vector<double> componentsOf(const ParamValue& value) {
    return std::visit(
        [](const auto& v) -> std::vector<double> {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, bool>)
                return {v ? 1.0 : 0.0};
            else if constexpr (std::is_same_v<T, std::int64_t>)
                return {static_cast<double>(v)};
            else if constexpr (std::is_same_v<T, double>)
                return {v};
            else if constexpr (std::is_same_v<T, std::string>)
                return {};
            else if constexpr (std::is_same_v<T, std::uint64_t>)
                return {static_cast<double>(v)};
            else
                return std::vector<double>(v.begin(), v.end());
        },
        value);
}

ParamValue valueFromComponents(ParamType type, const std::vector<double>& c) {
    auto at = [&](std::size_t i) { return i < c.size() ? c[i] : 0.0; };
    switch (type) {
    case ParamType::Bool:
        return at(0) != 0.0;
    case ParamType::Int:
    case ParamType::Enum:
        return static_cast<std::int64_t>(std::llround(at(0)));
    case ParamType::Float:
        return at(0);
    case ParamType::Float2:
        return std::array<double, 2>{at(0), at(1)};
    case ParamType::Float3:
        return std::array<double, 3>{at(0), at(1), at(2)};
    case ParamType::Float4:
    case ParamType::Color:
        return std::array<double, 4>{at(0), at(1), at(2), at(3)};
    case ParamType::Seed:
        return static_cast<std::uint64_t>(at(0));
    default:
        return std::string();
    }
}

bool valueMatchesType(const ParamValue& value, ParamType type) {
    switch (type) {
    case ParamType::Bool:
        return std::holds_alternative<bool>(value);
    case ParamType::Int:
    case ParamType::Enum:
        return std::holds_alternative<std::int64_t>(value);
    case ParamType::Float:
        return std::holds_alternative<double>(value);
    case ParamType::Float2:
        return std::holds_alternative<std::array<double, 2>>(value);
    case ParamType::Float3:
        return std::holds_alternative<std::array<double, 3>>(value);
    case ParamType::Float4:
    case ParamType::Color:
        return std::holds_alternative<std::array<double, 4>>(value);
    case ParamType::String:
    case ParamType::Text:
    case ParamType::FilePath:
        return std::holds_alternative<std::string>(value);
    case ParamType::Seed:
        return std::holds_alternative<std::uint64_t>(value);
    }
    return false;
}

std::string valueToString(const ParamValue& value) {
    std::ostringstream out;
    out.precision(10);
    std::visit(
        [&](const auto& v) {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, bool>)
                out << (v ? "true" : "false");
            else if constexpr (std::is_same_v<T, std::string>)
                out << v;
            else if constexpr (std::is_arithmetic_v<T>)
                out << v;
            else {
                for (std::size_t i = 0; i < v.size(); ++i)
                    out << (i ? " " : "") << v[i];
            }
        },
        value);
    return out.str();
}

void hashValue(Hasher& h, const ParamValue& value) {
    h.append(static_cast<std::uint64_t>(value.index()));
    std::visit(
        [&](const auto& v) {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, bool> || std::is_same_v<T, std::int64_t> ||
                          std::is_same_v<T, double> || std::is_same_v<T, std::string> ||
                          std::is_same_v<T, std::uint64_t>)
                h.append(v);
            else
                h.append(v);
        },
        value);
}

} // namespace kinema::graph
