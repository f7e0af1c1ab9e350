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

/// Memory in use on the current CUDA context's GPU as the driver sees it (total - free, so it includes
/// libtorch's caching allocator's reserve and other processes), or nullopt without a driver or a current CUDA
/// context.
std::optional<std::uint64_t> cudaMemoryInUseBytes();

/// Offload::Auto resolved. None on the CPU, when the device memory is unknown, or when every component's
/// weights (`allWeightBytes`, as they would sit on the device) fit in three quarters of it, leaving the rest
/// for activations; otherwise Blocks when the DiT's weights (`ditWeightBytes`) alone exceed half of the
/// memory, else Model. Explicit modes are returned as they are, except that the CPU has nothing to offload.
Offload resolveOffload(Offload requested, Device device, std::optional<std::uint64_t> deviceBytes,
                       std::uint64_t allWeightBytes, std::uint64_t ditWeightBytes);

} // namespace kinema::diffusion
