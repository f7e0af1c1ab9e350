// SPDX-License-Identifier: Apache-2.0
#pragma once
/// JSON parsing for untrusted files: duplicate object keys are an error (nlohmann silently keeps the last
/// one) and nesting depth is bounded.
#include <nlohmann/json.hpp>

#include <string_view>

namespace kinema::diffusion {

/// Parses `text`; throws std::runtime_error describing the cause (syntax error, duplicate key "k",
/// nesting deeper than maxDepth).
nlohmann::json parseStrictJson(std::string_view text, int maxDepth = 64);

/// True if `text` is well-formed UTF-8 (no overlongs, surrogates or code points above U+10FFFF).
bool isValidUtf8(std::string_view text);

} // namespace kinema::diffusion
