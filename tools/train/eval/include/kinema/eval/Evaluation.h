// SPDX-License-Identifier: Apache-2.0
#pragma once
/// kinema::eval: scores a text-to-video model of the scene grammar (the embedded demo model) on held-out
/// scenes, from the pixels it generates.
///
/// Design: every case is a scene drawn by kinema::scenes::sample() from a seed range the trainer never
/// uses (training scenes come from 64-bit seeds mixed from the training seed and the step), a caption of
/// it in one of the three styles, and one conditioning task. The model runs through the diffusion core's
/// public Session API exactly as the generative nodes call it (pixel conditioning frames at output
/// positions, the same generation settings), and the decoded frames are mapped back to scene-linear with
/// the model's pixel encoding (v = 2 * ACEScct - 1). The scene analyser then measures what the caption
/// states (colour, shape, motion, lighting side), and the fidelity measures score the tasks:
///   text-to-video   caption only                       colour / shape / motion / lighting side
///   first frame     rendered frame 0 at position 0     PSNR at the key, motion
///   first + last    frames 0 and 16                    PSNR at the keys
///   keyframes       frames 0, 8 and 16                 PSNR at the keys
///   loop            frame 0 at positions 0 and N       loop seam of frames 0..N-1 (as the Loop node)
///   extension       the last frame(s) of a rendered    extension seam of source + continuation (Extend
///                   clip (EvalOptions::extensionOverlap) with that overlap)
/// Everything is deterministic: scene seeds, caption seeds and generation seeds are fixed.
#include "kinema/scenes/Analyser.h"
#include "kinema/scenes/Render.h"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kinema::eval {

/// Reconstruction is the VAE round trip of a rendered clip (video-to-video at strength 0): the ceiling of
/// what any DiT can draw through this VAE, scored like text-to-video.
enum class Task { TextToVideo, FirstFrame, FirstLast, Keyframes, Loop, Extension, Reconstruction };
inline constexpr Task kAllTasks[] = {Task::TextToVideo,   Task::FirstFrame, Task::FirstLast,
                                     Task::Keyframes,     Task::Loop,       Task::Extension,
                                     Task::Reconstruction};
std::string_view toString(Task task);
/// The task named `name`: its toString() name, or the same with hyphens for the spaces and " + "
/// ("first-frame", "first-last"), any case. Throws std::invalid_argument naming the known tasks.
Task taskFromString(std::string_view name);

struct EvalOptions {
    std::filesystem::path model;             ///< model folder
    int captions = 100;                      ///< text-to-video cases
    int perTask = 20;                        ///< cases of each conditioning task
    std::uint64_t firstSeed = 1'000'000'000; ///< held-out scene seeds: firstSeed, firstSeed + 1, ...
    /// Tasks to run (empty: all). A task left out keeps its scene seeds, so the cases that do run are the
    /// same scenes as in a run of every task with the same counts.
    std::vector<Task> tasks;
    // Generation settings; zero / empty values take the model card's defaults (model.json "defaults").
    int width = 0, height = 0, frames = 0, steps = 0;
    double guidance = -1.0, shift = 0.0;
    std::string solver;
    int threads = 0; ///< CPU threads of the session (0 = all)
    /// Extension task: the last `extensionOverlap` source frames condition the continuation's first
    /// frames, as the Extend node's "overlap" does (1 to frames - 2; 4 by default, as on the node).
    int extensionOverlap = 4;
    /// Extension task: one hidden lead frame ahead of the overlap when the seam would open a latent frame
    /// (diffusion::seamLeadFrames), as the Extend node's "alignSeam" (on by default there).
    bool alignSeam = true;
    /// Loop and extension: frames the seam blend fades over (diffusion::blendSeam, as the Loop and
    /// Extend nodes' "seamBlend"); 0 scores the model's frames as they come.
    int seamBlend = 8;
    /// Extension: before the seam blend, the continuation's colour matched to the source over the overlap
    /// frames (diffusion::fitColourMatch, as the Extend node's "colorMatch", on by default there).
    bool colourMatch = true;
};

/// One evaluated case.
struct CaseResult {
    Task task = Task::TextToVideo;
    std::uint64_t sceneSeed = 0;
    std::string caption;
    scenes::CaptionFacts expected; ///< what the caption states (parseCaption), the side scored against
    scenes::SceneScore score;      ///< subject measured against the caption (empty fields: not stated)
    bool subjectFound = false;     ///< the analyser found an object at all
    /// What the analyser measured on the subject when it found one (for reading failures case by case).
    std::optional<scenes::ObjectMeasurement> subject;
    /// dB: conditioning tasks with keys at their keys, reconstruction over every frame; NaN otherwise.
    double keyframePsnr = 0.0;
    double seam = 0.0; ///< loop or extension seam; NaN otherwise
    /// The seam's own frame difference (mean absolute ACEScct difference across it), before dividing by
    /// the mean step between the other frames; NaN for other tasks.
    double seamJump = 0.0;
    /// The seam and its jump without the seam blend: what the model alone draws (NaN for other tasks).
    double seamUnblended = 0.0;
    double seamJumpUnblended = 0.0;
    /// Extension only: the seam's jump (blended, as `seamJump`) over the continuation's own mean step, its
    /// frames after the seam; the seam ratio divides by the steps of both halves instead, so a rendered
    /// source that barely changes pulls that mean down. NaN for other tasks.
    double seamOverContinuation = std::numeric_limits<double>::quiet_NaN();
    double seconds = 0.0; ///< generation time (Session::generate, decode included)
    scenes::Clip clip;    ///< the generated clip, scene-linear (loop: frames 0..N-1; extension:
                          ///< source + continuation)
};

/// One line of the results table.
struct Measure {
    std::string name; ///< "colour", "shape", "motion", "lighting side", "keyframe PSNR", ...
    std::string task; ///< task(s) it is measured on
    int cases = 0;
    double value = 0.0; ///< fraction (accuracies), dB, seam ratio or seconds
    std::string unit;   ///< "%", "dB", "x", "s"
    std::string target; ///< e.g. ">= 90 %", empty when informative only
    bool hasTarget = false;
    bool met = false;
};

struct EvalSettings {
    int width = 0, height = 0, frames = 0, steps = 0;
    double guidance = 0.0, shift = 0.0;
    std::string solver;
    int extensionOverlap = 4;
    bool alignSeam = true;
    int seamBlend = 8;
    bool colourMatch = true;
};

struct EvalReport {
    EvalSettings settings;
    std::vector<CaseResult> cases;
    std::vector<Measure> measures;
};

/// Called after every case (for progress output); `done` of `total`.
using CaseCallback = std::function<void(const CaseResult&, int done, int total)>;

/// Runs every case and summarises. Throws std::runtime_error (naming the model folder) when the model
/// cannot be opened.
EvalReport evaluate(const EvalOptions& options, const CaseCallback& onCase = {});

/// The measures of a set of cases (used by evaluate; exposed for tests).
std::vector<Measure> summarise(const std::vector<CaseResult>& cases);

/// Markdown table of the measures.
std::string markdownTable(const std::vector<Measure>& measures);

} // namespace kinema::eval
