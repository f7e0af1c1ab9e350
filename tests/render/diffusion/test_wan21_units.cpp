// SPDX-License-Identifier: Apache-2.0
// Wan 2.1 building blocks against the constants published in the model specification.
#include "engine/ConditioningClip.h"
#include "families/wan21/WanDit.h"
#include "families/wan21/WanKeys.h"
#include "families/wan21/WanT5.h"
#include "families/wan21/WanVae.h"
#include "nn/Ops.h"
#include "schedulers/FlowSchedule.h"

#include <kinema/diffusion/Errors.h>

#include <catch2/catch.hpp>

#include <cmath>

using namespace kinema::diffusion;
using namespace kinema::diffusion::wan21;

TEST_CASE("wan21 schedules: UniPC timesteps and sigmas for shifts 3 and 5 and 8", "[wan21][schedule]") {
    const auto s5 = makeFlowSchedule(SolverKind::UniPC, 50, 5.0);
    REQUIRE(s5.timesteps.size() == 50);
    REQUIRE(s5.sigmas.size() == 51);
    CHECK(std::vector<std::int64_t>(s5.timesteps.begin(), s5.timesteps.begin() + 5) ==
          std::vector<std::int64_t>{999, 995, 991, 987, 982});
    CHECK(std::vector<std::int64_t>(s5.timesteps.end() - 4, s5.timesteps.end()) ==
          std::vector<std::int64_t>{302, 241, 172, 92});
    CHECK(s5.sigmas[0] == Approx(0.99979985).epsilon(1e-7));
    CHECK(s5.sigmas[1] == Approx(0.99573237).epsilon(1e-7));
    CHECK(s5.sigmas[2] == Approx(0.99153048).epsilon(1e-7));
    CHECK(s5.sigmas[47] == Approx(0.24174035).epsilon(1e-7));
    CHECK(s5.sigmas[49] == Approx(0.09250686).epsilon(1e-7));
    CHECK(s5.sigmas[50] == 0.0f);

    const auto s3 = makeFlowSchedule(SolverKind::UniPC, 50, 3.0);
    CHECK(std::vector<std::int64_t>(s3.timesteps.begin(), s3.timesteps.begin() + 10) ==
          std::vector<std::int64_t>{999, 992, 985, 978, 971, 963, 956, 948, 939, 931});
    CHECK(std::vector<std::int64_t>(s3.timesteps.end() - 5, s3.timesteps.end()) ==
          std::vector<std::int64_t>{249, 206, 160, 111, 57});
    const auto s8 = makeFlowSchedule(SolverKind::UniPC, 50, 8.0);
    CHECK(std::vector<std::int64_t>(s8.timesteps.begin(), s8.timesteps.begin() + 6) ==
          std::vector<std::int64_t>{999, 997, 994, 991, 989, 986});
    CHECK(std::vector<std::int64_t>(s8.timesteps.end() - 5, s8.timesteps.end()) ==
          std::vector<std::int64_t>{470, 409, 337, 249, 140});
}

TEST_CASE("wan21 schedules: DPM++ starts at sigma 1 and bad parameters are refused", "[wan21][schedule]") {
    const auto d = makeFlowSchedule(SolverKind::DpmPP, 50, 5.0);
    CHECK(d.sigmas[0] == 1.0f);
    CHECK(std::vector<std::int64_t>(d.timesteps.begin(), d.timesteps.begin() + 3) ==
          std::vector<std::int64_t>{1000, 995, 991});
    CHECK(std::vector<std::int64_t>(d.timesteps.end() - 2, d.timesteps.end()) ==
          std::vector<std::int64_t>{172, 92});
    CHECK_THROWS_AS(makeFlowSchedule(SolverKind::UniPC, 0, 5.0), RequestError);
    CHECK_THROWS_AS(makeFlowSchedule(SolverKind::UniPC, 10, 0.0), RequestError);
    CHECK_THROWS_WITH(parseSolverKind("ddpm"), Catch::Contains("ddpm"));
    CHECK(parseSolverKind("dpm++") == SolverKind::DpmPP);
}

TEST_CASE("wan21 RoPE: band split and inverse frequencies", "[wan21][rope]") {
    // Grid 2x2x2; token 4 is (f=1, h=0, w=0), token 2 is (0, 1, 0), token 1 is (0, 0, 1): their angles
    // are the inverse frequencies of the t, h and w bands.
    const auto [cosT, sinT] = ropeTables(128, 2, 2, 2);
    REQUIRE(cosT.sizes() == at::IntArrayRef{8, 64});
    const auto angle = at::atan2(sinT, cosT);
    CHECK(angle[4][1].item<double>() == Approx(0.6579332).epsilon(1e-6));
    CHECK(angle[4][21].item<double>() == Approx(1.51991e-4).epsilon(1e-5));
    CHECK(angle[4][22].item<double>() == 0.0); // h band at h = 0
    CHECK(angle[2][22 + 1].item<double>() == Approx(0.6449467).epsilon(1e-6));
    CHECK(angle[2][22 + 20].item<double>() == Approx(1.55052e-4).epsilon(1e-5));
    CHECK(angle[1][43 + 1].item<double>() == Approx(0.6449467).epsilon(1e-6));
    CHECK(angle[1][21].item<double>() == 0.0); // t band at f = 0

    // Rotation acts on interleaved pairs (2j, 2j+1) and preserves each pair's norm.
    auto x = at::zeros({1, 8, 1, 128});
    x[0][4][0][2] = 1.0; // pair 1, real part, token with f = 1
    const auto y = applyRope(x, cosT, sinT);
    CHECK(y[0][4][0][2].item<double>() == Approx(std::cos(0.6579332)).epsilon(1e-6));
    CHECK(y[0][4][0][3].item<double>() == Approx(std::sin(0.6579332)).epsilon(1e-6));
    CHECK(y[0][4][0][64].item<double>() == 0.0);
}

TEST_CASE("wan21 timestep sinusoid is cos-first", "[wan21]") {
    const auto s = timestepSinusoid(256, 0);
    REQUIRE(s.sizes() == at::IntArrayRef{1, 256});
    CHECK(s.narrow(1, 0, 128).eq(1.0).all().item<bool>());
    CHECK(s.narrow(1, 128, 128).eq(0.0).all().item<bool>());
    const auto t = timestepSinusoid(256, 999);
    CHECK(t[0][0].item<double>() == Approx(std::cos(999.0)).epsilon(1e-6));
    CHECK(t[0][128].item<double>() == Approx(std::sin(999.0)).margin(1e-6));
}

TEST_CASE("wan21 umT5 relative position buckets", "[wan21][t5]") {
    const auto buckets = relativePositionBuckets(200, 200, 32, 128);
    const std::pair<int, int> expected[] = {{-1, 1},  {0, 0},   {1, 17},  {7, 23},   {8, 24},  {12, 25},
                                            {16, 26}, {90, 30}, {91, 31}, {-90, 14}, {-91, 15}};
    for (const auto& [rel, bucket] : expected) {
        INFO("rel " << rel);
        CHECK(buckets[100][100 + rel].item<std::int64_t>() == bucket);
    }
}

TEST_CASE("wan21 diffusers key names", "[wan21][keys]") {
    CHECK(ditDiffusersKey("blocks.3.norm3.weight") == "blocks.3.norm2.weight");
    CHECK(ditDiffusersKey("blocks.0.self_attn.o.bias") == "blocks.0.attn1.to_out.0.bias");
    CHECK(ditDiffusersKey("blocks.12.cross_attn.k_img.weight") == "blocks.12.attn2.add_k_proj.weight");
    CHECK(ditDiffusersKey("blocks.1.cross_attn.norm_k_img.weight") == "blocks.1.attn2.norm_added_k.weight");
    CHECK(ditDiffusersKey("blocks.1.ffn.0.weight") == "blocks.1.ffn.net.0.proj.weight");
    CHECK(ditDiffusersKey("blocks.1.modulation") == "blocks.1.scale_shift_table");
    CHECK(ditDiffusersKey("head.modulation") == "scale_shift_table");
    CHECK(ditDiffusersKey("head.head.weight") == "proj_out.weight");
    CHECK(ditDiffusersKey("time_projection.1.bias") == "condition_embedder.time_proj.bias");
    CHECK(ditDiffusersKey("img_emb.proj.4.weight") == "condition_embedder.image_embedder.norm2.weight");
    CHECK(ditDiffusersKey("patch_embedding.weight") == "patch_embedding.weight");
}

TEST_CASE("attention tiled over queries equals the untiled softmax attention", "[nn]") {
    auto gen = at::detail::createCPUGenerator(5);
    const auto q = at::randn({1, 37, 3, 8}, gen), k = at::randn({1, 11, 3, 8}, gen),
               v = at::randn({1, 11, 3, 8}, gen);
    const auto bias = at::randn({1, 3, 37, 11}, gen);
    // Reference written out directly: softmax(q k^T * s + bias) v per head.
    const auto scores = at::einsum("bqnd,bknd->bnqk", {q, k}) * 0.3 + bias;
    const auto expected = at::einsum("bnqk,bknd->bqnd", {at::softmax(scores, -1), v});
    const auto tiled = nn::attention(q, k, v, 0.3, bias, /*maxScoreBytes=*/200);
    const auto whole = nn::attention(q, k, v, 0.3, bias);
    CHECK((tiled - expected).abs().max().item<double>() < 1e-5);
    CHECK((whole - expected).abs().max().item<double>() < 1e-5);
}

namespace {

/// A DiT small enough for unit tests: width 32, 2 heads, 8 text tokens of width 24.
DitConfig smallDitConfig(const std::string& modelType, std::int64_t inDim) {
    DitConfig cfg;
    cfg.modelType = modelType;
    cfg.inDim = inDim;
    cfg.dim = 32;
    cfg.ffnDim = 48;
    cfg.freqDim = 32;
    cfg.textDim = 24;
    cfg.textLen = 8;
    cfg.numHeads = 2;
    return cfg;
}

} // namespace

TEST_CASE("wan21 i2v and flf2v DiT: image cross-attention is used", "[wan21][dit]") {
    for (const std::string type : {"i2v", "flf2v"}) {
        INFO(type);
        auto cfg = smallDitConfig(type, 36);
        cfg.numLayers = 1;
        auto wm = WeightMap::random(11);
        const WanDit dit(cfg, wm);
        CHECK(wm.recorded().count("blocks.0.cross_attn.k_img.weight") == 1);
        CHECK(wm.recorded().count("img_emb.emb_pos") == (type == "flf2v" ? 1u : 0u));
        auto gen = at::detail::createCPUGenerator(12);
        const std::int64_t rows = type == "flf2v" ? 514 : 257;
        const auto text = at::randn({5, 24}, gen);
        const auto clipA = at::randn({1, rows, 1280}, gen), clipB = at::randn({1, rows, 1280}, gen);
        const auto x = at::randn({16, 2, 4, 4}, gen), y = at::randn({20, 2, 4, 4}, gen);
        const auto ctxA = dit.embedContext(text, clipA);
        CHECK(ctxA.sizes() == at::IntArrayRef{1, rows + 8, 32});
        const auto a = dit.forward(x, 500, ctxA, y);
        const auto b = dit.forward(x, 500, dit.embedContext(text, clipB), y);
        CHECK(a.sizes() == at::IntArrayRef{16, 2, 4, 4});
        CHECK((a - b).abs().max().item<double>() > 1e-4);
        CHECK_THROWS_AS(dit.embedContext(text), RequestError);
        CHECK_THROWS_AS(dit.forward(x, 500, ctxA), RequestError); // y missing: 16 channels instead of 36
    }
}

TEST_CASE("wan21 VAE decodes chunk by chunk: 1 frame then 4 per latent frame", "[wan21][vae]") {
    VaeConfig cfg;
    cfg.dim = 4;
    cfg.zDim = 4;
    cfg.dimMult = {1, 2, 2, 2};
    cfg.numResBlocks = 1;
    cfg.latentsMean = {0.1f, 0.2f, 0.3f, 0.4f};
    cfg.latentsStd = {1.f, 2.f, 3.f, 4.f};
    auto wm = WeightMap::random(21);
    const WanVae vae(cfg, wm, true, true);
    auto gen = at::detail::createCPUGenerator(22);
    const auto z = at::randn({1, 4, 4, 2, 3}, gen);
    std::vector<std::int64_t> chunks;
    const auto video = vae.decode(z, [&](const at::Tensor& c) { chunks.push_back(c.size(2)); });
    CHECK(chunks == std::vector<std::int64_t>{1, 4, 4, 4});
    CHECK(video.sizes() == at::IntArrayRef{1, 3, 13, 16, 24});
    CHECK(video.abs().max().item<double>() <= 1.0);
    const auto mu = vae.encode(video);
    CHECK(mu.sizes() == at::IntArrayRef{1, 4, 4, 2, 3});
    CHECK((vae.denormalize(vae.normalize(mu)) - mu).abs().max().item<double>() < 1e-5);
    CHECK_THROWS_AS(vae.encode(at::zeros({1, 3, 5, 12, 16})), RequestError);
    CHECK_THROWS_AS(vae.decode(at::zeros({1, 5, 1, 2, 2})), RequestError);
    CHECK_THROWS_AS(vae.encode(at::zeros({0, 3, 5, 16, 16})), RequestError);

    // A batch is its clips encoded and decoded one by one (the trainer's batched VAE steps rely on it).
    const auto other = vae.decode(at::randn({1, 4, 4, 2, 3}, gen));
    const auto batch = at::cat({video, other});
    const auto batchMu = vae.encode(batch);
    REQUIRE(batchMu.sizes() == at::IntArrayRef{2, 4, 4, 2, 3});
    CHECK((batchMu[0] - mu[0]).abs().max().item<double>() < 1e-5);
    CHECK((batchMu[1] - vae.encode(other)[0]).abs().max().item<double>() < 1e-5);
    const auto batchVideo = vae.decode(batchMu);
    REQUIRE(batchVideo.sizes() == at::IntArrayRef{2, 3, 13, 16, 24});
    CHECK((batchVideo[1] - vae.decode(batchMu.narrow(0, 1, 1))[0]).abs().max().item<double>() < 1e-5);
}

TEST_CASE("a VAE built from weights on a device takes its inputs there", "[wan21][vae]") {
    VaeConfig cfg;
    cfg.dim = 4;
    cfg.zDim = 4;
    cfg.dimMult = {1, 2, 2};
    cfg.temporalDownsample = {true, true};
    cfg.latentsMean = {0.f, 0.f, 0.f, 0.f};
    cfg.latentsStd = {1.f, 1.f, 1.f, 1.f};
    // The trainer synthesizes its weights on the training device; the model must follow them there
    // rather than assume the CPU (the meta device stands in for a GPU where none is present).
    const auto device = at::hasCUDA() ? at::Device(at::kCUDA) : at::Device(at::kMeta);
    auto wm = WeightMap::random(25);
    wm.setDevice(device);
    const WanVae vae(cfg, wm, true, true);
    CHECK(vae.device() == device);
    if (at::hasCUDA()) {
        const auto mu = vae.encode(at::zeros({1, 3, 5, 16, 16}));
        CHECK(mu.device() == device);
        CHECK(vae.decode(mu).sizes() == at::IntArrayRef{1, 3, 5, 16, 16});
    }
}

TEST_CASE("the grey clip's latent is marked at the frame's edges and uniform inside", "[wan21][vae]") {
    VaeConfig cfg;
    cfg.dim = 4;
    cfg.zDim = 4;
    cfg.dimMult = {1, 2, 2}; // stride 4, as the demo model's VAE
    cfg.temporalDownsample = {true, true};
    cfg.numResBlocks = 1;
    cfg.latentsMean = {0.f, 0.f, 0.f, 0.f};
    cfg.latentsStd = {1.f, 1.f, 1.f, 1.f};
    auto wm = WeightMap::random(23);
    const WanVae vae(cfg, wm, true, true);
    const auto z = kinema::diffusion::greyClipLatent(vae, 9, 128, 96); // [4, 3, 32, 24]
    REQUIRE(z.sizes() == at::IntArrayRef{4, 3, 32, 24});
    CHECK((z - vae.encode(at::zeros({1, 3, 9, 128, 96}))[0]).abs().max().item<double>() == 0.0);
    const auto column = [&](std::int64_t w) { return z.select(3, w); };
    const auto row = [&](std::int64_t h) { return z.select(2, h); };
    // Far from the edges every latent pixel is the same; at each edge the zero padding shows.
    CHECK((column(11) - column(12)).abs().max().item<double>() < 1e-5);
    CHECK((row(15) - row(16)).abs().max().item<double>() < 1e-5);
    for (std::int64_t edge : {std::int64_t{0}, std::int64_t{23}})
        CHECK((column(edge) - column(12)).abs().max().item<double>() > 1e-3);
    for (std::int64_t edge : {std::int64_t{0}, std::int64_t{31}})
        CHECK((row(edge) - row(16)).abs().max().item<double>() > 1e-3);
    // The two sides differ from each other: a token can tell left from right.
    CHECK((column(0) - column(23)).abs().max().item<double>() > 1e-3);
}

TEST_CASE("the position pattern ramps across the frame in channels 0 and 1 and is zero elsewhere",
          "[wan21][conditioning]") {
    const auto z = kinema::diffusion::positionLatent(8, 3, 16, 12); // [8, 3, 16, 12]
    REQUIRE(z.sizes() == at::IntArrayRef{8, 3, 16, 12});
    const auto at = [&](std::int64_t c, std::int64_t f, std::int64_t h, std::int64_t w) {
        return z.index({c, f, h, w}).item<double>();
    };
    // Pixel centres: the outermost columns sit half a pixel inside -1 and +1, symmetric about the centre.
    CHECK(at(0, 0, 5, 0) == Approx(-1.0 + 1.0 / 12));
    CHECK(at(0, 2, 9, 11) == Approx(1.0 - 1.0 / 12));
    CHECK(at(0, 1, 0, 5) == Approx(-at(0, 1, 0, 6)));
    CHECK(at(1, 0, 0, 7) == Approx(-1.0 + 1.0 / 16));
    CHECK(at(1, 1, 15, 2) == Approx(1.0 - 1.0 / 16));
    // Channel 0 changes only along the width, channel 1 only along the height, and neither over time.
    CHECK((z[0] - z[0].select(2, 0).unsqueeze(2)).abs().max().item<double>() > 1.0);
    CHECK((z[0] - z[0].select(1, 0).unsqueeze(1)).abs().max().item<double>() == 0.0);
    CHECK((z[1] - z[1].select(2, 0).unsqueeze(2)).abs().max().item<double>() == 0.0);
    CHECK((z[1] - z[1].select(0, 0).unsqueeze(0)).abs().max().item<double>() == 0.0);
    CHECK(z.narrow(0, 2, 6).abs().max().item<double>() == 0.0);
    CHECK_THROWS(kinema::diffusion::positionLatent(1, 3, 16, 12));
}

TEST_CASE("wan21 DiT: a batch of samples in one forward equals one forward per sample", "[wan21][dit]") {
    // 8 latent channels + 4 mask channels + 8 conditioning channels in, 8 out, as the demo model
    auto cfg = smallDitConfig("t2v", 20);
    cfg.outDim = 8;
    cfg.numLayers = 2;
    cfg.patchSize = {1, 2, 2};
    auto wm = WeightMap::random(21);
    const WanDit dit(cfg, wm);
    auto gen = at::detail::createCPUGenerator(22);
    const std::int64_t batch = 3;
    const auto x = at::randn({batch, 8, 2, 4, 6}, gen), y = at::randn({batch, 12, 2, 4, 6}, gen);
    const std::vector<std::int64_t> timesteps{999, 500, 3};
    const std::vector<std::int64_t> lengths{8, 5, 1};
    auto texts = at::randn({batch, 8, 24}, gen);
    for (std::int64_t b = 0; b < batch; ++b)
        texts[b].narrow(0, lengths[b], 8 - lengths[b]).zero_();
    const auto contexts = dit.embedContexts(texts);
    REQUIRE(contexts.sizes() == at::IntArrayRef{batch, 8, 32});
    const auto together = dit.forwardSamples(x, timesteps, contexts, y);
    REQUIRE(together.sizes() == at::IntArrayRef{batch, 8, 2, 4, 6});
    for (std::int64_t b = 0; b < batch; ++b) {
        INFO("sample " << b);
        const auto context = dit.embedContext(texts[b].narrow(0, 0, lengths[b]));
        CHECK((contexts[b] - context[0]).abs().max().item<double>() < 1e-5);
        const auto alone = dit.forward(x[b], timesteps[static_cast<std::size_t>(b)], context, y[b]);
        CHECK((together[b] - alone).abs().max().item<double>() < 1e-4);
        CHECK(alone.abs().max().item<double>() > 1e-2); // not trivially equal
    }
    // Samples differ in timestep: the same latent at another timestep gives another prediction.
    const auto swapped = dit.forwardSamples(x, {3, 500, 999}, contexts, y);
    CHECK((swapped[0] - together[0]).abs().max().item<double>() > 1e-3);
    CHECK_THROWS_AS(dit.forwardSamples(x, {1, 2}, contexts, y), RequestError);
    CHECK_THROWS_AS(dit.forwardSamples(x, timesteps, contexts), RequestError); // y missing
    CHECK_THROWS_AS(dit.embedContexts(at::zeros({batch, 9, 24})), RequestError);
}
