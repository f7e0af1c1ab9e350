// SPDX-License-Identifier: Apache-2.0
#include "kinema/diffusion/SafetensorsWriter.h"

#include "TestSupport.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <cstring>
#include <fstream>
#include <iterator>

#include <sys/stat.h>

using namespace kinema::diffusion;
using kinema::test::TempDir;

namespace {

RawTensor makeTensor(std::string name, DType dtype, std::vector<std::int64_t> shape, unsigned seed) {
    RawTensor tensor;
    tensor.name = std::move(name);
    tensor.dtype = dtype;
    tensor.shape = std::move(shape);
    tensor.nbytes = static_cast<std::size_t>(tensor.numel()) * dtypeSize(dtype);
    auto bytes = std::make_shared<std::vector<std::byte>>(tensor.nbytes);
    for (std::size_t i = 0; i < bytes->size(); ++i)
        (*bytes)[i] = static_cast<std::byte>((i * 131 + seed * 17 + 7) & 0xff);
    tensor.data = bytes->data();
    tensor.owner = bytes;
    return tensor;
}

std::size_t countEntries(const std::filesystem::path& directory) {
    return static_cast<std::size_t>(
        std::distance(std::filesystem::directory_iterator(directory), std::filesystem::directory_iterator()));
}

} // namespace

TEST_CASE("safetensors writer: round trip parsed independently", "[safetensors_writer]") {
    TempDir dir("st-writer");
    std::vector<RawTensor> tensors;
    tensors.push_back(makeTensor("z.last", DType::F32, {3, 5}, 1));
    tensors.push_back(makeTensor("a.first", DType::BF16, {7}, 2));
    tensors.push_back(makeTensor("m.scalar", DType::I64, {}, 3));
    tensors.push_back(makeTensor("m.empty", DType::F16, {0, 4}, 4));
    tensors.push_back(makeTensor("blocks.0.\"quoted\"\\name", DType::U8, {2, 2, 3}, 5));
    const std::map<std::string, std::string> metadata{{"format", "pt"}, {"note", "line\nbreak"}};
    const auto path = dir / "model.safetensors";
    writeSafetensors(path, tensors, metadata);

    const std::string file = kinema::test::readFileBytes(path);
    REQUIRE(file.size() >= 8);
    std::uint64_t headerLength = 0;
    for (int i = 0; i < 8; ++i)
        headerLength |= std::uint64_t(static_cast<unsigned char>(file[i])) << (8 * i);
    REQUIRE(headerLength % 8 == 0);
    REQUIRE(8 + headerLength <= file.size());
    const std::string headerText = file.substr(8, headerLength);
    CHECK(headerText.front() == '{');
    const auto closing = headerText.find_last_not_of(' ');
    CHECK(headerText[closing] == '}');
    CHECK(headerLength - closing - 1 < 8);
    const auto header = nlohmann::json::parse(headerText);

    REQUIRE(header.contains("__metadata__"));
    CHECK(header["__metadata__"]["format"] == "pt");
    CHECK(header["__metadata__"]["note"] == "line\nbreak");
    CHECK(header.size() == tensors.size() + 1);

    // Data section: tensors in name order, contiguous, covering it exactly.
    std::vector<std::string> names;
    for (const auto& t : tensors)
        names.push_back(t.name);
    std::sort(names.begin(), names.end());
    std::uint64_t expectedBegin = 0;
    const std::string data = file.substr(8 + headerLength);
    for (const auto& name : names) {
        const auto& entry = header.at(name);
        const auto it = std::find_if(tensors.begin(), tensors.end(), [&](auto& t) { return t.name == name; });
        CHECK(entry["dtype"] == std::string(dtypeName(it->dtype)));
        CHECK(entry["shape"].get<std::vector<std::int64_t>>() == it->shape);
        const auto begin = entry["data_offsets"][0].get<std::uint64_t>();
        const auto end = entry["data_offsets"][1].get<std::uint64_t>();
        CHECK(begin == expectedBegin);
        REQUIRE(end - begin == it->nbytes);
        REQUIRE(end <= data.size());
        CHECK((it->nbytes == 0 || std::memcmp(data.data() + begin, it->data, it->nbytes) == 0));
        expectedBegin = end;
    }
    CHECK(expectedBegin == data.size());
    CHECK(countEntries(dir.path()) == 1); // no temporary file left behind
}

TEST_CASE("safetensors writer: header without metadata is padded", "[safetensors_writer]") {
    std::vector<RawTensor> tensors{makeTensor("w", DType::F32, {1}, 0)};
    const auto header = safetensorsHeader("x.safetensors", tensors);
    CHECK(header.size() % 8 == 0);
    const auto json = nlohmann::json::parse(header);
    CHECK_FALSE(json.contains("__metadata__"));
    CHECK(json["w"]["data_offsets"] == nlohmann::json::array({0, 4}));
}

TEST_CASE("safetensors writer: replaces an existing file", "[safetensors_writer]") {
    TempDir dir("st-writer");
    const auto path = dir / "w.safetensors";
    writeSafetensors(path, {makeTensor("a", DType::F32, {4}, 1)});
    const auto first = kinema::test::readFileBytes(path);
    writeSafetensors(path, {makeTensor("b", DType::F32, {8}, 2)});
    const auto second = kinema::test::readFileBytes(path);
    CHECK(first != second);
    CHECK(second.find("\"b\"") != std::string::npos);
    CHECK(countEntries(dir.path()) == 1);
}

TEST_CASE("safetensors writer: invalid tensors are rejected and leave the file untouched",
          "[safetensors_writer]") {
    TempDir dir("st-writer");
    const auto path = dir / "w.safetensors";
    writeSafetensors(path, {makeTensor("keep", DType::F32, {2}, 1)});
    const auto before = kinema::test::readFileBytes(path);

    auto expectFailure = [&](std::vector<RawTensor> tensors, const std::string& fragment) {
        try {
            writeSafetensors(path, tensors);
            FAIL("expected an error mentioning " << fragment);
        } catch (const SafetensorsWriteError& error) {
            const std::string message = error.what();
            INFO(message);
            CHECK(message.find(fragment) != std::string::npos);
            CHECK(message.find(path.string()) != std::string::npos);
        }
        CHECK(kinema::test::readFileBytes(path) == before);
        CHECK(countEntries(dir.path()) == 1);
    };

    expectFailure({makeTensor("dup", DType::F32, {1}, 1), makeTensor("dup", DType::F32, {2}, 2)},
                  "duplicate");
    auto wrongSize = makeTensor("short", DType::F32, {4}, 1);
    wrongSize.nbytes -= 1;
    expectFailure({wrongSize}, "short");
    auto negative = makeTensor("neg", DType::F32, {1}, 1);
    negative.shape = {-1};
    expectFailure({negative}, "neg");
    auto noData = makeTensor("nodata", DType::F32, {2}, 1);
    noData.data = nullptr;
    expectFailure({noData}, "nodata");
    expectFailure({makeTensor("", DType::F32, {1}, 1)}, "empty name");
    expectFailure({makeTensor("__metadata__", DType::F32, {1}, 1)}, "reserved");
    expectFailure({makeTensor(std::string("bad\xff", 4), DType::F32, {1}, 1)}, "UTF-8");
}

TEST_CASE("safetensors writer: a missing directory is reported", "[safetensors_writer]") {
    TempDir dir("st-writer");
    const auto path = dir / "missing" / "w.safetensors";
    try {
        writeSafetensors(path, {makeTensor("a", DType::F32, {1}, 1)});
        FAIL("expected an error");
    } catch (const SafetensorsWriteError& error) {
        CHECK(std::string(error.what()).find(path.string()) != std::string::npos);
    }
    CHECK_FALSE(std::filesystem::exists(path));
}

TEST_CASE("safetensors writer: permissions follow the umask or the replaced file", "[safetensors_writer]") {
    TempDir dir("st-writer");
    const auto path = dir / "w.safetensors";
    const mode_t mask = ::umask(022);
    writeSafetensors(path, {makeTensor("a", DType::F32, {1}, 1)});
    ::umask(mask);
    const auto perms = [&] { return std::filesystem::status(path).permissions(); };
    using P = std::filesystem::perms;
    CHECK(perms() == (P::owner_read | P::owner_write | P::group_read | P::others_read));
    std::filesystem::permissions(path, P::owner_read | P::owner_write | P::group_read);
    writeSafetensors(path, {makeTensor("b", DType::F32, {1}, 1)});
    CHECK(perms() == (P::owner_read | P::owner_write | P::group_read));
}
