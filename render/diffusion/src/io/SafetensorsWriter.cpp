// SPDX-License-Identifier: Apache-2.0
#include "kinema/diffusion/SafetensorsWriter.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace kinema::diffusion {

namespace {

/// The process umask, read without changing it (umask() would race with other threads).
mode_t processUmask() {
    std::ifstream status("/proc/self/status");
    for (std::string line; std::getline(status, line);)
        if (line.rfind("Umask:", 0) == 0)
            return static_cast<mode_t>(std::stoul(line.substr(6), nullptr, 8));
    return 022;
}

/// A file written under a temporary name in its destination directory and published by rename:
/// commit() fsyncs the data, renames the temporary file over the destination and fsyncs the directory, so
/// readers only ever see the old file or the complete new one. Destroying an uncommitted AtomicFile removes
/// the temporary file. There is deliberately no copy fallback when rename fails.
/// I/O failure of an AtomicFile; the message names the destination and the system error.
class AtomicFileError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

class AtomicFile {
public:
    /// Creates a uniquely named temporary file next to `destination`.
    explicit AtomicFile(std::filesystem::path destination);
    ~AtomicFile();
    AtomicFile(const AtomicFile&) = delete;
    AtomicFile& operator=(const AtomicFile&) = delete;

    /// Appends `size` bytes; retries short writes and EINTR.
    void write(const void* data, std::size_t size);
    /// fsync, rename over the destination, fsync the directory.
    void commit();

    const std::filesystem::path& temporaryPath() const { return m_temporary; }

private:
    [[noreturn]] void fail(const std::string& action) const;

    std::filesystem::path m_destination;
    std::filesystem::path m_temporary;
    int m_fd = -1;
    bool m_committed = false;
};

AtomicFile::AtomicFile(std::filesystem::path destination)
    : m_destination(std::move(destination)) {
    auto directory = m_destination.parent_path();
    if (directory.empty())
        directory = ".";
    if (m_destination.filename().empty())
        throw AtomicFileError("cannot write '" + m_destination.string() + "': not a file name");
    std::string temporaryName(".");
    temporaryName += m_destination.filename().string();
    temporaryName += ".tmp-XXXXXX";
    const std::string pattern = (directory / temporaryName).string();
    std::vector<char> buffer(pattern.begin(), pattern.end());
    buffer.push_back('\0');
    m_fd = ::mkostemp(buffer.data(), O_CLOEXEC);
    if (m_fd < 0)
        fail("cannot create a temporary file in '" + directory.string() + "'");
    m_temporary = buffer.data();
    // mkstemp creates 0600 files; give the result the mode a plain open() would (or keep the old file's).
    struct stat existing {};
    const mode_t mode =
        ::stat(m_destination.c_str(), &existing) == 0 ? (existing.st_mode & 07777) : (0666 & ~processUmask());
    if (::fchmod(m_fd, mode) != 0)
        fail("cannot set the permissions of '" + m_temporary.string() + "'");
}

AtomicFile::~AtomicFile() {
    if (m_fd >= 0)
        ::close(m_fd);
    if (!m_committed && !m_temporary.empty())
        ::unlink(m_temporary.c_str());
}

void AtomicFile::fail(const std::string& action) const {
    const int error = errno;
    throw AtomicFileError("cannot write '" + m_destination.string() + "': " + action + ": " +
                          std::strerror(error));
}

void AtomicFile::write(const void* data, std::size_t size) {
    const char* bytes = static_cast<const char*>(data);
    while (size > 0) {
        const std::size_t chunk = std::min<std::size_t>(size, std::size_t(1) << 30);
        const ssize_t written = ::write(m_fd, bytes, chunk);
        if (written < 0) {
            if (errno == EINTR)
                continue;
            fail("write failed");
        }
        bytes += written;
        size -= static_cast<std::size_t>(written);
    }
}

void AtomicFile::commit() {
    if (::fsync(m_fd) != 0)
        fail("fsync failed");
    if (::close(m_fd) != 0) {
        m_fd = -1;
        fail("close failed");
    }
    m_fd = -1;
    if (::rename(m_temporary.c_str(), m_destination.c_str()) != 0)
        fail("cannot rename '" + m_temporary.string() + "'");
    m_committed = true;
    auto directory = m_destination.parent_path();
    if (directory.empty())
        directory = ".";
    const int dirFd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dirFd < 0)
        fail("cannot open the directory to flush it");
    const int result = ::fsync(dirFd);
    ::close(dirFd);
    if (result != 0)
        fail("fsync of the directory failed");
}

constexpr std::int64_t kMaxDimension = (std::int64_t(1) << 48) - 1; // safetensors schema limit

std::string quoted(const std::filesystem::path& path, const std::string& text, const char* what) {
    try {
        return nlohmann::json(text).dump();
    } catch (const nlohmann::json::exception&) {
        throw SafetensorsWriteError("cannot write '" + path.string() + "': " + what + " is not valid UTF-8");
    }
}

std::uint64_t checkedTensorBytes(const std::filesystem::path& path, const RawTensor& tensor) {
    std::uint64_t count = 1;
    for (auto dim : tensor.shape) {
        if (dim < 0 || dim > kMaxDimension)
            throw SafetensorsWriteError("cannot write '" + path.string() + "': tensor '" + tensor.name +
                                        "' has an invalid dimension " + std::to_string(dim));
        if (dim != 0 && count > UINT64_MAX / std::uint64_t(dim))
            throw SafetensorsWriteError("cannot write '" + path.string() + "': tensor '" + tensor.name +
                                        "' has too many elements");
        count *= std::uint64_t(dim);
    }
    const std::uint64_t size = dtypeSize(tensor.dtype);
    if (count > UINT64_MAX / size)
        throw SafetensorsWriteError("cannot write '" + path.string() + "': tensor '" + tensor.name +
                                    "' is too large");
    const std::uint64_t bytes = count * size;
    if (bytes != tensor.nbytes)
        throw SafetensorsWriteError("cannot write '" + path.string() + "': tensor '" + tensor.name +
                                    "' holds " + std::to_string(tensor.nbytes) +
                                    " bytes but its dtype and shape need " + std::to_string(bytes));
    if (bytes > 0 && tensor.data == nullptr)
        throw SafetensorsWriteError("cannot write '" + path.string() + "': tensor '" + tensor.name +
                                    "' has no data");
    return bytes;
}

std::vector<const RawTensor*> sortedByName(const std::filesystem::path& path,
                                           const std::vector<RawTensor>& tensors) {
    std::vector<const RawTensor*> order;
    order.reserve(tensors.size());
    for (const auto& tensor : tensors)
        order.push_back(&tensor);
    std::sort(order.begin(), order.end(),
              [](const RawTensor* a, const RawTensor* b) { return a->name < b->name; });
    for (std::size_t i = 0; i < order.size(); ++i) {
        if (order[i]->name.empty())
            throw SafetensorsWriteError("cannot write '" + path.string() + "': a tensor has an empty name");
        if (order[i]->name == "__metadata__")
            throw SafetensorsWriteError("cannot write '" + path.string() +
                                        "': '__metadata__' is reserved and cannot name a tensor");
        if (i > 0 && order[i]->name == order[i - 1]->name)
            throw SafetensorsWriteError("cannot write '" + path.string() + "': duplicate tensor name '" +
                                        order[i]->name + "'");
    }
    return order;
}

} // namespace

std::string safetensorsHeader(const std::filesystem::path& path, const std::vector<RawTensor>& tensors,
                              const std::map<std::string, std::string>& metadata) {
    const auto order = sortedByName(path, tensors);
    std::string header = "{";
    bool first = true;
    if (!metadata.empty()) {
        header += "\"__metadata__\":{";
        bool firstEntry = true;
        for (const auto& [key, value] : metadata) {
            if (!firstEntry)
                header += ',';
            firstEntry = false;
            header += quoted(path, key, "a metadata key");
            header += ':';
            header += quoted(path, value, ("the metadata value of '" + key + "'").c_str());
        }
        header += '}';
        first = false;
    }
    std::uint64_t offset = 0;
    for (const RawTensor* tensor : order) {
        const std::uint64_t bytes = checkedTensorBytes(path, *tensor);
        if (offset > UINT64_MAX - bytes)
            throw SafetensorsWriteError("cannot write '" + path.string() + "': the tensors are too large");
        if (!first)
            header += ',';
        first = false;
        header += quoted(path, tensor->name, "a tensor name");
        header += ":{\"dtype\":\"";
        header += dtypeName(tensor->dtype);
        header += "\",\"shape\":[";
        for (std::size_t i = 0; i < tensor->shape.size(); ++i) {
            if (i > 0)
                header += ',';
            header += std::to_string(tensor->shape[i]);
        }
        header +=
            "],\"data_offsets\":[" + std::to_string(offset) + ',' + std::to_string(offset + bytes) + "]}";
        offset += bytes;
    }
    header += '}';
    header.append((8 - header.size() % 8) % 8, ' ');
    return header;
}

void writeSafetensors(const std::filesystem::path& path, const std::vector<RawTensor>& tensors,
                      const std::map<std::string, std::string>& metadata) {
    const std::string header = safetensorsHeader(path, tensors, metadata);
    const auto order = sortedByName(path, tensors);
    try {
        AtomicFile file(path);
        unsigned char prefix[8];
        std::uint64_t length = header.size();
        for (int i = 0; i < 8; ++i)
            prefix[i] = static_cast<unsigned char>(length >> (8 * i));
        file.write(prefix, sizeof prefix);
        file.write(header.data(), header.size());
        for (const RawTensor* tensor : order)
            file.write(tensor->data, tensor->nbytes);
        file.commit();
    } catch (const AtomicFileError& error) {
        throw SafetensorsWriteError(error.what());
    }
}

} // namespace kinema::diffusion
