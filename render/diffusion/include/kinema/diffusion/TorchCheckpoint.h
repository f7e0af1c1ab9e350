// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Reading PyTorch zip checkpoints (`.pth`, `.pt`, `.bin` written by torch.save since 1.6) without Python
/// and without executing pickle code.
///
/// Design: three layers, each refusing anything it does not fully understand.
/// 1. A ZIP reader of our own over a memory mapping: STORED entries only, ZIP64 supported, every offset and
///    size bounds-checked, encrypted/compressed/overlapping/duplicate entries rejected.
/// 2. A restricted pickle interpreter for `data.pkl` that accepts only the allow-listed globals
///    (collections.OrderedDict, torch._utils._rebuild_tensor_v2, torch.*Storage) and never calls anything.
/// 3. Tensor assembly: each tensor's storage entry must exist and hold exactly the declared element count;
///    views must lie inside their storage. Contiguous tensors point straight into the mapping; strided
///    views are copied into contiguous buffers (never larger than their storage). Nested dicts are
///    flattened with dotted keys and one `state_dict` / `model` / `module` wrapper level is unwrapped.
/// The legacy (pre-1.6) format, TorchScript archives and checkpoints with Python objects other than
/// tensors are not supported and are reported as such.
#include "kinema/diffusion/RawTensor.h"

#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

namespace kinema::diffusion {

/// Raised for every checkpoint that cannot be read. The message names the file, the entry or tensor key
/// when known, and the cause (truncated, corrupt, unsupported, refused global or opcode).
class CheckpointError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct CheckpointReadOptions {
    /// Verify the CRC-32 of data.pkl and of every storage used (one pass over the data).
    bool verifyChecksums = true;
    /// Upper bound on the number of objects data.pkl may create (memory bound for hostile files).
    std::uint64_t maxPickleObjects = 1u << 20;
    /// Upper bound on the size of data.pkl in bytes.
    std::uint64_t maxPickleBytes = 256u << 20;
};

struct TorchCheckpoint {
    /// Tensors in the order of the pickled dict, with dotted names. `owner` keeps the file mapping (or a
    /// copied buffer) alive, so the checkpoint object itself may be discarded.
    std::vector<RawTensor> tensors;
    /// Keys of non-tensor values that were skipped (e.g. "epoch"), for diagnostics.
    std::vector<std::string> skippedKeys;
    /// The wrapper key that was unwrapped ("state_dict", "model", "module"), or empty.
    std::string unwrappedKey;
};

/// Reads the tensors of a torch.save zip checkpoint. Throws CheckpointError.
TorchCheckpoint readTorchCheckpoint(const std::filesystem::path& path,
                                    const CheckpointReadOptions& options = {});

/// Converts a checkpoint to a safetensors file (atomic write; metadata records the format and source file
/// name). Returns the number of tensors written. Throws CheckpointError or SafetensorsWriteError.
std::size_t convertCheckpointToSafetensors(const std::filesystem::path& input,
                                           const std::filesystem::path& output);

} // namespace kinema::diffusion
