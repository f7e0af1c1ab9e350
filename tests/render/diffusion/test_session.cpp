// SPDX-License-Identifier: Apache-2.0
// The engine API end to end on a tiny random-weight Wan 2.1 model written to a temporary folder.
#include "TinySession.h"

#include <kinema/diffusion/Errors.h>
#include <kinema/diffusion/Session.h>

#include <TestSupport.h>

#include <catch2/catch.hpp>

#include <cmath>
#include <thread>

using namespace kinema::diffusion;

using kinema::test::maxDifference;
using kinema::test::smallRequest;
using TinyModel = kinema::test::TinySession;

TEST_CASE("session: a tiny model generates frames and latents of the requested size", "[session]") {
    TinyModel model;
    const auto info = model.session->info();
    CHECK(info.family == "wan2.1");
    CHECK(info.modelType == "t2v");
    REQUIRE(info.components.size() == 4);
    CHECK(info.components[1].name == "dit");
    CHECK(info.components[1].parameters > 0);

    int calls = 0;
    const auto result = model.session->generate(smallRequest(), [&](const Progress& p) {
        ++calls;
        CHECK(p.step == calls);
        CHECK(p.total == 3);
        CHECK(p.preview.width == 4);
        CHECK(p.preview.height == 4);
        CHECK(p.preview.rgb.size() == 4 * 4 * 3);
        return true;
    });
    CHECK(calls == 3);
    REQUIRE(result.frames.size() == 5);
    for (const auto& f : result.frames) {
        CHECK(f.width == 32);
        CHECK(f.height == 32);
        REQUIRE(f.rgb.size() == 32 * 32 * 3);
        for (float v : f.rgb)
            REQUIRE((std::isfinite(v) && v >= -1.0f && v <= 1.0f));
    }
    CHECK(result.latentChannels == 16);
    CHECK(result.latentFrames == 2);
    CHECK(result.latentHeight == 4);
    CHECK(result.latentWidth == 4);
    CHECK(result.latents.size() == 16 * 2 * 4 * 4);
}

TEST_CASE("session: a VAE with stride 4 and a DiT with 4x4 patches (the demo model's geometry) generate at "
          "the requested size",
          "[session]") {
    kinema::test::TempDir dir{"kinema-tiny-wan-stride4"};
    kinema::test::writeTinyWanModel(dir.path(), 7, "t2v", {2, 4});
    SessionOptions options;
    options.threads = 1;
    auto session = Session::open(dir.path(), options);
    auto request = smallRequest();
    request.width = 48; // three 16-pixel tokens across, two down
    const auto result = session->generate(request);
    REQUIRE(result.frames.size() == 5);
    CHECK(result.frames[0].width == 48);
    CHECK(result.frames[0].height == 32);
    CHECK(result.latentHeight == 8);
    CHECK(result.latentWidth == 12);
    CHECK(result.latents.size() == 16 * 2 * 8 * 12);
    for (const auto& f : result.frames)
        for (float v : f.rgb)
            REQUIRE((std::isfinite(v) && v >= -1.0f && v <= 1.0f));

    // Tiled decoding places tiles by the stride of this VAE: 4 pixels per latent pixel.
    const auto tiled = session->decode(result, 4);
    REQUIRE(tiled.size() == 5);
    CHECK(tiled[0].width == 48);
    double mse = 0.0;
    std::size_t n = 0;
    for (std::size_t f = 0; f < tiled.size(); ++f)
        for (std::size_t i = 0; i < tiled[f].rgb.size(); ++i, ++n)
            mse += std::pow(tiled[f].rgb[i] - result.frames[f].rgb[i], 2.0);
    const double psnr = 10.0 * std::log10(4.0 / (mse / static_cast<double>(n)));
    INFO("tiled vs whole-frame decode: " << psnr << " dB");
    // 18.4 dB measured: random weights and 4-latent-pixel tiles with one pixel of overlap (the worst case).
    CHECK(psnr > 15.0);

    // Sizes must be whole tokens: 16 pixels here too.
    request.width = 40;
    CHECK_THROWS_WITH(session->generate(request), Catch::Contains("multiples of 16"));
}

namespace {
/// Keys every frame of `request` with the frames of `clip`, so that no latent frame is unkeyed.
void keyEveryFrame(GenerateRequest& request, const GenerateResult& clip) {
    for (int position = 0; position < request.frames; ++position) {
        ConditioningFrame key;
        key.position = position;
        key.image = clip.frames[static_cast<std::size_t>(position)];
        request.conditioning.push_back(key);
    }
}
} // namespace

TEST_CASE("session: a DiT with conditioning channels sees zeros, the grey clip's latent or the position "
          "pattern at unkeyed frames",
          "[session]") {
    kinema::test::TempDir zeroDir{"kinema-tiny-wan-zero"}, greyDir{"kinema-tiny-wan-grey"},
        positionDir{"kinema-tiny-wan-position"};
    kinema::test::writeTinyWanModel(zeroDir.path(), 7, "t2v", {2, 4, true});
    kinema::test::writeTinyWanModel(greyDir.path(), 7, "t2v", {2, 4, true, "grey"});
    kinema::test::writeTinyWanModel(positionDir.path(), 7, "t2v", {2, 4, true, "position"});
    SessionOptions options;
    options.threads = 1;
    auto zero = Session::open(zeroDir.path(), options);
    auto grey = Session::open(greyDir.path(), options);
    auto position = Session::open(positionDir.path(), options);
    auto request = smallRequest();
    request.width = 48;
    // The same weights: only the conditioning channels of the unkeyed latent frames differ.
    const auto a = zero->generate(request), b = grey->generate(request), c = position->generate(request);
    CHECK(maxDifference(a.latents, b.latents) > 1e-4);
    CHECK(maxDifference(a.latents, c.latents) > 1e-4);
    CHECK(maxDifference(b.latents, c.latents) > 1e-4);
    CHECK(maxDifference(grey->generate(request).latents, b.latents) == 0.0f); // the cached latent is the same
    CHECK(maxDifference(position->generate(request).latents, c.latents) == 0.0f);
    // With every latent frame keyed, nothing is unkeyed: the three agree.
    keyEveryFrame(request, a);
    const auto keyed = zero->generate(request).latents;
    CHECK(maxDifference(keyed, grey->generate(request).latents) < 1e-6f);
    CHECK(maxDifference(keyed, position->generate(request).latents) < 1e-6f);

    kinema::test::writeTinyWanModel(greyDir.path(), 7, "t2v", {2, 4, true, "blue"});
    CHECK_THROWS_WITH(Session::open(greyDir.path(), options),
                      Catch::Contains("kinema.json") && Catch::Contains("unkeyed_condition"));
}

TEST_CASE("session: generation is deterministic for a seed and depends on seed and prompt", "[session]") {
    TinyModel model;
    auto request = smallRequest();
    const auto a = model.session->generate(request);
    const auto b = model.session->generate(request);
    CHECK(maxDifference(a.latents, b.latents) == 0.0);
    CHECK(maxDifference(a.frames[4].rgb, b.frames[4].rgb) == 0.0);

    request.seed = 43;
    const auto c = model.session->generate(request);
    CHECK(maxDifference(a.latents, c.latents) > 1e-3);

    request.seed = 42;
    request.prompt = "a blue whale";
    const auto d = model.session->generate(request);
    CHECK(maxDifference(a.latents, d.latents) > 1e-6);

    request = smallRequest();
    request.solver = "dpm++";
    const auto e = model.session->generate(request);
    CHECK(maxDifference(a.latents, e.latents) > 1e-6);
    request.solver = "euler";
    CHECK_NOTHROW(model.session->generate(request));
}

TEST_CASE("session: cancellation is honoured within one step", "[session]") {
    TinyModel model;
    auto request = smallRequest();
    request.steps = 6;
    std::atomic<bool> cancel{false};
    request.cancel = &cancel;
    int steps = 0;
    CHECK_THROWS_AS(model.session->generate(request,
                                            [&](const Progress& p) {
                                                ++steps;
                                                if (p.step == 2)
                                                    cancel = true;
                                                return true;
                                            }),
                    CancelledError);
    CHECK(steps == 2);

    steps = 0;
    cancel = false;
    CHECK_THROWS_AS(model.session->generate(request,
                                            [&](const Progress&) {
                                                ++steps;
                                                return false;
                                            }),
                    CancelledError);
    CHECK(steps == 1);

    // Cancelling from another thread while the loop runs.
    cancel = false;
    request.steps = 200;
    std::thread canceller([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        cancel = true;
    });
    CHECK_THROWS_AS(model.session->generate(request), CancelledError);
    canceller.join();
}

TEST_CASE("session: video-to-video and conditioning frames steer the result", "[session]") {
    TinyModel model;
    auto request = smallRequest();
    const auto base = model.session->generate(request);

    // An init video at strength 0.5 starts half-way through the schedule from its own latent.
    request.initVideo = base.frames;
    request.strength = 0.5;
    int calls = 0;
    const auto v2v = model.session->generate(request, [&](const Progress& p) {
        calls = p.total;
        return true;
    });
    CHECK(calls == 2);
    CHECK(v2v.frames.size() == 5);

    // A latent conditioning frame at position 0 is kept exactly in the final latent.
    request = smallRequest();
    ConditioningFrame cond;
    cond.position = 0;
    cond.latent.assign(16 * 4 * 4, 0.25f);
    request.conditioning.push_back(cond);
    const auto conditioned = model.session->generate(request);
    for (int c = 0; c < 16; ++c)
        for (int i = 0; i < 16; ++i)
            REQUIRE(conditioned.latents[static_cast<std::size_t>(c * 2 * 16 + i)] ==
                    Approx(0.25f).margin(1e-6));

    // A pixel conditioning frame is encoded by the VAE.
    request.conditioning[0].latent.clear();
    request.conditioning[0].position = 4;
    request.conditioning[0].image = base.frames[4];
    CHECK_NOTHROW(model.session->generate(request));
}

TEST_CASE("session: bad requests are rejected with the parameter named", "[session]") {
    TinyModel model;
    auto bad = [&](auto mutate, const char* expected) {
        auto r = smallRequest();
        mutate(r);
        CHECK_THROWS_WITH(model.session->generate(r), Catch::Contains(expected));
    };
    bad([](GenerateRequest& r) { r.frames = 4; }, "frames");
    bad([](GenerateRequest& r) { r.width = 33; }, "size");
    bad([](GenerateRequest& r) { r.height = 0; }, "size");
    bad([](GenerateRequest& r) { r.steps = 0; }, "steps");
    bad([](GenerateRequest& r) { r.guidance = std::nan(""); }, "guidance");
    bad([](GenerateRequest& r) { r.shift = -1; }, "shift");
    bad([](GenerateRequest& r) { r.solver = "ddim"; }, "solver 'ddim'");
    bad([](GenerateRequest& r) { r.strength = 2; }, "strength");
    bad([](GenerateRequest& r) { r.device = Device::Cuda; }, "opened for the CPU");
    bad(
        [](GenerateRequest& r) {
            r.initVideo.resize(2);
            r.strength = 0.5;
        },
        "init video");
    bad([](GenerateRequest& r) { r.conditioning.push_back({7, {}, {}}); }, "position 7");
    bad([](GenerateRequest& r) { r.conditioning.push_back({0, {}, {1.f, 2.f}}); }, "conditioning latent");
    bad([](GenerateRequest& r) { r.conditioning.push_back({0, {}, {}}); }, "conditioning frame 0");
}

TEST_CASE("session: broken model folders fail with the file named", "[session]") {
    kinema::test::TempDir dir{"kinema-bad-wan"};
    CHECK_THROWS_WITH(Session::open(dir.path() / "absent"), Catch::Contains("does not exist"));
    CHECK_THROWS_WITH(Session::open(dir.path()), Catch::Contains("config.json"));
    kinema::test::writeTinyWanModel(dir.path());
    CHECK_NOTHROW(inspectModel(dir.path()));

    // A weights file with a tensor of the wrong shape.
    std::map<std::string, at::Tensor> wrong{{"patch_embedding.weight", at::zeros({3, 3})}};
    kinema::test::saveF32Safetensors(dir / "diffusion_pytorch_model.safetensors", wrong);
    CHECK_THROWS_WITH(Session::open(dir.path()),
                      Catch::Contains("patch_embedding.weight") && Catch::Contains("shape"));

    // Truncated VAE weights.
    kinema::test::writeTinyWanModel(dir.path());
    const auto vae = dir / "Wan2.1_VAE.safetensors";
    std::filesystem::resize_file(vae, std::filesystem::file_size(vae) - 10);
    CHECK_THROWS_WITH(Session::open(dir.path()),
                      Catch::Contains("Wan2.1_VAE.safetensors") && Catch::Contains("truncated"));

    // Only a pickle checkpoint: conversion is required.
    std::filesystem::remove(vae);
    kinema::test::writeText(dir / "Wan2.1_VAE.pth", "PK");
    CHECK_THROWS_WITH(Session::open(dir.path()), Catch::Contains("convert"));

    // An extra tensor the model does not know.
    kinema::test::writeTinyWanModel(dir.path());
    std::map<std::string, at::Tensor> extra{{"unknown.weight", at::zeros({2})}};
    kinema::test::saveF32Safetensors(dir / "models_t5_umt5-xxl-enc-bf16.safetensors", extra);
    CHECK_THROWS_WITH(Session::open(dir.path()), Catch::Contains("missing") || Catch::Contains("unexpected"));

    // A config with a wrongly typed field, and an unusable head count.
    kinema::test::writeTinyWanModel(dir.path());
    kinema::test::writeText(dir / "config.json", R"({"dim":"big"})");
    CHECK_THROWS_WITH(Session::open(dir.path()), Catch::Contains("\"dim\""));
    kinema::test::writeText(dir / "config.json", R"({"dim":30,"num_heads":4})");
    CHECK_THROWS_WITH(Session::open(dir.path()), Catch::Contains("num_heads"));
    kinema::test::writeText(dir / "config.json", R"({"dim":32,"dim":64})");
    CHECK_THROWS_WITH(Session::open(dir.path()), Catch::Contains("duplicate"));
}

TEST_CASE("session: batched guidance gives the two-forward result", "[session]") {
    TinyModel model;
    auto r = smallRequest();
    r.batchGuidance = true;
    const auto batched = model.session->generate(r);
    r.batchGuidance = false;
    const auto separate = model.session->generate(r);
    // The same arithmetic up to the order of float sums inside batched matrix products.
    CHECK(maxDifference(batched.latents, separate.latents) < 1e-4);
}

namespace {
struct ScopedEnv {
    ScopedEnv(const char* name, const char* value)
        : m_name(name) {
        ::setenv(name, value, 1);
    }
    ~ScopedEnv() { ::unsetenv(m_name); }
    const char* m_name;
};
} // namespace

TEST_CASE("session: VAE decode tiles and retries smaller tiles on out-of-memory", "[session]") {
    TinyModel model;
    auto r = smallRequest();
    r.width = 128; // a 16 x 16 latent: room for 8-pixel tiles
    r.height = 128;
    r.steps = 1;
    const auto whole = model.session->generate(r);
    REQUIRE(whole.latentHeight == 16);

    // Explicit tiles: the same frames up to blending at the tile overlaps.
    r.vaeTile = 8;
    const auto tiled = model.session->generate(r);
    CHECK(tiled.latents == whole.latents);
    double mse = 0.0;
    std::size_t n = 0;
    for (std::size_t f = 0; f < whole.frames.size(); ++f)
        for (std::size_t i = 0; i < whole.frames[f].rgb.size(); ++i, ++n)
            mse += std::pow(whole.frames[f].rgb[i] - tiled.frames[f].rgb[i], 2.0);
    const double psnr = 10.0 * std::log10(4.0 / (mse / static_cast<double>(n))); // range [-1, 1]
    INFO("tiled vs whole-frame decode: " << psnr << " dB");
    // 25.8 dB measured: random weights and 8-pixel tiles (2 pixels of overlap) are the worst case; the
    // real ladder starts at whole frames and 64-pixel tiles.
    CHECK(psnr > 22.0);

    // A simulated out-of-memory above 64 latent pixels per tile: whole frame (256) and 16-pixel tiles fail,
    // 8-pixel tiles (64) succeed, with the same frames as the explicit 8-pixel tiling.
    r.vaeTile = 0;
    {
        ScopedEnv oom("KINEMA_DIFFUSION_SIMULATE_DECODE_OOM", "64");
        const auto retried = model.session->generate(r);
        CHECK(retried.latents == whole.latents);
        REQUIRE(retried.frames.size() == tiled.frames.size());
        CHECK(retried.frames[0].rgb == tiled.frames[0].rgb);
    }
    // Nothing fits: the error keeps the sampled latents, and decode() turns them into frames later.
    GenerateResult kept;
    {
        ScopedEnv oom("KINEMA_DIFFUSION_SIMULATE_DECODE_OOM", "1");
        try {
            model.session->generate(r);
            FAIL("expected DecodeOutOfMemoryError");
        } catch (const DecodeOutOfMemoryError& e) {
            CHECK_THAT(e.what(), Catch::Contains("latents are kept"));
            kept = e.sampled;
        }
    }
    CHECK(kept.latents == whole.latents);
    CHECK(kept.frames.empty());
    const auto decoded = model.session->decode(kept);
    REQUIRE(decoded.size() == whole.frames.size());
    CHECK(decoded[0].rgb == whole.frames[0].rgb);
    kept.latents.pop_back();
    CHECK_THROWS_AS(model.session->decode(kept), RequestError);
}
