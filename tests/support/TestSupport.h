// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Helpers shared by the test executables: a self-deleting temporary directory, fixture paths and running
/// a program (the command-line front ends) with its output captured.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <sys/wait.h>
#include <vector>

namespace kinema::test {

/// How long a GUI test waits for its window to be exposed or activated: Qt's default of 5 s is too short
/// for Xvfb on a machine busy with other work (ctest -j, a training run), where the exposure comes late.
inline constexpr int kWindowTimeoutMs = 30000;

/// A fresh directory under the system temp dir, removed with its contents on destruction.
class TempDir {
public:
    explicit TempDir(const std::string& tag = "kinema-test") {
        std::random_device rd;
        for (int attempt = 0; attempt < 100; ++attempt) {
            auto candidate = std::filesystem::temp_directory_path() /
                             (tag + "-" + std::to_string(rd()) + "-" + std::to_string(attempt));
            if (std::filesystem::create_directory(candidate)) {
                m_path = candidate;
                return;
            }
        }
        throw std::runtime_error("could not create a temporary directory");
    }
    ~TempDir() { removeTree(m_path); }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    const std::filesystem::path& path() const { return m_path; }
    std::filesystem::path operator/(const std::string& name) const { return m_path / name; }

private:
    /// Removes `path` and everything below it, ignoring errors. Written with directory_iterator rather than
    /// std::filesystem::remove_all: PyTorch's libtorch 2.x (the GPU builds) exports its own copy of
    /// libstdc++'s recursive directory iterator, which remove_all of a newer libstdc++ then calls into and
    /// crashes on.
    static void removeTree(const std::filesystem::path& path) {
        std::error_code ec;
        if (std::filesystem::is_directory(std::filesystem::symlink_status(path, ec))) {
            std::vector<std::filesystem::path> children;
            for (const auto& entry : std::filesystem::directory_iterator(path, ec))
                children.push_back(entry.path());
            for (const auto& child : children)
                removeTree(child);
        }
        std::filesystem::remove(path, ec);
    }

    std::filesystem::path m_path;
};

inline std::filesystem::path fixturesDir() {
    return KINEMA_TEST_FIXTURES;
}
inline std::filesystem::path resourcesDir() {
    return KINEMA_RESOURCES_DIR;
}
inline std::filesystem::path sourceDir() {
    return KINEMA_SOURCE_DIR;
}

/// The whole content of the file at `path`, byte for byte (empty when it cannot be read).
inline std::string readFileBytes(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

/// Exit code (-1 when the program did not exit normally) and stdout + stderr of a program run.
struct RunResult {
    int exitCode = -1;
    std::string out;
};

/// Runs `program` with `args` in `cwd` through the shell, with `environment` ("NAME='value' ...", may be
/// empty) prepended, capturing stdout and stderr together in cwd/run.log.
inline RunResult runProgram(const std::string& program, const std::vector<std::string>& args,
                            const std::filesystem::path& cwd, const std::string& environment = {}) {
    const auto log = cwd / "run.log";
    std::string cmd = "cd '" + cwd.string() + "' && " + environment + (environment.empty() ? "" : " ") + "'" +
                      program + "'";
    for (const auto& a : args)
        cmd += " '" + a + "'";
    cmd += " >'" + log.string() + "' 2>&1";
    const int status = std::system(cmd.c_str());
    RunResult r;
    r.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    std::ifstream in(log);
    std::stringstream ss;
    ss << in.rdbuf();
    r.out = ss.str();
    return r;
}

} // namespace kinema::test
