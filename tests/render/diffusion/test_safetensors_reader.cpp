// SPDX-License-Identifier: Apache-2.0
// The safetensors reader against hand-crafted good and bad files (the F7 conformance list).
#include "io/SafetensorsReader.h"

#include <kinema/diffusion/Errors.h>

#include <TestSupport.h>

#include <catch2/catch.hpp>

#include <cstring>
#include <fstream>
#include <string>
#include <vector>

using namespace kinema::diffusion;

namespace {

/// Builds a file image: little-endian header length, the header text, then `data`.
std::string image(const std::string& header, const std::string& data, std::uint64_t declared = UINT64_MAX) {
    const std::uint64_t n = declared == UINT64_MAX ? header.size() : declared;
    std::string out(8, '\0');
    for (int i = 0; i < 8; ++i)
        out[i] = static_cast<char>((n >> (8 * i)) & 0xFF);
    return out + header + data;
}

std::filesystem::path writeFile(const kinema::test::TempDir& dir, const std::string& name,
                                const std::string& bytes) {
    auto path = dir / name;
    std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    return path;
}

std::string floats(std::initializer_list<float> values) {
    std::string out(values.size() * 4, '\0');
    std::size_t i = 0;
    for (float v : values) {
        std::memcpy(out.data() + i, &v, 4);
        i += 4;
    }
    return out;
}

/// Opens `bytes` as a file and returns the error message; fails the test if it loads.
std::string errorOf(const std::string& bytes) {
    kinema::test::TempDir dir;
    const auto path = writeFile(dir, "bad.safetensors", bytes);
    try {
        SafetensorsFile::open(path);
    } catch (const WeightsError& e) {
        const std::string message = e.what();
        CHECK(message.find("bad.safetensors") != std::string::npos);
        return message;
    }
    FAIL("the file loaded although it is invalid");
    return {};
}

const std::string kTwo = R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                         R"("b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}})";

} // namespace

TEST_CASE("safetensors: a valid file loads and tensors point at the right bytes", "[safetensors]") {
    kinema::test::TempDir dir;
    const auto path = writeFile(dir, "ok.safetensors", image(kTwo, floats({1.f, 2.f, 3.f})));
    const auto file = SafetensorsFile::open(path);
    REQUIRE(file.tensors().size() == 2);
    const auto& a = file.at("a");
    CHECK(a.dtype == DType::F32);
    CHECK(a.shape == std::vector<std::int64_t>{2});
    CHECK(a.nbytes == 8);
    float v[3];
    std::memcpy(v, a.data, 8);
    std::memcpy(v + 2, file.at("b").data, 4);
    CHECK(v[0] == 1.f);
    CHECK(v[1] == 2.f);
    CHECK(v[2] == 3.f);
    CHECK(file.find("c") == nullptr);
    CHECK_THROWS_AS(file.at("c"), WeightsError);
}

TEST_CASE("safetensors: whitespace-padded headers and metadata and empty or zero-size tensors load",
          "[safetensors]") {
    kinema::test::TempDir dir;
    const std::string header =
        "  \n" + kTwo.substr(0, kTwo.size() - 1) +
        R"(,"__metadata__":{"format":"pt"},"z":{"dtype":"BF16","shape":[0,3],)"
        R"("data_offsets":[12,12]},"s":{"dtype":"I64","shape":[],"data_offsets":[12,20]}})" +
        "        ";
    std::string data = floats({1.f, 2.f, 3.f});
    data += std::string(8, '\x01');
    const auto file = SafetensorsFile::open(writeFile(dir, "pad.safetensors", image(header, data)));
    CHECK(file.tensors().size() == 4);
    CHECK(file.metadata().at("format") == "pt");
    CHECK(file.at("z").nbytes == 0);
    CHECK(file.at("s").shape.empty());
    CHECK(file.at("s").nbytes == 8);

    const auto empty = SafetensorsFile::open(writeFile(dir, "empty.safetensors", image("{}", "")));
    CHECK(empty.tensors().empty());
}

TEST_CASE("safetensors: the reference negative cases are rejected with file and cause", "[safetensors]") {
    SECTION("header too small") {
        CHECK_THAT(errorOf(""), Catch::Contains("header too small"));
        CHECK_THAT(errorOf("abc"), Catch::Contains("header too small"));
    }
    SECTION("header too large") {
        CHECK_THAT(errorOf(image("{}", "", 200'000'000)), Catch::Contains("header too large"));
        CHECK_THAT(errorOf(image("{}", "", UINT64_MAX - 1)), Catch::Contains("header too large"));
    }
    SECTION("invalid header length") {
        CHECK_THAT(errorOf(image("{}", "", 100)), Catch::Contains("invalid header length"));
    }
    SECTION("non-UTF-8 header") {
        CHECK_THAT(errorOf(image("{\"\xff\xfe\":1}", "")), Catch::Contains("UTF-8"));
        CHECK_THAT(errorOf(image("{\"\xc0\xaf\":1}", "")), Catch::Contains("UTF-8"));
    }
    SECTION("non-JSON header") {
        CHECK_THAT(errorOf(image("{not json", "")), Catch::Contains("invalid header"));
        CHECK_THAT(errorOf(image("PK\x03\x04", "")), Catch::Contains("invalid header"));
        CHECK_THAT(errorOf(image("[1,2]", "")), Catch::Contains("invalid header"));
    }
    SECTION("invalid offsets: gap, overlap, reversed") {
        const std::string gap = R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                                R"("b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}})";
        CHECK_THAT(errorOf(image(gap, std::string(12, '\0'))), Catch::Contains("invalid offset"));
        const std::string overlap = R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                                    R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})";
        CHECK_THAT(errorOf(image(overlap, std::string(12, '\0'))), Catch::Contains("'b'"));
        const std::string reversed = R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}})";
        CHECK_THAT(errorOf(image(reversed, std::string(4, '\0'))), Catch::Contains("'a'"));
        const std::string late = R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})";
        CHECK_THAT(errorOf(image(late, std::string(8, '\0'))), Catch::Contains("invalid offset"));
    }
    SECTION("tensor info: byte range does not match dtype x shape") {
        const std::string h = R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})";
        const auto message = errorOf(image(h, std::string(8, '\0')));
        CHECK_THAT(message, Catch::Contains("'a'") && Catch::Contains("needs 12"));
    }
    SECTION("incomplete buffer: trailing bytes or missing bytes") {
        CHECK_THAT(errorOf(image(kTwo, floats({1.f, 2.f, 3.f}) + "x")), Catch::Contains("trailing bytes"));
        CHECK_THAT(errorOf(image(kTwo, floats({1.f, 2.f}))), Catch::Contains("truncated"));
    }
    SECTION("validation overflow") {
        const std::string h = R"({"a":{"dtype":"F64","shape":[281474976710655,281474976710655,65536],)"
                              R"("data_offsets":[0,8]}})";
        CHECK_THAT(errorOf(image(h, std::string(8, '\0'))), Catch::Contains("overflow"));
        const std::string huge = R"({"a":{"dtype":"F32","shape":[281474976710656],"data_offsets":[0,8]}})";
        CHECK_THAT(errorOf(image(huge, std::string(8, '\0'))), Catch::Contains("too large"));
    }
    SECTION("sub-byte dtypes (misaligned slices) and unknown dtypes are refused") {
        const std::string f4 = R"({"a":{"dtype":"F4","shape":[3],"data_offsets":[0,2]}})";
        CHECK_THAT(errorOf(image(f4, std::string(2, '\0'))), Catch::Contains("unsupported dtype \"F4\""));
        const std::string q = R"({"a":{"dtype":"Q8","shape":[1],"data_offsets":[0,1]}})";
        CHECK_THAT(errorOf(image(q, std::string(1, '\0'))), Catch::Contains("unsupported dtype"));
    }
}

TEST_CASE("safetensors: Kinema's own rules", "[safetensors]") {
    SECTION("duplicate keys, even when the coverage would still be complete") {
        const std::string dup = R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                                R"("a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})";
        CHECK_THAT(errorOf(image(dup, std::string(4, '\0'))), Catch::Contains("duplicate JSON key \"a\""));
        const std::string inner = R"({"a":{"dtype":"F32","dtype":"F32","shape":[1],"data_offsets":[0,4]}})";
        CHECK_THAT(errorOf(image(inner, std::string(4, '\0'))), Catch::Contains("duplicate"));
    }
    SECTION("__metadata__ must map strings to strings") {
        CHECK_THAT(errorOf(image(R"({"__metadata__":{"a":1}})", "")), Catch::Contains("__metadata__"));
        CHECK_THAT(errorOf(image(R"({"__metadata__":[1]})", "")), Catch::Contains("__metadata__"));
    }
    SECTION("wrongly typed fields") {
        CHECK_THAT(errorOf(image(R"({"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,0]}})", "")),
                   Catch::Contains("shape"));
        CHECK_THAT(errorOf(image(R"({"a":{"dtype":"F32","shape":[1.5],"data_offsets":[0,0]}})", "")),
                   Catch::Contains("shape"));
        CHECK_THAT(errorOf(image(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0]}})", "")),
                   Catch::Contains("data_offsets"));
        CHECK_THAT(errorOf(image(R"({"a":{"dtype":32,"shape":[1],"data_offsets":[0,4]}})", "")),
                   Catch::Contains("dtype"));
        CHECK_THAT(errorOf(image(R"({"a":{"shape":[1],"data_offsets":[0,4]}})", "")), Catch::Contains("'a'"));
        CHECK_THAT(errorOf(image(R"({"a":[1]})", "")), Catch::Contains("'a'"));
        CHECK_THAT(errorOf(image(R"({"a":{"dtype":"F32","shape":[[[[1]]]],"data_offsets":[0,4]}})", "")),
                   Catch::Contains("nesting"));
    }
    SECTION("too many tensors") {
        std::string h = "{";
        for (int i = 0; i < 100'002; ++i)
            h += (i ? ",\"" : "\"") + std::to_string(i) +
                 R"(":{"dtype":"U8","shape":[0],"data_offsets":[0,0]})";
        h += "}";
        CHECK_THAT(errorOf(image(h, "")), Catch::Contains("too many tensors"));
    }
    SECTION("a missing file names the path") {
        CHECK_THROWS_WITH(SafetensorsFile::open("/nonexistent/dir/x.safetensors"),
                          Catch::Contains("/nonexistent/dir/x.safetensors"));
    }
}

TEST_CASE("safetensors: misaligned tensors are copied to aligned memory", "[safetensors]") {
    kinema::test::TempDir dir;
    // A 1-byte tensor first shifts the F32 tensor to an odd offset in the data section.
    const std::string h = R"({"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},)"
                          R"("b":{"dtype":"F32","shape":[2],"data_offsets":[1,9]}})";
    const auto file =
        SafetensorsFile::open(writeFile(dir, "mis.safetensors", image(h, "\x07" + floats({5.f, 6.f}))));
    const auto& b = file.at("b");
    CHECK(reinterpret_cast<std::uintptr_t>(b.data) % 4 == 0);
    float v[2];
    std::memcpy(v, b.data, 8);
    CHECK(v[0] == 5.f);
    CHECK(v[1] == 6.f);
    CHECK(static_cast<int>(file.at("a").data[0]) == 7);
}

TEST_CASE("safetensors: sharded checkpoints through an index", "[safetensors]") {
    kinema::test::TempDir dir;
    writeFile(dir, "m-1.safetensors",
              image(R"({"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})", floats({1.f})));
    writeFile(dir, "m-2.safetensors",
              image(R"({"y":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})", floats({2.f})));
    const auto index = writeFile(
        dir, "m.safetensors.index.json",
        R"({"metadata":{"total_size":8},"weight_map":{"x":"m-1.safetensors","y":"m-2.safetensors"}})");
    const auto ckpt = SafetensorsCheckpoint::open(index);
    CHECK(ckpt.size() == 2);
    CHECK(ckpt.names() == std::vector<std::string>{"x", "y"});
    float v = 0;
    std::memcpy(&v, ckpt.find("y")->data, 4);
    CHECK(v == 2.f);

    const auto wrongShard = writeFile(dir, "w.safetensors.index.json",
                                      R"({"weight_map":{"x":"m-2.safetensors","y":"m-2.safetensors"}})");
    CHECK_THROWS_WITH(SafetensorsCheckpoint::open(wrongShard),
                      Catch::Contains("'x'") && Catch::Contains("m-2"));
    writeFile(dir, "m-3.safetensors",
              image(R"({"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"z":{"dtype":"F32","shape":[1],)"
                    R"("data_offsets":[4,8]}})",
                    floats({1.f, 3.f})));
    const auto unlisted =
        writeFile(dir, "u.safetensors.index.json", R"({"weight_map":{"x":"m-3.safetensors"}})");
    CHECK_THROWS_WITH(SafetensorsCheckpoint::open(unlisted), Catch::Contains("'z'"));
    const auto escape =
        writeFile(dir, "e.safetensors.index.json", R"({"weight_map":{"x":"../m-1.safetensors"}})");
    CHECK_THROWS_WITH(SafetensorsCheckpoint::open(escape), Catch::Contains("plain file name"));
    const auto dup = writeFile(dir, "d.safetensors.index.json",
                               R"({"weight_map":{"x":"m-1.safetensors","x":"m-2.safetensors"}})");
    CHECK_THROWS_WITH(SafetensorsCheckpoint::open(dup), Catch::Contains("duplicate"));
    const auto missing =
        writeFile(dir, "n.safetensors.index.json", R"({"weight_map":{"x":"absent.safetensors"}})");
    CHECK_THROWS_WITH(SafetensorsCheckpoint::open(missing), Catch::Contains("absent.safetensors"));
    const auto single = SafetensorsCheckpoint::open(dir / "m-1.safetensors");
    CHECK(single.size() == 1);
}
