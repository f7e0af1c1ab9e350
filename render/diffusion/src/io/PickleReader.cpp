// SPDX-License-Identifier: Apache-2.0
#include "io/PickleReader.h"

#include <bit>
#include <cstring>

namespace kinema::diffusion::pickle {

namespace {

// Opcodes of pickle protocols 2 to 5 that torch.save emits (see pickletools for their definitions).
enum Opcode : std::uint8_t {
    kMark = '(',
    kStop = '.',
    kBinFloat = 'G',
    kBinInt = 'J',
    kBinInt1 = 'K',
    kBinInt2 = 'M',
    kNone = 'N',
    kBinPersId = 'Q',
    kReduce = 'R',
    kShortBinString = 'U',
    kBinUnicode = 'X',
    kBinBytes = 'B',
    kShortBinBytes = 'C',
    kAppend = 'a',
    kBuild = 'b',
    kGlobal = 'c',
    kAppends = 'e',
    kBinGet = 'h',
    kLongBinGet = 'j',
    kEmptyList = ']',
    kBinPut = 'q',
    kLongBinPut = 'r',
    kSetItem = 's',
    kTuple = 't',
    kSetItems = 'u',
    kEmptyDict = '}',
    kEmptyTuple = ')',
    kProto = 0x80,
    kTuple1 = 0x85,
    kTuple2 = 0x86,
    kTuple3 = 0x87,
    kNewTrue = 0x88,
    kNewFalse = 0x89,
    kLong1 = 0x8a,
    kShortBinUnicode = 0x8c,
    kBinUnicode8 = 0x8d,
    kStackGlobal = 0x93,
    kMemoize = 0x94,
    kFrame = 0x95,
};

struct AllowedGlobal {
    const char* name;
    bool isStorage;
    DType dtype;
};

// The complete allow-list. Anything else named by GLOBAL or STACK_GLOBAL is refused on sight.
constexpr AllowedGlobal kAllowedGlobals[] = {
    {"collections.OrderedDict", false, DType::F32}, {"torch._utils._rebuild_tensor_v2", false, DType::F32},
    {"torch.FloatStorage", true, DType::F32},       {"torch.DoubleStorage", true, DType::F64},
    {"torch.HalfStorage", true, DType::F16},        {"torch.BFloat16Storage", true, DType::BF16},
    {"torch.LongStorage", true, DType::I64},        {"torch.IntStorage", true, DType::I32},
    {"torch.ShortStorage", true, DType::I16},       {"torch.CharStorage", true, DType::I8},
    {"torch.ByteStorage", true, DType::U8},         {"torch.BoolStorage", true, DType::Bool},
};

const AllowedGlobal* findAllowed(const std::string& name) {
    for (const auto& allowed : kAllowedGlobals)
        if (name == allowed.name)
            return &allowed;
    return nullptr;
}

std::string describeOpcode(std::uint8_t op) {
    char buffer[32];
    if (op >= 0x21 && op < 0x7f)
        std::snprintf(buffer, sizeof buffer, "'%c' (0x%02x)", op, op);
    else
        std::snprintf(buffer, sizeof buffer, "0x%02x", op);
    return buffer;
}

// Text shown in messages: printable ASCII kept, the rest escaped, long names cut.
std::string printable(const std::string& text) {
    std::string out;
    for (unsigned char c : text.substr(0, 120)) {
        if (c >= 0x20 && c < 0x7f) {
            out += static_cast<char>(c);
        } else {
            char buffer[8];
            std::snprintf(buffer, sizeof buffer, "\\x%02x", c);
            out += buffer;
        }
    }
    if (text.size() > 120)
        out += "...";
    return out;
}

} // namespace

const char* kindName(Kind kind) {
    switch (kind) {
    case Kind::None:
        return "None";
    case Kind::Bool:
        return "bool";
    case Kind::Int:
        return "int";
    case Kind::Float:
        return "float";
    case Kind::String:
        return "str";
    case Kind::Bytes:
        return "bytes";
    case Kind::Tuple:
        return "tuple";
    case Kind::List:
        return "list";
    case Kind::Dict:
        return "dict";
    case Kind::Global:
        return "global";
    case Kind::Storage:
        return "storage";
    case Kind::Tensor:
        return "tensor";
    }
    return "?";
}

RestrictedUnpickler::RestrictedUnpickler(std::span<const std::byte> program, std::string context,
                                         PickleLimits limits)
    : m_program(program)
    , m_context(std::move(context))
    , m_limits(limits) {}

void RestrictedUnpickler::fail(const std::string& cause) const {
    throw PickleError(m_context + ": refused pickle: " + cause + " (opcode " + describeOpcode(m_opcode) +
                      " at byte " + std::to_string(m_opcodePos) + ")");
}

std::uint32_t RestrictedUnpickler::make(Object object) {
    if (m_objects.size() >= m_limits.maxObjects)
        fail("more than " + std::to_string(m_limits.maxObjects) + " objects");
    m_objects.push_back(std::move(object));
    return static_cast<std::uint32_t>(m_objects.size() - 1);
}

std::uint32_t RestrictedUnpickler::pop() {
    if (m_stack.empty() || (!m_marks.empty() && m_stack.size() <= m_marks.back()))
        fail("stack underflow");
    const auto value = m_stack.back();
    m_stack.pop_back();
    return value;
}

std::uint32_t RestrictedUnpickler::top() {
    if (m_stack.empty() || (!m_marks.empty() && m_stack.size() <= m_marks.back()))
        fail("stack underflow");
    return m_stack.back();
}

std::size_t RestrictedUnpickler::popMark() {
    if (m_marks.empty())
        fail("no MARK to close");
    const auto mark = m_marks.back();
    m_marks.pop_back();
    return mark;
}

const std::byte* RestrictedUnpickler::take(std::uint64_t count) {
    if (count > m_program.size() - m_pos)
        fail("truncated data (needs " + std::to_string(count) + " more bytes, " +
             std::to_string(m_program.size() - m_pos) + " left)");
    const std::byte* p = m_program.data() + m_pos;
    m_pos += static_cast<std::size_t>(count);
    return p;
}

std::uint64_t RestrictedUnpickler::readUnsigned(int width) {
    const std::byte* p = take(static_cast<std::uint64_t>(width));
    std::uint64_t value = 0;
    for (int i = 0; i < width; ++i)
        value |= std::uint64_t(std::to_integer<unsigned>(p[i])) << (8 * i);
    return value;
}

std::string RestrictedUnpickler::readLine() {
    std::string line;
    while (true) {
        const char c = static_cast<char>(*take(1));
        if (c == '\n')
            return line;
        if (line.size() >= 256)
            fail("GLOBAL name longer than 256 bytes");
        line += c;
    }
}

std::string RestrictedUnpickler::readText(std::uint64_t length) {
    if (length > m_limits.maxStringBytes)
        fail("string of " + std::to_string(length) + " bytes exceeds the limit of " +
             std::to_string(m_limits.maxStringBytes));
    const std::byte* p = take(length);
    return std::string(reinterpret_cast<const char*>(p), static_cast<std::size_t>(length));
}

void RestrictedUnpickler::pushGlobal(const std::string& module, const std::string& name) {
    const std::string full = module + "." + name;
    if (!findAllowed(full))
        fail("global '" + printable(full) +
             "' is not allowed (only tensors, storages and OrderedDict can be "
             "loaded; the file may contain code)");
    Object object;
    object.kind = Kind::Global;
    object.text = full;
    m_stack.push_back(make(std::move(object)));
}

std::uint32_t RestrictedUnpickler::memoGet(std::uint64_t index) {
    const auto it = m_memo.find(index);
    if (it == m_memo.end())
        fail("memo entry " + std::to_string(index) + " is not defined");
    return it->second;
}

void RestrictedUnpickler::memoPut(std::uint64_t index) {
    const auto value = top();
    if (m_memo.size() >= m_limits.maxObjects && !m_memo.count(index))
        fail("too many memo entries");
    m_memo[index] = value;
}

void RestrictedUnpickler::addItem(std::uint32_t container, std::uint32_t item) {
    auto& items = m_objects[container].items;
    if (items.size() >= m_limits.maxContainerItems)
        fail("a container holds more than " + std::to_string(m_limits.maxContainerItems) + " items");
    items.push_back(item);
}

void RestrictedUnpickler::appendItems(std::uint32_t list, std::size_t first) {
    if (m_objects[list].kind != Kind::List)
        fail("APPEND on a " + std::string(kindName(m_objects[list].kind)) + " (only lists accept it)");
    for (std::size_t i = first; i < m_stack.size(); ++i)
        addItem(list, m_stack[i]);
    m_stack.resize(first);
}

void RestrictedUnpickler::setItems(std::uint32_t dict, std::size_t first) {
    if (m_objects[dict].kind != Kind::Dict)
        fail("SETITEM on a " + std::string(kindName(m_objects[dict].kind)) + " (only dicts accept it)");
    if ((m_stack.size() - first) % 2 != 0)
        fail("SETITEMS with an odd number of values");
    auto& keys = m_dictKeys[dict];
    for (std::size_t i = first; i < m_stack.size(); i += 2) {
        const Object& key = m_objects[m_stack[i]];
        std::string keyText;
        if (key.kind == Kind::String)
            keyText.assign(1, 's').append(key.text);
        else if (key.kind == Kind::Int)
            keyText.assign(1, 'i').append(std::to_string(key.integer));
        else
            fail(std::string("dict key of type ") + kindName(key.kind) +
                 " (only str and int keys are supported)");
        if (!keys.insert(keyText).second)
            fail("duplicate dict key '" + printable(keyText.substr(1)) + "'");
        addItem(dict, m_stack[i]);
        addItem(dict, m_stack[i + 1]);
    }
    m_stack.resize(first);
}

void RestrictedUnpickler::reduce() {
    const auto argsIndex = pop();
    const auto callableIndex = pop();
    const Object& callable = m_objects[callableIndex];
    const Object& args = m_objects[argsIndex];
    if (callable.kind != Kind::Global)
        fail(std::string("REDUCE on a ") + kindName(callable.kind) + " (only allowed globals can be called)");
    if (args.kind != Kind::Tuple)
        fail("REDUCE arguments are a " + std::string(kindName(args.kind)) + ", not a tuple");
    if (callable.text == "collections.OrderedDict") {
        if (!args.items.empty())
            fail("OrderedDict called with arguments");
        Object dict;
        dict.kind = Kind::Dict;
        m_stack.push_back(make(std::move(dict)));
        return;
    }
    if (callable.text != "torch._utils._rebuild_tensor_v2")
        fail("global '" + callable.text + "' cannot be called");

    const auto& a = args.items;
    if (a.size() != 6 && a.size() != 7)
        fail("_rebuild_tensor_v2 expects 6 or 7 arguments, got " + std::to_string(a.size()));
    const Object& storage = m_objects[a[0]];
    const Object& offset = m_objects[a[1]];
    const Object& size = m_objects[a[2]];
    const Object& stride = m_objects[a[3]];
    const Object& requiresGrad = m_objects[a[4]];
    const Object& hooks = m_objects[a[5]];
    if (storage.kind != Kind::Storage)
        fail("_rebuild_tensor_v2: the first argument is a " + std::string(kindName(storage.kind)) +
             ", not a storage");
    if (offset.kind != Kind::Int || offset.integer < 0)
        fail("_rebuild_tensor_v2: invalid storage offset");
    if (size.kind != Kind::Tuple || stride.kind != Kind::Tuple)
        fail("_rebuild_tensor_v2: size and stride must be tuples");
    if (size.items.size() != stride.items.size())
        fail("_rebuild_tensor_v2: size has " + std::to_string(size.items.size()) +
             " dimensions but stride has " + std::to_string(stride.items.size()));
    if (size.items.size() > m_limits.maxRank)
        fail("_rebuild_tensor_v2: rank " + std::to_string(size.items.size()) + " exceeds " +
             std::to_string(m_limits.maxRank));
    if (requiresGrad.kind != Kind::Bool)
        fail("_rebuild_tensor_v2: requires_grad must be a bool");
    if (hooks.kind != Kind::Dict || !hooks.items.empty())
        fail("_rebuild_tensor_v2: backward hooks must be an empty OrderedDict");
    if (a.size() == 7) {
        const Kind metadata = m_objects[a[6]].kind;
        if (metadata != Kind::Dict && metadata != Kind::None)
            fail("_rebuild_tensor_v2: metadata must be a dict");
    }
    Object tensor;
    tensor.kind = Kind::Tensor;
    tensor.items = {a[0]};
    tensor.integer = offset.integer;
    tensor.dtype = storage.dtype;
    for (std::size_t i = 0; i < size.items.size(); ++i) {
        const Object& d = m_objects[size.items[i]];
        const Object& s = m_objects[stride.items[i]];
        if (d.kind != Kind::Int || s.kind != Kind::Int || d.integer < 0 || s.integer < 0)
            fail("_rebuild_tensor_v2: sizes and strides must be non-negative integers");
        tensor.shape.push_back(d.integer);
        tensor.stride.push_back(s.integer);
    }
    m_stack.push_back(make(std::move(tensor)));
}

void RestrictedUnpickler::build() {
    const auto stateIndex = pop();
    const auto target = top();
    if (m_objects[target].kind != Kind::Dict)
        fail(std::string("BUILD on a ") + kindName(m_objects[target].kind) +
             " (only an OrderedDict's metadata can be set)");
    const Kind state = m_objects[stateIndex].kind;
    if (state != Kind::Dict && state != Kind::Tuple && state != Kind::None)
        fail(std::string("BUILD with a ") + kindName(state) + " state");
    // The state carries the state dict's `_metadata` (module versions); it is not needed.
}

void RestrictedUnpickler::persistentLoad() {
    const auto pidIndex = pop();
    const Object& pid = m_objects[pidIndex];
    if (pid.kind != Kind::Tuple || pid.items.size() != 5)
        fail("persistent id is not a 5-tuple ('storage', type, key, location, numel)");
    const Object& tag = m_objects[pid.items[0]];
    const Object& type = m_objects[pid.items[1]];
    const Object& key = m_objects[pid.items[2]];
    const Object& location = m_objects[pid.items[3]];
    const Object& numel = m_objects[pid.items[4]];
    if (tag.kind != Kind::String || tag.text != "storage")
        fail("persistent id does not start with 'storage'");
    const AllowedGlobal* allowed = type.kind == Kind::Global ? findAllowed(type.text) : nullptr;
    if (!allowed || !allowed->isStorage)
        fail("persistent id names no storage type");
    if (key.kind != Kind::String || key.text.empty() || key.text.size() > 64)
        fail("persistent id has an invalid storage key");
    for (char c : key.text)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_')
            fail("storage key '" + printable(key.text) + "' has invalid characters");
    if (location.kind != Kind::String)
        fail("persistent id has an invalid location");
    if (numel.kind != Kind::Int || numel.integer < 0)
        fail("persistent id has an invalid element count");
    Object storage;
    storage.kind = Kind::Storage;
    storage.text = key.text;
    storage.dtype = allowed->dtype;
    storage.integer = numel.integer;
    m_stack.push_back(make(std::move(storage)));
}

std::uint32_t RestrictedUnpickler::run() {
    m_pos = 0;
    while (true) {
        m_opcodePos = m_pos;
        if (m_pos >= m_program.size()) {
            m_opcode = 0;
            fail("the pickle ends without STOP (truncated)");
        }
        m_opcode = std::to_integer<std::uint8_t>(m_program[m_pos++]);
        switch (m_opcode) {
        case kProto: {
            const auto version = readUnsigned(1);
            if (version < 2 || version > 5)
                fail("unsupported pickle protocol " + std::to_string(version));
            break;
        }
        case kFrame:
            readUnsigned(8);
            break;
        case kStop: {
            if (m_stack.size() != 1 || !m_marks.empty())
                fail("STOP with " + std::to_string(m_stack.size()) + " values on the stack");
            return m_stack.back();
        }
        case kMark:
            if (m_marks.size() >= m_limits.maxContainerItems)
                fail("too many MARKs");
            m_marks.push_back(m_stack.size());
            break;
        case kGlobal: {
            const auto module = readLine();
            const auto name = readLine();
            pushGlobal(module, name);
            break;
        }
        case kStackGlobal: {
            const auto nameIndex = pop();
            const auto moduleIndex = pop();
            if (m_objects[nameIndex].kind != Kind::String || m_objects[moduleIndex].kind != Kind::String)
                fail("STACK_GLOBAL needs two strings");
            pushGlobal(m_objects[moduleIndex].text, m_objects[nameIndex].text);
            break;
        }
        case kNone:
            m_stack.push_back(make(Object{}));
            break;
        case kNewTrue:
        case kNewFalse: {
            Object object;
            object.kind = Kind::Bool;
            object.integer = m_opcode == kNewTrue ? 1 : 0;
            m_stack.push_back(make(std::move(object)));
            break;
        }
        case kBinInt:
        case kBinInt1:
        case kBinInt2:
        case kLong1: {
            Object object;
            object.kind = Kind::Int;
            if (m_opcode == kBinInt) {
                object.integer = static_cast<std::int32_t>(readUnsigned(4));
            } else if (m_opcode == kBinInt1) {
                object.integer = static_cast<std::int64_t>(readUnsigned(1));
            } else if (m_opcode == kBinInt2) {
                object.integer = static_cast<std::int64_t>(readUnsigned(2));
            } else {
                const auto width = readUnsigned(1);
                if (width > 8)
                    fail("integer of " + std::to_string(width) + " bytes does not fit 64 bits");
                std::uint64_t value = width ? readUnsigned(static_cast<int>(width)) : 0;
                if (width > 0 && width < 8 && (value >> (8 * width - 1)) & 1)
                    value |= ~std::uint64_t(0) << (8 * width); // sign-extend
                object.integer = static_cast<std::int64_t>(value);
            }
            m_stack.push_back(make(std::move(object)));
            break;
        }
        case kBinFloat: {
            const std::byte* p = take(8);
            std::uint64_t bits = 0;
            for (int i = 0; i < 8; ++i)
                bits = (bits << 8) | std::to_integer<std::uint64_t>(p[i]); // big-endian
            Object object;
            object.kind = Kind::Float;
            object.real = std::bit_cast<double>(bits);
            m_stack.push_back(make(std::move(object)));
            break;
        }
        case kBinUnicode:
        case kShortBinUnicode:
        case kBinUnicode8:
        case kShortBinString:
        case kBinBytes:
        case kShortBinBytes: {
            const int width = (m_opcode == kBinUnicode || m_opcode == kBinBytes) ? 4
                              : m_opcode == kBinUnicode8                         ? 8
                                                                                 : 1;
            const auto length = readUnsigned(width);
            Object object;
            object.kind = (m_opcode == kBinBytes || m_opcode == kShortBinBytes) ? Kind::Bytes : Kind::String;
            object.text = readText(length);
            m_stack.push_back(make(std::move(object)));
            break;
        }
        case kEmptyTuple:
        case kEmptyList:
        case kEmptyDict: {
            Object object;
            object.kind = m_opcode == kEmptyTuple  ? Kind::Tuple
                          : m_opcode == kEmptyList ? Kind::List
                                                   : Kind::Dict;
            m_stack.push_back(make(std::move(object)));
            break;
        }
        case kTuple:
        case kTuple1:
        case kTuple2:
        case kTuple3: {
            std::size_t first;
            if (m_opcode == kTuple) {
                first = popMark();
            } else {
                const std::size_t count = m_opcode - kTuple1 + 1;
                const std::size_t floor = m_marks.empty() ? 0 : m_marks.back();
                if (m_stack.size() < floor + count)
                    fail("stack underflow");
                first = m_stack.size() - count;
            }
            if (m_stack.size() - first > m_limits.maxContainerItems)
                fail("tuple too large");
            Object object;
            object.kind = Kind::Tuple;
            object.items.assign(m_stack.begin() + static_cast<std::ptrdiff_t>(first), m_stack.end());
            m_stack.resize(first);
            m_stack.push_back(make(std::move(object)));
            break;
        }
        case kAppend: {
            const auto value = pop();
            m_stack.push_back(value);
            const std::size_t first = m_stack.size() - 1;
            if (first == 0 || (!m_marks.empty() && first <= m_marks.back()))
                fail("stack underflow");
            appendItems(m_stack[first - 1], first);
            break;
        }
        case kAppends: {
            const auto first = popMark();
            if (first == 0 || (!m_marks.empty() && first <= m_marks.back()))
                fail("stack underflow");
            appendItems(m_stack[first - 1], first);
            break;
        }
        case kSetItem: {
            if (m_stack.size() < 3 || (!m_marks.empty() && m_stack.size() < m_marks.back() + 3))
                fail("stack underflow");
            const std::size_t first = m_stack.size() - 2;
            setItems(m_stack[first - 1], first);
            break;
        }
        case kSetItems: {
            const auto first = popMark();
            if (first == 0 || (!m_marks.empty() && first <= m_marks.back()))
                fail("stack underflow");
            setItems(m_stack[first - 1], first);
            break;
        }
        case kReduce:
            reduce();
            break;
        case kBuild:
            build();
            break;
        case kBinPersId:
            persistentLoad();
            break;
        case kBinPut:
            memoPut(readUnsigned(1));
            break;
        case kLongBinPut:
            memoPut(readUnsigned(4));
            break;
        case kMemoize:
            memoPut(m_memo.size());
            break;
        case kBinGet:
            m_stack.push_back(memoGet(readUnsigned(1)));
            break;
        case kLongBinGet:
            m_stack.push_back(memoGet(readUnsigned(4)));
            break;
        default:
            fail("opcode not allowed in a weights file");
        }
    }
}

} // namespace kinema::diffusion::pickle
