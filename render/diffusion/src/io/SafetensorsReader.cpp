// SPDX-License-Identifier: Apache-2.0
#include "io/SafetensorsReader.h"

#include "io/DTypeNames.h"
#include "io/StrictJson.h"

#include <kinema/diffusion/Errors.h>

#include <algorithm>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <sstream>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace kinema::diffusion {

namespace {

[[noreturn]] void fail(const std::string& file, const std::string& what) {
    throw WeightsError("safetensors file '" + file + "': " + what);
}

[[noreturn]] void failTensor(const std::string& file, const std::string& tensor, const std::string& what) {
    throw WeightsError("safetensors file '" + file + "', tensor '" + tensor + "': " + what);
}

/// A read-only mapping of a whole file, unmapped when the last owner goes away.
std::shared_ptr<const void> mapFile(const std::filesystem::path& path, std::size_t& size) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        fail(path.string(), std::string("cannot open: ") + std::strerror(errno));
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        ::close(fd);
        fail(path.string(), "not a regular file");
    }
    size = static_cast<std::size_t>(st.st_size);
    if (size == 0) {
        ::close(fd);
        return std::shared_ptr<const void>(static_cast<const void*>(""), [](const void*) {});
    }
    void* base = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    ::close(fd);
    if (base == MAP_FAILED)
        fail(path.string(), std::string("cannot map: ") + std::strerror(errno));
    return std::shared_ptr<const void>(base, [size](const void* p) { ::munmap(const_cast<void*>(p), size); });
}

std::uint64_t readLe64(const std::byte* p) {
    std::uint64_t v = 0;
    for (int i = 7; i >= 0; --i)
        v = (v << 8) | static_cast<std::uint64_t>(p[i]);
    return v;
}

bool checkedMul(std::uint64_t a, std::uint64_t b, std::uint64_t& out) {
    return !__builtin_mul_overflow(a, b, &out);
}

struct Entry {
    RawTensor tensor;
    std::uint64_t begin = 0;
    std::uint64_t end = 0;
};

Entry parseEntry(const std::string& file, const std::string& name, const nlohmann::json& info,
                 const SafetensorsLimits& limits) {
    if (!info.is_object())
        failTensor(file, name, "entry is not a JSON object");
    for (const auto& [key, value] : info.items()) {
        if (key != "dtype" && key != "shape" && key != "data_offsets")
            failTensor(file, name, "unexpected field \"" + key + "\"");
    }
    if (!info.contains("dtype") || !info.contains("shape") || !info.contains("data_offsets"))
        failTensor(file, name, "entry needs \"dtype\", \"shape\" and \"data_offsets\"");
    const auto& dtypeJson = info["dtype"];
    if (!dtypeJson.is_string())
        failTensor(file, name, "\"dtype\" is not a string");
    const auto dtype = parseDTypeName(dtypeJson.get<std::string>());
    if (!dtype)
        failTensor(file, name, "unsupported dtype \"" + dtypeJson.get<std::string>() + "\"");

    Entry entry;
    entry.tensor.name = name;
    entry.tensor.dtype = *dtype;
    const auto& shape = info["shape"];
    if (!shape.is_array())
        failTensor(file, name, "\"shape\" is not an array");
    if (shape.size() > limits.maxRank)
        failTensor(file, name, "rank " + std::to_string(shape.size()) + " exceeds the limit");
    std::uint64_t bytes = dtypeSize(*dtype);
    for (const auto& d : shape) {
        if (!d.is_number_unsigned())
            failTensor(file, name, "shape holds a value that is not a non-negative integer");
        const auto dim = d.get<std::uint64_t>();
        if (dim > limits.maxDimension)
            failTensor(file, name, "shape dimension " + std::to_string(dim) + " is too large");
        if (!checkedMul(bytes, dim, bytes))
            failTensor(file, name, "shape x dtype size overflows (validation overflow)");
        entry.tensor.shape.push_back(static_cast<std::int64_t>(dim));
    }
    const auto& offsets = info["data_offsets"];
    if (!offsets.is_array() || offsets.size() != 2 || !offsets[0].is_number_unsigned() ||
        !offsets[1].is_number_unsigned())
        failTensor(file, name, "\"data_offsets\" must be two non-negative integers");
    entry.begin = offsets[0].get<std::uint64_t>();
    entry.end = offsets[1].get<std::uint64_t>();
    if (entry.end < entry.begin)
        failTensor(file, name,
                   "invalid offsets: end " + std::to_string(entry.end) + " before begin " +
                       std::to_string(entry.begin));
    if (entry.end - entry.begin != bytes)
        failTensor(file, name,
                   "invalid tensor info: " + std::to_string(entry.end - entry.begin) +
                       " bytes stored but dtype x shape needs " + std::to_string(bytes));
    entry.tensor.nbytes = static_cast<std::size_t>(bytes);
    return entry;
}

} // namespace

SafetensorsFile SafetensorsFile::open(const std::filesystem::path& path, const SafetensorsLimits& limits) {
    std::size_t size = 0;
    auto owner = mapFile(path, size);
    auto file = fromMemory(owner, static_cast<const std::byte*>(owner.get()), size, path.string(), limits);
    file.m_path = path;
    return file;
}

SafetensorsFile SafetensorsFile::fromMemory(std::shared_ptr<const void> owner, const std::byte* data,
                                            std::size_t size, const std::string& label,
                                            const SafetensorsLimits& limits) {
    if (size < 8)
        fail(label, "header too small: the file has " + std::to_string(size) +
                        " bytes, fewer than the 8-byte header length (truncated or not a safetensors file)");
    const std::uint64_t headerBytes = readLe64(data);
    if (headerBytes > limits.maxHeaderBytes)
        fail(label, "header too large: declares " + std::to_string(headerBytes) + " bytes, the limit is " +
                        std::to_string(limits.maxHeaderBytes) + " (corrupt or not a safetensors file)");
    if (headerBytes > size - 8)
        fail(label, "invalid header length: declares " + std::to_string(headerBytes) + " bytes but only " +
                        std::to_string(size - 8) + " follow (the file is truncated)");
    const std::string_view header(reinterpret_cast<const char*>(data + 8),
                                  static_cast<std::size_t>(headerBytes));
    if (!isValidUtf8(header))
        fail(label, "invalid header: not valid UTF-8");
    const auto firstNonSpace = header.find_first_not_of(" \t\r\n");
    if (firstNonSpace == std::string_view::npos || header[firstNonSpace] != '{')
        fail(label, "invalid header: does not start with a JSON object (maybe a .ckpt/.pth file)");

    nlohmann::json json;
    try {
        json = parseStrictJson(header, 4, limits.maxTensors + 1);
    } catch (const JsonTooManyMembers&) {
        fail(label, "too many tensors: the limit is " + std::to_string(limits.maxTensors));
    } catch (const std::exception& e) {
        fail(label, std::string("invalid header: ") + e.what());
    }
    if (!json.is_object())
        fail(label, "invalid header: not a JSON object");
    if (json.size() > limits.maxTensors + 1)
        fail(label, "too many tensors: " + std::to_string(json.size()) + ", the limit is " +
                        std::to_string(limits.maxTensors));

    SafetensorsFile file;
    file.m_path = label;
    std::vector<Entry> entries;
    entries.reserve(json.size());
    for (const auto& [name, info] : json.items()) {
        if (name == "__metadata__") {
            if (!info.is_object())
                fail(label, "invalid header: \"__metadata__\" is not an object");
            for (const auto& [key, value] : info.items()) {
                if (!value.is_string())
                    fail(label, "invalid header: \"__metadata__\" value of \"" + key + "\" is not a string");
                file.m_metadata[key] = value.get<std::string>();
            }
            continue;
        }
        if (name.empty() || name.size() > limits.maxNameBytes)
            fail(label, "invalid header: a tensor name is empty or longer than " +
                            std::to_string(limits.maxNameBytes) + " bytes");
        entries.push_back(parseEntry(label, name, info, limits));
    }

    std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
        return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
    });
    const std::uint64_t dataBytes = size - 8 - headerBytes;
    std::uint64_t expectedBegin = 0;
    for (const auto& e : entries) {
        if (e.begin != expectedBegin)
            failTensor(label, e.tensor.name,
                       "invalid offset: begins at " + std::to_string(e.begin) +
                           " but the previous tensor ends at " + std::to_string(expectedBegin) +
                           " (gap or overlap)");
        expectedBegin = e.end;
    }
    if (expectedBegin != dataBytes)
        fail(label, "incomplete buffer: tensors cover " + std::to_string(expectedBegin) +
                        " bytes but the data section has " + std::to_string(dataBytes) +
                        (expectedBegin < dataBytes ? " (trailing bytes)" : " (truncated file)"));

    const std::byte* dataStart = data + 8 + headerBytes;
    file.m_tensors.reserve(entries.size());
    for (auto& e : entries) {
        RawTensor t = std::move(e.tensor);
        const std::byte* p = dataStart + e.begin;
        const std::size_t align = dtypeSize(t.dtype);
        if (t.nbytes > 0 && reinterpret_cast<std::uintptr_t>(p) % align != 0) {
            // Misaligned for its dtype: hand out an aligned private copy instead of the mapped bytes.
            auto copy = std::shared_ptr<std::byte[]>(new std::byte[t.nbytes]);
            std::memcpy(copy.get(), p, t.nbytes);
            t.data = copy.get();
            t.owner = std::shared_ptr<const void>(copy, copy.get());
        } else {
            t.data = p;
            t.owner = owner;
        }
        file.m_index.emplace(t.name, file.m_tensors.size());
        file.m_tensors.push_back(std::move(t));
    }
    return file;
}

const RawTensor* SafetensorsFile::find(std::string_view name) const {
    auto it = m_index.find(name);
    return it == m_index.end() ? nullptr : &m_tensors[it->second];
}

const RawTensor& SafetensorsFile::at(std::string_view name) const {
    if (const auto* t = find(name))
        return *t;
    failTensor(m_path.string(), std::string(name), "missing");
}

SafetensorsCheckpoint SafetensorsCheckpoint::open(const std::filesystem::path& path,
                                                  const SafetensorsLimits& limits) {
    SafetensorsCheckpoint ckpt;
    ckpt.m_path = path;
    const std::string name = path.filename().string();
    const std::string indexSuffix = ".index.json";
    if (name.size() <= indexSuffix.size() ||
        name.compare(name.size() - indexSuffix.size(), indexSuffix.size(), indexSuffix) != 0) {
        ckpt.m_files.push_back(SafetensorsFile::open(path, limits));
        for (const auto& t : ckpt.m_files.back().tensors())
            ckpt.m_where.emplace(t.name, &t);
        return ckpt;
    }

    std::error_code ec;
    const auto indexSize = std::filesystem::file_size(path, ec);
    if (ec)
        throw WeightsError("safetensors index '" + path.string() + "': cannot open: " + ec.message());
    if (indexSize > limits.maxHeaderBytes)
        throw WeightsError("safetensors index '" + path.string() + "': too large");
    std::ifstream in(path, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    nlohmann::json json;
    try {
        json = parseStrictJson(text.str(), 8);
    } catch (const std::exception& e) {
        throw WeightsError("safetensors index '" + path.string() + "': " + e.what());
    }
    if (!json.is_object() || !json.contains("weight_map") || !json["weight_map"].is_object())
        throw WeightsError("safetensors index '" + path.string() + "': no \"weight_map\" object");

    std::map<std::string, std::size_t> shardIndex;
    std::vector<std::pair<std::string, std::string>> wanted;
    for (const auto& [tensor, shard] : json["weight_map"].items()) {
        if (!shard.is_string())
            throw WeightsError("safetensors index '" + path.string() + "', tensor '" + tensor +
                               "': shard name is not a string");
        const auto shardName = shard.get<std::string>();
        if (shardName.empty() || shardName.find('/') != std::string::npos ||
            shardName.find('\\') != std::string::npos || shardName == "." || shardName == "..")
            throw WeightsError("safetensors index '" + path.string() + "', tensor '" + tensor + "': shard '" +
                               shardName + "' is not a plain file name in the index's folder");
        if (!shardIndex.count(shardName)) {
            shardIndex[shardName] = ckpt.m_files.size();
            ckpt.m_files.push_back(SafetensorsFile::open(path.parent_path() / shardName, limits));
        }
        wanted.emplace_back(tensor, shardName);
    }
    for (const auto& [tensor, shardName] : wanted) {
        const auto& file = ckpt.m_files[shardIndex[shardName]];
        const auto* t = file.find(tensor);
        if (!t)
            throw WeightsError("safetensors index '" + path.string() + "', tensor '" + tensor +
                               "': not found in shard '" + shardName + "'");
        ckpt.m_where.emplace(tensor, t);
    }
    for (const auto& file : ckpt.m_files) {
        for (const auto& t : file.tensors()) {
            auto it = ckpt.m_where.find(t.name);
            if (it == ckpt.m_where.end() || it->second != &t)
                throw WeightsError("safetensors index '" + path.string() + "', tensor '" + t.name +
                                   "': shard '" + file.path().filename().string() +
                                   "' holds it but the index maps it elsewhere or not at all");
        }
    }
    return ckpt;
}

const RawTensor* SafetensorsCheckpoint::find(std::string_view name) const {
    auto it = m_where.find(name);
    return it == m_where.end() ? nullptr : it->second;
}

std::vector<std::string> SafetensorsCheckpoint::names() const {
    std::vector<std::string> out;
    out.reserve(m_where.size());
    for (const auto& [name, t] : m_where)
        out.push_back(name);
    return out;
}

} // namespace kinema::diffusion
