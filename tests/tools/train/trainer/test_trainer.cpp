// SPDX-License-Identifier: Apache-2.0
#include <kinema/diffusion/Session.h>
#include <kinema/trainer/Trainer.h>

#include "TestSupport.h"
#include "TrainerTestSupport.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <numeric>
#include <string>

using namespace kinema::trainer;
using namespace kinema::trainer::test;
namespace fs = std::filesystem;

TEST_CASE("trainer: pixel encoding is ACEScct mapped to [-1, 1] and keeps HDR values", "[trainer]") {
    for (float linear : {0.0f, 0.18f, 1.0f, 4.0f, 16.0f}) {
        const float v = encodePixel(linear);
        CHECK(v >= -1.0f);
        CHECK(v <= 1.0f);
        CHECK(decodePixel(v) == Approx(linear).margin(1e-4).epsilon(1e-4));
    }
    CHECK(encodePixel(4.0f) > encodePixel(1.0f));
}

TEST_CASE("trainer: VAE loss decreases on a fixed batch", "[trainer]") {
    kinema::test::TempDir dir;
    auto o = tinyOptions(dir.path());
    o.fixedBatch = true;
    o.steps = 30;
    const auto losses = trainVae(o);
    REQUIRE(losses.size() == 30);
    for (const auto& l : losses)
        REQUIRE(std::isfinite(l.loss));
    CHECK(mean(losses, 25, 30) < 0.7 * mean(losses, 0, 3));
    CHECK(fs::exists(dir.path() / "vae_loss.csv"));
}

TEST_CASE("trainer: the object-weighted VAE loss trains and weights differ from the plain MSE", "[trainer]") {
    kinema::test::TempDir plainDir, weightedDir;
    auto o = tinyOptions(plainDir.path());
    o.fixedBatch = true;
    o.steps = 1;
    const auto plain = trainVae(o);
    o.workDir = weightedDir.path();
    o.objectWeight = 20.0;
    o.steps = 30;
    const auto weighted = trainVae(o);
    REQUIRE(weighted.size() == 30);
    // The same data and initial weights, another loss: the first step's values differ.
    CHECK(weighted[0].loss != plain[0].loss);
    CHECK(mean(weighted, 25, 30) < 0.7 * mean(weighted, 0, 3));
}

TEST_CASE("trainer: the decoder stage trains on keyframe conditioning latents when asked", "[trainer]") {
    kinema::test::TempDir plainDir, keyDir;
    auto o = tinyOptions(plainDir.path());
    o.steps = 2;
    trainVae(o);
    fs::copy_file(plainDir.path() / "vae.safetensors", keyDir.path() / "vae.safetensors");
    o.fixedBatch = true;
    o.steps = 1;
    const auto plain = trainVaeDecoder(o);
    o.workDir = keyDir.path();
    o.keyChunks = 1.0;
    o.steps = 30;
    const auto keyed = trainVaeDecoder(o);
    REQUIRE(keyed.size() == 30);
    // The same clip and weights: the last latent frame now holds the key's held-still latent, which the
    // decoder turns into other frames than the clip's own latent.
    CHECK(keyed[0].loss != plain[0].loss);
    CHECK(mean(keyed, 25, 30) < 0.7 * mean(keyed, 0, 3));
}

TEST_CASE("trainer: the decoder stage trains on the DiT's sampled latents when asked", "[trainer]") {
    kinema::test::TempDir plainDir, sampledDir, noDitDir;
    auto o = preparedWork(plainDir.path());
    copyWork(plainDir.path(), noDitDir.path());
    o.steps = 2;
    trainDit(o);
    copyWork(plainDir.path(), sampledDir.path());
    fs::remove(sampledDir.path() / "vae_decoder.safetensors");
    fs::remove(sampledDir.path() / "vae_decoder_loss.csv");
    o.fixedBatch = true;
    o.steps = 1;
    const auto plain = trainVaeDecoder(o);

    o.workDir = sampledDir.path();
    o.sampledLatents = 1.0;
    o.sampledStrength = 0.8;
    o.steps = 30;
    const auto sampled = trainVaeDecoder(o);
    REQUIRE(sampled.size() == 30);
    // The same clip and decoder: the DiT's denoised latent is not the encoder's, so the first loss differs.
    CHECK(sampled[0].loss != plain[0].loss);
    for (const auto& l : sampled)
        CHECK(std::isfinite(l.loss));
    CHECK(mean(sampled, 25, 30) < 0.7 * mean(sampled, 0, 3));

    // Without a DiT to sample with, the stage names the missing checkpoint; a fraction above 1 is refused.
    o.workDir = noDitDir.path();
    CHECK_THROWS_WITH(trainVaeDecoder(o), Catch::Contains("dit.safetensors"));
    o.sampledLatents = 1.5;
    CHECK_THROWS_WITH(trainVaeDecoder(o), Catch::Contains("--sampled-latents"));
}

TEST_CASE(
    "trainer: the chroma-, temporal- and edge-weighted VAE losses differ from the plain MSE, and cropped "
    "frames train",
    "[trainer]") {
    kinema::test::TempDir plainDir, chromaDir, croppedDir;
    auto o = tinyOptions(plainDir.path());
    o.fixedBatch = true;
    o.steps = 1;
    const auto plain = trainVae(o);
    o.workDir = chromaDir.path();
    o.chromaWeight = 10.0;
    const auto chroma = trainVae(o);
    // The same data and initial weights: a colour error now costs more than the plain squared error.
    CHECK(chroma[0].loss > plain[0].loss);
    kinema::test::TempDir temporalDir;
    o.workDir = temporalDir.path();
    o.chromaWeight = 0.0;
    o.temporalWeight = 10.0;
    const auto temporal = trainVae(o);
    // An untrained VAE's error changes from frame to frame, and that change now costs too.
    CHECK(temporal[0].loss > plain[0].loss);
    kinema::test::TempDir edgeDir;
    o.workDir = edgeDir.path();
    o.temporalWeight = 0.0;
    o.edgeWeight = 10.0;
    const auto edge = trainVae(o);
    // An untrained VAE's error changes from pixel to pixel (around the objects above all), and that costs
    // too.
    CHECK(edge[0].loss > plain[0].loss);
    o.edgeWeight = 0.0;
    o.chromaWeight = 10.0;
    o.workDir = croppedDir.path();
    o.vaeCrop = 16;
    o.steps = 30;
    const auto cropped = trainVae(o);
    REQUIRE(cropped.size() == 30);
    CHECK(cropped[0].loss != chroma[0].loss); // a 16x16 window of the same clip
    CHECK(mean(cropped, 25, 30) < 0.7 * mean(cropped, 0, 3));
}

TEST_CASE("trainer: the DiT stage conditions single keyframes on the key held still when asked",
          "[trainer]") {
    kinema::test::TempDir ownDir, heldDir;
    auto o = preparedWork(ownDir.path());
    copyWork(ownDir.path(), heldDir.path());
    o.frames = 9; // three latent frames: a first + last mask keys latent frame 2 after an unkeyed one
    o.steps = 12;
    const auto own = trainDit(o);
    o.workDir = heldDir.path();
    o.heldKeys = 1.0;
    const auto held = trainDit(o);
    REQUIRE(held.size() == own.size());
    // The same draws; the runs part at the first step whose mask has a single key after the first frame.
    std::size_t same = 0;
    while (same < own.size() && held[same].loss == own[same].loss)
        ++same;
    CHECK(same < own.size());
    for (const auto& l : held)
        CHECK(std::isfinite(l.loss));
}

TEST_CASE("trainer: the DiT stage weights the latent pixels over objects when asked", "[trainer]") {
    kinema::test::TempDir plainDir, weightedDir, pooledDir;
    auto o = preparedWork(plainDir.path());
    copyWork(plainDir.path(), weightedDir.path());
    copyWork(plainDir.path(), pooledDir.path());
    o.steps = 3;
    const auto plain = trainDit(o);
    o.workDir = weightedDir.path();
    o.objectWeight = 4.0;
    const auto weighted = trainDit(o);
    REQUIRE(weighted.size() == plain.size());
    CHECK(weighted[0].loss != plain[0].loss); // the same draws, weighted otherwise
    o.workDir = pooledDir.path();
    o.latentPool = 3;
    o.fixedBatch = true;
    o.steps = 30;
    const auto pooled = trainDit(o);
    REQUIRE(pooled.size() == 30);
    CHECK(mean(pooled, 25, 30) < 0.7 * mean(pooled, 0, 3));
}

TEST_CASE("trainer: DiT flow-matching loss decreases on a fixed batch", "[trainer]") {
    kinema::test::TempDir dir;
    auto o = preparedWork(dir.path());
    o.fixedBatch = true;
    o.steps = 30;
    const auto losses = trainDit(o);
    REQUIRE(losses.size() == 30);
    CHECK(mean(losses, 25, 30) < 0.7 * mean(losses, 0, 3));
}

TEST_CASE("trainer: a resumed run reproduces the next step's loss", "[trainer]") {
    kinema::test::TempDir a, b;
    auto oa = preparedWork(a.path());
    auto ob = preparedWork(b.path());
    SECTION("vae") {
        oa.steps = 5;
        oa.resume = ob.resume = false;
        const auto straight = trainVae(oa);
        ob.steps = 4;
        trainVae(ob);
        ob.resume = true;
        ob.steps = 5;
        const auto resumed = trainVae(ob);
        REQUIRE(resumed.size() == 1);
        CHECK(resumed[0].step == 5);
        CHECK(resumed[0].loss == Approx(straight.back().loss).epsilon(1e-5));
        // Steps logged after the last checkpoint (a run stopped in between) are dropped on resume, so the
        // log holds every step once.
        {
            std::ofstream log(b.path() / "vae_loss.csv", std::ios::app);
            log << "6,0.5,1.0\n7,0.4,2.0\n";
        }
        ob.steps = 6;
        trainVae(ob);
        std::ifstream log(b.path() / "vae_loss.csv");
        std::vector<std::string> steps;
        for (std::string line; std::getline(log, line);)
            steps.push_back(line.substr(0, line.find(',')));
        CHECK(steps == std::vector<std::string>{"step", "1", "2", "3", "4", "5", "6"});
    }
    SECTION("dit") {
        oa.steps = 4;
        const auto straight = trainDit(oa);
        ob.steps = 3;
        trainDit(ob);
        ob.steps = 4;
        const auto resumed = trainDit(ob);
        REQUIRE(resumed.size() == 1);
        CHECK(resumed[0].step == 4);
        CHECK(resumed[0].loss == Approx(straight.back().loss).epsilon(1e-5));
        CHECK(resumed[0].loss != Approx(straight[2].loss).epsilon(1e-5));
    }
}

namespace {} // namespace

TEST_CASE("trainer: the weights do not depend on the number of worker threads", "[trainer]") {
    // Batch 3 splits unevenly over two workers (samples 0 and 2 on one, 1 on the other).
    kinema::test::TempDir one, two;
    auto o1 = preparedWork(one.path());
    auto o2 = preparedWork(two.path());
    REQUIRE(kinema::test::readFileBytes(one.path() / "vae.safetensors") ==
            kinema::test::readFileBytes(two.path() / "vae.safetensors"));
    o1.batch = o2.batch = 3;
    o1.threads = 1;
    o2.threads = 2;
    SECTION("vae") {
        o1.steps = o2.steps = 4;
        const auto l1 = trainVae(o1);
        const auto l2 = trainVae(o2);
        REQUIRE(l1.size() == 2);
        REQUIRE(l2.size() == 2);
        CHECK(l1.back().loss == l2.back().loss);
        CHECK(kinema::test::readFileBytes(one.path() / "vae.safetensors") ==
              kinema::test::readFileBytes(two.path() / "vae.safetensors"));
    }
    SECTION("vae-decoder") {
        o1.steps = o2.steps = 2;
        trainVaeDecoder(o1);
        trainVaeDecoder(o2);
        CHECK(kinema::test::readFileBytes(one.path() / "vae_decoder.safetensors") ==
              kinema::test::readFileBytes(two.path() / "vae_decoder.safetensors"));
    }
    SECTION("dit") {
        o1.steps = o2.steps = 2;
        const auto l1 = trainDit(o1);
        const auto l2 = trainDit(o2);
        REQUIRE(l1.size() == 2);
        CHECK(l1.back().loss == l2.back().loss);
        CHECK(kinema::test::readFileBytes(one.path() / "dit.safetensors") ==
              kinema::test::readFileBytes(two.path() / "dit.safetensors"));
    }
    SECTION("dit with a latent pool") {
        o1.steps = o2.steps = 2;
        o1.latentPool = o2.latentPool = 5; // entries 0, 2, 4 encoded on one worker, 1 and 3 on the other
        trainDit(o1);
        trainDit(o2);
        CHECK(kinema::test::readFileBytes(one.path() / "latent_pool.safetensors") ==
              kinema::test::readFileBytes(two.path() / "latent_pool.safetensors"));
        CHECK(kinema::test::readFileBytes(one.path() / "dit.safetensors") ==
              kinema::test::readFileBytes(two.path() / "dit.safetensors"));
    }
}

TEST_CASE("trainer: the DiT stage draws its samples from a latent pool when asked", "[trainer]") {
    kinema::test::TempDir freshDir, pooledDir;
    auto o = preparedWork(freshDir.path());
    copyWork(freshDir.path(), pooledDir.path());
    o.steps = 6;
    const auto fresh = trainDit(o);
    CHECK_FALSE(fs::exists(freshDir.path() / "latent_pool.safetensors"));

    o.workDir = pooledDir.path();
    o.latentPool = 4;
    o.steps = 3;
    const auto pooled = trainDit(o);
    const auto pool = pooledDir.path() / "latent_pool.safetensors";
    REQUIRE(fs::exists(pool));
    REQUIRE(pooled.size() == 3);
    CHECK(pooled[0].loss != fresh[0].loss); // other scenes
    for (const auto& l : pooled)
        CHECK(std::isfinite(l.loss));

    // A resumed run reuses the stored pool (the file is not rewritten) and goes on where it stopped.
    const auto stored = kinema::test::readFileBytes(pool);
    const auto written = fs::last_write_time(pool);
    o.steps = 6;
    const auto resumed = trainDit(o);
    REQUIRE(resumed.size() == 3);
    CHECK(resumed[0].step == 4);
    CHECK(fs::last_write_time(pool) == written);
    CHECK(kinema::test::readFileBytes(pool) == stored);

    // The fixed batch the pool gives learns like a fixed batch of fresh scenes.
    kinema::test::TempDir fixedDir;
    auto f = preparedWork(fixedDir.path());
    f.latentPool = 2;
    f.fixedBatch = true;
    f.steps = 30;
    const auto fixed = trainDit(f);
    CHECK(mean(fixed, 25, 30) < 0.7 * mean(fixed, 0, 3));
}

TEST_CASE("trainer: unusable options name themselves", "[trainer]") {
    kinema::test::TempDir dir;
    auto o = tinyOptions(dir.path());
    o.steps = 1;
    o.intraOpThreads = 0;
    CHECK_THROWS_AS(trainVae(o), TrainError);
    CHECK_THROWS_WITH(trainVae(o), Catch::Contains("intra-op threads >= 1"));
    o.intraOpThreads = 1;
    o.width = 40;
    CHECK_THROWS_WITH(trainVae(o), Catch::Contains("size 40x32") && Catch::Contains("multiples of 16"));
    o.width = 32;
    o.shape.vaeDownsamples = 1;
    CHECK_THROWS_WITH(trainVae(o), Catch::Contains("--vae-downsamples"));
    o.shape.vaeDownsamples = 3; // Wan 2.1's stride 8: with 4x4 patches a token is 32 pixels
    o.width = 48;
    CHECK_THROWS_WITH(trainVae(o), Catch::Contains("multiples of 32"));
    o.shape.ditPatch = 3;
    CHECK_THROWS_WITH(trainVae(o), Catch::Contains("--dit-patch"));
    o.shape.ditPatch = 4;
    o.shape.vaeDownsamples = 2;
    o.width = 32;
    o.objectWeight = -1.0;
    CHECK_THROWS_WITH(trainVae(o), Catch::Contains("--object-weight"));
    o.objectWeight = 0.0;
    o.chromaWeight = std::nan("");
    CHECK_THROWS_WITH(trainVae(o), Catch::Contains("--chroma-weight"));
    o.chromaWeight = 0.0;
    o.temporalWeight = -0.5;
    CHECK_THROWS_WITH(trainVae(o), Catch::Contains("--temporal-weight") && Catch::Contains("-0.5"));
    o.temporalWeight = 0.0;
    o.edgeWeight = -2.0;
    CHECK_THROWS_WITH(trainVae(o), Catch::Contains("--edge-weight") && Catch::Contains("-2"));
    o.edgeWeight = 0.0;
    o.keyChunks = 1.5;
    CHECK_THROWS_WITH(trainVae(o), Catch::Contains("--key-chunks") && Catch::Contains("1.5"));
    o.keyChunks = 0.0;
    o.heldKeys = -0.25;
    CHECK_THROWS_WITH(trainVae(o), Catch::Contains("--held-keys") && Catch::Contains("-0.25"));
    o.heldKeys = 0.0;
    o.latentPool = -3;
    CHECK_THROWS_WITH(trainVae(o), Catch::Contains("--latent-pool") && Catch::Contains("-3"));
    o.latentPool = 0;
    o.sizeContrast = -0.5;
    CHECK_THROWS_WITH(trainVae(o), Catch::Contains("--size-contrast") && Catch::Contains("-0.5"));
    o.sizeContrast = 0.0;
    o.colourSwapContrast = -1.0;
    CHECK_THROWS_WITH(trainVae(o), Catch::Contains("--colour-swap-contrast"));
    o.colourSwapContrast = 0.0;
    o.textLogitCap = std::nan("");
    CHECK_THROWS_WITH(trainVae(o), Catch::Contains("--text-logit-cap"));
    o.textLogitCap = 0.0;
    o.vaeCrop = 12;
    CHECK_THROWS_WITH(trainVae(o), Catch::Contains("--vae-crop") && Catch::Contains("got 12"));
    o.vaeCrop = 40; // larger than the 32x32 frames
    CHECK_THROWS_WITH(trainVae(o), Catch::Contains("--vae-crop") && Catch::Contains("got 40"));
    CHECK_FALSE(fs::exists(dir.path() / "vae.safetensors"));
}

TEST_CASE("trainer: latent statistics follow the VAE they were computed with", "[trainer]") {
    kinema::test::TempDir dir, out;
    auto o = preparedWork(dir.path());
    o.steps = 1;
    trainDit(o);
    const auto stats = dir.path() / "latent_stats.safetensors";
    REQUIRE(fs::exists(stats));
    const auto before = kinema::test::readFileBytes(stats);
    CHECK(exportModel(o, out.path()) > 0);

    // The VAE trained further: export refuses the stale statistics, the next dit run recomputes them.
    o.steps = 3;
    trainVae(o);
    CHECK_THROWS_WITH(exportModel(o, out.path()), Catch::Contains("latent_stats.safetensors") &&
                                                      Catch::Contains("run the dit stage again"));
    o.steps = 2;
    const auto losses = trainDit(o);
    REQUIRE(losses.size() == 1);
    CHECK(kinema::test::readFileBytes(stats) != before);
    CHECK(exportModel(o, out.path()) > 0);
}

TEST_CASE("trainer: the exported folder opens through Session and generates a conditioned clip",
          "[trainer]") {
    kinema::test::TempDir dir;
    auto o = preparedWork(dir.path());
    o.steps = 2;
    trainDit(o);
    const auto model = dir.path() / "model";
    const auto bytes = exportModel(o, model, "kinema-train export (test)");
    CHECK(bytes > 0);
    for (const char* f :
         {"config.json", "kinema.json", "model.json", "spiece.model", "diffusion_pytorch_model.safetensors",
          "Wan2.1_VAE.safetensors", "models_t5_umt5-xxl-enc-bf16.safetensors"})
        CHECK(fs::exists(model / f));

    namespace kd = kinema::diffusion;
    kd::SessionOptions so;
    so.threads = 1;
    auto session = kd::Session::open(model, so);
    const auto info = session->info();
    CHECK(info.family == "wan2.1");
    CHECK(info.latentChannels == 4);

    kd::GenerateRequest r;
    r.prompt = "a red circle moves left on a blue sky";
    r.frames = 5;
    r.width = 32;
    r.height = 32;
    r.steps = 2;
    r.seed = 3;
    kd::ConditioningFrame first;
    first.position = 0;
    first.image.width = 32;
    first.image.height = 32;
    first.image.rgb.assign(32 * 32 * 3, encodePixel(0.18f));
    r.conditioning.push_back(first);
    const auto result = session->generate(r);
    REQUIRE(result.frames.size() == 5);
    for (const auto& f : result.frames) {
        REQUIRE(f.width == 32);
        for (float v : f.rgb)
            REQUIRE(std::isfinite(v));
    }
}

TEST_CASE("trainer: the shipped demo model opens through Session and generates a clip", "[trainer]") {
    const fs::path model = kinema::test::resourcesDir() / "models" / "kinema-demo";
    REQUIRE(fs::exists(model / "config.json"));
    std::uint64_t bytes = 0;
    for (const auto& entry : fs::directory_iterator(model))
        bytes += entry.is_regular_file() ? entry.file_size() : 0;
    CHECK(bytes <= 40u * 1000u * 1000u);

    namespace kd = kinema::diffusion;
    kd::SessionOptions so;
    so.threads = 1;
    auto session = kd::Session::open(model, so);
    kd::GenerateRequest r;
    r.prompt = "a yellow star moves right on a night sky";
    r.frames = 17;
    r.width = 64;
    r.height = 64;
    r.steps = 2;
    r.seed = 5;
    const auto result = session->generate(r);
    REQUIRE(result.frames.size() == 17);
    for (const auto& f : result.frames)
        for (float v : f.rgb)
            REQUIRE(std::isfinite(decodePixel(v)));
}
