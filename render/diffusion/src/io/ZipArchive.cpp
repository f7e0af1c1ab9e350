// SPDX-License-Identifier: Apache-2.0
#include "io/ZipArchive.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace kinema::diffusion::zip {

namespace {

constexpr std::uint32_t kLocalHeaderSignature = 0x04034b50;
constexpr std::uint32_t kCentralHeaderSignature = 0x02014b50;
constexpr std::uint32_t kEndSignature = 0x06054b50;
constexpr std::uint32_t kZip64EndSignature = 0x06064b50;
constexpr std::uint32_t kZip64LocatorSignature = 0x07064b50;
constexpr std::size_t kEndSize = 22;
constexpr std::size_t kZip64LocatorSize = 20;
constexpr std::size_t kZip64EndSize = 56;
constexpr std::size_t kCentralHeaderSize = 46;
constexpr std::size_t kLocalHeaderSize = 30;

std::uint16_t le16(const std::byte* p) {
    return static_cast<std::uint16_t>(std::to_integer<unsigned>(p[0]) |
                                      (std::to_integer<unsigned>(p[1]) << 8));
}
std::uint32_t le32(const std::byte* p) {
    return std::uint32_t(le16(p)) | (std::uint32_t(le16(p + 2)) << 16);
}
std::uint64_t le64(const std::byte* p) {
    return std::uint64_t(le32(p)) | (std::uint64_t(le32(p + 4)) << 32);
}

bool rangeInside(std::uint64_t offset, std::uint64_t size, std::uint64_t limit) {
    return offset <= limit && size <= limit - offset;
}

const std::array<std::array<std::uint32_t, 256>, 8>& crcTables() {
    static const auto tables = [] {
        std::array<std::array<std::uint32_t, 256>, 8> t{};
        for (std::uint32_t i = 0; i < 256; ++i) {
            std::uint32_t c = i;
            for (int k = 0; k < 8; ++k)
                c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            t[0][i] = c;
        }
        for (std::uint32_t i = 0; i < 256; ++i)
            for (int s = 1; s < 8; ++s)
                t[s][i] = (t[s - 1][i] >> 8) ^ t[0][t[s - 1][i] & 0xff];
        return t;
    }();
    return tables;
}

} // namespace

std::uint32_t crc32(std::span<const std::byte> bytes, std::uint32_t crc) {
    const auto& t = crcTables();
    crc = ~crc;
    const std::byte* p = bytes.data();
    std::size_t n = bytes.size();
    while (n >= 8) {
        const std::uint32_t lo = le32(p) ^ crc;
        const std::uint32_t hi = le32(p + 4);
        crc = t[7][lo & 0xff] ^ t[6][(lo >> 8) & 0xff] ^ t[5][(lo >> 16) & 0xff] ^ t[4][lo >> 24] ^
              t[3][hi & 0xff] ^ t[2][(hi >> 8) & 0xff] ^ t[1][(hi >> 16) & 0xff] ^ t[0][hi >> 24];
        p += 8;
        n -= 8;
    }
    while (n-- > 0)
        crc = t[0][(crc ^ std::to_integer<std::uint32_t>(*p++)) & 0xff] ^ (crc >> 8);
    return ~crc;
}

MappedFile::MappedFile(const std::filesystem::path& path)
    : m_path(path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        throw ZipError("cannot open '" + path.string() + "': " + std::strerror(errno));
    struct stat info {};
    if (::fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
        ::close(fd);
        throw ZipError("cannot read '" + path.string() + "': not a regular file");
    }
    m_size = static_cast<std::size_t>(info.st_size);
    if (m_size > 0) {
        void* mapped = ::mmap(nullptr, m_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (mapped == MAP_FAILED) {
            const int error = errno;
            ::close(fd);
            throw ZipError("cannot map '" + path.string() + "': " + std::strerror(error));
        }
        m_data = static_cast<const std::byte*>(mapped);
    }
    ::close(fd);
}

MappedFile::~MappedFile() {
    if (m_data)
        ::munmap(const_cast<std::byte*>(m_data), m_size);
}

ZipArchive::ZipArchive(const std::filesystem::path& path)
    : m_file(std::make_shared<MappedFile>(path)) {
    readCentralDirectory();
}

void ZipArchive::fail(const std::string& cause) const {
    throw ZipError("'" + path().string() + "' is not a readable checkpoint archive: " + cause);
}

void ZipArchive::readCentralDirectory() {
    const auto file = m_file->bytes();
    const std::byte* base = file.data();
    const std::uint64_t size = file.size();
    if (size < kEndSize)
        fail("the file is too short to be a ZIP archive (" + std::to_string(size) + " bytes)");

    // The end-of-central-directory record sits in the last 22 + 65535 bytes (its comment is at most 64 KiB).
    std::uint64_t endPos = UINT64_MAX;
    const std::uint64_t searchStart = size > kEndSize + 0xffff ? size - kEndSize - 0xffff : 0;
    for (std::uint64_t pos = size - kEndSize + 1; pos-- > searchStart;) {
        if (le32(base + pos) == kEndSignature && pos + kEndSize + le16(base + pos + 20) == size) {
            endPos = pos;
            break;
        }
    }
    if (endPos == UINT64_MAX)
        fail("no end-of-central-directory record (truncated file, or not a ZIP archive)");
    const std::byte* end = base + endPos;
    std::uint64_t diskNumber = le16(end + 4);
    std::uint64_t cdDisk = le16(end + 6);
    std::uint64_t entriesOnDisk = le16(end + 8);
    std::uint64_t entryCount = le16(end + 10);
    std::uint64_t cdSize = le32(end + 12);
    std::uint64_t cdOffset = le32(end + 16);
    std::uint64_t cdLimit = endPos; // the central directory must end before this position

    if (endPos >= kZip64LocatorSize && le32(base + endPos - kZip64LocatorSize) == kZip64LocatorSignature) {
        const std::byte* locator = base + endPos - kZip64LocatorSize;
        const std::uint64_t zip64EndPos = le64(locator + 8);
        if (le32(locator + 16) > 1)
            fail("multi-disk archives are not supported");
        if (!rangeInside(zip64EndPos, kZip64EndSize, endPos - kZip64LocatorSize))
            fail("the ZIP64 end record offset " + std::to_string(zip64EndPos) + " is out of bounds");
        const std::byte* end64 = base + zip64EndPos;
        if (le32(end64) != kZip64EndSignature)
            fail("bad ZIP64 end-of-central-directory signature");
        diskNumber = le32(end64 + 16);
        cdDisk = le32(end64 + 20);
        entriesOnDisk = le64(end64 + 24);
        entryCount = le64(end64 + 32);
        cdSize = le64(end64 + 40);
        cdOffset = le64(end64 + 48);
        cdLimit = zip64EndPos;
    } else if (entryCount == 0xffff || cdSize == 0xffffffff || cdOffset == 0xffffffff) {
        fail("the end record needs ZIP64 fields but the ZIP64 locator is missing");
    }
    if (diskNumber != 0 || cdDisk != 0 || entriesOnDisk != entryCount)
        fail("multi-disk archives are not supported");
    if (!rangeInside(cdOffset, cdSize, cdLimit))
        fail("the central directory (offset " + std::to_string(cdOffset) + ", " + std::to_string(cdSize) +
             " bytes) lies outside the file");
    if (entryCount > kMaxEntries || entryCount > cdSize / kCentralHeaderSize)
        fail("the central directory declares " + std::to_string(entryCount) +
             " entries, more than it can hold");

    m_entries.reserve(static_cast<std::size_t>(entryCount));
    std::vector<std::pair<std::uint64_t, std::uint64_t>> spans; // local header start, data end
    std::uint64_t pos = cdOffset;
    const std::uint64_t cdEnd = cdOffset + cdSize;
    for (std::uint64_t index = 0; index < entryCount; ++index) {
        if (!rangeInside(pos, kCentralHeaderSize, cdEnd) || le32(base + pos) != kCentralHeaderSignature)
            fail("central directory record " + std::to_string(index) + " is corrupt");
        const std::byte* h = base + pos;
        const std::uint16_t flags = le16(h + 8);
        const std::uint16_t method = le16(h + 10);
        const std::uint32_t crc = le32(h + 16);
        std::uint64_t compressedSize = le32(h + 20);
        std::uint64_t uncompressedSize = le32(h + 24);
        const std::uint16_t nameLength = le16(h + 28);
        const std::uint16_t extraLength = le16(h + 30);
        const std::uint16_t commentLength = le16(h + 32);
        std::uint64_t diskStart = le16(h + 34);
        std::uint64_t localOffset = le32(h + 42);
        const std::uint64_t recordSize = kCentralHeaderSize + nameLength + extraLength + commentLength;
        if (!rangeInside(pos, recordSize, cdEnd))
            fail("central directory record " + std::to_string(index) + " runs past the directory");
        std::string name(reinterpret_cast<const char*>(h + kCentralHeaderSize), nameLength);
        if (name.empty() || name.find('\0') != std::string::npos)
            fail("central directory record " + std::to_string(index) + " has an invalid name");

        // ZIP64 extended information: present fields replace the 0xFFFFFFFF placeholders, in this order.
        const std::byte* extra = h + kCentralHeaderSize + nameLength;
        for (std::uint64_t e = 0; e + 4 <= extraLength;) {
            const std::uint16_t id = le16(extra + e);
            const std::uint16_t length = le16(extra + e + 2);
            if (e + 4 + length > extraLength)
                fail("entry '" + name + "' has a malformed extra field");
            if (id == 0x0001) {
                const std::byte* field = extra + e + 4;
                std::uint64_t used = 0;
                auto take = [&](std::uint64_t& value, std::uint64_t width) {
                    if (used + width > length)
                        fail("entry '" + name + "' has a truncated ZIP64 extra field");
                    value = width == 8 ? le64(field + used) : le32(field + used);
                    used += width;
                };
                if (uncompressedSize == 0xffffffff)
                    take(uncompressedSize, 8);
                if (compressedSize == 0xffffffff)
                    take(compressedSize, 8);
                if (localOffset == 0xffffffff)
                    take(localOffset, 8);
                if (diskStart == 0xffff)
                    take(diskStart, 4);
            }
            e += 4 + std::uint64_t(length);
        }
        if (flags & 0x0041)
            fail("entry '" + name + "' is encrypted");
        if (method != 0)
            fail("entry '" + name + "' is compressed (method " + std::to_string(method) +
                 "); checkpoints written by torch.save store their entries uncompressed");
        if (compressedSize != uncompressedSize)
            fail("entry '" + name + "' is stored but its compressed and uncompressed sizes differ");
        if (diskStart != 0)
            fail("entry '" + name + "' lies on another disk");

        if (!rangeInside(localOffset, kLocalHeaderSize, cdOffset))
            fail("entry '" + name + "' has its local header outside the file data");
        const std::byte* local = base + localOffset;
        if (le32(local) != kLocalHeaderSignature)
            fail("entry '" + name + "' has a bad local header signature");
        if (le16(local + 6) & 0x0041)
            fail("entry '" + name + "' is encrypted");
        if (le16(local + 8) != 0)
            fail("entry '" + name + "' is compressed (method " + std::to_string(le16(local + 8)) + ")");
        const std::uint64_t localName = le16(local + 26);
        const std::uint64_t localExtra = le16(local + 28);
        const std::uint64_t dataOffset = localOffset + kLocalHeaderSize + localName + localExtra;
        if (!rangeInside(localOffset, kLocalHeaderSize + localName + localExtra, cdOffset) ||
            !rangeInside(dataOffset, compressedSize, cdOffset))
            fail("entry '" + name + "' (" + std::to_string(compressedSize) +
                 " bytes) runs past the end of the data (truncated file?)");
        if (localName != nameLength || std::memcmp(local + kLocalHeaderSize, name.data(), nameLength) != 0)
            fail("entry '" + name + "' has a different name in its local header");
        if (!m_index.emplace(name, m_entries.size()).second)
            fail("duplicate entry '" + name + "'");

        spans.emplace_back(localOffset, dataOffset + compressedSize);
        m_entries.push_back(ZipEntry{std::move(name), dataOffset, compressedSize, crc});
        pos += recordSize;
    }
    std::sort(spans.begin(), spans.end());
    for (std::size_t i = 1; i < spans.size(); ++i)
        if (spans[i].first < spans[i - 1].second)
            fail("entries overlap at offset " + std::to_string(spans[i].first));
}

const ZipEntry* ZipArchive::find(const std::string& name) const {
    const auto it = m_index.find(name);
    return it == m_index.end() ? nullptr : &m_entries[it->second];
}

std::span<const std::byte> ZipArchive::data(const ZipEntry& entry) const {
    return m_file->bytes().subspan(static_cast<std::size_t>(entry.dataOffset),
                                   static_cast<std::size_t>(entry.size));
}

void ZipArchive::verifyChecksum(const ZipEntry& entry) const {
    if (crc32(data(entry)) != entry.crc32)
        fail("entry '" + entry.name + "' fails its CRC-32 check (corrupt file)");
}

} // namespace kinema::diffusion::zip
