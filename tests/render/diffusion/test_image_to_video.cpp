// SPDX-License-Identifier: Apache-2.0
// Wan 2.1 image-to-video (i2v) and first-last-frame (flf2v): the CLIP image encoder, the reference's mask
// layout and y, and sessions on tiny random-weight models.
#include "TinySession.h"
#include "engine/ImageToVideo.h"
#include "families/wan21/WanClip.h"

#include <kinema/diffusion/Errors.h>
#include <kinema/diffusion/Session.h>

#include <TestSupport.h>

#include <ATen/CPUGeneratorImpl.h>
#include <catch2/catch.hpp>

using namespace kinema::diffusion;
using namespace kinema::diffusion::wan21;

TEST_CASE("i2v mask: latent frame 0 all ones, flf2v's last latent frame is [0, 0, 0, 1]", "[wan21][i2v]") {
    const auto i2v = imageToVideoMask(81, {0}, 2, 3);
    REQUIRE(i2v.sizes() == at::IntArrayRef{4, 21, 2, 3});
    CHECK(i2v.select(1, 0).min().item<float>() == 1.0f);
    CHECK(i2v.narrow(1, 1, 20).max().item<float>() == 0.0f);
    const auto flf = imageToVideoMask(81, {0, 80}, 1, 1);
    CHECK(flf.select(1, 0).flatten().min().item<float>() == 1.0f);
    const auto last = flf.select(1, 20).flatten();
    CHECK(last[0].item<float>() == 0.0f);
    CHECK(last[1].item<float>() == 0.0f);
    CHECK(last[2].item<float>() == 0.0f);
    CHECK(last[3].item<float>() == 1.0f);
    CHECK(flf.narrow(1, 1, 19).max().item<float>() == 0.0f);
    // A keyframe at pixel frame 6 lands in latent frame 2 (frames 5..8), channel 1.
    const auto mid = imageToVideoMask(9, {6}, 1, 1);
    CHECK(mid.sum().item<float>() == 1.0f);
    CHECK(mid[1][2][0][0].item<float>() == 1.0f);
}

TEST_CASE("CLIP vision tower: ViT-H/14 defaults, key names and token count", "[wan21][clip]") {
    const ClipConfig h14;
    CHECK(h14.tokens() == 257);
    CHECK(h14.dim == 1280);
    CHECK(h14.numLayers == 32);
    CHECK_THROWS_AS(parseClipConfig(R"({"image_size":30,"patch_size":14})", "bad"), ModelError);
    CHECK_THROWS_AS(parseClipConfig(R"({"num_layers":1})", "bad"), ModelError);

    const auto cfg = parseClipConfig(R"({"image_size":28,"patch_size":14,"dim":16,"mlp_dim":24,)"
                                     R"("num_heads":2,"num_layers":3,"embed_dim":8})",
                                     "tiny");
    auto wm = WeightMap::random(5);
    const WanClipVision clip(cfg, wm);
    for (const char* key : {"visual.patch_embedding.weight", "visual.cls_embedding", "visual.pos_embedding",
                            "visual.pre_norm.weight", "visual.transformer.0.attn.to_qkv.weight",
                            "visual.transformer.2.mlp.2.bias", "visual.post_norm.bias", "visual.head"})
        CHECK(wm.recorded().count(key) == 1);
    CHECK(wm.recorded().count("visual.patch_embedding.bias") == 0); // pre-norm ViT: no patch bias
    auto gen = at::detail::createCPUGenerator(6);
    const auto images = at::rand({2, 3, 40, 64}, gen) * 2 - 1; // any size: squashed to 28x28
    const auto features = clip.encode(images);
    CHECK(features.sizes() == at::IntArrayRef{2, 5, 16});
    // The last block, the post-norm and the head are skipped (use_31_block): changing them changes nothing,
    // while a change to an earlier block does.
    kinema::test::TempDir dir("kinema-clip");
    auto edited = wm.recorded();
    for (auto& [name, t] : edited)
        if (name.rfind("visual.transformer.2.", 0) == 0 || name.rfind("visual.post_norm", 0) == 0 ||
            name == "visual.head")
            t = t * 3 + 1;
    kinema::test::saveF32Safetensors(dir.path() / "a.safetensors", edited);
    edited["visual.transformer.1.mlp.0.bias"] = edited["visual.transformer.1.mlp.0.bias"] + 1;
    kinema::test::saveF32Safetensors(dir.path() / "b.safetensors", edited);
    auto load = [&](const char* file) {
        const auto ckpt = SafetensorsCheckpoint::open(dir.path() / file);
        WeightMap fileWeights(ckpt, file);
        const WanClipVision loaded(cfg, fileWeights);
        fileWeights.requireAllUsed();
        return loaded.encode(images);
    };
    CHECK(at::equal(load("a.safetensors"), features));
    CHECK_FALSE(at::equal(load("b.safetensors"), features));
    CHECK_FALSE(at::equal(clip.encode(images.flip(3)), features));
    CHECK_THROWS_AS(clip.encode(at::zeros({3, 28, 28})), RequestError);
}

namespace {

Image flatImage(float r, float g, float b) {
    Image img;
    img.width = img.height = 32;
    for (int i = 0; i < 32 * 32; ++i)
        img.rgb.insert(img.rgb.end(), {r, g, b});
    return img;
}

GenerateRequest request(const std::vector<ConditioningFrame>& keys) {
    GenerateRequest r;
    r.prompt = "a paper boat on a pond";
    r.seed = 3;
    r.frames = 9;
    r.width = r.height = 32;
    r.steps = 2;
    r.conditioning = keys;
    return r;
}

} // namespace

TEST_CASE("session: an i2v model is steered by its first frame through CLIP and y", "[wan21][i2v][session]") {
    kinema::test::TinySession model("i2v");
    const auto info = model.session->info();
    CHECK(info.modelType == "i2v");
    bool hasClip = false;
    for (const auto& c : info.components)
        hasClip = hasClip || c.name == "clip";
    CHECK(hasClip);
    const auto red = model.session->generate(request({{0, flatImage(0.8f, -0.5f, -0.5f), {}}}));
    const auto blue = model.session->generate(request({{0, flatImage(-0.5f, -0.5f, 0.8f), {}}}));
    REQUIRE(red.frames.size() == 9);
    CHECK(red.latents != blue.latents);
    CHECK(model.session->generate(request({{0, flatImage(0.8f, -0.5f, -0.5f), {}}})).latents == red.latents);

    CHECK_THROWS_AS(model.session->generate(request({})), RequestError);
    CHECK_THROWS_AS(model.session->generate(request({{4, flatImage(0, 0, 0), {}}})), RequestError);
    ConditioningFrame latent;
    latent.position = 0;
    latent.latent.assign(16 * 4 * 4, 0.0f);
    CHECK_THROWS_AS(model.session->generate(request({latent})), RequestError);
}

TEST_CASE("session: an flf2v model needs the first and the last frame", "[wan21][i2v][session]") {
    kinema::test::TinySession model("flf2v");
    const auto a = flatImage(0.8f, 0.1f, -0.5f), b = flatImage(-0.6f, 0.2f, 0.7f);
    const auto ab = model.session->generate(request({{0, a, {}}, {8, b, {}}}));
    const auto ba = model.session->generate(request({{0, b, {}}, {8, a, {}}}));
    CHECK(ab.frames.size() == 9);
    CHECK(ab.latents != ba.latents);
    try {
        model.session->generate(request({{0, a, {}}}));
        FAIL("flf2v accepted a single frame");
    } catch (const RequestError& e) {
        CHECK(std::string(e.what()).find("positions 0 and 8") != std::string::npos);
    }
}

TEST_CASE("i2v model folders name a missing or mismatched CLIP encoder", "[wan21][i2v]") {
    kinema::test::TempDir dir("kinema-tiny-i2v");
    kinema::test::writeTinyWanModel(dir.path(), 7, "i2v");
    const auto clip = dir.path() / "models_clip_open-clip-xlm-roberta-large-vit-huge-14.safetensors";
    std::filesystem::rename(clip, dir.path() / "models_clip_open-clip-xlm-roberta-large-vit-huge-14.pth");
    try {
        Session::open(dir.path());
        FAIL("opened without the CLIP encoder");
    } catch (const ModelError& e) {
        CHECK(std::string(e.what()).find("kinema-model convert") != std::string::npos);
    }
}
