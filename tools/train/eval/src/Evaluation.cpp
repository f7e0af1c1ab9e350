// SPDX-License-Identifier: Apache-2.0
#include "kinema/eval/Evaluation.h"

#include "kinema/diffusion/ColourMatch.h"
#include "kinema/diffusion/SeamBlend.h"
#include "kinema/diffusion/Session.h"
#include "kinema/scenes/Caption.h"
#include "kinema/scenes/SceneSpec.h"
#include "kinema/trainer/Trainer.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <fstream>
#include <iomanip>
#include <limits>
#include <numeric>
#include <sstream>
#include <stdexcept>
#include <utility>

namespace kinema::eval {

namespace fs = std::filesystem;
namespace ks = kinema::scenes;
namespace kd = kinema::diffusion;

std::string_view toString(Task task) {
    switch (task) {
    case Task::TextToVideo:
        return "text-to-video";
    case Task::FirstFrame:
        return "first frame";
    case Task::FirstLast:
        return "first + last";
    case Task::Keyframes:
        return "keyframes";
    case Task::Loop:
        return "loop";
    case Task::Extension:
        return "extension";
    case Task::Reconstruction:
        return "reconstruction";
    }
    return "?";
}

Task taskFromString(std::string_view name) {
    const auto normal = [](std::string_view text) {
        std::string out;
        for (char c : text) {
            if (c == ' ' || c == '+' || c == '-' || c == '_') {
                if (!out.empty() && out.back() != '-')
                    out += '-';
            } else {
                out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            }
        }
        return out;
    };
    std::string known;
    for (Task t : kAllTasks) {
        if (normal(toString(t)) == normal(name))
            return t;
        known += (known.empty() ? "" : ", ") + normal(toString(t));
    }
    throw std::invalid_argument("unknown task '" + std::string(name) + "' (known: " + known + ")");
}

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

/// Settings from the options, falling back to the model card's defaults, then to the demo model's.
EvalSettings resolveSettings(const EvalOptions& o) {
    EvalSettings s{64, 64, 17, 20, 5.0, 3.0, "unipc"};
    std::ifstream in(o.model / "model.json");
    if (in) {
        const auto card = nlohmann::json::parse(in, nullptr, false);
        if (!card.is_discarded()) {
            if (card.contains("resolution") && card["resolution"].is_array() &&
                card["resolution"].size() == 2) {
                s.width = card["resolution"][0].get<int>();
                s.height = card["resolution"][1].get<int>();
            }
            if (card.contains("frames") && card["frames"].is_number_integer())
                s.frames = card["frames"].get<int>();
            if (card.contains("defaults") && card["defaults"].is_object()) {
                const auto& d = card["defaults"];
                s.steps = d.value("steps", s.steps);
                s.guidance = d.value("guidance", s.guidance);
                s.shift = d.value("shift", s.shift);
                s.solver = d.value("solver", s.solver);
            }
        }
    }
    s.extensionOverlap = o.extensionOverlap;
    s.alignSeam = o.alignSeam;
    s.seamBlend = o.seamBlend;
    s.colourMatch = o.colourMatch;
    if (o.width > 0)
        s.width = o.width;
    if (o.height > 0)
        s.height = o.height;
    if (o.frames > 0)
        s.frames = o.frames;
    if (o.steps > 0)
        s.steps = o.steps;
    if (o.guidance >= 0.0)
        s.guidance = o.guidance;
    if (o.shift > 0.0)
        s.shift = o.shift;
    if (!o.solver.empty())
        s.solver = o.solver;
    return s;
}

ks::Clip renderScene(const ks::SceneSpec& spec, const EvalSettings& s, int frames, int first, int timeline) {
    ks::RenderSettings r;
    r.width = s.width;
    r.height = s.height;
    r.frames = frames;
    r.firstFrame = first;
    r.timelineFrames = timeline;
    r.supersampling = 2; // as the trainer renders its data
    return ks::render(spec, r);
}

kd::Image toModelImage(const ks::Clip& clip, int frame) {
    kd::Image image;
    image.width = clip.width;
    image.height = clip.height;
    const float* src = clip.frame(frame);
    image.rgb.resize(clip.frameFloats());
    for (std::size_t i = 0; i < image.rgb.size(); ++i)
        image.rgb[i] = std::clamp(trainer::encodePixel(src[i]), -1.0f, 1.0f);
    return image;
}

ks::Clip toSceneClip(const std::vector<kd::Image>& frames, int count) {
    ks::Clip clip;
    clip.width = frames.at(0).width;
    clip.height = frames.at(0).height;
    clip.frames = std::min<int>(count, static_cast<int>(frames.size()));
    clip.rgb.reserve(clip.frameFloats() * static_cast<std::size_t>(clip.frames));
    for (int f = 0; f < clip.frames; ++f)
        for (float v : frames[static_cast<std::size_t>(f)].rgb)
            clip.rgb.push_back(trainer::decodePixel(v));
    return clip;
}

/// Caption style of case `i`: short, long and keyword captions in turn.
ks::CaptionStyle styleOf(int i) {
    return ks::kAllCaptionStyles[static_cast<std::size_t>(i) % ks::kAllCaptionStyles.size()];
}

class Runner {
public:
    Runner(const EvalOptions& o, EvalSettings s)
        : m_settings(std::move(s)) {
        kd::SessionOptions so;
        so.threads = o.threads;
        try {
            m_session = kd::Session::open(o.model, so);
        } catch (const std::exception& e) {
            throw std::runtime_error("model '" + o.model.string() + "': " + e.what());
        }
    }

    CaseResult run(Task task, std::uint64_t sceneSeed, int index) {
        CaseResult r;
        r.task = task;
        r.sceneSeed = sceneSeed;
        r.keyframePsnr = kNaN;
        r.seam = kNaN;
        r.seamJump = kNaN;
        r.seamUnblended = kNaN;
        r.seamJumpUnblended = kNaN;
        r.seamOverContinuation = kNaN;
        const ks::SceneSpec spec = ks::sample(sceneSeed);
        r.caption = ks::caption(spec, styleOf(index), ks::splitMix64(sceneSeed));
        const int n = m_settings.frames;
        const int overlap = m_settings.extensionOverlap;
        // As the Extend node: a hidden lead frame moves the seam off a latent frame's first frame.
        const int lead = m_settings.alignSeam ? kd::seamLeadFrames(overlap) : 0;
        const int shown = lead + overlap; // first generated frame after the seam

        kd::GenerateRequest req;
        req.prompt = r.caption;
        req.seed = ks::splitMix64(sceneSeed ^ 0x5eedULL);
        req.frames = n;
        req.width = m_settings.width;
        req.height = m_settings.height;
        req.steps = m_settings.steps;
        req.guidance = m_settings.guidance;
        req.shift = m_settings.shift;
        req.solver = m_settings.solver;

        std::vector<int> keys;
        ks::Clip truth;
        switch (task) {
        case Task::TextToVideo:
            break;
        case Task::FirstFrame:
            keys = {0};
            break;
        case Task::FirstLast:
            keys = {0, n - 1};
            break;
        case Task::Keyframes:
            keys = {0, (n - 1) / 2, n - 1};
            break;
        case Task::Loop: {
            // As the Loop node: one more frame than the loop, the first image at both ends.
            truth = renderScene(spec, m_settings, 1, 0, n);
            const kd::Image first = toModelImage(truth, 0);
            req.conditioning.push_back({0, first, {}});
            req.conditioning.push_back({n - 1, first, {}});
            break;
        }
        case Task::Extension: {
            // The source is frames 0..n-1 of a (2n - k - lead)-frame timeline; the continuation starts
            // (after the lead frame) with its last k frames (the overlap) and goes on to the timeline's end.
            truth = renderScene(spec, m_settings, n, 0, 2 * n - shown);
            for (int i = 0; i < overlap; ++i)
                req.conditioning.push_back({lead + i, toModelImage(truth, n - overlap + i), {}});
            break;
        }
        case Task::Reconstruction:
            truth = renderScene(spec, m_settings, n, 0, n);
            for (int i = 0; i < n; ++i)
                req.initVideo.push_back(toModelImage(truth, i));
            req.strength = 0.0; // encode and decode only
            break;
        }
        if (!keys.empty()) {
            truth = renderScene(spec, m_settings, n, 0, n);
            for (int k : keys)
                req.conditioning.push_back({k, toModelImage(truth, k), {}});
        }

        const auto t0 = std::chrono::steady_clock::now();
        const kd::GenerateResult result = m_session->generate(req);
        r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        ks::Clip generated = toSceneClip(result.frames, n);

        if (task == Task::Loop || task == Task::Extension) {
            // Scored twice: the model's frames as they come, then blended at the seam as the nodes do.
            const auto scoreSeam = [&](const ks::Clip& clip, double& seam, double& jump) -> ks::Clip {
                if (task == Task::Loop) {
                    ks::Clip loop = clip;
                    loop.frames = n - 1; // frame n-1 repeats frame 0
                    loop.rgb.resize(loop.frameFloats() * static_cast<std::size_t>(n - 1));
                    seam = ks::loopSeam(loop);
                    jump = ks::frameDifference(loop, n - 2, loop, 0);
                    return loop;
                }
                ks::Clip joined = truth;
                joined.frames = 2 * n - shown;
                joined.rgb.insert(joined.rgb.end(),
                                  clip.rgb.begin() + static_cast<std::ptrdiff_t>(clip.frameFloats() * shown),
                                  clip.rgb.end());
                seam = ks::extensionSeam(joined, n);
                jump = ks::frameDifference(joined, n - 1, joined, n);
                return joined;
            };
            generated = scoreSeam(generated, r.seamUnblended, r.seamJumpUnblended);
            if (m_settings.seamBlend == 0) {
                r.seam = r.seamUnblended;
                r.seamJump = r.seamJumpUnblended;
            } else {
                std::vector<kd::Image> blended = result.frames;
                std::vector<float*> planes;
                for (auto& image : blended)
                    planes.push_back(image.rgb.data());
                const std::size_t floats = blended.at(0).rgb.size();
                if (task == Task::Extension && m_settings.colourMatch) {
                    // As the Extend node: the generated overlap frames matched to the source's (the
                    // request's conditioning frames, positions lead .. lead + overlap - 1), first.
                    std::vector<const float*> generatedOverlap, sourceOverlap;
                    for (int i = 0; i < overlap; ++i) {
                        generatedOverlap.push_back(planes[static_cast<std::size_t>(lead + i)]);
                        sourceOverlap.push_back(
                            req.conditioning[static_cast<std::size_t>(i)].image.rgb.data());
                    }
                    const auto match = kd::fitColourMatch(generatedOverlap, sourceOverlap, floats / 3);
                    for (float* plane : planes)
                        kd::applyColourMatch(match, plane, floats, -1.0f, 1.0f);
                }
                if (task == Task::Loop) {
                    // As the Loop node: frame n-1 takes frame 0's values, and the fade stops short of frame 0
                    // itself (so frame 0 can be the target in place).
                    kd::blendSeam(planes, floats, n - 1, planes[0], std::min(m_settings.seamBlend, n - 2),
                                  kd::SeamSide::Before, -1.0f, 1.0f);
                } else {
                    // The source's last frame: the request's last conditioning frame.
                    kd::blendSeam(planes, floats, shown - 1, req.conditioning.back().image.rgb.data(),
                                  m_settings.seamBlend, kd::SeamSide::After, -1.0f, 1.0f);
                }
                generated = scoreSeam(toSceneClip(blended, n), r.seam, r.seamJump);
            }
            if (task == Task::Extension && generated.frames > n + 1) {
                double step = 0;
                for (int f = n; f + 1 < generated.frames; ++f)
                    step += ks::frameDifference(generated, f, generated, f + 1) /
                            double(generated.frames - n - 1);
                r.seamOverContinuation = step > 1e-12 ? r.seamJump / step : kNaN;
            }
        } else if (task == Task::Reconstruction) {
            std::vector<int> all(static_cast<std::size_t>(n));
            std::iota(all.begin(), all.end(), 0);
            r.keyframePsnr = ks::keyframePsnr(generated, truth, all);
        } else if (!keys.empty()) {
            r.keyframePsnr = ks::keyframePsnr(generated, truth, keys);
        }

        r.expected = ks::parseCaption(r.caption);
        try {
            const ks::ClipAnalysis analysis = m_analyser.analyse(generated);
            r.subjectFound = !analysis.objects.empty();
            if (r.subjectFound) {
                r.score = ks::SceneAnalyser::score(analysis, r.expected);
                r.subject = analysis.objects.front();
            }
        } catch (const ks::SceneError&) {
            r.subjectFound = false;
        }
        if (!r.subjectFound) {
            // Nothing measurable counts as wrong for every field the caption states.
            if (!r.expected.objects.empty()) {
                const auto& subject = r.expected.objects.front();
                if (subject.colour)
                    r.score.colour = false;
                if (subject.shape)
                    r.score.shape = false;
                if (subject.motion)
                    r.score.motion = false;
                if (subject.motion && ks::isDirection(*subject.motion))
                    r.score.direction = false;
            }
        }
        r.clip = std::move(generated);
        return r;
    }

    const EvalSettings& settings() const { return m_settings; }

private:
    EvalSettings m_settings;
    std::unique_ptr<kd::Session> m_session;
    ks::SceneAnalyser m_analyser;
};

Measure accuracy(const std::vector<CaseResult>& cases, Task task, const char* name,
                 std::optional<bool> ks::SceneScore::*field, double target) {
    Measure m;
    m.name = name;
    m.task = std::string(toString(task));
    int right = 0;
    for (const auto& c : cases)
        if (c.task == task && (c.score.*field).has_value()) {
            ++m.cases;
            right += *(c.score.*field) ? 1 : 0;
        }
    m.value = m.cases ? 100.0 * right / m.cases : kNaN;
    m.unit = "%";
    if (target > 0) {
        m.hasTarget = true;
        std::ostringstream t;
        t << ">= " << target << " %";
        m.target = t.str();
        m.met = m.cases > 0 && m.value >= target;
    }
    return m;
}

double meanOf(const std::vector<double>& v) {
    double sum = 0.0;
    for (double x : v)
        sum += x;
    return v.empty() ? kNaN : sum / static_cast<double>(v.size());
}

double medianOf(std::vector<double> v) {
    if (v.empty())
        return kNaN;
    std::sort(v.begin(), v.end());
    const std::size_t h = v.size() / 2;
    return v.size() % 2 ? v[h] : 0.5 * (v[h - 1] + v[h]);
}

} // namespace

std::vector<Measure> summarise(const std::vector<CaseResult>& cases) {
    std::vector<Measure> out;
    out.push_back(accuracy(cases, Task::TextToVideo, "colour", &ks::SceneScore::colour, 90));
    out.push_back(accuracy(cases, Task::TextToVideo, "shape", &ks::SceneScore::shape, 70));
    out.push_back(accuracy(cases, Task::TextToVideo, "motion direction", &ks::SceneScore::motion, 80));
    // The eight directions' captions alone, scored on the centroid's travel whatever the size does.
    out.push_back(accuracy(cases, Task::TextToVideo, "direction of travel", &ks::SceneScore::direction, 0));
    out.push_back(accuracy(cases, Task::TextToVideo, "lighting side", &ks::SceneScore::light, 0));
    out.push_back(accuracy(cases, Task::FirstFrame, "motion direction", &ks::SceneScore::motion, 0));

    std::vector<double> psnr;
    std::string psnrTasks;
    for (Task t : {Task::FirstFrame, Task::FirstLast, Task::Keyframes}) {
        std::vector<double> taskPsnr;
        for (const auto& c : cases)
            if (c.task == t && !std::isnan(c.keyframePsnr))
                taskPsnr.push_back(std::min(c.keyframePsnr, 99.0));
        if (taskPsnr.empty())
            continue;
        Measure m{"keyframe PSNR",
                  std::string(toString(t)),
                  static_cast<int>(taskPsnr.size()),
                  meanOf(taskPsnr),
                  "dB",
                  "",
                  false,
                  false};
        out.push_back(m);
        psnr.insert(psnr.end(), taskPsnr.begin(), taskPsnr.end());
        psnrTasks += (psnrTasks.empty() ? "" : ", ") + std::string(toString(t));
    }
    if (!psnr.empty())
        out.push_back({"keyframe PSNR (all keyed tasks)", psnrTasks, static_cast<int>(psnr.size()),
                       meanOf(psnr), "dB", ">= 25 dB", true, meanOf(psnr) >= 25.0});

    // The finite values of one per-case seam field for task t.
    const auto finiteOf = [&](Task t, double CaseResult::*field) {
        std::vector<double> values;
        for (const auto& c : cases)
            if (c.task == t && std::isfinite(c.*field))
                values.push_back(c.*field);
        return values;
    };
    for (Task t : {Task::Loop, Task::Extension}) {
        const auto seams = finiteOf(t, &CaseResult::seam);
        if (seams.empty())
            continue;
        const std::string name = t == Task::Loop ? "loop seam" : "extension seam";
        out.push_back({name + " (median)", std::string(toString(t)), static_cast<int>(seams.size()),
                       medianOf(seams), "x", "<= 1.5", true, medianOf(seams) <= 1.5});
        out.push_back({name + " (mean)", std::string(toString(t)), static_cast<int>(seams.size()),
                       meanOf(seams), "x", "", false, false});
        for (const auto& [suffix, field] : {std::pair{", model alone (median)", &CaseResult::seamUnblended},
                                            std::pair{", jump over the continuation's own step (median)",
                                                      &CaseResult::seamOverContinuation}}) {
            const auto values = finiteOf(t, field);
            if (!values.empty())
                out.push_back({name + suffix, std::string(toString(t)), static_cast<int>(values.size()),
                               medianOf(values), "x", "", false, false});
        }
    }
    // The VAE's ceiling: the same analysis on round trips of the rendered clips.
    std::vector<double> roundTrip;
    for (const auto& c : cases)
        if (c.task == Task::Reconstruction && !std::isnan(c.keyframePsnr))
            roundTrip.push_back(std::min(c.keyframePsnr, 99.0));
    if (!roundTrip.empty()) {
        out.push_back(accuracy(cases, Task::Reconstruction, "colour", &ks::SceneScore::colour, 0));
        out.push_back(accuracy(cases, Task::Reconstruction, "shape", &ks::SceneScore::shape, 0));
        out.push_back(accuracy(cases, Task::Reconstruction, "motion direction", &ks::SceneScore::motion, 0));
        out.push_back(
            accuracy(cases, Task::Reconstruction, "direction of travel", &ks::SceneScore::direction, 0));
        out.push_back({"PSNR (every frame)", "reconstruction", static_cast<int>(roundTrip.size()),
                       meanOf(roundTrip), "dB", "", false, false});
    }

    std::vector<double> seconds;
    for (const auto& c : cases)
        if (c.task == Task::TextToVideo)
            seconds.push_back(c.seconds);
    if (!seconds.empty())
        out.push_back({"time per clip (mean)", "text-to-video", static_cast<int>(seconds.size()),
                       meanOf(seconds), "s", "<= 10 s", true, meanOf(seconds) <= 10.0});
    return out;
}

std::string markdownTable(const std::vector<Measure>& measures) {
    std::ostringstream out;
    out << "| Measure | Task | Cases | Measured | Target | Met |\n|---|---|---|---|---|---|\n";
    for (const auto& m : measures) {
        std::ostringstream value;
        if (std::isfinite(m.value))
            value << std::fixed << std::setprecision(m.unit == "%" ? 1 : 2) << m.value
                  << (m.unit == "x" ? "" : " ") << (m.unit == "x" ? "" : m.unit);
        else
            value << "n/a";
        out << "| " << m.name << " | " << m.task << " | " << m.cases << " | " << value.str() << " | "
            << (m.hasTarget ? m.target : "—") << " | " << (m.hasTarget ? (m.met ? "yes" : "no") : "—")
            << " |\n";
    }
    return out.str();
}

EvalReport evaluate(const EvalOptions& options, const CaseCallback& onCase) {
    if (options.captions < 0 || options.perTask < 0)
        throw std::runtime_error("case counts must be >= 0");
    EvalReport report;
    Runner runner(options, resolveSettings(options));
    report.settings = runner.settings();
    if (report.settings.frames < 5 || (report.settings.frames - 1) % 4)
        throw std::runtime_error("frames = " + std::to_string(report.settings.frames) +
                                 ": must be 4k + 1 and >= 5");
    if (options.extensionOverlap < 1 || options.extensionOverlap > report.settings.frames - 2)
        throw std::runtime_error("extension overlap " + std::to_string(options.extensionOverlap) +
                                 ": must be 1 to frames - 2 (" + std::to_string(report.settings.frames - 2) +
                                 ")");
    if (options.seamBlend < 0)
        throw std::runtime_error("seam blend " + std::to_string(options.seamBlend) +
                                 ": must be 0 or more frames");
    // Scene seeds: one consecutive held-out range, text-to-video first, then each task's cases; a task
    // left out still takes its seeds.
    struct Planned {
        Task task;
        int index;
        std::uint64_t seed;
    };
    const auto selected = [&](Task t) {
        return options.tasks.empty() ||
               std::find(options.tasks.begin(), options.tasks.end(), t) != options.tasks.end();
    };
    std::vector<Planned> plan;
    std::uint64_t seed = options.firstSeed;
    for (Task t : kAllTasks) {
        const int count = t == Task::TextToVideo ? options.captions : options.perTask;
        for (int i = 0; i < count; ++i, ++seed)
            if (selected(t))
                plan.push_back({t, i, seed});
    }
    const int total = static_cast<int>(plan.size());
    for (int k = 0; k < total; ++k) {
        const Planned& p = plan[static_cast<std::size_t>(k)];
        report.cases.push_back(runner.run(p.task, p.seed, p.index));
        if (onCase)
            onCase(report.cases.back(), k + 1, total);
    }
    report.measures = summarise(report.cases);
    return report;
}

} // namespace kinema::eval
