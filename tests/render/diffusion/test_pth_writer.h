// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Test-only producer of PyTorch zip checkpoints with the byte layout torch.save (>= 1.6) uses: an
/// uncompressed ZIP with `<root>/data.pkl` (pickle protocol 2, the opcodes torch.save emits for an
/// OrderedDict state dict), `<root>/byteorder`, `<root>/data/<key>` storages aligned to 64 bytes,
/// `<root>/version` and `<root>/.data/serialization_id`. Pieces are exposed separately so tests can build
/// corrupt and malicious variants.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace kinema::test::pth {

inline void putLe(std::string& out, std::uint64_t value, int bytes) {
    for (int i = 0; i < bytes; ++i)
        out += static_cast<char>((value >> (8 * i)) & 0xff);
}

inline std::uint32_t crc32(const std::string& data) {
    std::uint32_t crc = 0xffffffffu;
    for (unsigned char c : data) {
        crc ^= c;
        for (int k = 0; k < 8; ++k)
            crc = (crc & 1) ? 0xEDB88320u ^ (crc >> 1) : crc >> 1;
    }
    return ~crc;
}

struct ZipItem {
    std::string name;
    std::string data;
    std::uint16_t method = 0; ///< 0 stored; anything else only to build invalid files
    std::uint16_t flags = 0;
};

/// An uncompressed ZIP whose entry data start at multiples of `alignment` (torch pads the local extra
/// field, id "FB"). `zip64` writes every size and offset through ZIP64 extra fields and end records.
inline std::string makeZip(const std::vector<ZipItem>& items, bool zip64 = false,
                           std::size_t alignment = 64) {
    std::string out;
    std::string central;
    for (const auto& item : items) {
        const std::uint64_t localOffset = out.size();
        std::string extra;
        if (zip64) {
            putLe(extra, 0x0001, 2);
            putLe(extra, 16, 2);
            putLe(extra, item.data.size(), 8);
            putLe(extra, item.data.size(), 8);
        }
        const std::size_t headerEnd = localOffset + 30 + item.name.size() + extra.size();
        if (alignment > 1) {
            std::size_t padding = (alignment - (headerEnd + 4) % alignment) % alignment;
            putLe(extra, 0x4246, 2); // "FB"
            putLe(extra, padding, 2);
            extra.append(padding, 'Z');
        }
        const std::uint32_t crc = crc32(item.data);
        putLe(out, 0x04034b50, 4);
        putLe(out, zip64 ? 45 : 20, 2);
        putLe(out, item.flags, 2);
        putLe(out, item.method, 2);
        putLe(out, 0, 4); // time, date
        putLe(out, crc, 4);
        putLe(out, zip64 ? 0xffffffffu : item.data.size(), 4);
        putLe(out, zip64 ? 0xffffffffu : item.data.size(), 4);
        putLe(out, item.name.size(), 2);
        putLe(out, extra.size(), 2);
        out += item.name;
        out += extra;
        out += item.data;

        std::string centralExtra;
        if (zip64) {
            putLe(centralExtra, 0x0001, 2);
            putLe(centralExtra, 24, 2);
            putLe(centralExtra, item.data.size(), 8);
            putLe(centralExtra, item.data.size(), 8);
            putLe(centralExtra, localOffset, 8);
        }
        putLe(central, 0x02014b50, 4);
        putLe(central, zip64 ? 45 : 20, 2);
        putLe(central, zip64 ? 45 : 20, 2);
        putLe(central, item.flags, 2);
        putLe(central, item.method, 2);
        putLe(central, 0, 4);
        putLe(central, crc, 4);
        putLe(central, zip64 ? 0xffffffffu : item.data.size(), 4);
        putLe(central, zip64 ? 0xffffffffu : item.data.size(), 4);
        putLe(central, item.name.size(), 2);
        putLe(central, centralExtra.size(), 2);
        putLe(central, 0, 2); // comment
        putLe(central, 0, 2); // disk
        putLe(central, 0, 2); // internal attributes
        putLe(central, 0, 4); // external attributes
        putLe(central, zip64 ? 0xffffffffu : localOffset, 4);
        central += item.name;
        central += centralExtra;
    }
    const std::uint64_t cdOffset = out.size();
    out += central;
    if (zip64) {
        const std::uint64_t end64 = out.size();
        putLe(out, 0x06064b50, 4);
        putLe(out, 44, 8);
        putLe(out, 45, 2);
        putLe(out, 45, 2);
        putLe(out, 0, 4);
        putLe(out, 0, 4);
        putLe(out, items.size(), 8);
        putLe(out, items.size(), 8);
        putLe(out, central.size(), 8);
        putLe(out, cdOffset, 8);
        putLe(out, 0x07064b50, 4);
        putLe(out, 0, 4);
        putLe(out, end64, 8);
        putLe(out, 1, 4);
    }
    putLe(out, 0x06054b50, 4);
    putLe(out, 0, 2);
    putLe(out, 0, 2);
    putLe(out, zip64 ? 0xffff : items.size(), 2);
    putLe(out, zip64 ? 0xffff : items.size(), 2);
    putLe(out, zip64 ? 0xffffffffu : central.size(), 4);
    putLe(out, zip64 ? 0xffffffffu : cdOffset, 4);
    putLe(out, 0, 2);
    return out;
}

/// Emits pickle opcodes the way Python's pickler does for protocol 2 (with a memo).
class PickleBuilder {
public:
    std::string bytes;

    PickleBuilder& proto(int version = 2) { return op(0x80).u8(version); }
    PickleBuilder& op(unsigned char code) {
        bytes += static_cast<char>(code);
        return *this;
    }
    PickleBuilder& u8(unsigned value) {
        bytes += static_cast<char>(value & 0xff);
        return *this;
    }
    PickleBuilder& global(const std::string& module, const std::string& name) {
        const std::string full = module + "\n" + name + "\n";
        if (auto it = m_memo.find("g:" + full); it != m_memo.end())
            return get(it->second);
        op('c');
        bytes += full;
        return put("g:" + full);
    }
    PickleBuilder& str(const std::string& text) {
        if (text.size() < 256 && m_memo.count("s:" + text))
            return get(m_memo["s:" + text]);
        op('X');
        putLe(bytes, text.size(), 4);
        bytes += text;
        return put("s:" + text);
    }
    PickleBuilder& integer(std::int64_t value) {
        if (value >= 0 && value < 256)
            return op('K').u8(static_cast<unsigned>(value));
        if (value >= 0 && value < 65536) {
            op('M');
            putLe(bytes, static_cast<std::uint64_t>(value), 2);
            return *this;
        }
        if (value >= INT32_MIN && value <= INT32_MAX) {
            op('J');
            putLe(bytes, static_cast<std::uint32_t>(value), 4);
            return *this;
        }
        op(0x8a).u8(8);
        putLe(bytes, static_cast<std::uint64_t>(value), 8);
        return *this;
    }
    PickleBuilder& mark() { return op('('); }
    PickleBuilder& tuple() { return op('t'); }
    PickleBuilder& intTuple(const std::vector<std::int64_t>& values) {
        if (values.empty())
            return op(')');
        if (values.size() > 3)
            mark();
        for (auto v : values)
            integer(v);
        if (values.size() <= 3)
            return op(static_cast<unsigned char>(0x85 + values.size() - 1)).put("");
        return tuple().put("");
    }
    /// BINPUT of the top of the stack under a fresh memo index (`key` lets later references reuse it).
    PickleBuilder& put(const std::string& key) {
        const unsigned index = m_next++;
        if (index < 256) {
            op('q').u8(index);
        } else {
            op('r');
            putLe(bytes, index, 4);
        }
        if (!key.empty())
            m_memo[key] = index;
        return *this;
    }
    PickleBuilder& get(unsigned index) {
        if (index < 256)
            return op('h').u8(index);
        op('j');
        putLe(bytes, index, 4);
        return *this;
    }
    PickleBuilder& emptyOrderedDict() {
        global("collections", "OrderedDict");
        return op(')').op('R').put("");
    }

private:
    std::map<std::string, unsigned> m_memo;
    unsigned m_next = 0;
};

struct TensorRef {
    std::string key;
    std::string storageType = "FloatStorage";
    std::string storageKey = "0";
    std::int64_t storageNumel = 0;
    std::int64_t offset = 0;
    std::vector<std::int64_t> shape;
    std::vector<std::int64_t> stride; ///< empty: C-contiguous
};

inline std::vector<std::int64_t> contiguousStrides(const std::vector<std::int64_t>& shape) {
    std::vector<std::int64_t> stride(shape.size(), 1);
    for (std::size_t d = shape.size(); d-- > 1;)
        stride[d - 1] = stride[d] * shape[d];
    return stride;
}

/// `_rebuild_tensor_v2(persistent storage, offset, size, stride, False, OrderedDict())`, as torch.save
/// writes.
inline void emitTensor(PickleBuilder& p, const TensorRef& t) {
    p.global("torch._utils", "_rebuild_tensor_v2");
    p.mark();
    p.mark();
    p.str("storage");
    p.global("torch", t.storageType);
    p.str(t.storageKey);
    p.str("cpu");
    p.integer(t.storageNumel);
    p.tuple().put("");
    p.op('Q');
    p.integer(t.offset);
    p.intTuple(t.shape);
    p.intTuple(t.stride.empty() ? contiguousStrides(t.shape) : t.stride);
    p.op(0x89); // NEWFALSE: requires_grad
    p.emptyOrderedDict();
    p.tuple().put("");
    p.op('R').put("");
}

/// A state dict pickle: OrderedDict of tensors, SETITEMS in one batch, then BUILD with `_metadata`.
inline std::string stateDictPickle(const std::vector<TensorRef>& tensors) {
    PickleBuilder p;
    p.proto(2);
    p.emptyOrderedDict();
    p.mark();
    for (const auto& t : tensors) {
        p.str(t.key);
        emitTensor(p, t);
    }
    p.op('u');
    p.op('}').put("").str("_metadata").emptyOrderedDict().op('s').op('b');
    p.op('.');
    return p.bytes;
}

/// Entries of a checkpoint archive around a pickle and its storages (key -> little-endian bytes).
inline std::vector<ZipItem> checkpointItems(const std::string& pickle,
                                            const std::map<std::string, std::string>& storages,
                                            const std::string& root = "archive") {
    std::vector<ZipItem> items;
    items.push_back({root + "/data.pkl", pickle});
    items.push_back({root + "/byteorder", "little"});
    for (const auto& [key, data] : storages)
        items.push_back({root + "/data/" + key, data});
    items.push_back({root + "/version", "3\n"});
    items.push_back({root + "/.data/serialization_id", "1234567890123456789012345678901234567890"});
    return items;
}

} // namespace kinema::test::pth
