// SPDX-License-Identifier: Apache-2.0
#pragma once
/// A minimal protobuf wire-format reader: enough to walk the fields of a sentencepiece ModelProto.
///
/// Every read is bounds-checked; malformed input throws TokenizerError with the file name. Unknown fields
/// are skipped by wire type (groups are refused), so newer sentencepiece files still load.
#include "kinema/diffusion/Tokenizer.h"

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace kinema::diffusion::tokenizer {

class ProtoReader {
public:
    enum WireType : std::uint32_t { kVarint = 0, kFixed64 = 1, kLengthDelimited = 2, kFixed32 = 5 };

    ProtoReader(std::string_view data, const std::string& context)
        : m_data(data)
        , m_context(context) {}

    bool atEnd() const { return m_pos >= m_data.size(); }

    /// Reads the next field key; returns false at the end of the message.
    bool next() {
        if (atEnd())
            return false;
        const std::uint64_t key = varint();
        m_field = static_cast<std::uint32_t>(key >> 3);
        m_wire = static_cast<std::uint32_t>(key & 7);
        if (m_field == 0)
            fail("field number 0");
        return true;
    }
    std::uint32_t field() const { return m_field; }
    std::uint32_t wireType() const { return m_wire; }

    std::uint64_t varint() {
        std::uint64_t value = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (atEnd())
                fail("truncated varint");
            const auto byte = static_cast<unsigned char>(m_data[m_pos++]);
            value |= std::uint64_t(byte & 0x7f) << shift;
            if (!(byte & 0x80))
                return value;
        }
        fail("varint longer than 10 bytes");
    }
    std::string_view bytes() {
        expect(kLengthDelimited);
        const std::uint64_t length = varint();
        if (length > m_data.size() - m_pos)
            fail("a length-delimited field runs past the end");
        const auto view = m_data.substr(m_pos, static_cast<std::size_t>(length));
        m_pos += static_cast<std::size_t>(length);
        return view;
    }
    float fixed32Float() {
        expect(kFixed32);
        if (m_data.size() - m_pos < 4)
            fail("truncated fixed32");
        std::uint32_t bits = 0;
        for (int i = 0; i < 4; ++i)
            bits |= std::uint32_t(static_cast<unsigned char>(m_data[m_pos + i])) << (8 * i);
        m_pos += 4;
        float value;
        std::memcpy(&value, &bits, 4);
        return value;
    }
    std::uint64_t varintField() {
        expect(kVarint);
        return varint();
    }
    void skip() {
        switch (m_wire) {
        case kVarint:
            varint();
            return;
        case kFixed64:
            advance(8);
            return;
        case kLengthDelimited:
            bytes();
            return;
        case kFixed32:
            advance(4);
            return;
        default:
            fail("unsupported wire type " + std::to_string(m_wire));
        }
    }

private:
    [[noreturn]] void fail(const std::string& cause) const {
        throw TokenizerError(m_context + ": corrupt protobuf (" + cause + " at byte " +
                             std::to_string(m_pos) + ")");
    }
    void expect(std::uint32_t wire) const {
        if (m_wire != wire)
            fail("field " + std::to_string(m_field) + " has wire type " + std::to_string(m_wire) +
                 ", expected " + std::to_string(wire));
    }
    void advance(std::size_t count) {
        if (m_data.size() - m_pos < count)
            fail("truncated field");
        m_pos += count;
    }

    std::string_view m_data;
    const std::string& m_context;
    std::size_t m_pos = 0;
    std::uint32_t m_field = 0;
    std::uint32_t m_wire = 0;
};

} // namespace kinema::diffusion::tokenizer
