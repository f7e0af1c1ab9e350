// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Parsing of safetensors dtype names into DType (the reverse of dtypeName()).
#include <kinema/diffusion/RawTensor.h>

#include <optional>
#include <string_view>

namespace kinema::diffusion {

/// The DType spelled `name` in safetensors ("F32", "BF16", "BOOL", ...), or nullopt if unsupported.
std::optional<DType> parseDTypeName(std::string_view name);

} // namespace kinema::diffusion
