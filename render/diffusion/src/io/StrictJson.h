// SPDX-License-Identifier: Apache-2.0
#pragma once
/// JSON parsing for untrusted files: duplicate object keys are an error (nlohmann silently keeps the last
/// one) and nesting depth is bounded.
#include <nlohmann/json.hpp>

#include <cstddef>
#include <limits>
#include <stdexcept>
#include <string_view>

namespace kinema::diffusion {

/// Thrown by parseStrictJson when an object has more than maxMembers members.
class JsonTooManyMembers : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// Parses `text`; throws std::runtime_error describing the cause (syntax error, duplicate key "k",
/// nesting deeper than maxDepth, an object with more than maxMembers members). Linear time.
nlohmann::json parseStrictJson(std::string_view text, int maxDepth = 64,
                               std::size_t maxMembers = std::numeric_limits<std::size_t>::max());

/// True if `text` is well-formed UTF-8 (no overlongs, surrogates or code points above U+10FFFF).
bool isValidUtf8(std::string_view text);

} // namespace kinema::diffusion
