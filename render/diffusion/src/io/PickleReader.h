// SPDX-License-Identifier: Apache-2.0
#pragma once
/// A restricted pickle interpreter for the `data.pkl` of PyTorch checkpoints.
///
/// Design: a pickle is a program; this interpreter runs only the data-building subset of it and never
/// calls anything. GLOBAL names are checked against a fixed allow-list the moment they are read
/// (collections.OrderedDict, torch._utils._rebuild_tensor_v2 and the plain torch.*Storage types); REDUCE is
/// understood for exactly two callables, whose arguments are type-checked: `OrderedDict()` makes an empty
/// dict and `_rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks[, metadata])` makes a
/// tensor description. Storages come only from BINPERSID tuples ('storage', <storage type>, key, location,
/// numel). Every other opcode, global or misuse (SETITEM on a list, BUILD on anything but a dict, REDUCE on
/// a storage type) is an error naming the file, the opcode and its byte offset.
///
/// Objects live in one arena and refer to each other by index, so cyclic or deeply nested input cannot
/// overflow the stack on destruction. Memory is bounded by the input size and by `PickleLimits`: no size
/// read from the input is ever used to allocate.
#include "kinema/diffusion/RawTensor.h"

#include <cstddef>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace kinema::diffusion::pickle {

/// Raised for any pickle the interpreter refuses; the message names the context (file and entry), the
/// cause, the opcode and its byte offset.
class PickleError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct PickleLimits {
    std::uint64_t maxObjects = 1u << 20;        ///< objects created (each opcode creates at most one)
    std::uint64_t maxContainerItems = 1u << 22; ///< elements of one list, tuple or dict
    std::uint64_t maxStringBytes = 1u << 20;    ///< one string or bytes value
    std::size_t maxRank = 16;                   ///< dimensions of one tensor
};

enum class Kind : std::uint8_t {
    None,
    Bool,
    Int,
    Float,
    String,
    Bytes,
    Tuple,
    List,
    Dict,
    Global,
    Storage,
    Tensor
};

/// One value. Which fields are meaningful depends on `kind`:
/// Bool/Int: integer. Float: real. String/Bytes: text. Global: text = "module.name".
/// Tuple/List: items. Dict: items = key, value, key, value, ...
/// Storage: text = storage key, dtype, integer = element count.
/// Tensor: items = {storage}, integer = storage offset (elements), shape, stride (elements).
struct Object {
    Kind kind = Kind::None;
    std::int64_t integer = 0;
    double real = 0.0;
    DType dtype = DType::F32;
    std::string text;
    std::vector<std::uint32_t> items;
    std::vector<std::int64_t> shape;
    std::vector<std::int64_t> stride;
};

/// Name of a kind, for messages.
const char* kindName(Kind kind);

class RestrictedUnpickler {
public:
    /// `context` names the input in error messages, e.g. "'model.pth' (archive/data.pkl)".
    RestrictedUnpickler(std::span<const std::byte> program, std::string context, PickleLimits limits = {});

    /// Runs the program to its STOP and returns the index of the resulting object. Throws PickleError.
    std::uint32_t run();

    const Object& object(std::uint32_t index) const { return m_objects[index]; }
    std::size_t objectCount() const { return m_objects.size(); }
    const std::string& context() const { return m_context; }

private:
    [[noreturn]] void fail(const std::string& cause) const;
    std::uint32_t make(Object object);
    std::uint32_t pop();
    std::uint32_t top();
    std::size_t popMark();
    const std::byte* take(std::uint64_t count);
    std::uint64_t readUnsigned(int width);
    std::string readLine();
    std::string readText(std::uint64_t length);
    void pushGlobal(const std::string& module, const std::string& name);
    std::uint32_t memoGet(std::uint64_t index);
    void memoPut(std::uint64_t index);
    void appendItems(std::uint32_t list, std::size_t first);
    void setItems(std::uint32_t dict, std::size_t first);
    void reduce();
    void build();
    void persistentLoad();
    void addItem(std::uint32_t container, std::uint32_t item);

    std::span<const std::byte> m_program;
    std::string m_context;
    PickleLimits m_limits;
    std::size_t m_pos = 0;
    std::size_t m_opcodePos = 0;
    std::uint8_t m_opcode = 0;
    std::vector<Object> m_objects;
    std::vector<std::uint32_t> m_stack;
    std::vector<std::size_t> m_marks;
    std::unordered_map<std::uint64_t, std::uint32_t> m_memo;
    std::unordered_map<std::uint32_t, std::unordered_set<std::string>> m_dictKeys;
};

} // namespace kinema::diffusion::pickle
