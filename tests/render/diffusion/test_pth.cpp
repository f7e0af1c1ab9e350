// SPDX-License-Identifier: Apache-2.0
// Reading torch.save zip checkpoints: valid layouts (plain, ZIP64, shared and strided storages, wrappers)
// and conversion to safetensors.
#include "kinema/diffusion/SafetensorsWriter.h"
#include "kinema/diffusion/TorchCheckpoint.h"

#include "TestSupport.h"
#include "test_pth_writer.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <cstring>
#include <fstream>
#include <iterator>

using namespace kinema::diffusion;
using namespace kinema::test::pth;
using kinema::test::TempDir;

namespace {

std::string floatBytes(const std::vector<float>& values) {
    std::string out(values.size() * 4, '\0');
    std::memcpy(out.data(), values.data(), out.size());
    return out;
}

std::vector<float> floats(const RawTensor& t) {
    REQUIRE(t.dtype == DType::F32);
    std::vector<float> out(t.nbytes / 4);
    std::memcpy(out.data(), t.data, t.nbytes);
    return out;
}

void writeFile(const std::filesystem::path& path, const std::string& bytes) {
    std::ofstream out(path, std::ios::binary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

const RawTensor& byName(const TorchCheckpoint& checkpoint, const std::string& name) {
    for (const auto& t : checkpoint.tensors)
        if (t.name == name)
            return t;
    FAIL("no tensor " << name);
    throw std::logic_error("unreachable");
}

// A small state dict exercising the layouts torch.save produces: a 2-D float weight, a view at an offset
// into a shared storage, a transposed (strided) view, a bf16 vector, an int64 scalar and an empty tensor.
struct Sample {
    std::vector<TensorRef> refs;
    std::map<std::string, std::string> storages;
};

Sample sample() {
    Sample s;
    s.storages["0"] = floatBytes({0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11});
    s.storages["1"] = std::string("\x80\x3f\x00\x40\x40\x40\x80\x40", 8); // bf16 1,2,3,4
    std::string scalar;
    putLe(scalar, static_cast<std::uint64_t>(-5), 8);
    s.storages["2"] = scalar;
    s.storages["3"] = "";
    s.refs.push_back({"blocks.0.weight", "FloatStorage", "0", 12, 0, {2, 3}, {}});
    s.refs.push_back({"blocks.0.bias", "FloatStorage", "0", 12, 6, {6}, {}});
    s.refs.push_back({"blocks.0.weight_t", "FloatStorage", "0", 12, 0, {3, 2}, {1, 3}});
    s.refs.push_back({"norm.weight", "BFloat16Storage", "1", 4, 0, {4}, {}});
    s.refs.push_back({"step", "LongStorage", "2", 1, 0, {}, {}});
    s.refs.push_back({"empty", "HalfStorage", "3", 0, 0, {0, 5}, {}});
    return s;
}

void checkSample(const TorchCheckpoint& checkpoint) {
    REQUIRE(checkpoint.tensors.size() == 6);
    CHECK(checkpoint.tensors[0].name == "blocks.0.weight"); // pickle order is kept
    const auto& w = byName(checkpoint, "blocks.0.weight");
    CHECK(w.shape == std::vector<std::int64_t>{2, 3});
    CHECK(floats(w) == std::vector<float>{0, 1, 2, 3, 4, 5});
    CHECK(floats(byName(checkpoint, "blocks.0.bias")) == std::vector<float>{6, 7, 8, 9, 10, 11});
    const auto& wt = byName(checkpoint, "blocks.0.weight_t");
    CHECK(wt.shape == std::vector<std::int64_t>{3, 2});
    CHECK(floats(wt) == std::vector<float>{0, 3, 1, 4, 2, 5});
    const auto& norm = byName(checkpoint, "norm.weight");
    CHECK(norm.dtype == DType::BF16);
    CHECK(norm.nbytes == 8);
    CHECK(std::memcmp(norm.data, "\x80\x3f\x00\x40\x40\x40\x80\x40", 8) == 0);
    const auto& step = byName(checkpoint, "step");
    CHECK(step.dtype == DType::I64);
    CHECK(step.shape.empty());
    std::int64_t value = 0;
    REQUIRE(step.nbytes == 8);
    std::memcpy(&value, step.data, 8);
    CHECK(value == -5);
    const auto& empty = byName(checkpoint, "empty");
    CHECK(empty.dtype == DType::F16);
    CHECK(empty.nbytes == 0);
    CHECK(empty.numel() == 0);
}

} // namespace

TEST_CASE("pth: reads a torch.save state dict", "[pth]") {
    TempDir dir("pth");
    const auto s = sample();
    const auto path = dir / "model.pth";
    writeFile(path, makeZip(checkpointItems(stateDictPickle(s.refs), s.storages)));
    const auto checkpoint = readTorchCheckpoint(path);
    checkSample(checkpoint);
    CHECK(checkpoint.unwrappedKey.empty());
}

TEST_CASE("pth: tensors outlive the checkpoint object", "[pth]") {
    TempDir dir("pth");
    const auto s = sample();
    const auto path = dir / "model.pth";
    writeFile(path, makeZip(checkpointItems(stateDictPickle(s.refs), s.storages)));
    std::vector<RawTensor> tensors;
    {
        auto checkpoint = readTorchCheckpoint(path);
        tensors = checkpoint.tensors;
    }
    std::filesystem::remove(path); // the mapping stays valid after unlinking
    CHECK(floats(tensors[0]) == std::vector<float>{0, 1, 2, 3, 4, 5});
}

TEST_CASE("pth: ZIP64 archives and other root names", "[pth]") {
    TempDir dir("pth");
    const auto s = sample();
    const auto path = dir / "model.pt";
    writeFile(path, makeZip(checkpointItems(stateDictPickle(s.refs), s.storages, "my_model"), true));
    checkSample(readTorchCheckpoint(path));
    writeFile(path, makeZip(checkpointItems(stateDictPickle(s.refs), s.storages), false, 1));
    checkSample(readTorchCheckpoint(path)); // unaligned entries are fine too
}

TEST_CASE("pth: nested dicts are flattened and a wrapper level is unwrapped", "[pth]") {
    TempDir dir("pth");
    std::map<std::string, std::string> storages{{"0", floatBytes({1, 2, 3, 4})}};
    // {"state_dict": {"encoder": {"w": T, "b": T}, "head": T}, "epoch": 7, "note": "x"}, written with
    // plain dicts (EMPTY_DICT) like a training script's checkpoint.
    PickleBuilder p;
    p.proto(2);
    p.op('}').put("");
    p.mark();
    p.str("state_dict");
    p.op('}').put("").mark();
    p.str("encoder");
    p.op('}').put("").mark();
    p.str("w");
    emitTensor(p, {"", "FloatStorage", "0", 4, 0, {2}, {}});
    p.str("b");
    emitTensor(p, {"", "FloatStorage", "0", 4, 2, {2}, {}});
    p.op('u');
    p.str("head");
    emitTensor(p, {"", "FloatStorage", "0", 4, 0, {4}, {}});
    p.op('u');
    p.str("epoch").integer(7);
    p.str("note").str("x");
    p.op('u').op('.');
    const auto path = dir / "ckpt.pth";
    writeFile(path, makeZip(checkpointItems(p.bytes, storages)));
    const auto checkpoint = readTorchCheckpoint(path);
    CHECK(checkpoint.unwrappedKey == "state_dict");
    REQUIRE(checkpoint.tensors.size() == 3);
    CHECK(checkpoint.tensors[0].name == "encoder.w");
    CHECK(floats(checkpoint.tensors[1]) == std::vector<float>{3, 4});
    CHECK(checkpoint.tensors[1].name == "encoder.b");
    CHECK(checkpoint.tensors[2].name == "head");
}

TEST_CASE("pth: protocol 4 framing, STACK_GLOBAL and MEMOIZE are understood", "[pth]") {
    TempDir dir("pth");
    std::map<std::string, std::string> storages{{"0", floatBytes({5, 6})}};
    PickleBuilder p;
    p.proto(4);
    p.op(0x95);
    putLe(p.bytes, 0, 8); // FRAME (length not checked)
    auto shortString = [&](const std::string& text) {
        p.op(0x8c).u8(static_cast<unsigned>(text.size()));
        p.bytes += text;
        p.op(0x94);
    };
    shortString("collections");
    shortString("OrderedDict");
    p.op(0x93).op(0x94).op(')').op('R').op(0x94);
    shortString("w");
    shortString("torch._utils");
    shortString("_rebuild_tensor_v2");
    p.op(0x93).op(0x94);
    p.mark();
    p.mark();
    shortString("storage");
    shortString("torch");
    shortString("FloatStorage");
    p.op(0x93).op(0x94);
    shortString("0");
    shortString("cpu");
    p.integer(2).op('t').op(0x94).op('Q');
    p.integer(0).integer(2).op(0x85).integer(1).op(0x85).op(0x89);
    p.op('h').u8(2).op(')').op('R'); // OrderedDict() through the memo
    p.op('t').op('R').op('s').op('.');
    const auto path = dir / "p4.pth";
    writeFile(path, makeZip(checkpointItems(p.bytes, storages)));
    const auto checkpoint = readTorchCheckpoint(path);
    REQUIRE(checkpoint.tensors.size() == 1);
    CHECK(checkpoint.tensors[0].name == "w");
    CHECK(floats(checkpoint.tensors[0]) == std::vector<float>{5, 6});
}

TEST_CASE("pth: conversion to safetensors keeps names, dtypes, shapes and bytes", "[pth]") {
    TempDir dir("pth");
    const auto s = sample();
    const auto in = dir / "model.pth";
    const auto out = dir / "model.safetensors";
    writeFile(in, makeZip(checkpointItems(stateDictPickle(s.refs), s.storages), true));
    CHECK(convertCheckpointToSafetensors(in, out) == 6);

    const auto file = kinema::test::readFileBytes(out);
    std::uint64_t headerLength = 0;
    for (int i = 0; i < 8; ++i)
        headerLength |= std::uint64_t(static_cast<unsigned char>(file[i])) << (8 * i);
    const auto header = nlohmann::json::parse(file.substr(8, headerLength));
    const std::string data = file.substr(8 + headerLength);
    CHECK(header["__metadata__"]["format"] == "pt");
    CHECK(header["__metadata__"]["source"] == "model.pth");
    const auto checkpoint = readTorchCheckpoint(in);
    std::uint64_t covered = 0;
    for (const auto& t : checkpoint.tensors) {
        const auto& entry = header.at(t.name);
        CHECK(entry["dtype"] == std::string(dtypeName(t.dtype)));
        CHECK(entry["shape"].get<std::vector<std::int64_t>>() == t.shape);
        const auto begin = entry["data_offsets"][0].get<std::uint64_t>();
        const auto end = entry["data_offsets"][1].get<std::uint64_t>();
        REQUIRE(end - begin == t.nbytes);
        CHECK((t.nbytes == 0 || std::memcmp(data.data() + begin, t.data, t.nbytes) == 0));
        covered += end - begin;
    }
    CHECK(covered == data.size());
    const auto transposed = header.at("blocks.0.weight_t")["data_offsets"][0].get<std::size_t>();
    float values[6];
    std::memcpy(values, data.data() + transposed, sizeof values);
    CHECK(values[1] == 3.0f);
}
