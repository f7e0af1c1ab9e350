// SPDX-License-Identifier: Apache-2.0
#include "kinema/graph/FrameList.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <set>

namespace kinema::graph {
namespace {

constexpr std::int64_t kMaxFrames = 10'000'000;

std::string trim(std::string_view s) {
    auto b = s.find_first_not_of(" \t");
    auto e = s.find_last_not_of(" \t");
    return b == std::string_view::npos ? std::string() : std::string(s.substr(b, e - b + 1));
}

bool parseInt(std::string_view s, std::int64_t& out) {
    if (s.empty())
        return false;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && ptr == s.data() + s.size();
}

void parsePart(const std::string& part, std::vector<std::int64_t>& out, std::set<std::int64_t>& seen) {
    auto bad = [&](const std::string& why) {
        return FrameSpecError("invalid frame range '" + part + "': " + why +
                              " (expected forms: 1001, 1001-1100, 1-50x10, 1-10:2)");
    };
    std::string body = part;
    std::int64_t step = 1;
    auto stepPos = body.find_first_of("x:");
    if (stepPos != std::string::npos) {
        if (!parseInt(std::string_view(body).substr(stepPos + 1), step))
            throw bad("the step is not an integer");
        if (step <= 0)
            throw bad("the step must be positive");
        body = body.substr(0, stepPos);
    }
    // The dash separating first and last is the first '-' that is not a sign (a sign is at position 0).
    std::size_t dash = body.find('-', 1);
    std::int64_t first = 0, last = 0;
    if (dash == std::string::npos) {
        if (!parseInt(body, first))
            throw bad("not a frame number");
        if (stepPos != std::string::npos)
            throw bad("a step needs a range");
        last = first;
    } else {
        if (!parseInt(std::string_view(body).substr(0, dash), first) ||
            !parseInt(std::string_view(body).substr(dash + 1), last))
            throw bad("the bounds are not integers");
        if (last < first)
            throw bad("the last frame is before the first");
    }
    if ((last - first) / step + 1 + static_cast<std::int64_t>(out.size()) > kMaxFrames)
        throw bad("too many frames");
    for (std::int64_t f = first; f <= last; f += step)
        if (seen.insert(f).second)
            out.push_back(f);
}

} // namespace

std::vector<std::int64_t> parseFrameSpec(std::string_view spec) {
    return parseFrameSpecs({std::string(spec)});
}

std::vector<std::int64_t> parseFrameSpecs(const std::vector<std::string>& specs) {
    std::vector<std::int64_t> out;
    std::set<std::int64_t> seen;
    for (auto& spec : specs) {
        std::size_t start = 0;
        bool any = false;
        while (start <= spec.size()) {
            auto comma = spec.find(',', start);
            std::string part = trim(std::string_view(spec).substr(
                start, comma == std::string::npos ? std::string::npos : comma - start));
            if (part.empty())
                throw FrameSpecError("invalid frame range '" + spec + "': empty element");
            parsePart(part, out, seen);
            any = true;
            if (comma == std::string::npos)
                break;
            start = comma + 1;
        }
        if (!any)
            throw FrameSpecError("empty frame range");
    }
    return out;
}

std::string formatFrameList(const std::vector<std::int64_t>& input) {
    std::vector<std::int64_t> frames = input;
    std::sort(frames.begin(), frames.end());
    frames.erase(std::unique(frames.begin(), frames.end()), frames.end());
    std::string out;
    for (std::size_t i = 0; i < frames.size();) {
        std::size_t j = i;
        while (j + 1 < frames.size() && frames[j + 1] == frames[j] + 1)
            ++j;
        if (!out.empty())
            out += ",";
        out += std::to_string(frames[i]);
        if (j > i)
            out += "-" + std::to_string(frames[j]);
        i = j + 1;
    }
    return out;
}

} // namespace kinema::graph
