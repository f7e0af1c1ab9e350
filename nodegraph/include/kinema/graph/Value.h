// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Parameter values.
///
/// A parameter's type fixes how its value is stored: numeric types as doubles (one per component), text
/// types as strings, seeds as uint64. Enums store the index of the chosen item; files store the item's
/// name so that reordering choices never changes a saved graph's meaning.
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "kinema/graph/Hash.h"

namespace kinema::graph {

enum class ParamType {
    Bool,
    Int,
    Float,
    Float2,
    Float3,
    Float4,
    Color, ///< linear RGBA, four components
    Enum,
    String,
    Text, ///< multi-line text such as prompts
    FilePath,
    Seed ///< uint64
};

std::string_view paramTypeName(ParamType type);
/// Inverse of paramTypeName; throws std::invalid_argument for an unknown name.
ParamType paramTypeFromName(std::string_view name);
/// Number of animatable double components (0 for string, seed and bool types).
int componentCount(ParamType type);
bool isNumeric(ParamType type);
bool isTextual(ParamType type);

/// The value of a parameter at one frame.
using ParamValue = std::variant<bool, std::int64_t, double, std::array<double, 2>, std::array<double, 3>,
                                std::array<double, 4>, std::string, std::uint64_t>;

/// Components of a numeric value as doubles (bool → 0/1, int → value).
std::vector<double> componentsOf(const ParamValue& value);
/// Builds a value of the given type from components (rounding ints, clamping nothing).
ParamValue valueFromComponents(ParamType type, const std::vector<double>& components);
/// Whether a value's alternative matches what the parameter type stores.
bool valueMatchesType(const ParamValue& value, ParamType type);
/// Human-readable rendering, for messages and `--dry-run` output.
std::string valueToString(const ParamValue& value);
void hashValue(Hasher& h, const ParamValue& value);

} // namespace kinema::graph
