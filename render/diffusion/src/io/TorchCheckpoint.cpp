// SPDX-License-Identifier: Apache-2.0
#include "kinema/diffusion/TorchCheckpoint.h"

#include "io/PickleReader.h"
#include "io/ZipArchive.h"
#include "kinema/diffusion/SafetensorsWriter.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <unordered_map>

namespace kinema::diffusion {

namespace {

using pickle::Kind;
using pickle::Object;
using pickle::RestrictedUnpickler;
using zip::crc32;
using zip::MappedFile;
using zip::ZipArchive;
using zip::ZipEntry;
using zip::ZipError;

constexpr int kMaxNesting = 32;
constexpr const char* kWrapperKeys[] = {"state_dict", "model", "module"};

std::string quotedPath(const std::filesystem::path& path) {
    std::string text(1, '\'');
    text += path.string();
    text += '\'';
    return text;
}

bool startsWith(std::span<const std::byte> bytes, std::string_view magic) {
    return bytes.size() >= magic.size() && std::memcmp(bytes.data(), magic.data(), magic.size()) == 0;
}

// Recognises common non-ZIP inputs so that the error says what the file is.
void rejectOtherFormats(const std::filesystem::path& path, std::span<const std::byte> bytes) {
    const auto fail = [&](const std::string& what) {
        throw CheckpointError(quotedPath(path) + " is not a PyTorch zip checkpoint: " + what);
    };
    if (startsWith(bytes, "7z\xBC\xAF\x27\x1C"))
        fail("it is a 7z archive (checkpoints wrapped in other archives are refused)");
    if (startsWith(bytes, "\x1f\x8b"))
        fail("it is gzip-compressed");
    if (startsWith(bytes, "\xfd"
                          "7zXZ"))
        fail("it is xz-compressed");
    if (startsWith(bytes, "Rar!"))
        fail("it is a RAR archive");
    if (startsWith(bytes, "\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19"))
        fail("it uses the legacy torch.save format (before PyTorch 1.6), which is not supported; re-save it "
             "with a current PyTorch or convert it to safetensors");
    if (bytes.size() >= 9 && std::to_integer<char>(bytes[8]) == '{')
        fail("it looks like a safetensors file; load it as safetensors");
    if (!startsWith(bytes, "PK\x03\x04") && !startsWith(bytes, "PK\x05\x06"))
        fail("unknown format (no ZIP signature)");
}

std::uint64_t checkedMultiply(std::uint64_t a, std::uint64_t b, bool& overflow) {
    if (a != 0 && b > UINT64_MAX / a)
        overflow = true;
    return a * b;
}

class CheckpointAssembler {
public:
    CheckpointAssembler(const std::filesystem::path& path, const ZipArchive& zip,
                        const RestrictedUnpickler& pickle, std::string prefix, bool verifyChecksums)
        : m_path(path)
        , m_zip(zip)
        , m_pickle(pickle)
        , m_prefix(std::move(prefix))
        , m_verify(verifyChecksums) {}

    TorchCheckpoint assemble(std::uint32_t root) {
        TorchCheckpoint result;
        root = unwrap(root, result.unwrappedKey);
        const Object& rootObject = m_pickle.object(root);
        if (rootObject.kind == Kind::Tensor)
            fail("", "the checkpoint holds a single tensor, not a dict of tensors");
        if (rootObject.kind != Kind::Dict)
            fail("", std::string("the checkpoint's top-level object is a ") +
                         pickle::kindName(rootObject.kind) + ", not a dict of tensors");
        flatten(root, "", 0, result);
        if (result.tensors.empty())
            fail("", "the checkpoint contains no tensors");
        return result;
    }

private:
    [[noreturn]] void fail(const std::string& key, const std::string& cause) const {
        throw CheckpointError(quotedPath(m_path) + (key.empty() ? "" : ", tensor '" + key + "'") + ": " +
                              cause);
    }

    std::uint32_t lookup(const Object& dict, std::string_view key) const {
        for (std::size_t i = 0; i + 1 < dict.items.size(); i += 2) {
            const Object& k = m_pickle.object(dict.items[i]);
            if (k.kind == Kind::String && k.text == key)
                return dict.items[i + 1];
        }
        return UINT32_MAX;
    }

    bool hasTensorValues(const Object& dict) const {
        for (std::size_t i = 1; i < dict.items.size(); i += 2)
            if (m_pickle.object(dict.items[i]).kind == Kind::Tensor)
                return true;
        return false;
    }

    std::uint32_t unwrap(std::uint32_t root, std::string& unwrappedKey) const {
        const Object& dict = m_pickle.object(root);
        if (dict.kind != Kind::Dict || hasTensorValues(dict))
            return root;
        for (const char* key : kWrapperKeys) {
            const auto value = lookup(dict, key);
            if (value != UINT32_MAX && m_pickle.object(value).kind == Kind::Dict) {
                unwrappedKey = key;
                return value;
            }
        }
        return root;
    }

    void flatten(std::uint32_t index, const std::string& name, int depth, TorchCheckpoint& out) {
        const Object& object = m_pickle.object(index);
        if (depth > kMaxNesting)
            fail(name, "nesting deeper than " + std::to_string(kMaxNesting) + " levels (cyclic structure?)");
        const auto child = [&](const std::string& key) { return name.empty() ? key : name + "." + key; };
        switch (object.kind) {
        case Kind::Tensor:
            out.tensors.push_back(makeTensor(object, name));
            return;
        case Kind::Dict:
            for (std::size_t i = 0; i + 1 < object.items.size(); i += 2) {
                const Object& key = m_pickle.object(object.items[i]);
                flatten(object.items[i + 1],
                        child(key.kind == Kind::String ? key.text : std::to_string(key.integer)), depth + 1,
                        out);
            }
            return;
        case Kind::List:
        case Kind::Tuple: {
            bool anyContainer = false;
            for (auto item : object.items) {
                const Kind kind = m_pickle.object(item).kind;
                anyContainer |=
                    kind == Kind::Tensor || kind == Kind::Dict || kind == Kind::List || kind == Kind::Tuple;
            }
            if (!anyContainer) {
                out.skippedKeys.push_back(name);
                return;
            }
            for (std::size_t i = 0; i < object.items.size(); ++i)
                flatten(object.items[i], child(std::to_string(i)), depth + 1, out);
            return;
        }
        default:
            out.skippedKeys.push_back(name);
            return;
        }
    }

    const ZipEntry& storageEntry(const Object& storage, const std::string& name) {
        const std::string entryName = m_prefix + "data/" + storage.text;
        const ZipEntry* entry = m_zip.find(entryName);
        if (!entry)
            fail(name, "its storage '" + entryName + "' is missing from the archive");
        bool overflow = false;
        const std::uint64_t bytes =
            checkedMultiply(static_cast<std::uint64_t>(storage.integer), dtypeSize(storage.dtype), overflow);
        if (overflow || bytes != entry->size)
            fail(name, "storage-size mismatch: the pickle declares " + std::to_string(storage.integer) + " " +
                           std::string(dtypeName(storage.dtype)) + " elements but '" + entryName +
                           "' holds " + std::to_string(entry->size) + " bytes");
        if (m_verify && m_verified.insert({entryName, true}).second) {
            if (crc32(m_zip.data(*entry)) != entry->crc32)
                fail(name,
                     "its storage '" + entryName + "' fails its CRC-32 check (corrupt or incomplete file)");
        }
        return *entry;
    }

    RawTensor makeTensor(const Object& tensor, const std::string& name) {
        const Object& storage = m_pickle.object(tensor.items.at(0));
        const ZipEntry& entry = storageEntry(storage, name);
        const std::uint64_t elementSize = dtypeSize(storage.dtype);
        const std::uint64_t storageElements = static_cast<std::uint64_t>(storage.integer);

        bool overflow = false;
        std::uint64_t count = 1;
        std::uint64_t lastElement = static_cast<std::uint64_t>(tensor.integer);
        for (std::size_t d = 0; d < tensor.shape.size(); ++d) {
            const auto size = static_cast<std::uint64_t>(tensor.shape[d]);
            count = checkedMultiply(count, size, overflow);
            if (size > 0) {
                const std::uint64_t reach =
                    checkedMultiply(size - 1, static_cast<std::uint64_t>(tensor.stride[d]), overflow);
                overflow |= lastElement > UINT64_MAX - reach;
                lastElement += reach;
            }
        }
        if (overflow)
            fail(name, "its shape and strides overflow 64 bits");

        RawTensor out;
        out.name = name;
        out.dtype = storage.dtype;
        out.shape = tensor.shape;
        if (count == 0) {
            out.owner = m_zip.mapping();
            return out;
        }
        if (lastElement >= storageElements)
            fail(name, "the view (offset " + std::to_string(tensor.integer) + ", " + std::to_string(count) +
                           " elements) reaches element " + std::to_string(lastElement) + " of a storage of " +
                           std::to_string(storageElements));

        const std::byte* base = m_zip.data(entry).data();
        bool contiguous = true;
        std::uint64_t expected = 1;
        for (std::size_t d = tensor.shape.size(); d-- > 0;) {
            if (tensor.shape[d] != 1 && static_cast<std::uint64_t>(tensor.stride[d]) != expected)
                contiguous = false;
            expected *= static_cast<std::uint64_t>(tensor.shape[d]);
        }
        out.nbytes = static_cast<std::size_t>(count * elementSize);
        if (contiguous) {
            out.data = base + tensor.integer * elementSize;
            out.owner = m_zip.mapping();
            return out;
        }
        // A strided view: copy it into a contiguous buffer, but never a view that repeats elements to grow
        // larger than its storage (broadcast strides could otherwise turn a tiny file into a huge buffer).
        if (count > storageElements)
            fail(name, "a strided view with " + std::to_string(count) + " elements over a storage of " +
                           std::to_string(storageElements) + " (expanding views are refused)");
        auto buffer = std::make_shared<std::vector<std::byte>>(out.nbytes);
        std::vector<std::int64_t> position(tensor.shape.size(), 0);
        for (std::uint64_t i = 0; i < count; ++i) {
            std::uint64_t element = static_cast<std::uint64_t>(tensor.integer);
            for (std::size_t d = 0; d < position.size(); ++d)
                element += static_cast<std::uint64_t>(position[d] * tensor.stride[d]);
            std::memcpy(buffer->data() + i * elementSize, base + element * elementSize, elementSize);
            for (std::size_t d = position.size(); d-- > 0;) {
                if (++position[d] < tensor.shape[d])
                    break;
                position[d] = 0;
            }
        }
        out.data = buffer->data();
        out.owner = buffer;
        return out;
    }

    const std::filesystem::path& m_path;
    const ZipArchive& m_zip;
    const RestrictedUnpickler& m_pickle;
    std::string m_prefix;
    bool m_verify;
    std::unordered_map<std::string, bool> m_verified;
};

} // namespace

TorchCheckpoint readTorchCheckpoint(const std::filesystem::path& path, const CheckpointReadOptions& options) {
    std::shared_ptr<ZipArchive> zip;
    try {
        {
            MappedFile probe(path);
            rejectOtherFormats(path, probe.bytes().first(std::min<std::size_t>(probe.bytes().size(), 64)));
        }
        zip = std::make_shared<ZipArchive>(path);
    } catch (const ZipError& error) {
        throw CheckpointError(error.what());
    }

    const ZipEntry* pickleEntry = nullptr;
    for (const auto& entry : zip->entries()) {
        const auto& n = entry.name;
        const bool isPickle =
            n == "data.pkl" || (n.size() > 9 && n.ends_with("/data.pkl") && n.find('/') == n.size() - 9);
        if (!isPickle)
            continue;
        if (pickleEntry)
            throw CheckpointError(quotedPath(path) + ": the archive holds several data.pkl entries ('" +
                                  pickleEntry->name + "', '" + n + "')");
        pickleEntry = &entry;
    }
    if (!pickleEntry) {
        for (const auto& entry : zip->entries())
            if (entry.name.ends_with("constants.pkl") || entry.name.ends_with("code/"))
                throw CheckpointError(
                    quotedPath(path) +
                    " is a TorchScript archive (it contains code), not a weights checkpoint");
        throw CheckpointError(quotedPath(path) +
                              " is a ZIP archive without data.pkl: not a PyTorch checkpoint");
    }
    const std::string prefix = pickleEntry->name.substr(0, pickleEntry->name.size() - 8);
    if (pickleEntry->size > options.maxPickleBytes)
        throw CheckpointError(quotedPath(path) + ": '" + pickleEntry->name + "' is " +
                              std::to_string(pickleEntry->size) + " bytes, more than the limit of " +
                              std::to_string(options.maxPickleBytes));
    if (const ZipEntry* order = zip->find(prefix + "byteorder")) {
        const auto bytes = zip->data(*order);
        const std::string value(reinterpret_cast<const char*>(bytes.data()),
                                std::min<std::size_t>(bytes.size(), 16));
        if (value != "little")
            throw CheckpointError(quotedPath(path) + ": byte order '" + value +
                                  "' is not supported (only little-endian checkpoints)");
    }
    try {
        if (options.verifyChecksums)
            zip->verifyChecksum(*pickleEntry);
    } catch (const ZipError& error) {
        throw CheckpointError(error.what());
    }

    pickle::PickleLimits limits;
    limits.maxObjects = options.maxPickleObjects;
    RestrictedUnpickler unpickler(zip->data(*pickleEntry), quotedPath(path) + " (" + pickleEntry->name + ")",
                                  limits);
    std::uint32_t root = 0;
    try {
        root = unpickler.run();
    } catch (const pickle::PickleError& error) {
        throw CheckpointError(error.what());
    }
    CheckpointAssembler assembler(path, *zip, unpickler, prefix, options.verifyChecksums);
    return assembler.assemble(root);
}

std::size_t convertCheckpointToSafetensors(const std::filesystem::path& input,
                                           const std::filesystem::path& output) {
    const TorchCheckpoint checkpoint = readTorchCheckpoint(input);
    std::map<std::string, std::string> metadata{{"format", "pt"}, {"source", input.filename().string()}};
    writeSafetensors(output, checkpoint.tensors, metadata);
    return checkpoint.tensors.size();
}

} // namespace kinema::diffusion
