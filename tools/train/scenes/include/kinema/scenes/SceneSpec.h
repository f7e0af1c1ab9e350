// SPDX-License-Identifier: Apache-2.0
#pragma once
/// kinema::scenes: the procedural training data of the Kinema demo model.
///
/// Design note: a SceneSpec is a small closed grammar (background, one to three objects with a motion,
/// camera, lighting). Everything downstream is a pure function of it: render() draws a scene-linear clip,
/// caption() describes it in words, parseCaption() recovers the stated fields from words, and the
/// SceneAnalyser measures the same fields back from pixels, so a generated clip can be scored against the
/// caption it was asked for. The library depends on the standard library only. Determinism comes from
/// our own generator (SplitMix64), never from std distributions whose output differs between libraries.
///
/// Coordinates: x grows to the right and y downwards, both normalised to [0, 1] over the frame; object
/// radii are fractions of the shorter frame side. Time t runs from 0 (first frame) to 1 (last frame).
#include <array>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace kinema::scenes {

/// Invalid scene data (an unknown name, a malformed spec) with a message naming the field.
class SceneError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

enum class Background { BlueSky, SunsetSky, GreyFloor, WoodFloor, Night, StarryNight };
enum class Shape { Circle, Square, Triangle, Star, Ring };
enum class Colour { Red, Orange, Yellow, Green, Cyan, Blue, Purple, Pink, White };
enum class Size { Small, Medium, Large };
enum class Motion {
    Still,
    Left,
    Right,
    Up,
    Down,
    UpLeft,
    UpRight,
    DownLeft,
    DownRight,
    Bounce,
    Orbit,
    Grow,
    Shrink,
    Spin
};
/// Whether a motion is one of the eight straight directions (Left ... DownRight).
constexpr bool isDirection(Motion m) {
    return m >= Motion::Left && m <= Motion::DownRight;
}
/// Whether a motion changes the subject's size (Grow or Shrink).
constexpr bool isSizeChange(Motion m) {
    return m == Motion::Grow || m == Motion::Shrink;
}
enum class Camera { Static, PanLeft, PanRight, ZoomIn, ZoomOut };
enum class LightDirection { Left, Right, Top, Front };
enum class Temperature { Neutral, Warm, Cool };
enum class Intensity { Dim, Normal, Bright };

inline constexpr std::array kAllBackgrounds{Background::BlueSky,   Background::SunsetSky,
                                            Background::GreyFloor, Background::WoodFloor,
                                            Background::Night,     Background::StarryNight};
inline constexpr std::array kAllShapes{Shape::Circle, Shape::Square, Shape::Triangle, Shape::Star,
                                       Shape::Ring};
inline constexpr std::array kAllColours{Colour::Red,    Colour::Orange, Colour::Yellow,
                                        Colour::Green,  Colour::Cyan,   Colour::Blue,
                                        Colour::Purple, Colour::Pink,   Colour::White};
inline constexpr std::array kAllSizes{Size::Small, Size::Medium, Size::Large};
inline constexpr std::array kAllMotions{Motion::Still,     Motion::Left,   Motion::Right,   Motion::Up,
                                        Motion::Down,      Motion::UpLeft, Motion::UpRight, Motion::DownLeft,
                                        Motion::DownRight, Motion::Bounce, Motion::Orbit,   Motion::Grow,
                                        Motion::Shrink,    Motion::Spin};
inline constexpr std::array kAllCameras{Camera::Static, Camera::PanLeft, Camera::PanRight, Camera::ZoomIn,
                                        Camera::ZoomOut};
inline constexpr std::array kAllLightDirections{LightDirection::Left, LightDirection::Right,
                                                LightDirection::Top, LightDirection::Front};
inline constexpr std::array kAllTemperatures{Temperature::Neutral, Temperature::Warm, Temperature::Cool};
inline constexpr std::array kAllIntensities{Intensity::Dim, Intensity::Normal, Intensity::Bright};

/// Canonical lower-case names ("blue sky", "circle", "up-left", "pan left", ...), used in JSON manifests.
std::string_view toString(Background value);
std::string_view toString(Shape value);
std::string_view toString(Colour value);
std::string_view toString(Size value);
std::string_view toString(Motion value);
std::string_view toString(Camera value);
std::string_view toString(LightDirection value);
std::string_view toString(Temperature value);
std::string_view toString(Intensity value);

/// Inverse of toString(); throws SceneError naming `field` when `name` is not a canonical name.
template <class Enum>
Enum enumFromString(std::string_view name, std::string_view field);
template <>
Background enumFromString<Background>(std::string_view name, std::string_view field);
template <>
Shape enumFromString<Shape>(std::string_view name, std::string_view field);
template <>
Colour enumFromString<Colour>(std::string_view name, std::string_view field);
template <>
Size enumFromString<Size>(std::string_view name, std::string_view field);
template <>
Motion enumFromString<Motion>(std::string_view name, std::string_view field);
template <>
Camera enumFromString<Camera>(std::string_view name, std::string_view field);
template <>
LightDirection enumFromString<LightDirection>(std::string_view name, std::string_view field);
template <>
Temperature enumFromString<Temperature>(std::string_view name, std::string_view field);
template <>
Intensity enumFromString<Intensity>(std::string_view name, std::string_view field);

struct SceneObject {
    Shape shape = Shape::Circle;
    Colour colour = Colour::Red;
    Size size = Size::Medium;
    Motion motion = Motion::Still;
    bool emissive = false; ///< self-lit, brighter than 1.0, with a glow; ignores the scene light
    float x = 0.5f;        ///< anchor: mid-clip centre, orbit centre, or bounce ground point
    float y = 0.5f;
    float phase = 0.0f;    ///< orbit start angle or initial rotation, radians
    bool clockwise = true; ///< orbit and spin direction (clockwise on screen)
};

struct Lighting {
    LightDirection direction = LightDirection::Front;
    Temperature temperature = Temperature::Neutral;
    Intensity intensity = Intensity::Normal;
};

struct SceneSpec {
    Background background = Background::BlueSky;
    std::vector<SceneObject> objects; ///< objects[0] is the subject: the largest and the one that moves
    Camera camera = Camera::Static;
    Lighting lighting;
    std::uint64_t textureSeed = 0; ///< clouds, stars, floor grain
};

/// SplitMix64's output for state `x`: the golden-ratio increment, then the finaliser. The one seed mixer of
/// the scene tools (the sampler's generator, the trainer's and the evaluator's seed derivations), identical
/// on every platform.
constexpr std::uint64_t splitMix64(std::uint64_t x) {
    std::uint64_t z = x + 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/// A random valid spec: the subject is the largest object and never meets the others, objects keep
/// contrast against the background, and no image row is more than about half covered by objects.
/// The same seed gives the same spec on every platform.
SceneSpec sample(std::uint64_t seed);

/// The spec with every direction a caption can state turned round: each object's motion runs the other way
/// (left <-> right, up <-> down, diagonals to the opposite corner, grow <-> shrink, orbit and spin the other
/// way round), the camera pans and zooms the other way, and side light comes from the other side. Anchors
/// are mid-clip positions, so a reversed linear motion crosses the same point. Everything else is kept: a
/// caption of the result with the caption seed of the original differs only in direction words, which is
/// what the trainer's direction contrast (--direction-contrast) compares against.
SceneSpec withDirectionsReversed(SceneSpec spec);

/// The spec with the subject (objects[0]) in another colour: one no object of the scene has, the
/// `pick`-th of those (modulo their count). A caption of the result with the original's caption seed
/// differs only in the subject's colour words: the trainer's colour contrast (--colour-contrast).
SceneSpec withSubjectRecoloured(SceneSpec spec, std::uint64_t pick);

/// The spec with the subject in another shape: the `pick`-th (modulo their count) of the shapes other than
/// its own, leaving out circle and ring when it spins (a spin needs a shape that shows it). For the
/// trainer's shape contrast (--shape-contrast), as withSubjectRecoloured.
SceneSpec withSubjectReshaped(SceneSpec spec, std::uint64_t pick);

/// The spec with the subject's colour swapped with that of the first other object that has another colour
/// (unchanged when there is none). A caption of the result names the same colours, bound to the other
/// objects: the trainer's colour-swap contrast (--colour-swap-contrast), which teaches which object a
/// colour word belongs to.
SceneSpec withSubjectColourSwapped(SceneSpec spec);

/// The spec with the subject's travel traded for a change of size, or the other way round: a subject moving
/// in one of the eight directions grows (`pick` even) or shrinks (odd) instead, a growing or shrinking one
/// moves in the `pick`-th direction (modulo 8) instead; any other motion is kept (the same caption). A
/// caption of the result with the original's caption seed differs in the subject's motion words: the
/// trainer's size contrast (--size-contrast), which teaches that a caption's direction asks for a subject
/// that keeps its size, and a growing or shrinking one for a subject that stays where it is.
SceneSpec withSubjectSizeTraded(SceneSpec spec, std::uint64_t pick);

/// Throws SceneError when a spec breaks the grammar (no objects, more than three, a spin of a
/// rotationally symmetric shape, an anchor outside the frame).
void validate(const SceneSpec& spec);

/// Where an object is at time t in [0, 1], in world coordinates (before the camera).
struct ObjectPose {
    float x = 0.5f;
    float y = 0.5f;
    float radius = 0.1f;   ///< bounding radius scale, fraction of the shorter frame side
    float rotation = 0.0f; ///< radians, clockwise on screen
};
ObjectPose poseAt(const SceneObject& object, double t);

/// The camera at time t: world point (x, y) appears at ((x - centreX) * zoom + 0.5, (y - 0.5) * zoom + 0.5).
struct CameraPose {
    float centreX = 0.5f;
    float zoom = 1.0f;
};
CameraPose cameraAt(Camera camera, double t);

/// Object radius of a size class, fraction of the shorter frame side.
float radiusOf(Size size);

} // namespace kinema::scenes
