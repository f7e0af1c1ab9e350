// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Writing weights in the safetensors format.
///
/// Design: the writer is the only place that produces `.safetensors` files (model conversion, saving latents
/// or fine-tuned weights). The layout is the reference one: an 8-byte little-endian header length, a JSON
/// header padded with spaces to a multiple of 8 bytes, then the tensors' bytes back to back in name order,
/// with no gaps. The file is written atomically: a temporary file in the destination directory is filled,
/// flushed to disk, renamed over the destination and the directory is flushed, so a crash leaves either the
/// old file or the complete new one, never a partial file under the final name. Torch-free.
#include "kinema/diffusion/RawTensor.h"

#include <cstdint>
#include <filesystem>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace kinema::diffusion {

/// Raised when tensors cannot be written (invalid tensor description, I/O failure). The message names the
/// file and, where relevant, the tensor.
class SafetensorsWriteError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// The serialised header of a safetensors file for `tensors` and `metadata`: the JSON text padded with
/// spaces to a multiple of 8 bytes (without the 8-byte length prefix). Validates the tensors the same way
/// writeSafetensors does; `path` only appears in error messages.
std::string safetensorsHeader(const std::filesystem::path& path, const std::vector<RawTensor>& tensors,
                              const std::map<std::string, std::string>& metadata = {});

/// Writes `tensors` (any order; stored sorted by name) and the optional string `metadata` to `path`,
/// atomically (temporary file in the same directory, fsync, rename, fsync of the directory). Each tensor
/// must have a unique non-empty name, `nbytes == numel() * dtypeSize(dtype)` and non-null `data` when
/// `nbytes > 0`. Throws SafetensorsWriteError; on failure the destination is left untouched and the
/// temporary file is removed.
void writeSafetensors(const std::filesystem::path& path, const std::vector<RawTensor>& tensors,
                      const std::map<std::string, std::string>& metadata = {});

} // namespace kinema::diffusion
