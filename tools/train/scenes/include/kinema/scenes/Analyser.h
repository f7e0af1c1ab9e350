// SPDX-License-Identifier: Apache-2.0
#pragma once
/// The scene analyser: measures, from the pixels of a clip (generated or rendered), the fields of the scene
/// grammar that a caption states, so generated clips can be scored against their captions.
///
/// Method. Per frame the background is estimated row by row (the grammar's backgrounds vary with height
/// only, up to a faint texture): the per-channel median of each row, then again without the pixels that
/// first pass found. Pixels whose log2 ratio to the background exceeds a threshold in any channel are
/// candidates; an object keeps the candidates whose linear difference from the background reaches half of
/// the largest difference within 3 pixels and a fifth of its component's 95th percentile, which cuts
/// anti-aliased fringes and emissive glow. Components are tracked over frames by nearest predicted
/// centroid; the subject is the track with the largest total area.
///  - colour: median Oklab chromaticity (a/L, b/L) of the interior pixels (invariant to brightness, so
///    to shading and emission strength), nearest named colour under neutral, warm or cool light;
///  - shape: intersection over union of the mask with each shape outline placed at the mask's centroid,
///    scaled to the mask's area, over a search of rotations; averaged over frames;
///  - motion: centroid trajectory (linear fit, angular sweep, vertical reversals), size ratio between the
///    first and last frames, and the template rotation over frames for spin; and, apart, the direction of
///    travel alone (the linear fit's direction, whatever the size, path or rotation does meanwhile);
///  - lighting side: offset of the luminance-weighted centroid from the plain centroid (lit objects only).
/// Fidelity measures work on ACEScct code values (a log encoding; the linear segment covers 0 and small
/// negatives), so differences weigh shadows and highlights like a grader's eye does and HDR values above
/// 1.0 do not dominate.
#include "kinema/scenes/Caption.h"
#include "kinema/scenes/Render.h"

#include <array>
#include <optional>
#include <vector>

namespace kinema::scenes {

/// What the analyser measured about one tracked object.
struct ObjectMeasurement {
    Colour colour = Colour::White;
    float colourDistance = 0.0f; ///< chromaticity distance to the chosen colour's prototype
    Shape shape = Shape::Circle;
    float shapeIoU = 0.0f; ///< mean best IoU of the chosen shape
    Motion motion = Motion::Still;
    /// The centroid's direction of travel alone: one of the eight directions, or Still when the linear fit
    /// moves less than 0.15 of the frame. A subject that drifts left while shrinking reads motion Shrink
    /// and travel Left.
    Motion travel = Motion::Still;
    std::optional<LightDirection> light; ///< empty for emissive objects or an unclear offset
    bool emissive = false;
    float meanArea = 0.0f; ///< fraction of the frame
    int framesSeen = 0;
    std::vector<std::array<float, 2>> centroids;  ///< per frame (x, y) in [0, 1]; NaN where not seen
    std::vector<float> scales;                    ///< per frame sqrt(area) / shorter side; NaN where not seen
    std::array<float, 2> lightOffset{0.0f, 0.0f}; ///< luminance centroid offset in equivalent radii
};

struct ClipAnalysis {
    std::vector<ObjectMeasurement> objects; ///< objects[0] is the subject; the rest by decreasing area
};

/// Agreement of a measurement with what was intended; a field is empty when the caption does not state it
/// or the analyser cannot measure it (the lighting side of an emissive object).
struct SceneScore {
    std::optional<bool> colour;
    std::optional<bool> shape;
    std::optional<bool> motion;
    /// Only for a caption stating one of the eight directions: whether the subject's travel goes that way
    /// (the centroid trajectory alone; `motion` also wants the size, path and rotation the caption implies).
    std::optional<bool> direction;
    std::optional<bool> light;
    std::optional<bool> emissive;
};

struct AnalyserSettings {
    float detectLog2 = 0.5f;         ///< candidate threshold, log2 ratio to the background
    float minAreaFraction = 0.0025f; ///< smallest object, fraction of the frame
    float emissiveLevel = 2.4f;      ///< 90th percentile of the brightest channel above which an object glows
};

class SceneAnalyser {
public:
    explicit SceneAnalyser(AnalyserSettings settings = {})
        : m_settings(settings) {}

    /// Measures the objects of a clip; throws SceneError on an empty or inconsistent clip.
    ClipAnalysis analyse(const Clip& clip) const;

    /// Compares the subject (objects[0]) with the intended subject of `intended`.
    static SceneScore score(const ClipAnalysis& analysis, const CaptionFacts& intended);

private:
    AnalyserSettings m_settings;
};

/// ACEScct encoding of a scene-linear value, and its inverse.
float toAcesCct(float linear);
float fromAcesCct(float code);

/// Mean absolute ACEScct difference between two frames (of the same size).
double frameDifference(const Clip& a, int frameA, const Clip& b, int frameB);

/// PSNR in dB of frame `frameA` of `a` against `frameB` of `b`, on ACEScct code values with a peak of 1.0;
/// +infinity for identical frames.
double psnr(const Clip& a, int frameA, const Clip& b, int frameB);

/// Mean PSNR over keyframes: generated frame k against reference frame k for each k in `frames`.
double keyframePsnr(const Clip& generated, const Clip& reference, const std::vector<int>& frames);

/// Loop seam: difference from the last frame to the first over the mean difference between consecutive
/// frames. About 1 for a clip that loops seamlessly, large for a cut.
double loopSeam(const Clip& clip);

/// Extension seam: difference between frames seam-1 and seam over the mean of the other consecutive
/// differences. About 1 when the extension continues the clip, large for a cut.
double extensionSeam(const Clip& clip, int seam);

} // namespace kinema::scenes
