// SPDX-License-Identifier: Apache-2.0
#include "engine/Placement.h"

#include <dlfcn.h>

namespace kinema::diffusion {

std::optional<std::uint64_t> cudaTotalMemoryBytes(int deviceIndex) {
    // Driver API entry points by their documented C signatures (CUresult is an int, CUdevice an int).
    using InitFn = int (*)(unsigned int);
    using DeviceGetFn = int (*)(int*, int);
    using TotalMemFn = int (*)(std::size_t*, int);
    void* lib = dlopen("libcuda.so.1", RTLD_LAZY | RTLD_LOCAL);
    if (!lib)
        return std::nullopt;
    std::optional<std::uint64_t> result;
    const auto init = reinterpret_cast<InitFn>(dlsym(lib, "cuInit"));
    const auto deviceGet = reinterpret_cast<DeviceGetFn>(dlsym(lib, "cuDeviceGet"));
    const auto totalMem = reinterpret_cast<TotalMemFn>(dlsym(lib, "cuDeviceTotalMem_v2"));
    int device = 0;
    std::size_t bytes = 0;
    if (init && deviceGet && totalMem && init(0) == 0 && deviceGet(&device, deviceIndex) == 0 &&
        totalMem(&bytes, device) == 0)
        result = bytes;
    dlclose(lib);
    return result;
}

Offload resolveOffload(Offload requested, Device device, std::optional<std::uint64_t> deviceBytes,
                       std::uint64_t ditWeightBytes) {
    if (device == Device::Cpu)
        return Offload::None;
    if (requested != Offload::Auto)
        return requested;
    constexpr std::uint64_t kSmallGpu = std::uint64_t{12} << 30;
    if (!deviceBytes || *deviceBytes > kSmallGpu)
        return Offload::None;
    return ditWeightBytes > *deviceBytes / 2 ? Offload::Blocks : Offload::Model;
}

const char* offloadName(Offload offload) {
    switch (offload) {
    case Offload::Auto:
        return "auto";
    case Offload::None:
        return "none";
    case Offload::Model:
        return "model";
    case Offload::Blocks:
        return "blocks";
    }
    return "auto";
}

} // namespace kinema::diffusion
