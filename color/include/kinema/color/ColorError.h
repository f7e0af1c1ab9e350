// SPDX-License-Identifier: Apache-2.0
#pragma once
#include <stdexcept>
#include <string>

namespace kinema::color {

/// Every failure of the colour module: a config that cannot be found or loaded, an unknown colour
/// space, display, view or look, a malformed transform key, or an invalid image description. The
/// message names the config file, the transform or the parameter at fault and the cause.
class ColorError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

} // namespace kinema::color
