// SPDX-License-Identifier: Apache-2.0
/// kinema-eval: scores the embedded demo model (or any model of the scene grammar) on held-out scenes and
/// conditioning tasks, and prints the measured table (docs/demo-model.md shows the shipped model's).
///
///   kinema-eval --model resources/models/kinema-demo [--captions 100] [--per-task 20]
///               [--json results.json] [--sheet sheet.png] [--check]
///
/// Exit codes: 0 done (with --check: every target met), 1 a target missed (--check only), 2 usage or model
/// error, 3 an output could not be written.
#include "kinema/eval/Evaluation.h"

#include "ContactSheet.h"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>
#include <iomanip>
#include <iostream>

namespace {

nlohmann::json optionalJson(const std::optional<bool>& v) {
    return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

nlohmann::json numberJson(double v) {
    return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr);
}

/// The analyser's reading of the subject: the named colour, shape and motion it measured, and how close,
/// with the track the motion was read from (per frame: centroid x and y in [0, 1] of the frame, and the
/// square root of the area over the shorter side; null where the subject was not seen).
nlohmann::json measuredJson(const std::optional<kinema::scenes::ObjectMeasurement>& m) {
    if (!m)
        return nullptr;
    namespace ks = kinema::scenes;
    nlohmann::json track = nlohmann::json::array();
    for (std::size_t f = 0; f < m->scales.size() && f < m->centroids.size(); ++f)
        track.push_back(std::isfinite(m->scales[f])
                            ? nlohmann::json::array({m->centroids[f][0], m->centroids[f][1], m->scales[f]})
                            : nlohmann::json(nullptr));
    return {{"colour", std::string(ks::toString(m->colour))},
            {"colour_distance", m->colourDistance},
            {"shape", std::string(ks::toString(m->shape))},
            {"shape_iou", m->shapeIoU},
            {"motion", std::string(ks::toString(m->motion))},
            {"travel", std::string(ks::toString(m->travel))},
            {"emissive", m->emissive},
            {"area", m->meanArea},
            {"track", track}};
}

/// What the caption states about the subject and the light, as the scorer read it (parseCaption): the
/// side a misread is measured against. A field the caption leaves out is null.
nlohmann::json expectedJson(const kinema::scenes::CaptionFacts& facts) {
    namespace ks = kinema::scenes;
    const auto name = [](const auto& v) {
        return v ? nlohmann::json(std::string(ks::toString(*v))) : nlohmann::json(nullptr);
    };
    const ks::ObjectFacts subject = facts.objects.empty() ? ks::ObjectFacts{} : facts.objects.front();
    return {{"colour", name(subject.colour)}, {"shape", name(subject.shape)},
            {"motion", name(subject.motion)}, {"emissive", subject.emissive},
            {"light", name(facts.light)},     {"camera", name(facts.camera)}};
}

void writeJson(const kinema::eval::EvalReport& report, const std::string& path) {
    using nlohmann::json;
    json cases = json::array();
    for (const auto& c : report.cases) {
        // Every consecutive frame difference of the scored clip (mean absolute ACEScct difference): how
        // much a clip moves and flickers, and where a seam's ratio comes from.
        json steps = json::array();
        for (int f = 1; f < c.clip.frames; ++f)
            steps.push_back(kinema::scenes::frameDifference(c.clip, f - 1, c.clip, f));
        cases.push_back({{"task", std::string(toString(c.task))},
                         {"scene_seed", c.sceneSeed},
                         {"caption", c.caption},
                         {"expected", expectedJson(c.expected)},
                         {"subject_found", c.subjectFound},
                         {"measured", measuredJson(c.subject)},
                         {"colour", optionalJson(c.score.colour)},
                         {"shape", optionalJson(c.score.shape)},
                         {"motion", optionalJson(c.score.motion)},
                         {"direction", optionalJson(c.score.direction)},
                         {"light", optionalJson(c.score.light)},
                         {"keyframe_psnr", numberJson(c.keyframePsnr)},
                         {"seam", numberJson(c.seam)},
                         {"seam_jump", numberJson(c.seamJump)},
                         {"seam_unblended", numberJson(c.seamUnblended)},
                         {"seam_jump_unblended", numberJson(c.seamJumpUnblended)},
                         {"seam_over_continuation", numberJson(c.seamOverContinuation)},
                         {"frame_steps", steps},
                         {"seconds", c.seconds}});
    }
    json measures = json::array();
    for (const auto& m : report.measures)
        measures.push_back({{"name", m.name},
                            {"task", m.task},
                            {"cases", m.cases},
                            {"value", numberJson(m.value)},
                            {"unit", m.unit},
                            {"target", m.target},
                            {"met", m.hasTarget ? json(m.met) : json(nullptr)}});
    const auto& s = report.settings;
    json doc{{"settings",
              {{"width", s.width},
               {"height", s.height},
               {"frames", s.frames},
               {"steps", s.steps},
               {"guidance", s.guidance},
               {"shift", s.shift},
               {"solver", s.solver},
               {"extension_overlap", s.extensionOverlap},
               {"align_seam", s.alignSeam},
               {"seam_blend", s.seamBlend},
               {"colour_match", s.colourMatch}}},
             {"measures", measures},
             {"cases", cases}};
    const std::string tmp = path + ".partial";
    {
        std::ofstream out(tmp);
        out << doc.dump(1) << '\n';
        if (!out.flush())
            throw std::runtime_error(path + ": cannot write");
    }
    std::filesystem::rename(tmp, path);
}

/// Sheet rows: the first `perTask` cases of every task, labelled with the task and caption.
std::vector<kinema::scenes::SheetRow> sheetRows(const kinema::eval::EvalReport& report, int perTask) {
    std::vector<kinema::scenes::SheetRow> rows;
    for (auto task : kinema::eval::kAllTasks) {
        int n = 0;
        for (const auto& c : report.cases)
            if (c.task == task && n < perTask) {
                ++n;
                kinema::scenes::Clip clip = c.clip;
                if (clip.frames > report.settings.frames) { // extension: show the continuation
                    const std::size_t skip =
                        clip.frameFloats() * std::size_t(clip.frames - report.settings.frames);
                    clip.rgb.erase(clip.rgb.begin(), clip.rgb.begin() + static_cast<std::ptrdiff_t>(skip));
                    clip.frames = report.settings.frames;
                }
                std::string label = "[" + std::string(toString(task)) + "] " + c.caption;
                if (label.size() > 90)
                    label = label.substr(0, 87) + "...";
                rows.push_back({std::move(clip), label});
            }
    }
    return rows;
}

} // namespace

int main(int argc, char** argv) {
    CLI::App cli{"kinema-eval: score a demo-grammar text-to-video model on held-out scenes"};
    kinema::eval::EvalOptions o;
    std::string jsonPath, sheetPath;
    int sheetPerTask = 2, sheetColumns = 6;
    bool check = false, quiet = false;
    cli.add_option("--model", o.model, "model folder")->required();
    cli.add_option("--captions", o.captions, "text-to-video cases (held-out captions)")
        ->check(CLI::Range(0, 100000));
    cli.add_option("--per-task", o.perTask, "cases of each conditioning task")->check(CLI::Range(0, 100000));
    cli.add_option("--seed", o.firstSeed, "first held-out scene seed");
    std::vector<std::string> taskNames;
    cli.add_option(
           "--tasks", taskNames,
           "run only these tasks (text-to-video, first-frame, first-last, keyframes, loop, extension, "
           "reconstruction; comma-separated); the others keep their scene seeds, so the cases are "
           "those of a full run")
        ->delimiter(',');
    cli.add_option("--size", o.width, "frame width and height (default: the model card's)")
        ->each([&](const std::string&) { o.height = o.width; });
    cli.add_option("--frames", o.frames, "frames per clip, 4k + 1 (default: the model card's)");
    cli.add_option("--steps", o.steps, "denoising steps (default: the model card's)");
    cli.add_option("--guidance", o.guidance, "guidance scale (default: the model card's)");
    cli.add_option("--shift", o.shift, "timestep shift (default: the model card's)");
    cli.add_option("--solver", o.solver, "unipc, dpm++ or euler (default: the model card's)");
    cli.add_option("--threads", o.threads, "CPU threads (0 = all)");
    cli.add_option(
           "--extension-overlap", o.extensionOverlap,
           "source frames that condition the extension task (as Extend's overlap; default 4, as on the node)")
        ->check(CLI::Range(1, 1000));
    cli.add_option(
        "--align-seam", o.alignSeam,
        "generate one hidden frame ahead of the extension when its seam would open a latent frame, "
        "as Extend's alignSeam (true or false; default true, as on the node)");
    cli.add_option("--seam-blend", o.seamBlend,
                   "frames the loop and extension seams are blended over (as the Loop and Extend nodes' "
                   "seamBlend; 0 = the model's frames as they come)")
        ->check(CLI::Range(0, 1000));
    cli.add_option(
        "--colour-match", o.colourMatch,
        "match the extension's colour to the source over the overlap frames before the seam blend, "
        "as Extend's colorMatch (true or false; default true, as on the node)");
    cli.add_option("--json", jsonPath, "write every case and the measures as JSON");
    cli.add_option("--sheet", sheetPath, "contact sheet PNG of generated clips");
    cli.add_option("--sheet-per-task", sheetPerTask, "sheet rows per task")->check(CLI::Range(1, 100));
    cli.add_option("--sheet-frames", sheetColumns, "frames per sheet row")->check(CLI::Range(1, 64));
    cli.add_flag("--check", check, "exit 1 when a target is missed");
    cli.add_flag("-q,--quiet", quiet, "no per-case lines");
    CLI11_PARSE(cli, argc, argv);

    try {
        for (const auto& name : taskNames)
            o.tasks.push_back(kinema::eval::taskFromString(name));
    } catch (const std::invalid_argument& e) {
        std::cerr << "kinema-eval: --tasks: " << e.what() << "\n";
        return 2;
    }

    kinema::eval::EvalReport report;
    try {
        report = kinema::eval::evaluate(o, [&](const kinema::eval::CaseResult& c, int done, int total) {
            if (quiet)
                return;
            auto mark = [](const std::optional<bool>& v) { return v ? (*v ? "ok" : "x ") : "- "; };
            std::cout << "[" << std::setw(3) << done << "/" << total << "] " << std::left << std::setw(13)
                      << toString(c.task) << std::right << " colour " << mark(c.score.colour) << " shape "
                      << mark(c.score.shape) << " motion " << mark(c.score.motion);
            if (std::isfinite(c.keyframePsnr))
                std::cout << " psnr " << std::fixed << std::setprecision(1) << c.keyframePsnr;
            if (std::isfinite(c.seam))
                std::cout << " seam " << std::fixed << std::setprecision(2) << c.seam << " (model alone "
                          << c.seamUnblended << ")";
            std::cout << " " << std::fixed << std::setprecision(2) << c.seconds << " s  " << c.caption
                      << std::endl;
        });
    } catch (const std::exception& e) {
        std::cerr << "kinema-eval: " << e.what() << '\n';
        return 2;
    }
    const auto& s = report.settings;
    std::cout << "\n"
              << s.width << "x" << s.height << ", " << s.frames << " frames, " << s.steps << " steps "
              << s.solver << ", guidance " << s.guidance << ", shift " << s.shift << ", extension overlap "
              << s.extensionOverlap << (s.alignSeam ? " (seam aligned)" : "") << ", seam blend "
              << s.seamBlend << " frames, colour match " << (s.colourMatch ? "on" : "off") << "\n\n"
              << kinema::eval::markdownTable(report.measures);
    try {
        if (!jsonPath.empty())
            writeJson(report, jsonPath);
        if (!sheetPath.empty())
            kinema::scenes::writeContactSheet(sheetRows(report, sheetPerTask), sheetColumns, sheetPath);
    } catch (const std::exception& e) {
        std::cerr << "kinema-eval: " << e.what() << '\n';
        return 3;
    }
    if (check)
        for (const auto& m : report.measures)
            if (m.hasTarget && !m.met)
                return 1;
    return 0;
}
