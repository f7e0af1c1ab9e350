// SPDX-License-Identifier: Apache-2.0
#pragma once
/// File-sequence patterns as compositors write them.
///
/// `name.####.exr` (one `#` per digit of padding), `name.%04d.exr` (printf style) and `name.#.exr` (no
/// padding) all name frame-numbered files. Negative frames keep their sign before the padded digits
/// (`-001`). A path without a frame token names one file used for every frame.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace kinema::nodes {

class SequencePattern {
public:
    explicit SequencePattern(std::string pattern);

    const std::string& pattern() const { return m_pattern; }
    bool hasFrameToken() const { return m_tokenLength > 0; }
    int padding() const { return m_padding; }
    /// The file name of one frame.
    std::string pathForFrame(std::int64_t frame) const;
    /// Frames present on disk, sorted (only files whose name matches the pattern exactly).
    std::vector<std::int64_t> framesOnDisk() const;
    /// The frame number a file name encodes, if it matches.
    std::optional<std::int64_t> frameOf(const std::string& path) const;

private:
    std::string m_pattern;
    std::size_t m_tokenPos = 0;
    std::size_t m_tokenLength = 0;
    int m_padding = 0;
};

} // namespace kinema::nodes
