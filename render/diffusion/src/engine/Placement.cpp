// SPDX-License-Identifier: Apache-2.0
#include "engine/Placement.h"

#include <dlfcn.h>

#include <algorithm>
#include <string>

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

std::optional<std::uint64_t> cudaMemoryInUseBytes() {
    using MemGetInfoFn = int (*)(std::size_t*, std::size_t*);
    void* lib = dlopen("libcuda.so.1", RTLD_LAZY | RTLD_LOCAL | RTLD_NOLOAD);
    if (!lib)
        return std::nullopt;
    std::optional<std::uint64_t> result;
    // cuMemGetInfo reports on the current context, which libtorch made current for its device.
    const auto memGetInfo = reinterpret_cast<MemGetInfoFn>(dlsym(lib, "cuMemGetInfo_v2"));
    std::size_t free = 0, total = 0;
    if (memGetInfo && memGetInfo(&free, &total) == 0 && total >= free)
        result = total - free;
    dlclose(lib);
    return result;
}

Offload resolveOffload(Offload requested, Device device, std::optional<std::uint64_t> deviceBytes,
                       std::uint64_t allWeightBytes, std::uint64_t ditWeightBytes) {
    if (device == Device::Cpu)
        return Offload::None;
    if (requested != Offload::Auto)
        return requested;
    if (!deviceBytes || allWeightBytes <= *deviceBytes / 4 * 3)
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

bool parseDeviceName(std::string_view text, Device& device, int& index) {
    if (text == "cpu" || text == "cuda") {
        device = text == "cpu" ? Device::Cpu : Device::Cuda;
        index = 0;
        return true;
    }
    constexpr std::string_view prefix = "cuda:";
    const auto digits = text.substr(std::min(text.size(), prefix.size()));
    if (text.substr(0, prefix.size()) != prefix || digits.empty() || digits.size() > 2 ||
        digits.find_first_not_of("0123456789") != std::string_view::npos)
        return false;
    device = Device::Cuda;
    index = std::stoi(std::string(digits));
    return true;
}

namespace {

struct StageBytes {
    std::uint64_t ditActivations = 0, vaeActivations = 0, output = 0;
};

StageBytes stageBytes(const ModelInfo& info, int width, int height, int frames) {
    const auto w = static_cast<std::uint64_t>(width), h = static_cast<std::uint64_t>(height);
    const std::uint64_t tokens = static_cast<std::uint64_t>((frames - 1) / 4 + 1) * (h / 16) * (w / 16);
    StageBytes s;
    // Residual stream, q/k/v/o and a few temporaries of width dim, the FFN hidden layer, the RoPE tables
    // (float64) and one 256 MiB attention score tile; the VAE decode of one chunk at full resolution.
    s.ditActivations =
        tokens *
            (static_cast<std::uint64_t>(info.dim) * 4 * 10 + static_cast<std::uint64_t>(info.ffnDim) * 4 * 2 +
             static_cast<std::uint64_t>(info.dim / std::max<std::int64_t>(info.heads, 1)) * 8) +
        (std::uint64_t{256} << 20);
    s.vaeActivations = w * h * 4 * 96 * 4 * 6;
    s.output = w * h * 3 * 4 * static_cast<std::uint64_t>(frames) * 2;
    return s;
}

std::uint64_t componentParameters(const ModelInfo& info, const std::string& name) {
    std::uint64_t n = 0;
    for (const auto& c : info.components)
        if (c.name == name)
            n += static_cast<std::uint64_t>(c.parameters);
    return n;
}

} // namespace

std::uint64_t estimateMemoryBytes(const ModelInfo& info, int width, int height, int frames) {
    std::uint64_t weights = 0;
    for (const auto& c : info.components)
        weights += static_cast<std::uint64_t>(c.parameters) * 4;
    const auto s = stageBytes(info, width, height, frames);
    return weights + std::max(s.ditActivations, s.vaeActivations) + s.output;
}

std::uint64_t estimateDeviceMemoryBytes(const ModelInfo& info, int width, int height, int frames,
                                        ComputeType computeType, Offload offload) {
    const auto s = stageBytes(info, width, height, frames);
    const std::uint64_t ditParams = componentParameters(info, "dit");
    // The bf16 path keeps norms and modulations (a small share) in fp32; count every DiT weight as 2 bytes.
    const std::uint64_t ditBytes = ditParams * (computeType == ComputeType::BF16 ? 2 : 4);
    const std::uint64_t vaeBytes = componentParameters(info, "vae") * 4;
    const std::uint64_t encoderBytes =
        (componentParameters(info, "text_encoder") + componentParameters(info, "clip")) * 4;
    const std::uint64_t layers = static_cast<std::uint64_t>(std::max<std::int64_t>(info.layers, 1));
    switch (offload) {
    case Offload::Auto:
    case Offload::None:
        return encoderBytes + ditBytes + vaeBytes + std::max(s.ditActivations, s.vaeActivations);
    case Offload::Model:
        return std::max(ditBytes + s.ditActivations, vaeBytes + s.vaeActivations);
    case Offload::Blocks:
        // Nearly all DiT weights are in its blocks: the device holds about one block's share at a time
        // (plus the copy of the next one in flight).
        return std::max(2 * ditBytes / layers + s.ditActivations, vaeBytes + s.vaeActivations);
    }
    return 0;
}

} // namespace kinema::diffusion
