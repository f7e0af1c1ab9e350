// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Helpers shared by the test executables: a self-deleting temporary directory, fixture paths and running
/// a program (the command-line front ends) with its output captured.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <sys/wait.h>
#include <vector>

namespace kinema::test {

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
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(m_path, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    const std::filesystem::path& path() const { return m_path; }
    std::filesystem::path operator/(const std::string& name) const { return m_path / name; }

private:
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
