// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Crash-safe file replacement.
///
/// Files are written under a temporary name in the destination's directory that no sequence pattern can
/// match (".<name>.<pid>.<n>.partial"), fsynced, renamed over the final name, and the directory is fsynced.
/// A killed process therefore never leaves a half-written file under a final name; stale temporaries of
/// dead processes are swept by sweepStalePartials(). There is no copy fallback across filesystems.
#include <filesystem>
#include <string>
#include <string_view>

namespace kinema::graph {

class AtomicFileWriter {
public:
    explicit AtomicFileWriter(std::filesystem::path finalPath);
    /// Removes the temporary file unless commit() succeeded.
    ~AtomicFileWriter();
    AtomicFileWriter(const AtomicFileWriter&) = delete;
    AtomicFileWriter& operator=(const AtomicFileWriter&) = delete;

    /// Where to write the content (for libraries that open files by name).
    const std::filesystem::path& tempPath() const { return m_tempPath; }
    const std::filesystem::path& finalPath() const { return m_finalPath; }

    /// fsyncs the temp file, renames it to the final path and fsyncs the directory.
    /// If `backupSuffix` is non-empty and the final file exists, it is first renamed to final+suffix.
    void commit(std::string_view backupSuffix = {});

private:
    std::filesystem::path m_finalPath;
    std::filesystem::path m_tempPath;
    bool m_committed = false;
};

/// Writes `content` to `path` atomically.
void writeFileAtomically(const std::filesystem::path& path, std::string_view content,
                         std::string_view backupSuffix = {});
/// Reads a whole file; throws std::runtime_error naming the file if it cannot be read or exceeds maxBytes.
std::string readFile(const std::filesystem::path& path, std::size_t maxBytes);
/// Removes ".*.partial" temporaries in `dir` whose writing process no longer runs. Returns how many.
int sweepStalePartials(const std::filesystem::path& dir);
/// True if `name` is one of our temporary names.
bool isPartialName(const std::string& name);

} // namespace kinema::graph
