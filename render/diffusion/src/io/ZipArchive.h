// SPDX-License-Identifier: Apache-2.0
#pragma once
/// A read-only view of an uncompressed ZIP archive, as written by torch.save.
///
/// The whole file is memory-mapped; entries are byte ranges inside the mapping. Only what PyTorch
/// checkpoints need is supported: STORED entries (method 0), ZIP64 sizes and offsets, a single disk.
/// Encrypted or compressed entries, multi-disk archives, overlapping or out-of-bounds records and
/// duplicate names are rejected with an error naming the archive and the entry. Every offset and size is
/// bounds-checked before use; nothing is allocated from a declared size beyond the entry table, whose size
/// is itself bounded by the central directory's byte length.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

namespace kinema::diffusion::zip {

/// Raised for archives that cannot be read; the message names the file and the cause.
class ZipError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// A read-only memory mapping of a whole file (empty files map to an empty span).
class MappedFile {
public:
    explicit MappedFile(const std::filesystem::path& path);
    ~MappedFile();
    MappedFile(const MappedFile&) = delete;
    MappedFile& operator=(const MappedFile&) = delete;

    std::span<const std::byte> bytes() const { return {m_data, m_size}; }
    const std::filesystem::path& path() const { return m_path; }

private:
    std::filesystem::path m_path;
    const std::byte* m_data = nullptr;
    std::size_t m_size = 0;
};

struct ZipEntry {
    std::string name;
    std::uint64_t dataOffset = 0; ///< absolute offset of the entry's bytes in the file
    std::uint64_t size = 0;
    std::uint32_t crc32 = 0;
};

class ZipArchive {
public:
    /// Upper bound on the number of entries accepted (a checkpoint has one per storage plus a few).
    static constexpr std::uint64_t kMaxEntries = 1u << 20;

    /// Maps and indexes `path`. Throws ZipError.
    explicit ZipArchive(const std::filesystem::path& path);

    const std::filesystem::path& path() const { return m_file->path(); }
    const std::vector<ZipEntry>& entries() const { return m_entries; }
    /// The entry called `name`, or nullptr.
    const ZipEntry* find(const std::string& name) const;
    /// The bytes of an entry (a view into the mapping, valid while the archive lives).
    std::span<const std::byte> data(const ZipEntry& entry) const;
    /// Checks the entry's CRC-32 against its bytes; throws ZipError on mismatch.
    void verifyChecksum(const ZipEntry& entry) const;
    /// Keeps the mapping alive (for views handed out to other objects).
    std::shared_ptr<const MappedFile> mapping() const { return m_file; }

private:
    [[noreturn]] void fail(const std::string& cause) const;
    void readCentralDirectory();

    std::shared_ptr<const MappedFile> m_file;
    std::vector<ZipEntry> m_entries;
    std::unordered_map<std::string, std::size_t> m_index; ///< entry name -> position in m_entries
};

/// CRC-32 (ISO-HDLC, as used by ZIP) of `bytes`, continuing from `crc` (0 to start).
std::uint32_t crc32(std::span<const std::byte> bytes, std::uint32_t crc = 0);

} // namespace kinema::diffusion::zip
