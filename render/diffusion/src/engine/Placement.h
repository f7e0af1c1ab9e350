// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Deciding where model weights live on a GPU (Offload), and asking the CUDA driver how much memory a GPU
/// has without linking CUDA: the driver library is opened at run time if present, so the same build works
/// with CPU-only and CUDA libtorch.
#include <kinema/diffusion/Session.h>

#include <cstdint>
#include <optional>

namespace kinema::diffusion {

/// Total memory of GPU `deviceIndex` from the CUDA driver (libcuda), or nullopt when there is no driver or
/// no such device.
std::optional<std::uint64_t> cudaTotalMemoryBytes(int deviceIndex);

/// Offload::Auto resolved: None on the CPU or when the device memory is unknown or above 12 GiB; otherwise
/// Model, or Blocks when `ditWeightBytes` (in the compute precision) exceed half of `deviceBytes`. Explicit
/// modes are returned as they are, except that the CPU has nothing to offload (None).
Offload resolveOffload(Offload requested, Device device, std::optional<std::uint64_t> deviceBytes,
                       std::uint64_t ditWeightBytes);

} // namespace kinema::diffusion
