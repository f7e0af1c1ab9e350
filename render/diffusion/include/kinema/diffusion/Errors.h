// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Exceptions thrown by the diffusion core. Every message names the file, tensor or parameter at fault and
/// the cause, so front ends can show it as is.
#include <stdexcept>
#include <string>

namespace kinema::diffusion {

/// Base class of every error raised by kinema::diffusion.
class DiffusionError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// A weights file (or its index) is missing, truncated, malformed or inconsistent with the model.
class WeightsError : public DiffusionError {
public:
    using DiffusionError::DiffusionError;
};

/// A model folder or configuration cannot be used (unknown family, missing component, bad config value).
class ModelError : public DiffusionError {
public:
    using DiffusionError::DiffusionError;
};

/// A generation request has an invalid parameter (size, frame count, steps, ...).
class RequestError : public DiffusionError {
public:
    using DiffusionError::DiffusionError;
};

/// A generation was cancelled through its cancellation flag or progress callback.
class CancelledError : public DiffusionError {
public:
    using DiffusionError::DiffusionError;
};

/// The device ran out of memory and every fallback (unbatched guidance, smaller VAE tiles) was tried.
class OutOfMemoryError : public DiffusionError {
public:
    using DiffusionError::DiffusionError;
};

} // namespace kinema::diffusion
