// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Helpers shared by the test executables: a self-deleting temporary directory and fixture paths.
#include <filesystem>
#include <random>
#include <string>

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

} // namespace kinema::test
