// SPDX-License-Identifier: Apache-2.0
#include "kinema/graph/AtomicFile.h"

#include <atomic>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <signal.h>
#include <stdexcept>
#include <sys/stat.h>
#include <unistd.h>

namespace kinema::graph {
namespace fs = std::filesystem;

namespace {

std::atomic<unsigned> g_counter{0};

std::runtime_error sysError(const std::string& what, const fs::path& path) {
    return std::runtime_error(what + " " + path.string() + ": " + std::strerror(errno));
}

void fsyncPath(const fs::path& path, bool directory) {
    int fd = ::open(path.c_str(), directory ? (O_RDONLY | O_DIRECTORY) : O_RDONLY);
    if (fd < 0)
        throw sysError("cannot open for fsync", path);
    int rc = ::fsync(fd);
    int saved = errno;
    ::close(fd);
    errno = saved;
    if (rc != 0 && !(directory && (errno == EINVAL || errno == EBADF)))
        throw sysError("fsync failed for", path);
}

} // namespace

bool isPartialName(const std::string& name) {
    return name.size() > 9 && name[0] == '.' && name.compare(name.size() - 8, 8, ".partial") == 0;
}

AtomicFileWriter::AtomicFileWriter(fs::path finalPath)
    : m_finalPath(std::move(finalPath)) {
    fs::path dir = m_finalPath.parent_path();
    if (dir.empty())
        dir = ".";
    // ".<name>.<pid>.<n>.partial": hidden, and the extension is not the sequence's, so no pattern matches.
    m_tempPath = dir / ("." + m_finalPath.filename().string() + "." + std::to_string(::getpid()) + "." +
                        std::to_string(g_counter++) + ".partial");
}

AtomicFileWriter::~AtomicFileWriter() {
    if (!m_committed) {
        std::error_code ec;
        fs::remove(m_tempPath, ec);
    }
}

void AtomicFileWriter::commit(std::string_view backupSuffix) {
    if (!fs::exists(m_tempPath))
        throw std::runtime_error("nothing was written to " + m_tempPath.string());
    fsyncPath(m_tempPath, false);
    if (!backupSuffix.empty() && fs::exists(m_finalPath)) {
        fs::path backup = m_finalPath;
        backup += std::string(backupSuffix);
        if (::rename(m_finalPath.c_str(), backup.c_str()) != 0)
            throw sysError("cannot keep a backup of", m_finalPath);
    }
    if (::rename(m_tempPath.c_str(), m_finalPath.c_str()) != 0)
        throw sysError("cannot rename the temporary file to", m_finalPath);
    m_committed = true;
    fs::path dir = m_finalPath.parent_path();
    fsyncPath(dir.empty() ? fs::path(".") : dir, true);
}

void writeFileAtomically(const fs::path& path, std::string_view content, std::string_view backupSuffix) {
    AtomicFileWriter writer(path);
    {
        std::ofstream out(writer.tempPath(), std::ios::binary | std::ios::trunc);
        if (!out)
            throw sysError("cannot create", writer.tempPath());
        out.write(content.data(), static_cast<std::streamsize>(content.size()));
        out.flush();
        if (!out)
            throw sysError("cannot write", writer.tempPath());
    }
    writer.commit(backupSuffix);
}

std::string readFile(const fs::path& path, std::size_t maxBytes) {
    std::error_code ec;
    if (!fs::is_regular_file(path, ec))
        throw std::runtime_error(path.string() + ": no such file");
    auto size = fs::file_size(path, ec);
    if (ec)
        throw std::runtime_error(path.string() + ": cannot read size: " + ec.message());
    if (size > maxBytes)
        throw std::runtime_error(path.string() + ": file is larger than the " +
                                 std::to_string(maxBytes >> 20) + " MiB limit");
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw sysError("cannot open", path);
    std::string data(static_cast<std::size_t>(size), '\0');
    in.read(data.data(), static_cast<std::streamsize>(size));
    if (static_cast<std::uintmax_t>(in.gcount()) != size)
        throw std::runtime_error(path.string() + ": short read");
    return data;
}

int sweepStalePartials(const fs::path& dir) {
    int removed = 0;
    std::error_code ec;
    for (auto& entry : fs::directory_iterator(dir, ec)) {
        std::string name = entry.path().filename().string();
        if (!isPartialName(name))
            continue;
        // ".<name>.<pid>.<n>.partial": the pid is the second-to-last dotted field before ".partial".
        std::string stem = name.substr(0, name.size() - 8);
        auto lastDot = stem.rfind('.');
        if (lastDot == std::string::npos)
            continue;
        auto pidDot = stem.rfind('.', lastDot - 1);
        if (pidDot == std::string::npos)
            continue;
        pid_t pid = 0;
        try {
            pid = static_cast<pid_t>(std::stol(stem.substr(pidDot + 1, lastDot - pidDot - 1)));
        } catch (...) {
            continue;
        }
        bool alive = pid > 0 && (::kill(pid, 0) == 0 || errno == EPERM);
        if (alive && pid != ::getpid())
            continue;
        if (pid == ::getpid())
            continue; // ours, still being written
        if (fs::remove(entry.path(), ec))
            ++removed;
    }
    return removed;
}

} // namespace kinema::graph
