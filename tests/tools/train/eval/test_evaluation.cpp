// SPDX-License-Identifier: Apache-2.0
// kinema::eval: measures and targets from cases, and short evaluations of the shipped demo model
// (resources/models/kinema-demo): case plan, determinism, the extension overlap, clear errors.
#include <kinema/eval/Evaluation.h>
#include <kinema/scenes/Analyser.h>

#include "TestSupport.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

using namespace kinema::eval;

namespace {

const Measure* find(const std::vector<Measure>& ms, const std::string& name, const std::string& task) {
    for (const auto& m : ms)
        if (m.name == name && m.task == task)
            return &m;
    return nullptr;
}

CaseResult textCase(bool colour, bool shape, bool motion, double seconds) {
    CaseResult c;
    c.task = Task::TextToVideo;
    c.score.colour = colour;
    c.score.shape = shape;
    c.score.motion = motion;
    c.seconds = seconds;
    c.keyframePsnr = c.seam = c.seamJump = std::numeric_limits<double>::quiet_NaN();
    c.seamUnblended = c.seamJumpUnblended = std::numeric_limits<double>::quiet_NaN();
    return c;
}

CaseResult seamCase(Task task, double seam) {
    CaseResult c;
    c.task = task;
    c.seam = seam;
    c.seamUnblended = 2.0 * seam; // what the model alone drew
    if (task == Task::Extension)
        c.seamOverContinuation = seam / 2.0; // the continuation's own steps are twice the mean
    c.keyframePsnr = std::numeric_limits<double>::quiet_NaN();
    return c;
}

EvalOptions demoOptions() {
    EvalOptions o;
    o.model = kinema::test::resourcesDir() / "models" / "kinema-demo";
    o.threads = 1;
    o.steps = 4;
    return o;
}

} // namespace

TEST_CASE("eval: accuracies, PSNR, seam medians and targets from cases", "[eval]") {
    std::vector<CaseResult> cases;
    for (int i = 0; i < 10; ++i) {
        cases.push_back(textCase(i < 9, i < 7, i < 8, 2.0)); // 90 %, 70 %, 80 %: exactly on target
        if (i >= 4) // six directional captions, the subject travelling their way in four
            cases.back().score.direction = i < 8;
    }
    for (double psnr : {24.0, 26.0, 1e9}) { // an identical key counts as 99 dB
        CaseResult c = seamCase(Task::FirstFrame, std::numeric_limits<double>::quiet_NaN());
        c.keyframePsnr = psnr;
        cases.push_back(c);
    }
    for (double seam : {1.0, 1.4, 9.0})
        cases.push_back(seamCase(Task::Loop, seam));
    for (double seam : {1.2, 2.0, 5.0, 6.0})
        cases.push_back(seamCase(Task::Extension, seam));

    const auto ms = summarise(cases);
    const auto* colour = find(ms, "colour", "text-to-video");
    REQUIRE(colour);
    CHECK(colour->cases == 10);
    CHECK(colour->value == Approx(90.0));
    CHECK(colour->met);
    CHECK(find(ms, "shape", "text-to-video")->met);
    CHECK(find(ms, "motion direction", "text-to-video")->value == Approx(80.0));
    // The direction of travel counts the directional captions only, and has no target of its own.
    const auto* travel = find(ms, "direction of travel", "text-to-video");
    REQUIRE(travel);
    CHECK(travel->cases == 6);
    CHECK(travel->value == Approx(400.0 / 6.0));
    CHECK_FALSE(travel->hasTarget);
    const auto* psnr = find(ms, "keyframe PSNR", "first frame");
    REQUIRE(psnr);
    CHECK(psnr->value == Approx((24.0 + 26.0 + 99.0) / 3.0));
    const auto* loop = find(ms, "loop seam (median)", "loop");
    REQUIRE(loop);
    CHECK(loop->value == Approx(1.4));
    CHECK(loop->met);
    const auto* ext = find(ms, "extension seam (median)", "extension");
    REQUIRE(ext);
    CHECK(ext->value == Approx(3.5)); // even count: mean of the middle two
    CHECK_FALSE(ext->met);
    CHECK(find(ms, "extension seam (mean)", "extension")->value == Approx(3.55));
    // The model alone: informative, no target.
    const auto* alone = find(ms, "extension seam, model alone (median)", "extension");
    REQUIRE(alone);
    CHECK(alone->value == Approx(7.0));
    CHECK_FALSE(alone->hasTarget);
    CHECK(find(ms, "loop seam, model alone (median)", "loop")->value == Approx(2.8));
    // The extension's jump against the continuation's own steps: informative, and extension only.
    const auto* own = find(ms, "extension seam, jump over the continuation's own step (median)", "extension");
    REQUIRE(own);
    CHECK(own->value == Approx(1.75));
    CHECK_FALSE(own->hasTarget);
    CHECK_FALSE(find(ms, "loop seam, jump over the continuation's own step (median)", "loop"));
    CHECK(find(ms, "time per clip (mean)", "text-to-video")->met);
    const auto table = markdownTable(ms);
    CHECK(table.find("| colour | text-to-video | 10 | 90.0 % | >= 90 % | yes |") != std::string::npos);
}

TEST_CASE("eval: the demo model runs every task deterministically", "[eval][demo]") {
    auto o = demoOptions();
    o.captions = 2;
    o.perTask = 1;
    const auto a = evaluate(o);
    REQUIRE(a.cases.size() == 8);
    CHECK(a.settings.width == 64);
    CHECK(a.settings.frames == 17);
    CHECK(a.settings.steps == 4);
    CHECK(a.settings.extensionOverlap == 4); // as the Extend node's defaults
    CHECK(a.settings.alignSeam);
    for (const auto& c : a.cases) {
        // The extension: the 17-frame source, then the continuation after its 4 overlap frames (no lead
        // frame: position 4 does not open a latent frame).
        const int expected = c.task == Task::Loop ? 16 : c.task == Task::Extension ? 30 : 17;
        CHECK(c.clip.frames == expected);
        const bool keyed =
            c.task == Task::FirstFrame || c.task == Task::FirstLast || c.task == Task::Keyframes;
        CHECK(std::isfinite(c.keyframePsnr) == (keyed || c.task == Task::Reconstruction));
        CHECK(std::isfinite(c.seam) == (c.task == Task::Loop || c.task == Task::Extension));
        CHECK(std::isfinite(c.seamJump) == std::isfinite(c.seam));
        CHECK(std::isfinite(c.seamUnblended) == std::isfinite(c.seam));
        CHECK(std::isfinite(c.seamJumpUnblended) == std::isfinite(c.seam));
        if (c.task == Task::Loop) // the jump from the loop's last frame back to its first
            CHECK(c.seamJump == kinema::scenes::frameDifference(c.clip, c.clip.frames - 1, c.clip, 0));
        if (c.task == Task::Extension) // the jump from the source's last frame into the continuation
            CHECK(c.seamJump == kinema::scenes::frameDifference(c.clip, 16, c.clip, 17));
        CHECK(std::isfinite(c.seamOverContinuation) == (c.task == Task::Extension));
        if (c.task == Task::Extension) {
            double step = 0; // the continuation's mean step, frames 17 to 29
            for (int f = 17; f < 29; ++f)
                step += kinema::scenes::frameDifference(c.clip, f, c.clip, f + 1) / 12.0;
            CHECK(c.seamOverContinuation == Approx(c.seamJump / step));
        }
        // The analyser's reading of the subject comes with every case where it found one.
        CHECK(c.subject.has_value() == c.subjectFound);
        if (c.subject) {
            CHECK(c.subject->framesSeen >= c.clip.frames / 2);
            // The track the motion was read from is kept: a centroid and a scale per frame of the clip.
            REQUIRE(c.subject->scales.size() == static_cast<std::size_t>(c.clip.frames));
            CHECK(c.subject->centroids.size() == c.subject->scales.size());
            const auto seen = std::count_if(c.subject->scales.begin(), c.subject->scales.end(),
                                            [](float s) { return std::isfinite(s) && s > 0; });
            CHECK(seen == c.subject->framesSeen);
        }
    }
    // The VAE round trip of the shipped model measures about 30 dB over every frame.
    const auto* roundTrip = find(a.measures, "PSNR (every frame)", "reconstruction");
    REQUIRE(roundTrip);
    CHECK(roundTrip->value > 24.0);
    const auto b = evaluate(o);
    REQUIRE(b.cases.size() == a.cases.size());
    for (std::size_t i = 0; i < a.cases.size(); ++i) {
        CHECK(a.cases[i].caption == b.cases[i].caption);
        CHECK(a.cases[i].clip.rgb == b.cases[i].clip.rgb);
    }

    // A run of some tasks only scores the same scenes as the full run's cases of those tasks.
    o.tasks = {Task::Reconstruction, Task::TextToVideo};
    const auto some = evaluate(o);
    REQUIRE(some.cases.size() == 3);
    std::vector<const kinema::eval::CaseResult*> expected;
    for (const auto& c : a.cases)
        if (c.task == Task::TextToVideo || c.task == Task::Reconstruction)
            expected.push_back(&c);
    REQUIRE(expected.size() == 3);
    for (std::size_t i = 0; i < 3; ++i) {
        CHECK(some.cases[i].task == expected[i]->task);
        CHECK(some.cases[i].sceneSeed == expected[i]->sceneSeed);
        CHECK(some.cases[i].caption == expected[i]->caption);
        CHECK(some.cases[i].clip.rgb == expected[i]->clip.rgb);
    }
}

TEST_CASE("eval: tasks are named as printed, or with hyphens", "[eval]") {
    using kinema::eval::taskFromString;
    for (Task t : kinema::eval::kAllTasks)
        CHECK(taskFromString(toString(t)) == t);
    CHECK(taskFromString("first-frame") == Task::FirstFrame);
    CHECK(taskFromString("First-Last") == Task::FirstLast);
    CHECK(taskFromString("reconstruction") == Task::Reconstruction);
    CHECK_THROWS_WITH(taskFromString("inpaint"),
                      Catch::Contains("'inpaint'") && Catch::Contains("first-last"));
}

TEST_CASE("eval: the extension overlap conditions that many source frames, after a lead frame when aligned",
          "[eval][demo]") {
    auto o = demoOptions();
    o.captions = 0;
    o.perTask = 1;
    o.extensionOverlap = 1;
    const auto r = evaluate(o);
    const CaseResult* ext = nullptr;
    for (const auto& c : r.cases)
        if (c.task == Task::Extension)
            ext = &c;
    REQUIRE(ext);
    CHECK(r.settings.extensionOverlap == 1);
    // The source, then the continuation after its lead frame (position 1 opens a latent frame) and its
    // overlap frame.
    CHECK(ext->clip.frames == 2 * 17 - 2);
    CHECK(std::isfinite(ext->seam));
    o.alignSeam = false;
    const auto unaligned = evaluate(o);
    for (const auto& c : unaligned.cases)
        if (c.task == Task::Extension) {
            CHECK(c.clip.frames == 2 * 17 - 1); // no lead frame
            CHECK(c.seam != ext->seam);
        }

    o.extensionOverlap = 16;
    CHECK_THROWS_WITH(evaluate(o), Catch::Contains("extension overlap 16") && Catch::Contains("frames - 2"));
}

TEST_CASE("eval: the seam blend joins loops and continuations as the nodes do", "[eval][demo]") {
    auto o = demoOptions();
    o.captions = 0;
    o.perTask = 1;
    o.seamBlend = 0;
    const auto plain = evaluate(o);
    o.seamBlend = 8;
    const auto blended = evaluate(o);
    CHECK(blended.settings.seamBlend == 8);
    REQUIRE(plain.cases.size() == blended.cases.size());
    int seams = 0;
    for (std::size_t i = 0; i < plain.cases.size(); ++i) {
        const auto& p = plain.cases[i];
        const auto& b = blended.cases[i];
        if (p.task != Task::Loop && p.task != Task::Extension) {
            CHECK(p.clip.rgb == b.clip.rgb); // other tasks are not blended
            continue;
        }
        ++seams;
        // Without the blend both readings are the same; with it, the unblended one is unchanged.
        CHECK(p.seam == p.seamUnblended);
        CHECK(b.seamUnblended == p.seamUnblended);
        CHECK(b.seamJumpUnblended == p.seamJump);
        INFO(toString(p.task) << ": jump " << b.seamJump << ", unblended " << p.seamJump);
        CHECK(b.seamJump < p.seamJump);
        if (p.task == Task::Extension) { // the source is untouched, the continuation is not
            const std::size_t floats = b.clip.frameFloats();
            CHECK(std::equal(b.clip.rgb.begin(),
                             b.clip.rgb.begin() + static_cast<std::ptrdiff_t>(17 * floats),
                             p.clip.rgb.begin()));
            CHECK(b.clip.rgb != p.clip.rgb);
        } else { // the loop's first frame is untouched
            CHECK(std::equal(b.clip.rgb.begin(),
                             b.clip.rgb.begin() + static_cast<std::ptrdiff_t>(b.clip.frameFloats()),
                             p.clip.rgb.begin()));
        }
    }
    CHECK(seams == 2);

    o.seamBlend = -1;
    CHECK_THROWS_WITH(evaluate(o), Catch::Contains("seam blend -1"));
}

TEST_CASE("eval: a missing model folder is named in the error", "[eval]") {
    EvalOptions o;
    o.model = "/nonexistent/kinema-model";
    o.captions = 1;
    o.perTask = 0;
    CHECK_THROWS_WITH(evaluate(o), Catch::Contains("/nonexistent/kinema-model"));
}

TEST_CASE("eval: the extension's colour is matched to the source before the seam blend, as Extend does",
          "[eval][demo]") {
    auto o = demoOptions();
    o.captions = 0;
    o.perTask = 1;
    const auto matched = evaluate(o);
    CHECK(matched.settings.colourMatch);
    o.colourMatch = false;
    const auto unmatched = evaluate(o);
    CHECK_FALSE(unmatched.settings.colourMatch);
    REQUIRE(matched.cases.size() == unmatched.cases.size());
    for (std::size_t i = 0; i < matched.cases.size(); ++i) {
        const auto& m = matched.cases[i];
        const auto& u = unmatched.cases[i];
        INFO(toString(m.task));
        if (m.task == Task::Extension) {
            CHECK(m.seamUnblended == u.seamUnblended); // the model's frames as they come are not matched
            const auto source = static_cast<std::ptrdiff_t>(17 * m.clip.frameFloats());
            CHECK(std::equal(m.clip.rgb.begin(), m.clip.rgb.begin() + source, u.clip.rgb.begin()));
            CHECK(!std::equal(m.clip.rgb.begin() + source, m.clip.rgb.end(), u.clip.rgb.begin() + source));
        } else {
            CHECK(m.clip.rgb == u.clip.rgb);
        }
    }
}
