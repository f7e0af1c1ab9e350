// SPDX-License-Identifier: Apache-2.0
// Conditioned generation through the nodes: ImageToVideo, KeyframeInterpolate and VideoToVideo on a tiny
// random-weight model. A random VAE does not reconstruct its input, so "honoured" is measured against the
// input passed through the same VAE encode/decode (the engine's video-to-video at strength 0), which is the
// best any conditioning can reproduce. The harness's working space is the model's display space, so node
// pixels and engine pixels compare directly (both rounded to half float like the clip cache).
#include "GenerativeTestSupport.h"

#include <catch2/catch.hpp>

#include <Imath/half.h>

#include <kinema/diffusion/Session.h>

#include "generative/ClipNode.h"
#include "kinema/graph/GraphFile.h"
#include "kinema/nodes/Builtins.h"

using namespace kinema;
using kinema::nodes::generative::modelRunCount;

namespace {

/// The pattern frames as engine images in [-1, 1].
diffusion::Image engineImage(const test::PatternSource& p, double frame, int w, int h) {
    diffusion::Image img;
    img.width = w;
    img.height = h;
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x)
            for (int c = 0; c < 3; ++c)
                img.rgb.push_back(p.value(c, x, y, frame) * 2.0f - 1.0f);
    return img;
}

/// The engine's result for `request`, as the node's display values in [0, 1] (rounded to half float).
std::vector<std::vector<float>> engineFrames(diffusion::GenerateRequest r) {
    static auto session = diffusion::Session::open(test::tinyModelDir());
    const auto result = session->generate(r);
    std::vector<std::vector<float>> out;
    for (const auto& f : result.frames) {
        std::vector<float> v;
        for (float x : f.rgb)
            v.push_back(static_cast<float>(Imath::half(std::clamp((x + 1.0f) * 0.5f, 0.0f, 1.0f))));
        out.push_back(std::move(v));
    }
    return out;
}

diffusion::GenerateRequest tinyRequest(int frames) {
    diffusion::GenerateRequest r;
    r.prompt = "a red fox in the snow";
    r.seed = 3;
    r.frames = frames;
    r.width = 32;
    r.height = 32;
    r.steps = 2;
    r.guidance = 4.0;
    r.shift = 3.0;
    return r;
}

/// One image through the VAE (encode, decode): a one-frame generation whose only latent frame is the
/// image's, kept exactly (a conditioning frame is restored at noise level 0 after the last step).
std::vector<float> vaeRoundTrip(const diffusion::Image& image) {
    auto r = tinyRequest(1);
    r.conditioning.push_back({0, image, {}});
    return engineFrames(r)[0];
}

} // namespace

TEST_CASE("generative: ImageToVideo starts at the input image", "[generative]") {
    test::ScopedClipCache cache;
    test::GenHarness h;
    auto& source = h.pattern(1);
    auto& node = h.generative("ImageToVideo");
    h.graph.connect(source, node, 0);
    auto& t2v = h.generative("TextToVideo");

    const auto expected = vaeRoundTrip(engineImage(source, 1001, 32, 32));
    const double conditioned = test::psnr(test::rgbOf(*h.eval(node, 1001)), expected);
    const double free = test::psnr(test::rgbOf(*h.eval(t2v, 1001)), expected);
    INFO("PSNR conditioned " << conditioned << " dB, unconditioned " << free << " dB");
    CHECK(conditioned > 35.0);
    CHECK(conditioned > free + 10.0);

    // The input's hash is part of the clip hash: another image is another clip.
    const auto before = modelRunCount();
    auto& other = h.pattern(2);
    h.graph.connect(other, node, 0);
    h.eval(node, 1003);
    CHECK(modelRunCount() - before == 1);

    // A missing input is a clear error.
    auto& lonely = h.generative("ImageToVideo");
    CHECK_THROWS_WITH(h.eval(lonely, 1001), Catch::Contains("input 'image' is not connected"));
}

TEST_CASE("generative: KeyframeInterpolate honours keys at their positions", "[generative]") {
    test::ScopedClipCache cache;
    test::GenHarness h;
    auto& key1 = h.pattern(3);
    auto& key2 = h.pattern(4);
    auto& node = h.generative("KeyframeInterpolate");
    h.graph.connect(key1, node, 0);
    h.graph.connect(key2, node, 1); // key2Position -1 = last frame (1005)
    auto& t2v = h.generative("TextToVideo");

    const auto first = vaeRoundTrip(engineImage(key1, 1001, 32, 32));
    const double firstConditioned = test::psnr(test::rgbOf(*h.eval(node, 1001)), first);
    const double firstFree = test::psnr(test::rgbOf(*h.eval(t2v, 1001)), first);
    INFO("key 1: PSNR conditioned " << firstConditioned << " dB, unconditioned " << firstFree << " dB");
    CHECK(firstConditioned > 35.0);
    CHECK(firstConditioned > firstFree + 10.0);

    // The last key sits in latent frame 1 (frames 1..4), which the causal VAE decodes with the clip's
    // temporal context, so the frame itself is only compared relative to the unconditioned clip; the key
    // is checked exactly in latent space: a single key in a latent group is held over the whole group, with
    // the given frame 0 as causal context, so the clip's latent frame 1 is latent frame 1 of the clip
    // [key1, key2, key2, key2, key2] (a request conditioning all five frames keeps exactly that latent).
    const auto last = vaeRoundTrip(engineImage(key2, 1005, 32, 32));
    const double lastConditioned = test::psnr(test::rgbOf(*h.eval(node, 1005)), last);
    const double lastFree = test::psnr(test::rgbOf(*h.eval(t2v, 1005)), last);
    INFO("key 2: PSNR conditioned " << lastConditioned << " dB, unconditioned " << lastFree << " dB");
    CHECK(lastConditioned > lastFree);
    {
        auto r = tinyRequest(5);
        r.conditioning.push_back({0, engineImage(key1, 1001, 32, 32), {}});
        for (int p = 1; p <= 4; ++p)
            r.conditioning.push_back({p, engineImage(key2, 1005, 32, 32), {}});
        static auto session = diffusion::Session::open(test::tinyModelDir());
        const auto full = session->generate(r).latents; // [16][2][4][4]
        std::vector<float> keyLatent;
        for (int c = 0; c < 16; ++c)
            keyLatent.insert(keyLatent.end(), full.begin() + (c * 2 + 1) * 16,
                             full.begin() + (c * 2 + 2) * 16);
        graph::Context ctx;
        ctx.frame = 1001;
        render::EvalContext ec(h.evaluator, static_cast<const render::ImageNode&>(node), ctx);
        const auto clip = static_cast<const nodes::generative::ClipNode&>(node).clip(ec);
        REQUIRE(clip->latentFrames == 2);
        REQUIRE(keyLatent.size() == 16 * 16);
        double worst = 0;
        for (int c = 0; c < 16; ++c)
            for (int i = 0; i < 16; ++i)
                worst = std::max(worst, std::abs(static_cast<double>(clip->latents[(c * 2 + 1) * 16 + i]) -
                                                 keyLatent[c * 16 + i]));
        CHECK(worst < 1e-5);
    }

    // Bad key settings are named.
    h.set(node, "key2Position", std::int64_t{9});
    CHECK_THROWS_WITH(h.eval(node, 1001), Catch::Contains("key2Position: 9 is outside the clip (0..4)"));
    h.set(node, "key2Position", std::int64_t{0});
    CHECK_THROWS_WITH(h.eval(node, 1001), Catch::Contains("key2Position: another keyframe"));
    auto& single = h.generative("KeyframeInterpolate");
    h.graph.connect(key1, single, 0);
    CHECK_THROWS_WITH(h.eval(single, 1001), Catch::Contains("input 'key2' is not connected"));
}

TEST_CASE("generative: VideoToVideo follows the engine's strength and strength 1 departs from strength 0",
          "[generative]") {
    // The engine starts strength 0 at its last step (lowest noise level) from the source's latent, so with
    // few steps it is not a pure VAE round trip: the node is compared with the engine given the same source.
    test::ScopedClipCache cache;
    test::GenHarness h;
    auto& source = h.pattern(5);
    auto& node = h.generative("VideoToVideo");
    h.graph.connect(source, node, 0);

    auto request = tinyRequest(5);
    for (int f = 1001; f <= 1005; ++f)
        request.initVideo.push_back(engineImage(source, f, 32, 32));
    request.strength = 0.0;
    const auto expected = engineFrames(request);

    h.set(node, "strength", 0.0);
    double worstKeep = 1e9;
    for (int f = 1001; f <= 1005; ++f)
        worstKeep = std::min(worstKeep, test::psnr(test::rgbOf(*h.eval(node, f)), expected[f - 1001]));
    h.set(node, "strength", 1.0);
    double bestNew = -1e9;
    for (int f = 1001; f <= 1005; ++f)
        bestNew = std::max(bestNew, test::psnr(test::rgbOf(*h.eval(node, f)), expected[f - 1001]));
    INFO("strength 0: worst PSNR " << worstKeep << " dB; strength 1: best PSNR " << bestNew << " dB");
    CHECK(worstKeep > 60.0);
    CHECK(bestNew < worstKeep - 20.0);
}

TEST_CASE("generative: Loop conditions both ends and reports its seam", "[generative]") {
    test::ScopedClipCache cache;
    test::GenHarness h;
    auto& source = h.pattern(6);
    auto& loop = h.generative("Loop");
    h.set(loop, "duration", std::int64_t{4}); // generates 5 frames: frame 4 wraps around to frame 0
    h.graph.connect(source, loop, 0);
    const auto first = h.eval(loop, 1001);
    const double seam = std::get<double>(first->metadata().at("kinema/gen/loopWrapDifference"));
    CHECK(std::get<double>(h.eval(loop, 1004)->metadata().at("kinema/gen/loopWrapDifference")) == seam);
    CHECK(std::get<double>(first->metadata().at("kinema/gen/loopSeam")) >= 0.0);
    const auto range = h.evaluator.frameRange(loop);
    REQUIRE(range);
    CHECK(range->last == 1004);

    // The same measure on an unconditioned clip of the same seed (its frame 4 against its frame 0).
    auto& t2v = h.generative("TextToVideo");
    const double freeSeam =
        test::meanAbsDiff(test::rgbOf(*h.eval(t2v, 1005)), test::rgbOf(*h.eval(t2v, 1001)));
    INFO("loop seam " << seam << ", unconditioned " << freeSeam);
    CHECK(seam >= 0.0);
    CHECK(seam < freeSeam);

    // Seam blend: the loop's tail (frames 1..3, 1002..1004) moves towards the first frame; the first frame
    // itself stays as generated. Unblended, the measures say what the model alone drew.
    CHECK(std::get<double>(first->metadata().at("kinema/gen/loopSeamUnblended")) >= 0.0);
    const auto blendedFirst = test::rgbOf(*first);
    const auto blendedLast = test::rgbOf(*h.eval(loop, 1004));
    h.set(loop, "seamBlend", std::int64_t{0});
    const auto plain = h.eval(loop, 1001);
    CHECK(test::meanAbsDiff(test::rgbOf(*plain), blendedFirst) == 0.0);
    const auto plainLast = test::rgbOf(*h.eval(loop, 1004));
    CHECK(test::meanAbsDiff(plainLast, blendedLast) > 0.0);
    CHECK(test::meanAbsDiff(blendedLast, blendedFirst) < test::meanAbsDiff(plainLast, blendedFirst));
    CHECK(std::get<double>(plain->metadata().at("kinema/gen/loopSeam")) ==
          Approx(std::get<double>(plain->metadata().at("kinema/gen/loopSeamUnblended"))));
}

TEST_CASE("generative: Upscale re-renders a Draft at Final quality from the draft", "[generative]") {
    test::ScopedClipCache cache;
    test::GenHarness h;
    auto& draft = h.generative("TextToVideo");
    h.setEnum(draft, "quality", "Draft");
    auto& upscale = h.generative("Upscale");
    h.graph.connect(draft, upscale, 0);
    auto& fresh = h.generative("TextToVideo"); // Final, same seed, no draft

    const auto before = modelRunCount();
    const auto small = h.eval(draft, 1003);
    CHECK(small->width() == 16);
    const auto final = h.eval(upscale, 1003);
    CHECK(final->width() == 32);
    CHECK(std::get<std::string>(final->metadata().at("kinema/gen/quality")) == "Final");
    CHECK(modelRunCount() - before == 2); // the draft is generated once and reused by the upscale

    // The draft, enlarged 2x (nearest), is closer to its upscale than to a fresh Final of the same seed.
    std::vector<float> enlarged;
    for (int y = 0; y < 32; ++y)
        for (int x = 0; x < 32; ++x)
            for (const char* c : {"R", "G", "B"})
                enlarged.push_back(small->sample(c, x / 2, y / 2));
    const double toUpscale = test::psnr(test::rgbOf(*final), enlarged);
    const double toFresh = test::psnr(test::rgbOf(*h.eval(fresh, 1003)), enlarged);
    INFO("draft vs upscale " << toUpscale << " dB, draft vs fresh final " << toFresh << " dB");
    CHECK(toUpscale > toFresh);
}

TEST_CASE("generative: Extend adds generated frames after or before the source and keeps the source",
          "[generative]") {
    test::ScopedClipCache cache;
    test::GenHarness h;
    auto& source = h.pattern(7);
    source.setRange({1001, 1005});
    auto& extend = h.generative("Extend");
    // The source's last 4 frames: the seam inside a latent frame.
    CHECK(extend.param("overlap").getInt(0) == 4);
    CHECK(extend.param("alignSeam").getBool(0));
    h.set(extend, "duration", std::int64_t{4}); // with 4 overlap frames: 8 frames, a 9-frame generation
    h.graph.connect(source, extend, 0);

    auto range = h.evaluator.frameRange(extend);
    REQUIRE(range);
    CHECK(range->first == 1001);
    CHECK(range->last == 1009);
    // Source frames pass through unchanged (same cache entry).
    CHECK(h.evaluator.hash(extend, graph::Context{}.withFrame(1003)) ==
          h.evaluator.hash(source, graph::Context{}.withFrame(1003)));
    const auto before = modelRunCount();
    std::vector<render::ImagePtr> ext;
    for (int f = 1006; f <= 1009; ++f)
        ext.push_back(h.eval(extend, f));
    CHECK(modelRunCount() - before == 1);
    CHECK(ext[0]->width() == 32);
    CHECK(test::meanAbsDiff(test::rgbOf(*ext[0]), test::rgbOf(*ext[3])) > 0.0);

    // Seam blend (8 frames by default): the hidden seam frame takes the source's frame 1005 and the
    // extension's first frames move towards it, so the cut 1005 -> 1006 is smaller than without it.
    const auto seamStep = [&]() {
        return test::meanAbsDiff(test::rgbOf(*h.eval(source, 1005)), test::rgbOf(*h.eval(extend, 1006)));
    };
    const double blendedStep = seamStep();
    const auto blendedLast = test::rgbOf(*h.eval(extend, 1009));
    CHECK(std::get<double>(h.eval(extend, 1006)->metadata().at("kinema/gen/seamDifference")) > 0.0);
    h.set(extend, "seamBlend", std::int64_t{0});
    const double plainStep = seamStep();
    INFO("seam step: blended " << blendedStep << ", unblended " << plainStep);
    CHECK(blendedStep < plainStep);
    // The last extension frame is 4 frames from the seam: its share (0.12) still moves it.
    CHECK(test::meanAbsDiff(blendedLast, test::rgbOf(*h.eval(extend, 1009))) > 0.0);
    ext.clear();
    for (int f = 1006; f <= 1009; ++f)
        ext.push_back(h.eval(extend, f));

    // Colour match: the generated overlap frames (clip frames 0-3, conditioned on source frames 1002-1005
    // and hidden behind them) get the source frames' per-channel mean over the four; a random VAE alone
    // shifts them far off. The gain and offset found there apply to the whole extension.
    auto seamDrift = [&]() {
        graph::Context ctx;
        ctx.frame = 1006;
        render::EvalContext ec(h.evaluator, static_cast<const render::ImageNode&>(extend), ctx);
        const auto clip = static_cast<const nodes::generative::ClipNode&>(extend).clip(ec);
        // Per channel, the mean over the four overlap frames (what the match equalises).
        double mg[3] = {}, ms[3] = {};
        for (int k = 0; k < 4; ++k) {
            const auto src = test::rgbOf(*h.eval(source, 1002 + k));
            for (int c = 0; c < 3; ++c)
                for (int i = 0; i < 32 * 32; ++i) {
                    mg[c] += clip->frame(k)[i * 3 + c];
                    ms[c] += src[static_cast<std::size_t>(i * 3 + c)];
                }
        }
        double drift = 0;
        for (int c = 0; c < 3; ++c)
            drift += std::abs(mg[c] - ms[c]) / (4 * 32 * 32);
        return drift;
    };
    const double matched = seamDrift();
    h.set(extend, "colorMatch", false);
    const double unmatched = seamDrift();
    INFO("seam colour drift: matched " << matched << ", unmatched " << unmatched);
    // Not exactly 0: values pushed outside [0, 1] by the gain are clamped.
    CHECK(matched < 0.25 * unmatched);
    CHECK(test::meanAbsDiff(test::rgbOf(*h.eval(extend, 1006)), test::rgbOf(*ext[0])) > 0.0);

    // Backward: the extension precedes the source.
    h.setEnum(extend, "direction", "Backward");
    range = h.evaluator.frameRange(extend);
    REQUIRE(range);
    CHECK(range->first == 997);
    CHECK(range->last == 1005);
    CHECK(h.eval(extend, 998)->width() == 32);
    const auto clipIndex = [&](int frame) {
        return std::get<std::int64_t>(h.eval(extend, frame)->metadata().at("kinema/gen/frameIndex"));
    };
    const auto generated = [&](int frame) {
        return std::get<std::int64_t>(h.eval(extend, frame)->metadata().at("kinema/gen/frames"));
    };
    CHECK(clipIndex(997) == 0);
    CHECK(generated(997) == 9); // 4 + 4 frames, rounded up to 4k + 1
    // 5 frames back meet the source at position 5, where a latent frame begins; going back the seam is
    // not moved (no lead frame either way).
    h.set(extend, "duration", std::int64_t{5});
    CHECK(clipIndex(996) == 0);
    CHECK(generated(996) == 9);
    h.set(extend, "alignSeam", false);
    CHECK(clipIndex(996) == 0);
    // Forward with 5 overlap frames: the new frames would start at position 5, where a latent frame
    // begins; aligned, one hidden lead frame moves them to 6 and the output holds there before.
    h.setEnum(extend, "direction", "Forward");
    h.set(extend, "overlap", std::int64_t{5});
    CHECK(clipIndex(1006) == 5);
    CHECK(generated(1006) == 13); // 5 + 5 frames
    h.set(extend, "alignSeam", true);
    CHECK(clipIndex(1006) == 6);
    CHECK(clipIndex(1010) == 10);
    CHECK(generated(1006) == 13); // lead 1 + 5 + 5 frames
    CHECK(h.evaluator.hash(extend, graph::Context{}.withFrame(1003)) ==
          h.evaluator.hash(source, graph::Context{}.withFrame(1003)));

    // A source without a frame range cannot be extended.
    auto& unbounded = h.pattern(8);
    h.graph.connect(unbounded, extend, 0);
    CHECK_THROWS_WITH(h.eval(extend, 998), Catch::Contains("input 'source' has no frame range"));
}

TEST_CASE(
    "generative: Extend saved before its 4-frame overlap and seam alignment keeps what it was saved with",
    "[generative][migration]") {
    graph::NodeRegistry registry;
    nodes::registerBuiltinNodes(registry);
    const std::string text = R"({"kinema":"graph","schema":1,"nodes":[
        {"type":"Extend","version":2,"name":"Old","params":{"seed":3}},
        {"type":"Extend","version":2,"name":"Set","params":{"overlap":9}},
        {"type":"Extend","version":3,"name":"Three","params":{"seed":3}},
        {"type":"Extend","version":4,"name":"New","params":{"seed":3}}]})";
    graph::Graph g;
    graph::graphFromJson(g, graph::parseJsonStrict(text, "overlap.kgraph"), "overlap.kgraph", registry);
    CHECK(g.node("Old").version() == 4);
    CHECK(g.node("Old").param("overlap").getInt(0) == 1);
    CHECK(g.node("Old").param("seamBlend").getInt(0) == 8);
    CHECK_FALSE(g.node("Old").param("alignSeam").getBool(0));
    CHECK(g.node("Set").param("overlap").getInt(0) == 9);
    CHECK(g.node("Three").param("overlap").getInt(0) == 5);
    CHECK_FALSE(g.node("Three").param("alignSeam").getBool(0));
    CHECK(g.node("New").param("overlap").getInt(0) == 4);
    CHECK(g.node("New").param("alignSeam").getBool(0));
}

TEST_CASE("generative: Loop and Extend saved before the seam blend load without it",
          "[generative][migration]") {
    graph::NodeRegistry registry;
    nodes::registerBuiltinNodes(registry);
    for (const std::string type : {"Loop", "Extend"}) {
        const std::string text = R"({"kinema":"graph","schema":1,"nodes":[
            {"type":")" + type + R"(","version":1,"name":"Old","params":{"seed":3}},
            {"type":")" + type + R"(","version":2,"name":"New","params":{"seed":3}}]})";
        graph::Graph g;
        graph::graphFromJson(g, graph::parseJsonStrict(text, "seams.kgraph"), "seams.kgraph", registry);
        INFO(type);
        CHECK(g.node("Old").version() == g.node("New").version());
        CHECK(g.node("Old").param("seamBlend").getInt(0) == 0); // renders as it did when it was saved
        CHECK(g.node("Old").param("seed").getInt(0) == 3);
        CHECK(g.node("New").param("seamBlend").getInt(0) == 8);
    }
}
