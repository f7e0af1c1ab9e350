// SPDX-License-Identifier: Apache-2.0
// Hostile and corrupt checkpoints: every one must end in a CheckpointError that names the file and the
// cause, without running anything and without large allocations.
#include "kinema/diffusion/TorchCheckpoint.h"

#include "TestSupport.h"
#include "test_pth_writer.h"

#include <catch2/catch.hpp>

#include <cstring>
#include <fstream>
#include <random>

#include <sys/resource.h>

using namespace kinema::diffusion;
using namespace kinema::test::pth;
using kinema::test::TempDir;

namespace {

void writeFile(const std::filesystem::path& path, const std::string& bytes) {
    std::ofstream out(path, std::ios::binary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::string floatBytes(std::size_t count) {
    return std::string(count * 4, '\x01');
}

/// Reads `bytes` as a checkpoint and returns the error message (fails the test if it loads).
std::string refusal(const TempDir& dir, const std::string& bytes, const std::string& name = "bad.pth") {
    const auto path = dir / name;
    writeFile(path, bytes);
    try {
        readTorchCheckpoint(path);
    } catch (const CheckpointError& error) {
        const std::string message = error.what();
        CHECK(message.find(path.string()) != std::string::npos);
        return message;
    }
    FAIL("the checkpoint was accepted");
    return {};
}

std::string archive(const std::string& pickle, const std::map<std::string, std::string>& storages = {}) {
    return makeZip(checkpointItems(pickle, storages));
}

std::string validArchive() {
    return archive(stateDictPickle({{"w", "FloatStorage", "0", 4, 0, {2, 2}, {}}}), {{"0", floatBytes(4)}});
}

long peakRssKiB() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return usage.ru_maxrss;
}

} // namespace

TEST_CASE("pth malicious: code-execution globals are refused by name", "[pth_malicious]") {
    TempDir dir("pth-bad");
    const auto marker = dir / "pwned";
    for (const auto& [module, name] :
         std::vector<std::pair<std::string, std::string>>{{"os", "system"},
                                                          {"posix", "system"},
                                                          {"builtins", "eval"},
                                                          {"subprocess", "Popen"},
                                                          {"torch", "load"},
                                                          {"collections", "Counter"},
                                                          {"torch._utils", "_rebuild_parameter"}}) {
        PickleBuilder p;
        p.proto(2).global(module, name).str("touch " + marker.string()).op(0x85).put("").op('R').op('.');
        const auto message = refusal(dir, archive(p.bytes));
        INFO(message);
        CHECK(message.find("'" + module + "." + name + "'") != std::string::npos);
        CHECK(message.find("not allowed") != std::string::npos);
        CHECK(message.find("data.pkl") != std::string::npos);
    }
    // The same through STACK_GLOBAL (protocol 4).
    PickleBuilder p;
    p.proto(4);
    for (const char* text : {"os", "system"}) {
        p.op(0x8c).u8(static_cast<unsigned>(std::strlen(text)));
        p.bytes += text;
    }
    p.op(0x93).op(')').op('R').op('.');
    CHECK(refusal(dir, archive(p.bytes)).find("'os.system'") != std::string::npos);
    CHECK_FALSE(std::filesystem::exists(marker));
}

TEST_CASE("pth malicious: misuse of allowed names and opcodes", "[pth_malicious]") {
    TempDir dir("pth-bad");
    struct Case {
        const char* what;
        std::string pickle;
        const char* expected;
    };
    std::vector<Case> cases;
    {
        PickleBuilder p; // SETITEM applied to a list (CVE-2026-24747 class)
        p.proto(2).op(']').str("k").str("v").op('s').op('.');
        cases.push_back({"setitem on list", p.bytes, "SETITEM on a list"});
    }
    {
        PickleBuilder p; // BUILD on a tensor, i.e. setting attributes of an arbitrary object
        p.proto(2).emptyOrderedDict().str("w");
        emitTensor(p, {"", "FloatStorage", "0", 4, 0, {4}, {}});
        p.op('}').op('b').op('s').op('.');
        cases.push_back({"build on tensor", p.bytes, "BUILD on a tensor"});
    }
    {
        PickleBuilder p; // calling a storage type
        p.proto(2).global("torch", "FloatStorage").op(')').op('R').op('.');
        cases.push_back({"call storage", p.bytes, "cannot be called"});
    }
    {
        PickleBuilder p; // OrderedDict with arguments
        p.proto(2).global("collections", "OrderedDict").str("x").op(0x85).op('R').op('.');
        cases.push_back({"ordereddict args", p.bytes, "OrderedDict called with arguments"});
    }
    {
        PickleBuilder p; // a persistent id that is not a storage
        p.proto(2).str("module").op('Q').op('.');
        cases.push_back({"bad persid", p.bytes, "persistent id"});
    }
    {
        PickleBuilder p; // an opcode outside the subset: INST
        p.proto(2).bytes += "ios\nsystem\n";
        cases.push_back({"inst", p.bytes, "opcode not allowed"});
    }
    {
        PickleBuilder p; // BINBYTES8 declaring 4 GiB (the libtorch allocation bug)
        p.proto(4).op(0x8e);
        putLe(p.bytes, std::uint64_t(1) << 32, 8);
        cases.push_back({"binbytes8", p.bytes, "opcode not allowed"});
    }
    {
        PickleBuilder p; // BINUNICODE declaring 4 GiB in a tiny file
        p.proto(2).op('X');
        putLe(p.bytes, 0xffffffffu, 4);
        cases.push_back({"huge string", p.bytes, "exceeds the limit"});
    }
    {
        PickleBuilder p; // undefined memo entry
        p.proto(2).op('h').u8(7).op('.');
        cases.push_back({"memo", p.bytes, "memo entry 7"});
    }
    {
        PickleBuilder p; // a 9-byte LONG1
        p.proto(2).op(0x8a).u8(9);
        p.bytes += std::string(9, '\x7f');
        cases.push_back({"long1", p.bytes, "does not fit 64 bits"});
    }
    {
        PickleBuilder p; // no STOP
        p.proto(2).emptyOrderedDict();
        cases.push_back({"truncated", p.bytes, "without STOP"});
    }
    {
        PickleBuilder p; // stack underflow
        p.proto(2).op('R').op('.');
        cases.push_back({"underflow", p.bytes, "stack underflow"});
    }
    {
        PickleBuilder p; // unsupported protocol
        p.proto(1).op('.');
        cases.push_back({"protocol", p.bytes, "protocol"});
    }
    {
        PickleBuilder p; // duplicate key
        p.proto(2).emptyOrderedDict().mark().str("a").integer(1).str("a").integer(2).op('u').op('.');
        cases.push_back({"duplicate key", p.bytes, "duplicate dict key 'a'"});
    }
    {
        PickleBuilder p; // a self-containing list: no infinite recursion
        p.proto(2).op('}').put("").str("loop").op(']').put("").op('h').u8(1).op('a').op('s').op('.');
        cases.push_back({"cycle", p.bytes, "no tensors"});
    }
    for (const auto& c : cases) {
        INFO(c.what);
        const auto message = refusal(dir, archive(c.pickle, {{"0", floatBytes(4)}}));
        INFO(message);
        CHECK(message.find(c.expected) != std::string::npos);
    }
}

TEST_CASE("pth malicious: storage and view sizes are checked", "[pth_malicious]") {
    TempDir dir("pth-bad");
    const auto check = [&](const TensorRef& ref, const std::string& storage, const std::string& expected) {
        const auto message = refusal(dir, archive(stateDictPickle({ref}), {{"0", storage}}));
        INFO(message);
        CHECK(message.find(expected) != std::string::npos);
        CHECK(message.find("tensor 'w'") != std::string::npos);
    };
    // The pickle declares more elements than the storage entry holds.
    check({"w", "FloatStorage", "0", 100, 0, {100}, {}}, floatBytes(4), "storage-size mismatch");
    // A 2^60-element storage: the byte count overflows.
    check({"w", "FloatStorage", "0", std::int64_t(1) << 62, 0, {4}, {}}, floatBytes(4),
          "storage-size mismatch");
    // A view past the end of its storage, at an offset and through a huge shape.
    check({"w", "FloatStorage", "0", 4, 2, {4}, {}}, floatBytes(4), "reaches element");
    check({"w", "FloatStorage", "0", 4, 0, {std::int64_t(1) << 40}, {}}, floatBytes(4), "reaches element");
    check({"w", "FloatStorage", "0", 4, 0, {std::int64_t(1) << 40, std::int64_t(1) << 40}, {}}, floatBytes(4),
          "overflow");
    // A broadcast view (stride 0) that would expand 4 bytes into 4 GB.
    check({"w", "FloatStorage", "0", 4, 0, {1 << 30}, {0}}, floatBytes(4), "expanding views are refused");
    // The storage entry is missing.
    check({"w", "FloatStorage", "7", 4, 0, {4}, {}}, floatBytes(4), "missing from the archive");
}

TEST_CASE("pth malicious: a small file declaring huge sizes stays small in memory", "[pth_malicious]") {
    TempDir dir("pth-bad");
    const long before = peakRssKiB();
    {
        const auto bytes = archive(
            stateDictPickle(
                {{"w", "FloatStorage", "0", (std::int64_t(1) << 40), 0, {std::int64_t(1) << 40}, {}}}),
            {{"0", floatBytes(4)}});
        CHECK(bytes.size() < 2048);
        refusal(dir, bytes);
    }
    {
        PickleBuilder p; // a long run of LONG_BINGET / APPENDS with declared lengths, bounded by the input
        p.proto(2).op(']').put("").mark();
        for (int i = 0; i < 300; ++i)
            p.op('j').bytes += std::string("\x00\x00\x00\x00", 4);
        p.op('e').op('.');
        refusal(dir, archive(p.bytes));
    }
    CHECK(peakRssKiB() - before < 64 * 1024);
}

TEST_CASE("pth malicious: container formats other than a plain ZIP", "[pth_malicious]") {
    TempDir dir("pth-bad");
    const auto valid = validArchive();
    const auto check = [&](const std::string& bytes, const std::string& expected) {
        const auto message = refusal(dir, bytes);
        INFO(message);
        CHECK(message.find(expected) != std::string::npos);
    };
    // nullifAI: the checkpoint inside a 7z container.
    check(std::string("7z\xBC\xAF\x27\x1C\x00\x04", 8) + valid, "7z archive");
    check(std::string("\x1f\x8b\x08\x00", 4) + valid, "gzip");
    check(std::string("\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19", 14) + "rest", "legacy");
    check("", "not a PyTorch zip checkpoint");
    check("hello world, this is not a checkpoint at all", "no ZIP signature");
    std::string safetensors;
    putLe(safetensors, 2, 8);
    safetensors += "{}";
    check(safetensors, "safetensors");
    // ZIP-level problems.
    check(valid.substr(0, valid.size() / 2), "end-of-central-directory");
    check(valid.substr(0, valid.size() - 1), "end-of-central-directory");
    {
        auto items = checkpointItems(stateDictPickle({{"w", "FloatStorage", "0", 4, 0, {4}, {}}}),
                                     {{"0", floatBytes(4)}});
        items[2].method = 8;
        check(makeZip(items), "compressed (method 8)");
        items[2].method = 0;
        items[2].flags = 1;
        check(makeZip(items), "encrypted");
        items[2].flags = 0;
        items.push_back(items[2]);
        check(makeZip(items), "duplicate entry");
    }
    {
        auto bad = valid; // corrupt the first central directory signature
        const auto pos = bad.find(std::string("PK\x01\x02", 4));
        REQUIRE(pos != std::string::npos);
        bad[pos + 2] = 9;
        check(bad, "central directory record 0 is corrupt");
    }
    {
        auto bad = valid; // a central directory offset past the end of the file
        const auto end = bad.size() - 22;
        bad[end + 19] = '\x7f';
        check(bad, "central directory");
    }
    {
        auto bad = valid; // a local header offset pointing into the central directory
        const auto pos = bad.find(std::string("PK\x01\x02", 4));
        bad[pos + 45] = '\x70';
        check(bad, "local header");
    }
    {
        auto bad = valid; // flip one byte of a storage: CRC mismatch
        const auto pos = bad.find(floatBytes(4));
        REQUIRE(pos != std::string::npos);
        bad[pos] = '\x02';
        check(bad, "CRC-32");
    }
    {
        auto items = checkpointItems(stateDictPickle({{"w", "FloatStorage", "0", 4, 0, {4}, {}}}),
                                     {{"0", floatBytes(4)}});
        items[1].data = "big";
        check(makeZip(items), "byte order 'big'");
        items[1].data = "little";
        items[0].name = "archive/constants.pkl";
        check(makeZip(items), "TorchScript");
    }
}

TEST_CASE("pth malicious: corrupt-file sweep never crashes", "[pth_malicious]") {
    // Every truncation and a deterministic set of byte mutations of a valid checkpoint either loads or
    // fails with a CheckpointError (anything else escapes and fails the test).
    TempDir dir("pth-sweep");
    const auto valid = validArchive();
    const auto path = dir / "sweep.pth";
    int accepted = 0;
    int refused = 0;
    const auto attempt = [&](const std::string& bytes) {
        writeFile(path, bytes);
        try {
            readTorchCheckpoint(path);
            ++accepted;
        } catch (const CheckpointError&) {
            ++refused;
        }
    };
    for (std::size_t length = 0; length < valid.size(); ++length)
        attempt(valid.substr(0, length));
    std::mt19937 random(1234);
    for (int pass = 0; pass < 2000; ++pass) {
        auto bytes = valid;
        const std::size_t window = 64;
        const std::size_t start = random() % (bytes.size() - window);
        const int flips = 1 + static_cast<int>(random() % 6);
        for (int f = 0; f < flips; ++f)
            bytes[start + random() % window] = static_cast<char>(random() & 0xff);
        attempt(bytes);
    }
    for (int pass = 0; pass < 1000; ++pass) {
        // CRC checks off, so that mutations reach the pickle and tensor layers.
        auto bytes = valid;
        const auto pkl = bytes.find(std::string("\x80\x02", 2));
        bytes[pkl + random() % 200] = static_cast<char>(random() & 0xff);
        writeFile(path, bytes);
        CheckpointReadOptions options;
        options.verifyChecksums = false;
        try {
            readTorchCheckpoint(path, options);
            ++accepted;
        } catch (const CheckpointError&) {
            ++refused;
        }
    }
    CHECK(refused > 0);
    CHECK(accepted + refused == static_cast<int>(valid.size()) + 3000);
}
