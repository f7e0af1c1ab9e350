// SPDX-License-Identifier: Apache-2.0
// Device placement and precision: the offload decision, DiT block streaming, the bf16 mixed-precision map
// and the session's handling of compute types and devices. Runs on the CPU; the same code moves weights to
// a GPU in a CUDA build.
#include "TinySession.h"
#include "engine/Placement.h"
#include "families/wan21/WanDit.h"

#include <kinema/diffusion/Errors.h>
#include <kinema/diffusion/Session.h>

#include <TestSupport.h>

#include <ATen/CPUGeneratorImpl.h>
#include <catch2/catch.hpp>

using namespace kinema::diffusion;
using namespace kinema::diffusion::wan21;

namespace {

constexpr std::uint64_t GiB = std::uint64_t{1} << 30;

DitConfig smallDit() {
    DitConfig cfg;
    cfg.inDim = 16;
    cfg.dim = 64;
    cfg.ffnDim = 96;
    cfg.freqDim = 32;
    cfg.textDim = 24;
    cfg.textLen = 8;
    cfg.numHeads = 2;
    cfg.numLayers = 3;
    return cfg;
}

double relL2(const at::Tensor& a, const at::Tensor& b) {
    return (a - b).norm().item<double>() / b.norm().item<double>();
}

} // namespace

TEST_CASE("offload: auto picks none, model or blocks from the GPU's memory", "[placement]") {
    // Wan2.1-T2V-1.3B on a GPU: the DiT in bf16, umT5-XXL (5.68 G parameters) and the VAE in fp32.
    const std::uint64_t dit = std::uint64_t{2840} << 20;
    const std::uint64_t all = dit + (std::uint64_t{22720} << 20);
    const std::uint64_t tinyAll = 64 << 20, tinyDit = 16 << 20;
    CHECK(resolveOffload(Offload::Auto, Device::Cpu, std::nullopt, all, dit) == Offload::None);
    CHECK(resolveOffload(Offload::Blocks, Device::Cpu, 8 * GiB, all, dit) == Offload::None);
    CHECK(resolveOffload(Offload::Auto, Device::Cuda, std::nullopt, all, dit) == Offload::None);
    CHECK(resolveOffload(Offload::Auto, Device::Cuda, 80 * GiB, all, dit) == Offload::None);
    CHECK(resolveOffload(Offload::Auto, Device::Cuda, 24 * GiB, all, dit) == Offload::Model);
    CHECK(resolveOffload(Offload::Auto, Device::Cuda, 12 * GiB, all, dit) == Offload::Model);
    CHECK(resolveOffload(Offload::Auto, Device::Cuda, 8 * GiB, all, dit) == Offload::Model);
    CHECK(resolveOffload(Offload::Auto, Device::Cuda, 4 * GiB, all, dit) == Offload::Blocks);
    CHECK(resolveOffload(Offload::Auto, Device::Cuda, 4 * GiB, tinyAll, tinyDit) == Offload::None);
    CHECK(resolveOffload(Offload::None, Device::Cuda, 4 * GiB, all, dit) == Offload::None);
    CHECK(resolveOffload(Offload::Model, Device::Cuda, 80 * GiB, all, dit) == Offload::Model);
    CHECK(std::string(offloadName(Offload::Blocks)) == "blocks");
    // Without a driver there is nothing to report; with one, a real size.
    const auto bytes = cudaTotalMemoryBytes(0);
    if (bytes)
        CHECK(*bytes > GiB / 4);
    CHECK_FALSE(cudaTotalMemoryBytes(999).has_value());
}

TEST_CASE("DiT block streaming gives identical results and keeps the blocks off the compute device",
          "[placement][dit]") {
    auto wm = WeightMap::random(21);
    WanDit dit(smallDit(), wm);
    auto gen = at::detail::createCPUGenerator(3);
    const auto x = at::randn({16, 2, 4, 4}, gen);
    const auto ctx = dit.embedContext(at::randn({5, 24}, gen));
    const auto resident = dit.forward(x, 700, ctx);
    const auto bytes = dit.weightBytes();
    CHECK(bytes.total == 4 * dit.parameterCount());
    CHECK(bytes.largestBlock > 0);
    CHECK(bytes.shared + 3 * bytes.largestBlock == bytes.total); // three equal blocks
    dit.setStreamBlocks(true);
    CHECK(dit.streamsBlocks());
    CHECK(at::equal(dit.forward(x, 700, ctx), resident));
    dit.setStreamBlocks(false);
    CHECK(at::equal(dit.forward(x, 700, ctx), resident));
}

TEST_CASE("DiT bf16 mixed precision: matrices in bf16, the rest in fp32, close to the fp32 result",
          "[placement][dit]") {
    auto wm = WeightMap::random(22);
    WanDit dit(smallDit(), wm);
    auto gen = at::detail::createCPUGenerator(4);
    const auto x = at::randn({16, 2, 4, 4}, gen);
    const auto text = at::randn({5, 24}, gen);
    const auto fp32 = dit.forward(x, 400, dit.embedContext(text));
    const auto before = dit.weightBytes();
    dit.setMatmulType(at::kBFloat16);
    CHECK(dit.matmulType() == at::kBFloat16);
    const auto after = dit.weightBytes();
    // Every block is Linear matrices plus fp32 modulation and norm gains: a little over half its bytes.
    CHECK(after.largestBlock < before.largestBlock * 6 / 10);
    CHECK(after.largestBlock > before.largestBlock / 2);
    const auto ctx = dit.embedContext(text);
    CHECK(ctx.scalar_type() == at::kBFloat16); // the text embedding's Linears run in bf16
    const auto mixed = dit.forward(x, 400, ctx);
    CHECK(mixed.scalar_type() == at::kFloat); // the head is fp32
    const double err = relL2(mixed, fp32);
    INFO("rel_l2 bf16 vs fp32 " << err);
    CHECK(err > 1e-4);
    CHECK(err < 2e-2);
    CHECK_THROWS_AS(dit.setMatmulType(at::kHalf), RequestError);
}

using kinema::test::maxDifference;
using kinema::test::smallRequest;
using kinema::test::TinySession;

TEST_CASE("session: bf16 requests run the mixed-precision DiT and f32 reloads the exact weights",
          "[placement][session]") {
    TinySession tiny;
    CHECK(tiny.session->offload() == Offload::None); // the CPU has nothing to offload
    auto r = smallRequest();
    const auto fp32 = tiny.session->generate(r);
    r.computeType = ComputeType::BF16;
    const auto bf16 = tiny.session->generate(r);
    REQUIRE(bf16.frames.size() == 5);
    const double d = maxDifference(bf16.latents, fp32.latents);
    INFO("max latent difference bf16 vs fp32 " << d);
    CHECK(d > 0.0);
    CHECK(d < 0.25);
    r.computeType = ComputeType::F32;
    const auto again = tiny.session->generate(r);
    CHECK(again.latents == fp32.latents); // bit-identical after reloading the fp32 weights
}

TEST_CASE("session: offload modes give the resident result, a request for another device is refused",
          "[placement][session]") {
    TinySession resident("t2v", Offload::None);
    const auto reference = resident.session->generate(smallRequest());
    // Offload on the CPU resolves to none (there is no second memory to move weights to).
    TinySession blocks("t2v", Offload::Blocks);
    CHECK(blocks.session->offload() == Offload::None);
    CHECK(blocks.session->generate(smallRequest()).latents == reference.latents);
    auto r = smallRequest();
    r.device = Device::Cuda;
    try {
        resident.session->generate(r);
        FAIL("a GPU request on a CPU session was accepted");
    } catch (const RequestError& e) {
        CHECK(std::string(e.what()).find("opened for the CPU") != std::string::npos);
    }
}
