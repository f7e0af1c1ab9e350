// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Torch-free description of a tensor read from or written to a weights file.
///
/// Weight readers (safetensors, PyTorch zip checkpoints) produce RawTensors that point into memory they
/// keep alive through `owner` (a memory mapping or a buffer); writers consume them. Nothing here depends on
/// libtorch, so file tools and tests can handle weights without it.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace kinema::diffusion {

/// Element types that weights files may hold. Names follow the safetensors spelling.
enum class DType { F64, F32, F16, BF16, I64, I32, I16, I8, U8, Bool };

/// Bytes per element of a dtype.
std::size_t dtypeSize(DType dtype);
/// The safetensors name ("F32", "BF16", ...).
std::string_view dtypeName(DType dtype);

/// One tensor: a name, an element type, a shape and a view of its little-endian bytes.
struct RawTensor {
    std::string name;
    DType dtype = DType::F32;
    std::vector<std::int64_t> shape;
    const std::byte* data = nullptr;
    std::size_t nbytes = 0;
    /// Keeps `data` valid (a file mapping or an owned buffer). May be shared by many tensors.
    std::shared_ptr<const void> owner;

    std::int64_t numel() const {
        std::int64_t n = 1;
        for (auto d : shape)
            n *= d;
        return n;
    }
};

} // namespace kinema::diffusion
