// SPDX-License-Identifier: Apache-2.0
// Replays the committed checkpoint fixtures: valid files load, every malicious file is refused.
#include "kinema/diffusion/TorchCheckpoint.h"

#include <catch2/catch.hpp>

#include <cstring>
#include <map>

using namespace kinema::diffusion;

namespace {

// Located from this source file so that the standalone build of the module finds them too.
std::filesystem::path weightFixtures() {
    return std::filesystem::path(__FILE__).parent_path().parent_path().parent_path() / "fixtures" / "weights";
}

std::vector<float> floats(const RawTensor& tensor) {
    std::vector<float> values(tensor.nbytes / sizeof(float));
    std::memcpy(values.data(), tensor.data, tensor.nbytes);
    return values;
}

} // namespace

TEST_CASE("pth fixtures: valid checkpoints load", "[pth_fixtures]") {
    for (const char* name : {"state_dict.pth", "state_dict_zip64.pth"}) {
        INFO(name);
        const auto checkpoint = readTorchCheckpoint(weightFixtures() / "valid" / name);
        REQUIRE(checkpoint.tensors.size() == 2);
        CHECK(checkpoint.tensors[0].name == "encoder.weight");
        CHECK(checkpoint.tensors[0].shape == std::vector<std::int64_t>{2, 3});
        CHECK(floats(checkpoint.tensors[0]) == std::vector<float>{1, 2, 3, 4, 5, 6});
        CHECK(checkpoint.tensors[1].name == "encoder.bias");
        CHECK(floats(checkpoint.tensors[1]) == std::vector<float>{5, 6});
    }
}

TEST_CASE("pth fixtures: the malicious corpus is refused", "[pth_fixtures]") {
    const std::map<std::string, std::string> expected = {
        {"os_system.pth", "'os.system' is not allowed"},
        {"builtins_eval_stack_global.pth", "'builtins.eval' is not allowed"},
        {"setitem_on_list.pth", "SETITEM on a list"},
        {"build_on_tensor.pth", "BUILD on a tensor"},
        {"storage_size_mismatch.pth", "storage-size mismatch"},
        {"huge_declared_shape.pth", "reaches element"},
        {"broadcast_expansion.pth", "expanding views are refused"},
        {"huge_string_length.pth", "exceeds the limit"},
        {"sevenzip_wrapped.pth", "7z archive"},
        {"truncated.pth", "end-of-central-directory"},
        {"bad_central_directory.pth", "central directory record 0 is corrupt"},
        {"deflated_entry.pth", "compressed (method 8)"},
        {"encrypted_entry.pth", "encrypted"},
        {"crc_mismatch.pth", "CRC-32"},
    };
    std::size_t seen = 0;
    for (const auto& entry : std::filesystem::directory_iterator(weightFixtures() / "malicious")) {
        const auto name = entry.path().filename().string();
        INFO(name);
        ++seen;
        try {
            readTorchCheckpoint(entry.path());
            FAIL("accepted");
        } catch (const CheckpointError& error) {
            const std::string message = error.what();
            INFO(message);
            CHECK(message.find(entry.path().string()) != std::string::npos);
            REQUIRE(expected.count(name) == 1); // every committed file has its expected cause listed here
            CHECK(message.find(expected.at(name)) != std::string::npos);
        }
    }
    CHECK(seen == expected.size());
}
