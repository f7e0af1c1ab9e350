// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Memory-mapped safetensors reader that treats every file as hostile.
///
/// Design: the whole file is mapped read-only; the JSON header is validated before any tensor is exposed
/// (size cap, UTF-8, duplicate keys, field types, dtype x shape sizes with overflow checks, offsets sorted,
/// contiguous and covering the data section exactly). Tensors are RawTensors pointing into the mapping, or
/// into an aligned copy when a tensor's bytes are not aligned for its dtype. A sharded checkpoint
/// (`*.safetensors.index.json`) is a set of such files behind one name lookup. Errors are WeightsError
/// with the file, tensor and cause in the message.
#include <kinema/diffusion/RawTensor.h>

#include <cstdint>
#include <deque>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace kinema::diffusion {

/// Bounds applied while parsing a header, before anything is allocated from it.
struct SafetensorsLimits {
    std::uint64_t maxHeaderBytes = 100'000'000;
    std::size_t maxTensors = 100'000;
    std::size_t maxNameBytes = 1024;
    std::size_t maxRank = 16;
    std::uint64_t maxDimension = (std::uint64_t{1} << 48) - 1;
};

/// One validated safetensors file.
class SafetensorsFile {
public:
    /// Maps and validates `path`; throws WeightsError on any violation.
    static SafetensorsFile open(const std::filesystem::path& path, const SafetensorsLimits& limits = {});
    /// Validates a file image held in memory (`owner` keeps `data` alive). `label` names it in errors.
    static SafetensorsFile fromMemory(std::shared_ptr<const void> owner, const std::byte* data,
                                      std::size_t size, const std::string& label,
                                      const SafetensorsLimits& limits = {});

    const std::filesystem::path& path() const { return m_path; }
    /// Tensors in data-offset order.
    const std::vector<RawTensor>& tensors() const { return m_tensors; }
    /// The tensor called `name`, or nullptr.
    const RawTensor* find(std::string_view name) const;
    /// The tensor called `name`; throws WeightsError naming the file if absent.
    const RawTensor& at(std::string_view name) const;
    const std::map<std::string, std::string>& metadata() const { return m_metadata; }

private:
    std::filesystem::path m_path;
    std::vector<RawTensor> m_tensors;
    std::map<std::string, std::size_t, std::less<>> m_index;
    std::map<std::string, std::string> m_metadata;
};

/// A checkpoint made of one safetensors file or of the shards listed by a `.safetensors.index.json`.
class SafetensorsCheckpoint {
public:
    /// Opens a `.safetensors` file, or an index file and every shard it names (shards must sit in the
    /// index's folder). Every tensor named by the index must be in its shard and nowhere else.
    static SafetensorsCheckpoint open(const std::filesystem::path& path,
                                      const SafetensorsLimits& limits = {});

    SafetensorsCheckpoint() = default;
    SafetensorsCheckpoint(SafetensorsCheckpoint&&) = default;
    SafetensorsCheckpoint& operator=(SafetensorsCheckpoint&&) = default;
    SafetensorsCheckpoint(const SafetensorsCheckpoint&) = delete;
    SafetensorsCheckpoint& operator=(const SafetensorsCheckpoint&) = delete;

    const RawTensor* find(std::string_view name) const;
    /// All tensor names, sorted.
    std::vector<std::string> names() const;
    std::size_t size() const { return m_where.size(); }
    const std::deque<SafetensorsFile>& files() const { return m_files; }
    const std::filesystem::path& path() const { return m_path; }

private:
    std::filesystem::path m_path;
    std::deque<SafetensorsFile> m_files; // a deque: m_where points into its elements
    std::map<std::string, const RawTensor*, std::less<>> m_where;
};

} // namespace kinema::diffusion
