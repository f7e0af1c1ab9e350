// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Frame-range syntax shared by the CLI, Write nodes and the render dialog.
///
/// Accepts what Nuke and Natron users type: `1001-1100`, `1-50x10` (Nuke step), `1-10:2` (Natron step),
/// single frames, comma lists mixing them (`1-10:2,20,30-40`), negative frames (`-5--1`), and several
/// specs at once. Frames come back in the order given, duplicates removed.
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace kinema::graph {

class FrameSpecError : public std::invalid_argument {
public:
    using std::invalid_argument::invalid_argument;
};

/// Parses one spec; throws FrameSpecError quoting the bad part.
std::vector<std::int64_t> parseFrameSpec(std::string_view spec);
/// Parses several specs (e.g. repeated -F options) into one list.
std::vector<std::int64_t> parseFrameSpecs(const std::vector<std::string>& specs);
/// Compact text for a sorted list ("1001-1010,1020").
std::string formatFrameList(const std::vector<std::int64_t>& frames);

} // namespace kinema::graph
