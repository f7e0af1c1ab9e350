// SPDX-License-Identifier: Apache-2.0
// The dit stage's latent pool: what it stores is what the stage would compute per sample, and a stored pool
// is reused only while the VAE, the size and the geometry are those it was built with.
#include "LatentPool.h"
#include "Workers.h"

#include "TestSupport.h"

#include <catch2/catch.hpp>

#include <ATen/ATen.h>
#include <c10/core/GradMode.h>

#include <filesystem>

using namespace kinema::trainer;
using namespace kinema::trainer::detail;
namespace fs = std::filesystem;

namespace {

TrainOptions poolOptions(const fs::path& work) {
    TrainOptions o;
    o.workDir = work;
    o.width = 32;
    o.height = 32;
    o.frames = 9; // three latent frames: held keys for frames 1 and 2
    o.supersampling = 1;
    o.quiet = true;
    o.shape.vaeDim = 8;
    o.shape.zDim = 4;
    o.latentPool = 3;
    return o;
}

} // namespace

TEST_CASE("latent pool: entries are the scenes' latents and held-key latents, built once", "[trainer]") {
    kinema::test::TempDir dir;
    const auto o = poolOptions(dir.path());
    auto vae = buildVae(vaeConfig(o.shape), 11);
    SampleWorkers workers(2);
    const auto pool = loadOrBuildLatentPool(o, *vae.model, "digest-a", 99, workers);
    REQUIRE(pool.size() == 3);
    REQUIRE(pool.latents.sizes() == at::IntArrayRef({3, 4, 3, 8, 8}));
    REQUIRE(fs::exists(latentPoolPath(o)));
    CHECK(pool.sceneSeed(0) != pool.sceneSeed(1));

    c10::NoGradGuard noGrad;
    for (std::int64_t j = 0; j < pool.size(); ++j) {
        const auto video =
            renderSample(pool.sceneSeed(j), o.width, o.height, o.frames, 0, o.frames, o.supersampling)
                .video.unsqueeze(0);
        CHECK(at::allclose(pool.latents[j], vae.model->encode(video)[0], 1e-5, 1e-6));
        CHECK(pool.heldKeys[j].select(1, 0).abs().max().item<float>() == 0.0f);
        for (std::int64_t k = 1; k < 3; ++k)
            CHECK(at::allclose(pool.heldKeys[j].select(1, k), keyChunkLatent(*vae.model, video, k)[0], 1e-5,
                               1e-6));
    }

    // Reused as stored while everything matches; rebuilt when the VAE digest, the size or the geometry
    // changes.
    const auto written = fs::last_write_time(latentPoolPath(o));
    const auto again = loadOrBuildLatentPool(o, *vae.model, "digest-a", 99, workers);
    CHECK(fs::last_write_time(latentPoolPath(o)) == written);
    CHECK(at::equal(again.latents, pool.latents));
    CHECK(at::equal(again.heldKeys, pool.heldKeys));

    // Built again for another VAE digest (same weights here, so the same values), and from then on reused
    // for that digest.
    const auto otherVae = loadOrBuildLatentPool(o, *vae.model, "digest-b", 99, workers);
    CHECK(at::equal(otherVae.latents, pool.latents));
    const auto rebuilt = fs::last_write_time(latentPoolPath(o));
    loadOrBuildLatentPool(o, *vae.model, "digest-b", 99, workers);
    CHECK(fs::last_write_time(latentPoolPath(o)) == rebuilt);
    auto smaller = o;
    smaller.latentPool = 2;
    CHECK(loadOrBuildLatentPool(smaller, *vae.model, "digest-b", 99, workers).size() == 2);
    auto shorter = smaller;
    shorter.frames = 5;
    CHECK(loadOrBuildLatentPool(shorter, *vae.model, "digest-b", 99, workers).latents.size(2) == 2);
    CHECK_FALSE(
        at::equal(loadOrBuildLatentPool(o, *vae.model, "digest-b", 7, workers).latents, pool.latents));
}

TEST_CASE("latent pool: a pool built in batches holds the per-scene encodes", "[trainer]") {
    kinema::test::TempDir perScene, batched;
    auto o = poolOptions(perScene.path());
    o.latentPool = 35; // a full batch of 32 and a partial one
    o.objectWeight = 4.0;
    auto vae = buildVae(vaeConfig(o.shape), 11);
    SampleWorkers workers(2);
    const auto expected = loadOrBuildLatentPool(o, *vae.model, "digest", 5, workers);
    o.workDir = batched.path();
    auto batchVae = buildVae(vaeConfig(o.shape), 11);
    const auto pool = loadOrBuildLatentPool(o, *vae.model, "digest", 5, workers, batchVae.model.get());
    REQUIRE(pool.latents.sizes() == expected.latents.sizes());
    CHECK(at::allclose(pool.latents, expected.latents, 1e-5, 1e-6));
    CHECK(at::allclose(pool.heldKeys, expected.heldKeys, 1e-5, 1e-6));
    CHECK(at::equal(pool.objectMasks, expected.objectMasks));
    CHECK(pool.heldKeys.select(2, 0).abs().max().item<float>() == 0.0f);
    CHECK(pool.heldKeys.select(2, 2).abs().max().item<float>() > 0.0f);
    // Written like a per-scene pool: read back by a per-scene stage.
    const auto loaded = loadOrBuildLatentPool(o, *vae.model, "digest", 5, workers);
    CHECK(at::equal(loaded.latents, pool.latents));
}

TEST_CASE("latent pool: object masks mark the latent pixels over objects", "[trainer]") {
    // A 3x3 bright patch on a flat clip, in pixel frame 6 only: latent frame 2 (pixel frames 5 to 8), latent
    // row 1 (pixel rows 4 to 7), latent column 2 (pixel columns 8 to 11).
    auto video = at::zeros({1, 3, 9, 32, 32});
    video.select(2, 6).narrow(2, 5, 3).narrow(3, 9, 3).fill_(0.5f);
    CHECK(objectPixels(video).sum().item<float>() == 9.0f);
    const auto mask = latentObjectMask(video, 4);
    REQUIRE(mask.sizes() == at::IntArrayRef({3, 8, 8}));
    CHECK(mask.sum().item<float>() == 1.0f);
    CHECK(mask[2][1][2].item<float>() == 1.0f);
    // A change below the threshold (a gradient, not an object) is not marked.
    video.select(2, 6).narrow(2, 5, 3).narrow(3, 9, 3).fill_(0.05f);
    CHECK(latentObjectMask(video, 4).sum().item<float>() == 0.0f);

    // A pool built for a stage that weights objects carries the masks of its scenes' renders.
    kinema::test::TempDir dir;
    auto o = poolOptions(dir.path());
    o.objectWeight = 4.0;
    auto vae = buildVae(vaeConfig(o.shape), 11);
    SampleWorkers workers(2);
    const auto pool = loadOrBuildLatentPool(o, *vae.model, "digest", 5, workers);
    REQUIRE(pool.objectMasks.defined());
    REQUIRE(pool.objectMasks.sizes() == at::IntArrayRef({3, 3, 8, 8}));
    for (std::int64_t j = 0; j < pool.size(); ++j)
        CHECK(at::equal(pool.objectMasks[j],
                        latentObjectMask(renderSample(pool.sceneSeed(j), o.width, o.height, o.frames, 0,
                                                      o.frames, o.supersampling)
                                             .video.unsqueeze(0),
                                         4)));
    CHECK(pool.objectMasks.sum().item<float>() > 0.0f);
    // Loaded from the file, the masks come from the scenes rendered again: the same values.
    CHECK(
        at::equal(loadOrBuildLatentPool(o, *vae.model, "digest", 5, workers).objectMasks, pool.objectMasks));
    o.objectWeight = 0.0;
    CHECK_FALSE(loadOrBuildLatentPool(o, *vae.model, "digest", 5, workers).objectMasks.defined());
}
