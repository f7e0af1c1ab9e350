// SPDX-License-Identifier: Apache-2.0
// The generative nodes on the embedded demo model (resources/models/kinema-demo, found by name through the
// shipped models in the build tree): native scene-linear HDR output, keyframes honoured, loop seam, extend
// continuity, video-to-video strength, relight keeping structure, determinism and clip reuse. Plates are
// scenes of the model's own grammar rendered by kinema::scenes (held-out seeds), in Linear Rec.709, which
// is also the harness's working space, so node pixels are the model's decoded scene-linear values.
// Fidelity is measured on ACEScct code values (the model's log encoding), like kinema-eval.
#include "GenerativeTestSupport.h"

#include <catch2/catch.hpp>

#include <kinema/diffusion/PixelEncoding.h>
#include <kinema/nodes/ModelLocator.h>
#include <kinema/scenes/Analyser.h>
#include <kinema/scenes/Render.h>
#include <kinema/scenes/SceneSpec.h>

#include <algorithm>
#include <atomic>
#include <cmath>

#include "generative/ClipNode.h"

using namespace kinema;
using kinema::nodes::generative::modelRunCount;

namespace {

constexpr int kSize = 64, kFrames = 17;
// Measured bounds of the shipped model (docs/demo-model.md), with a margin: with the default seam blend
// the Loop case below measures 1.07 (the target is 1.5), the Extend case 0.56, Extend backward 1.68.
constexpr double kLoopSeamMax = 1.5;
constexpr double kExtendSeamMax = 1.5;
constexpr double kBackwardSeamMax = 3.0;

/// Frames of a scene as an image node: frame 1001 + i shows timeline frame i of a `timeline`-frame clip.
class ScenePlate : public render::ImageNode {
public:
    ScenePlate(std::uint64_t seed, int size, int frames, int timeline)
        : ImageNode({"ScenePlate", 1, "Test", ""})
        , m_seed(seed) {
        scenes::RenderSettings r;
        r.width = r.height = size;
        r.frames = frames;
        r.timelineFrames = timeline;
        r.supersampling = 2;
        m_clip = scenes::render(scenes::sample(seed), r);
    }
    render::Hash128 hash(const render::EvalContext& ec) const override {
        graph::Hasher h;
        h.append("ScenePlate")
            .append(m_seed)
            .append(m_clip.width)
            .append(m_clip.frames)
            .append(index(ec.frame()));
        return h.finish();
    }
    render::ImagePtr compute(const render::EvalContext& ec) const override {
        graph::Format format{m_clip.width, m_clip.height, 1.0, ""};
        auto image = std::make_shared<render::Image>(format, format.displayWindow(), render::Image::rgba());
        const float* src = m_clip.frame(index(ec.frame()));
        const std::size_t n = image->pixelCount();
        for (int c = 0; c < 3; ++c) {
            float* p = image->channel(c == 0 ? "R" : c == 1 ? "G" : "B");
            for (std::size_t i = 0; i < n; ++i)
                p[i] = src[i * 3 + static_cast<std::size_t>(c)];
        }
        std::fill(image->channel("A"), image->channel("A") + n, 1.0f);
        return image;
    }
    std::optional<render::FrameRange> frameRange(const render::Evaluator&) const override {
        return render::FrameRange{1001, 1000 + m_clip.frames};
    }
    const scenes::Clip& clip() const { return m_clip; }

private:
    int index(double frame) const {
        return std::clamp(static_cast<int>(std::lround(frame)) - 1001, 0, m_clip.frames - 1);
    }
    std::uint64_t m_seed;
    scenes::Clip m_clip;
};

struct DemoHarness : test::GenHarness {
    DemoHarness() {
        auto s = graph.settings();
        s.workingSpace = "Linear Rec.709";
        graph.setSettings(s);
    }
    graph::Node& demo(const std::string& type, const std::string& prompt, std::uint64_t seed) {
        auto& node = add(type);
        set(node, "model", std::string(nodes::kDemoModelName));
        set(node, "prompt", prompt);
        set(node, "seed", seed);
        set(node, "duration", std::int64_t{kFrames});
        setEnum(node, "aspect", "1:1");
        set(node, "resolution", std::int64_t{kSize});
        set(node, "steps", std::int64_t{20});
        set(node, "guidance", 5.0);
        set(node, "shift", 3.0);
        return node;
    }
    ScenePlate& plate(std::uint64_t seed, int size = kSize, int frames = kFrames, int timeline = kFrames) {
        return static_cast<ScenePlate&>(
            graph.addNode(std::make_unique<ScenePlate>(seed, size, frames, timeline)));
    }
};

/// ACEScct code values of an image's RGB.
std::vector<float> codes(const render::Image& image) {
    auto rgb = test::rgbOf(image);
    for (float& v : rgb)
        v = diffusion::acesCctFromLinear(v);
    return rgb;
}

std::vector<float> codes(const scenes::Clip& clip, int frame) {
    std::vector<float> out(clip.frame(frame), clip.frame(frame) + clip.frameFloats());
    for (float& v : out)
        v = diffusion::acesCctFromLinear(v);
    return out;
}

/// Mean of |a - b| over consecutive node frames first..last, and the difference at one seam.
double meanStep(DemoHarness& h, graph::Node& node, int first, int last, int skipSeam = -1) {
    double sum = 0.0;
    int n = 0;
    for (int f = first; f < last; ++f) {
        if (f == skipSeam)
            continue;
        sum += test::meanAbsDiff(codes(*h.eval(node, f)), codes(*h.eval(node, f + 1)));
        ++n;
    }
    return sum / std::max(1, n);
}

const char* kPlatePrompt = "a small blue circle heading towards the bottom right against a sunset sky";
constexpr std::uint64_t kPlateSeed = 503; // the scene of resources/examples/plates/sunset_ball

} // namespace

TEST_CASE("demo model: TextToVideo output is the model's scene-linear decoding", "[generative][demo]") {
    test::ScopedClipCache cache;
    DemoHarness h;
    auto& node =
        h.demo("TextToVideo", "a large glowing orange star moving right against a starry night sky", 7);
    const auto before = modelRunCount();
    for (int f = 1001; f <= 1017; ++f)
        h.eval(node, f);
    CHECK(modelRunCount() == before + 1);
    const auto image = h.eval(node, 1009);
    CHECK(image->format().width == kSize);
    CHECK(std::get<std::string>(image->metadata().at("kinema/gen/pixelEncoding")) == "acescct-linear-rec709");
    // Scene-linear output: the inverse ACEScct curve of the clip's code values (the working space is the
    // model's Linear Rec.709, so no other conversion applies); code values above 0.5546 would be above 1.0.
    graph::Context ctx;
    ctx.frame = 1009;
    render::EvalContext ec(h.evaluator, static_cast<const render::ImageNode&>(node), ctx);
    const auto clip = static_cast<const nodes::generative::ClipNode&>(node).clip(ec);
    const auto rgb = test::rgbOf(*image);
    REQUIRE(rgb.size() == static_cast<std::size_t>(kSize * kSize * 3));
    double worst = 0.0;
    for (std::size_t i = 0; i < rgb.size(); ++i)
        worst = std::max(
            worst, std::abs(static_cast<double>(rgb[i]) - diffusion::linearFromAcesCct(clip->frame(8)[i])));
    CHECK(worst < 1e-5);
    CHECK(diffusion::linearFromAcesCct(0.6f) > 1.0f);

    // Other sizes map to the one size the model was trained for.
    h.set(node, "resolution", std::int64_t{480});
    h.setEnum(node, "aspect", "16:9");
    CHECK(h.eval(node, 1001)->format().width == kSize);
}

TEST_CASE("demo model: KeyframeInterpolate honours its keys", "[generative][demo]") {
    test::ScopedClipCache cache;
    DemoHarness h;
    auto& plate = h.plate(kPlateSeed);
    auto& node = h.demo("KeyframeInterpolate", kPlatePrompt, 11);
    h.graph.connect(plate, node, 0);
    h.graph.connect(plate, node, 1); // key2Position -1: the last frame
    auto& free = h.demo("TextToVideo", kPlatePrompt, 11);
    // The best any conditioning can do is the VAE's reconstruction of the key: VideoToVideo at strength 0.
    auto& roundTrip = h.demo("VideoToVideo", kPlatePrompt, 11);
    h.set(roundTrip, "strength", 0.0);
    h.graph.connect(plate, roundTrip, 0);
    // The first key: frame 0 is the key's latent decoded alone, exactly the reconstruction.
    {
        const auto best = codes(*h.eval(roundTrip, 1001));
        const double keyed = test::psnr(codes(*h.eval(node, 1001)), best);
        const double unkeyed = test::psnr(codes(*h.eval(free, 1001)), best);
        const double truth = test::psnr(codes(*h.eval(node, 1001)), codes(plate.clip(), 0));
        INFO("frame 1001: PSNR against the key's VAE reconstruction "
             << keyed << " dB (without keys " << unkeyed << " dB); against the plate " << truth << " dB");
        CHECK(keyed >= 60.0);
        CHECK(keyed > unkeyed + 6.0);
        CHECK(truth >= 24.0);
    }
    // The last key sits in latent frame 4 (frames 13..16), decoded with the clip's temporal context, so it
    // is checked in latent space: the clip's latent frame 4 is the key held over its group, which is what a
    // request conditioning frames 12..16 on the key (and frame 0 on the first key) keeps exactly.
    graph::Context ctx;
    ctx.frame = 1001;
    render::EvalContext ec(h.evaluator, static_cast<const render::ImageNode&>(node), ctx);
    const auto clip = static_cast<const nodes::generative::ClipNode&>(node).clip(ec);
    REQUIRE(clip->latentFrames == 5);
    auto session = diffusion::Session::open(nodes::resolveModelFolder(nodes::kDemoModelName));
    diffusion::GenerateRequest r;
    r.prompt = kPlatePrompt;
    r.frames = kFrames;
    r.width = r.height = kSize;
    r.steps = 1;
    auto image = [&](int frame) {
        diffusion::Image img{kSize, kSize, {}};
        for (float v : codes(plate.clip(), frame))
            img.rgb.push_back(std::clamp(2.0f * v - 1.0f, -1.0f, 1.0f));
        return img;
    };
    r.conditioning.push_back({0, image(0), {}});
    for (int p = 12; p <= 16; ++p)
        r.conditioning.push_back({p, image(16), {}});
    const auto expected = session->generate(r).latents;
    const std::size_t plane = static_cast<std::size_t>(clip->latentHeight * clip->latentWidth);
    double worst = 0.0;
    for (int c = 0; c < clip->latentChannels; ++c)
        for (std::size_t i = 0; i < plane; ++i) {
            const std::size_t at = (static_cast<std::size_t>(c) * 5 + 4) * plane + i;
            worst = std::max(worst, std::abs(static_cast<double>(clip->latents[at]) - expected[at]));
        }
    INFO("latent frame 4 against the key held over its group: max difference " << worst);
    CHECK(worst < 1e-4);
}

TEST_CASE("demo model: Loop wraps seamlessly and reports its seam", "[generative][demo]") {
    test::ScopedClipCache cache;
    DemoHarness h;
    auto& plate = h.plate(kPlateSeed);
    auto& loop = h.demo("Loop", "a small blue circle moving in a circle against a sunset sky", 5);
    h.set(loop, "duration", std::int64_t{16});
    h.graph.connect(plate, loop, 0);
    const double reported = std::get<double>(h.eval(loop, 1001)->metadata().at("kinema/gen/loopSeam"));
    const double step = meanStep(h, loop, 1001, 1016);
    const double seam = test::meanAbsDiff(codes(*h.eval(loop, 1016)), codes(*h.eval(loop, 1001))) / step;
    // The same measure on an unconditioned clip of the prompt: its last frame does not lead back to its
    // first.
    auto& free = h.demo("TextToVideo", "a small blue circle moving in a circle against a sunset sky", 5);
    h.set(free, "duration", std::int64_t{16});
    const double freeSeam = test::meanAbsDiff(codes(*h.eval(free, 1016)), codes(*h.eval(free, 1001))) /
                            meanStep(h, free, 1001, 1016);
    INFO("loop seam " << seam << " (reported " << reported << "), unconditioned clip " << freeSeam);
    CHECK(seam == Approx(reported).epsilon(0.05)); // the node measures before the half-float round trip
    CHECK(seam < freeSeam);
    CHECK(seam <= kLoopSeamMax);
    // The seam blend is what brings it there: the model's own frames wrap with a larger jump.
    const double unblended =
        std::get<double>(h.eval(loop, 1001)->metadata().at("kinema/gen/loopSeamUnblended"));
    INFO("unblended " << unblended);
    CHECK(reported < unblended);
}

TEST_CASE("demo model: Extend continues its source without a jump at the seam", "[generative][demo]") {
    test::ScopedClipCache cache;
    DemoHarness h;
    auto& plate = h.plate(kPlateSeed, kSize, kFrames, 2 * kFrames - 1); // the first half of a longer move
    auto& extend = h.demo("Extend", kPlatePrompt, 4);
    // The default overlap, the source's last 4 frames, and 13 new ones: a generation of the model's 17,
    // the seam between its positions 3 and 4, inside a latent frame (no lead frame).
    CHECK(extend.param("overlap").getInt(0) == 4);
    h.set(extend, "duration", std::int64_t{13});
    h.graph.connect(plate, extend, 0);
    const auto range = h.evaluator.frameRange(extend);
    REQUIRE(range);
    CHECK(range->first == 1001);
    CHECK(range->last == 1030);
    CHECK(std::get<std::int64_t>(h.eval(extend, 1018)->metadata().at("kinema/gen/frames")) == kFrames);
    CHECK(test::meanAbsDiff(test::rgbOf(*h.eval(extend, 1010)), test::rgbOf(*h.eval(plate, 1010))) == 0.0);
    const double seamStep = test::meanAbsDiff(codes(*h.eval(extend, 1017)), codes(*h.eval(extend, 1018)));
    const double step = meanStep(h, extend, 1001, 1030, 1017);
    // A cut to an unrelated generation at the same place, for comparison.
    auto& other = h.demo("TextToVideo", "a large white star spinning on a grey floor", 9);
    const double cut = test::meanAbsDiff(codes(*h.eval(plate, 1017)), codes(*h.eval(other, 1001))) / step;
    // The model's frames as they come (no seam blend).
    h.set(extend, "seamBlend", std::int64_t{0});
    const double plainSeam = test::meanAbsDiff(codes(*h.eval(extend, 1017)), codes(*h.eval(extend, 1018))) /
                             meanStep(h, extend, 1001, 1030, 1017);
    INFO("extension seam " << seamStep / step << " (unblended " << plainSeam
                           << "); a cut to another generation " << cut);
    CHECK(seamStep / step < cut);
    CHECK(seamStep / step <= kExtendSeamMax);
    CHECK(seamStep / step < plainSeam);
}

TEST_CASE("demo model: Extend backward leads into its source without a cut", "[generative][demo]") {
    test::ScopedClipCache cache;
    DemoHarness h;
    auto& plate = h.plate(kPlateSeed);
    auto& extend = h.demo("Extend", kPlatePrompt, 4);
    h.setEnum(extend, "direction", "Backward");
    h.set(extend, "duration", std::int64_t{13}); // 13 + 4 overlap frames: the model's 17
    h.graph.connect(plate, extend, 0);
    const auto range = h.evaluator.frameRange(extend);
    REQUIRE(range);
    CHECK(range->first == 988);
    CHECK(range->last == 1017);
    CHECK(std::get<std::int64_t>(h.eval(extend, 988)->metadata().at("kinema/gen/frames")) == kFrames);
    const double step = meanStep(h, extend, 988, 1017, 1000);
    const double seam = test::meanAbsDiff(codes(*h.eval(extend, 1000)), codes(*h.eval(extend, 1001))) / step;
    auto& other = h.demo("TextToVideo", "a large white star spinning on a grey floor", 9);
    const double cut = test::meanAbsDiff(codes(*h.eval(other, 1017)), codes(*h.eval(plate, 1001))) / step;
    INFO("backward extension seam " << seam << "; a cut from another generation " << cut);
    CHECK(seam <= kBackwardSeamMax);
    CHECK(seam < cut / 2);
}

TEST_CASE("demo model: VideoToVideo strength 0 keeps the source, 1 departs from it", "[generative][demo]") {
    test::ScopedClipCache cache;
    DemoHarness h;
    auto& plate = h.plate(kPlateSeed);
    auto& v2v = h.demo("VideoToVideo", kPlatePrompt, 21);
    h.graph.connect(plate, v2v, 0);
    auto psnrAt = [&](int f) { return test::psnr(codes(*h.eval(v2v, f)), codes(plate.clip(), f - 1001)); };
    h.set(v2v, "strength", 0.0);
    double keep = 1e9;
    for (int f : {1001, 1009, 1017})
        keep = std::min(keep, psnrAt(f));
    h.set(v2v, "strength", 1.0);
    h.set(v2v, "prompt", std::string("a large yellow star spinning against a blue sky"));
    double anew = -1e9;
    for (int f : {1001, 1009, 1017})
        anew = std::max(anew, psnrAt(f));
    h.set(v2v, "strength", 0.0);
    const auto kept = codes(*h.eval(v2v, 1009));
    h.set(v2v, "strength", 1.0);
    const double departed = test::psnr(codes(*h.eval(v2v, 1009)), kept);
    INFO("strength 0: worst PSNR against the plate " << keep << " dB; strength 1: best " << anew
                                                     << " dB, and " << departed << " dB against strength 0");
    CHECK(keep >= 25.0);       // the VAE's reconstruction of the plate
    CHECK(departed < 40.0);    // strength 1 is a new clip
    CHECK(anew <= keep + 1.0); // and no closer to the plate than the reconstruction
}

TEST_CASE("demo model: Relight changes the light and keeps the plate's detail", "[generative][demo]") {
    test::ScopedClipCache cache;
    DemoHarness h;
    auto& plate = h.plate(kPlateSeed, 128); // a plate at twice the model's size: detail the model lacks
    auto& relight = h.demo("Relight", "a small blue circle against a sunset sky", 22);
    h.setEnum(relight, "direction", "Right");
    h.setEnum(relight, "temperature", "Warm");
    h.setEnum(relight, "intensity", "Bright");
    h.graph.connect(plate, relight, 0);
    const auto out = h.eval(relight, 1009);
    REQUIRE(out->format().width == 128);
    CHECK(std::get<std::string>(out->metadata().at("kinema/gen/prompt")).find("warm light from the right") !=
          std::string::npos);
    const auto a = codes(*out), b = codes(plate.clip(), 8);
    // Detail: the difference from the plate is smooth (its high-pass is small next to the plate's own).
    auto highPass = [](const std::vector<float>& v, int w, int hgt) {
        std::vector<float> out(v.size());
        for (int y = 0; y < hgt; ++y)
            for (int x = 0; x < w; ++x)
                for (int c = 0; c < 3; ++c) {
                    auto at = [&](int xx, int yy) {
                        xx = std::clamp(xx, 0, w - 1);
                        yy = std::clamp(yy, 0, hgt - 1);
                        return v[static_cast<std::size_t>((yy * w + xx) * 3 + c)];
                    };
                    out[static_cast<std::size_t>((y * w + x) * 3 + c)] =
                        at(x, y) - 0.25f * (at(x - 1, y) + at(x + 1, y) + at(x, y - 1) + at(x, y + 1));
                }
        return out;
    };
    std::vector<float> diff(a.size());
    for (std::size_t i = 0; i < a.size(); ++i)
        diff[i] = a[i] - b[i];
    const auto hpDiff = highPass(diff, 128, 128), hpPlate = highPass(b, 128, 128);
    double eDiff = 0, ePlate = 0, change = 0;
    for (std::size_t i = 0; i < diff.size(); ++i) {
        eDiff += hpDiff[i] * hpDiff[i];
        ePlate += hpPlate[i] * hpPlate[i];
        change += std::abs(diff[i]);
    }
    change /= static_cast<double>(diff.size());
    INFO("high-pass energy of the change / of the plate " << eDiff / ePlate << "; mean change " << change);
    CHECK(eDiff / ePlate < 0.05);
    CHECK(change > 0.005); // the light did change
}

TEST_CASE("demo model: same seed, bit-identical clip, other frame ranges reuse it", "[generative][demo]") {
    std::vector<float> first;
    {
        test::ScopedClipCache cache;
        DemoHarness h;
        auto& node = h.demo("TextToVideo", "a red square moving left against a blue sky", 3);
        first = test::rgbOf(*h.eval(node, 1005));
        const auto runs = modelRunCount();
        for (int f = 1010; f <= 1017; ++f)
            h.eval(node, f);
        CHECK(modelRunCount() == runs);
    }
    test::ScopedClipCache cache; // a fresh cache: the model runs again
    DemoHarness h;
    auto& node = h.demo("TextToVideo", "a red square moving left against a blue sky", 3);
    CHECK(test::rgbOf(*h.eval(node, 1005)) == first);
}

TEST_CASE("demo model: a cancelled generation stops within one step and caches nothing",
          "[generative][demo]") {
    test::ScopedClipCache cache;
    DemoHarness h;
    auto& node = h.demo("TextToVideo", "a purple triangle bouncing against a night sky", 8);
    auto sink = std::make_shared<test::CancelOnFirstStep>();
    const auto ctx = test::cancelOnFirstStep(sink);
    CHECK_THROWS_AS(h.eval(node, 1001, ctx), graph::Cancelled);
    CHECK(sink->calls == 1); // 1 of 20 steps ran
    const auto before = modelRunCount();
    CHECK(h.eval(node, 1001)->format().width == kSize); // generated now: nothing was cached
    CHECK(modelRunCount() == before + 1);
}
