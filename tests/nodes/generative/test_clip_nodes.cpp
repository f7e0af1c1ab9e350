// SPDX-License-Identifier: Apache-2.0
// ClipNode behaviour on TextToVideo with a tiny random-weight model: frame range, metadata, the memory and
// disk clip caches (counted model runs), determinism, cancellation and parameter errors.
#include "GenerativeTestSupport.h"

#include <catch2/catch.hpp>

#include <atomic>
#include <cstring>
#include <filesystem>
#include <thread>

#include "generative/ClipCache.h"
#include "generative/ClipNode.h"

using namespace kinema;
using kinema::nodes::generative::ClipCache;
using kinema::nodes::generative::modelRunCount;

namespace {

bool sameBits(const render::Image& a, const render::Image& b) {
    if (a.width() != b.width() || a.height() != b.height())
        return false;
    for (const char* c : {"R", "G", "B", "A"})
        if (std::memcmp(a.channel(c), b.channel(c), a.pixelCount() * sizeof(float)) != 0)
            return false;
    return true;
}

std::string messageOf(test::GenHarness& h, graph::Node& node, double frame = 1001) {
    try {
        h.eval(node, frame);
    } catch (const std::exception& e) {
        return e.what();
    }
    return "no error";
}

} // namespace

TEST_CASE("generative: TextToVideo produces the clip's frames at the project start with metadata",
          "[generative]") {
    test::ScopedClipCache cache;
    test::GenHarness h;
    auto& node = h.generative("TextToVideo");
    const auto range = h.evaluator.frameRange(node);
    REQUIRE(range);
    CHECK(range->first == 1001);
    CHECK(range->last == 1005);

    const auto image = h.eval(node, 1001);
    CHECK(image->width() == 32);
    CHECK(image->height() == 32);
    const auto rgb = test::rgbOf(*image);
    for (float v : rgb)
        REQUIRE((std::isfinite(v) && v >= 0.0f && v <= 1.0f));
    const auto& md = image->metadata();
    CHECK(std::get<std::string>(md.at("kinema/gen/prompt")) == "a red fox in the snow");
    CHECK(std::get<std::string>(md.at("kinema/gen/seed")) == "3");
    CHECK(std::get<std::int64_t>(md.at("kinema/gen/steps")) == 2);
    CHECK(std::get<std::string>(md.at("kinema/gen/sampler")) == "unipc");
    CHECK(!std::get<std::string>(md.at("kinema/gen/modelHash")).empty());

    // Frames differ from one another (it is a clip, not a still).
    const auto last = h.eval(node, 1005);
    CHECK(test::meanAbsDiff(rgb, test::rgbOf(*last)) > 0.0);

    // Draft halves the resolution; 16:9 maps to the nearest multiple-of-16 size.
    h.setEnum(node, "quality", "Draft");
    CHECK(h.eval(node, 1001)->width() == 16);
    h.setEnum(node, "quality", "Final");
    h.setEnum(node, "aspect", "16:9");
    const auto wide = h.eval(node, 1001);
    CHECK(wide->width() == 64); // 32 * 16/9 = 56.9 → 64
    CHECK(wide->height() == 32);
}

TEST_CASE("generative: a clip is generated once and other frames or a new process reuse it", "[generative]") {
    test::ScopedClipCache cache;
    std::vector<render::ImagePtr> first;
    {
        test::GenHarness h;
        auto& node = h.generative("TextToVideo");
        const auto before = modelRunCount();
        first.push_back(h.eval(node, 1001));
        CHECK(modelRunCount() - before == 1);
        for (int f = 1002; f <= 1005; ++f)
            first.push_back(h.eval(node, f));
        CHECK(modelRunCount() - before == 1);
    }
    // The disk cache holds one clip with its manifest and data.
    int clips = 0;
    for (const auto& e : std::filesystem::directory_iterator(cache.path()))
        if (e.is_directory() && std::filesystem::exists(e.path() / "manifest.json"))
            ++clips;
    CHECK(clips == 1);

    // "Another process": memory cache and evaluator gone, disk kept; frames come back bit-identical.
    ClipCache::instance().clearMemory();
    test::GenHarness h2;
    auto& node2 = h2.generative("TextToVideo");
    const auto before = modelRunCount();
    for (int f = 1003; f <= 1005; ++f)
        CHECK(sameBits(*h2.eval(node2, f), *first[static_cast<std::size_t>(f - 1001)]));
    CHECK(modelRunCount() - before == 0);

    // A changed parameter is a new clip.
    h2.set(node2, "prompt", std::string("a blue fox"));
    h2.eval(node2, 1001);
    CHECK(modelRunCount() - before == 1);
}

TEST_CASE("generative: the same seed gives bit-identical frames and another seed does not", "[generative]") {
    std::vector<render::ImagePtr> runs;
    for (int i = 0; i < 2; ++i) {
        test::ScopedClipCache cache; // nothing cached: both runs generate
        test::GenHarness h;
        auto& node = h.generative("TextToVideo", 11);
        const auto before = modelRunCount();
        runs.push_back(h.eval(node, 1003));
        CHECK(modelRunCount() - before == 1);
    }
    CHECK(sameBits(*runs[0], *runs[1]));
    test::ScopedClipCache cache;
    test::GenHarness h;
    auto& other = h.generative("TextToVideo", 12);
    CHECK(test::meanAbsDiff(test::rgbOf(*h.eval(other, 1003)), test::rgbOf(*runs[0])) > 1e-4);
}

namespace {
struct CountingSink : graph::ProgressSink {
    std::atomic<int> calls{0};
    std::atomic<int> previews{0};
    double lastFraction = 0;
    int previewWidth = 0, previewHeight = 0;
    float previewMin = 1e9f, previewMax = -1e9f;
    void progress(std::string_view, double fraction, std::string_view) override {
        ++calls;
        lastFraction = fraction;
    }
    void preview(std::string_view, int width, int height, const std::vector<float>& rgb) override {
        ++previews;
        previewWidth = width;
        previewHeight = height;
        for (float v : rgb) {
            previewMin = std::min(previewMin, v);
            previewMax = std::max(previewMax, v);
        }
    }
};
} // namespace

TEST_CASE("generative: progress is reported per step and cancellation stops within one step",
          "[generative]") {
    test::ScopedClipCache cache;
    test::GenHarness h;
    auto& node = h.generative("TextToVideo");
    h.set(node, "steps", std::int64_t{4});

    auto sink = std::make_shared<test::CancelOnFirstStep>();
    const auto ctx = test::cancelOnFirstStep(sink);
    CHECK_THROWS_AS(h.eval(node, 1001, ctx), graph::Cancelled);
    CHECK(sink->calls == 1); // stopped after the step during which it was cancelled

    // Nothing was cached; an uncancelled request then generates with one progress report per step.
    graph::Context ok;
    auto counting = std::make_shared<CountingSink>();
    ok.progress = counting;
    const auto before = modelRunCount();
    CHECK(h.eval(node, 1001, ok)->width() == 32);
    CHECK(modelRunCount() - before == 1);
    CHECK(counting->calls == 4);
    CHECK(counting->lastFraction == Approx(1.0));
    // Every step also sends a display-referred latent preview (for the viewer's overlay).
    CHECK(counting->previews == 4);
    CHECK(counting->previewWidth > 0);
    CHECK(counting->previewHeight > 0);
    CHECK(counting->previewMin >= 0.0f);
    CHECK(counting->previewMax <= 1.0f);
}

TEST_CASE("generative: bad parameters fail with the parameter named", "[generative]") {
    test::ScopedClipCache cache;
    test::GenHarness h;
    auto& node = h.generative("TextToVideo");

    h.set(node, "model", std::string());
    CHECK_THAT(messageOf(h, node), Catch::Contains("model: no model is set"));
    h.set(node, "model", (cache.path() / "missing").string());
    CHECK_THAT(messageOf(h, node), Catch::Contains("does not exist"));
    h.set(node, "model", cache.path().string()); // a folder that holds no model
    CHECK_THAT(messageOf(h, node), Catch::Contains("model '"));
    h.set(node, "model", test::tinyModelDir().string());

    h.set(node, "resolution", std::int64_t{4000});
    h.setEnum(node, "aspect", "2.39:1");
    CHECK_THAT(messageOf(h, node), Catch::Contains("resolution:"));
    h.set(node, "resolution", std::int64_t{32});

    for (const std::string device : {"tpu", "cuda:x", "cuda:", "cudaa"}) {
        graph::Context bad;
        bad.device = device;
        try {
            h.eval(node, 1001, bad);
            FAIL("no error for the device '" << device << "'");
        } catch (const std::exception& e) {
            CHECK_THAT(std::string(e.what()),
                       Catch::Contains("device: unknown compute device '" + device + "'"));
        }
    }

    // Hard ranges are enforced when a value is set (the same path --set uses).
    CHECK_THROWS_AS(h.set(node, "steps", std::int64_t{0}), graph::ParamError);
    CHECK_THROWS_AS(h.set(node, "duration", std::int64_t{0}), graph::ParamError);
    CHECK_THROWS_AS(h.set(node, "guidance", -1.0), graph::ParamError);
    CHECK_THROWS_AS(h.set(node, "resolution", std::int64_t{8}), graph::ParamError);
    CHECK_THROWS_AS(h.setEnum(node, "sampler", "ddim"), graph::ParamError);
    CHECK_THROWS_AS(node.param("aspect").parse("3:2"), graph::ParamError);
    h.set(node, "shift", 0.0);
    CHECK_THAT(messageOf(h, node), Catch::Contains("shift:"));
}

TEST_CASE("generative: the disk cache evicts least recently used clips beyond its size", "[generative]") {
    test::ScopedClipCache cache;
    using nodes::generative::Clip;
    Clip clip;
    clip.frames = 1;
    clip.width = 16;
    clip.height = 16;
    clip.rgb.assign(16 * 16 * 3, 0.25f);
    clip.latentChannels = clip.latentFrames = clip.latentHeight = clip.latentWidth = 1;
    clip.latents = {0.5f};
    ClipCache::storeToDisk(cache.path(), "a", clip);
    ClipCache::storeToDisk(cache.path(), "b", clip);
    // Make "a" the oldest access, then read "b" (refreshing it).
    std::filesystem::last_write_time(cache.path() / "a" / "manifest.json",
                                     std::filesystem::file_time_type::clock::now() - std::chrono::hours(1));
    const auto loaded = ClipCache::loadFromDisk(cache.path(), "b");
    REQUIRE(loaded);
    CHECK(loaded->rgb == clip.rgb);
    CHECK(loaded->latents == clip.latents);
    const auto oneClip = std::filesystem::file_size(cache.path() / "b" / "frames.bin") +
                         std::filesystem::file_size(cache.path() / "b" / "latents.bin") +
                         std::filesystem::file_size(cache.path() / "b" / "manifest.json");
    ClipCache::evictToSize(cache.path(), oneClip + 10);
    CHECK(!std::filesystem::exists(cache.path() / "a"));
    CHECK(std::filesystem::exists(cache.path() / "b"));
    // A truncated data file is treated as absent, not as a clip.
    std::filesystem::resize_file(cache.path() / "b" / "frames.bin", 10);
    CHECK(ClipCache::loadFromDisk(cache.path(), "b") == nullptr);
}

TEST_CASE("generative: concurrent requests for frames of one clip share one generation", "[generative]") {
    test::ScopedClipCache cache;
    test::GenHarness h;
    auto& node = h.generative("TextToVideo");
    const auto before = modelRunCount();
    std::vector<render::ImagePtr> images(5);
    std::vector<std::thread> threads;
    for (int i = 0; i < 5; ++i)
        threads.emplace_back([&, i] { images[static_cast<std::size_t>(i)] = h.eval(node, 1001 + i); });
    for (auto& t : threads)
        t.join();
    CHECK(modelRunCount() - before == 1);
    for (const auto& image : images) {
        REQUIRE(image);
        CHECK(image->width() == 32);
    }
    // Each frame is its own slice of the clip.
    CHECK(test::meanAbsDiff(test::rgbOf(*images[0]), test::rgbOf(*images[4])) > 0.0);
}

TEST_CASE("generative: out of memory at VAE decode keeps the sampled latents", "[generative]") {
    std::vector<float> reference;
    {
        test::ScopedClipCache cache;
        test::GenHarness h;
        reference = test::rgbOf(*h.eval(h.generative("TextToVideo"), 1002));
    }
    test::ScopedClipCache cache;
    test::GenHarness h;
    auto& node = h.generative("TextToVideo");
    const auto before = modelRunCount();
    ::setenv("KINEMA_DIFFUSION_SIMULATE_DECODE_OOM", "1", 1); // no decode fits, at any tile size
    const std::string message = messageOf(h, node);
    ::unsetenv("KINEMA_DIFFUSION_SIMULATE_DECODE_OOM");
    CHECK_THAT(message, Catch::Contains("out of memory while decoding"));
    CHECK_THAT(message, Catch::Contains("latents are saved"));
    CHECK(modelRunCount() == before + 1);

    // The next attempt decodes the saved latents: no sampling, the same frames as an uninterrupted run.
    h.cache.clear();
    CHECK(test::rgbOf(*h.eval(node, 1002)) == reference);
    CHECK(modelRunCount() == before + 1);
}
