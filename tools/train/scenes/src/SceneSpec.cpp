// SPDX-License-Identifier: Apache-2.0
#include "kinema/scenes/SceneSpec.h"

#include "Geometry.h"
#include "kinema/scenes/Render.h"

#include <algorithm>
#include <cmath>

namespace kinema::scenes {
namespace {

using detail::kPi;
using detail::Rng;

constexpr std::array<std::string_view, 6> kBackgroundNames{"blue sky",   "sunset sky", "grey floor",
                                                           "wood floor", "night sky",  "starry night"};
constexpr std::array<std::string_view, 5> kShapeNames{"circle", "square", "triangle", "star", "ring"};
constexpr std::array<std::string_view, 9> kColourNames{"red",  "orange", "yellow", "green", "cyan",
                                                       "blue", "purple", "pink",   "white"};
constexpr std::array<std::string_view, 3> kSizeNames{"small", "medium", "large"};
constexpr std::array<std::string_view, 14> kMotionNames{
    "still",     "left",       "right",  "up",    "down", "up-left", "up-right",
    "down-left", "down-right", "bounce", "orbit", "grow", "shrink",  "spin"};
constexpr std::array<std::string_view, 5> kCameraNames{"static", "pan left", "pan right", "zoom in",
                                                       "zoom out"};
constexpr std::array<std::string_view, 4> kLightNames{"left", "right", "top", "front"};
constexpr std::array<std::string_view, 3> kTemperatureNames{"neutral", "warm", "cool"};
constexpr std::array<std::string_view, 3> kIntensityNames{"dim", "normal", "bright"};

template <class Enum, std::size_t N>
std::string_view nameOf(const std::array<std::string_view, N>& names, Enum value) {
    const auto index = std::size_t(value);
    return index < N ? names[index] : std::string_view("?");
}

template <class Enum, std::size_t N>
Enum parseName(const std::array<std::string_view, N>& names, std::string_view name, std::string_view field) {
    for (std::size_t i = 0; i < N; ++i)
        if (names[i] == name)
            return Enum(i);
    std::string known;
    for (auto n : names)
        known += (known.empty() ? "" : ", ") + std::string(n);
    throw SceneError("scene field '" + std::string(field) + "': unknown value '" + std::string(name) +
                     "' (expected one of: " + known + ")");
}

constexpr float kLinearTravel = 0.45f;   // axis motions: distance covered over the clip
constexpr float kDiagonalTravel = 0.34f; // diagonal motions: distance per axis
constexpr float kBounceHeight = 0.32f;
constexpr float kOrbitRadius = 0.2f;
constexpr float kGrowFrom = 0.7f, kGrowTo = 1.3f;
constexpr float kPanTravel = 0.12f;
constexpr float kZoomRange = 1.2f;
constexpr float kGlowReach = 1.3f; // emissive objects occupy this much more room, counting the glow

// Mean area of an object over the clip, in squared frame sides (grow and shrink average to about 1.03).
double areaOf(const SceneObject& object) {
    const double r = radiusOf(object.size);
    const double scale2 = isSizeChange(object.motion) ? 1.03 : 1.0;
    return detail::unitArea(object.shape) * r * r * scale2;
}

bool rotationallySymmetric(Shape shape) {
    return shape == Shape::Circle || shape == Shape::Ring;
}

float boundOf(const SceneObject& object, float scale) {
    return radiusOf(object.size) * scale * float(detail::kShapeBound) * (object.emissive ? kGlowReach : 1.0f);
}

// Smallest log2 contrast, over channels' maxima, between an object's shades and the background rows it
// may cover. The analyser's detector uses the same measure.
double contrast(const SceneSpec& spec, const SceneObject& object, float y0, float y1) {
    const auto albedo = linearColour(object.colour);
    const auto tint = lightTint(spec.lighting.temperature);
    const float intensity = spec.lighting.intensity == Intensity::Dim      ? 0.6f
                            : spec.lighting.intensity == Intensity::Bright ? 1.6f
                                                                           : 1.0f;
    double worst = 1e9;
    for (int k = 0; k <= 4; ++k) {
        const double y = std::clamp(y0 + (y1 - y0) * k / 4.0, 0.0, 1.0);
        const auto bg = backgroundAt(spec, 0.5, y, 0.0);
        for (double shade : {0.45, 1.1}) {
            double best = 0;
            for (int c = 0; c < 3; ++c) {
                double value = object.emissive ? 3.0 * albedo[c] / std::max({albedo[0], albedo[1], albedo[2]})
                                               : albedo[c] * tint[c] * intensity * shade;
                best = std::max(best, std::fabs(std::log2((value + 0.02) / (bg[c] + 0.02))));
            }
            worst = std::min(worst, best);
        }
    }
    return worst;
}

bool keepsContrast(const SceneSpec& spec, const SceneObject& object) {
    float lo = 1, hi = 0;
    for (int i = 0; i <= 16; ++i) {
        const auto pose = poseAt(object, i / 16.0);
        const float b = radiusOf(object.size) * pose.radius;
        lo = std::min(lo, pose.y - b);
        hi = std::max(hi, pose.y + b);
    }
    return contrast(spec, object, lo, hi) >= 1.0;
}

// No two objects meet, every object stays inside the frame and no row is more than 45 % covered.
bool layoutFits(const SceneSpec& spec) {
    const float zoom = spec.camera == Camera::ZoomIn ? kZoomRange : 1.0f;
    for (int i = 0; i <= 32; ++i) {
        const double t = i / 32.0;
        std::vector<ObjectPose> poses;
        std::vector<float> bounds;
        for (const auto& object : spec.objects) {
            poses.push_back(poseAt(object, t));
            bounds.push_back(boundOf(object, poses.back().radius));
        }
        for (std::size_t a = 0; a < poses.size(); ++a) {
            if (poses[a].x - bounds[a] < 0.02f || poses[a].x + bounds[a] > 0.98f ||
                poses[a].y - bounds[a] < 0.02f || poses[a].y + bounds[a] > 0.98f)
                return false;
            for (std::size_t b = a + 1; b < poses.size(); ++b) {
                const float d = std::hypot(poses[a].x - poses[b].x, poses[a].y - poses[b].y);
                if (d < bounds[a] + bounds[b] + 0.04f)
                    return false;
            }
        }
        for (int row = 0; row <= 48; ++row) {
            const float y = row / 48.0f;
            float covered = 0;
            for (std::size_t a = 0; a < poses.size(); ++a) {
                const float dy = std::fabs(y - poses[a].y);
                if (dy < bounds[a])
                    covered += 2.0f * std::sqrt(bounds[a] * bounds[a] - dy * dy);
            }
            if (covered * zoom > 0.45f)
                return false;
        }
    }
    return true;
}

template <class T, std::size_t N>
T pick(Rng& rng, const std::array<T, N>& values) {
    return values[std::size_t(rng.below(int(N)))];
}

Motion pickMotion(Rng& rng, Shape shape) {
    while (true) {
        const Motion m = pick(rng, kAllMotions);
        if (m != Motion::Spin || !rotationallySymmetric(shape))
            return m;
    }
}

void placeSubject(Rng& rng, SceneObject& object) {
    switch (object.motion) {
    case Motion::Left:
    case Motion::Right:
    case Motion::Up:
    case Motion::Down:
    case Motion::UpLeft:
    case Motion::UpRight:
    case Motion::DownLeft:
    case Motion::DownRight:
        object.x = float(rng.uniform(0.45, 0.55));
        object.y = float(rng.uniform(0.45, 0.55));
        break;
    case Motion::Bounce:
        object.x = float(rng.uniform(0.38, 0.62));
        object.y = 0.86f - boundOf(object, 1.0f);
        break;
    case Motion::Orbit:
        object.x = float(rng.uniform(0.47, 0.53));
        object.y = float(rng.uniform(0.47, 0.53));
        break;
    default:
        object.x = float(rng.uniform(0.32, 0.68));
        object.y = float(rng.uniform(0.32, 0.68));
        break;
    }
    object.phase = float(rng.uniform(0.0, 2.0 * kPi));
    object.clockwise = rng.chance(0.5);
}

SceneSpec draw(Rng& rng) {
    SceneSpec spec;
    spec.background = pick(rng, kAllBackgrounds);
    spec.camera = rng.chance(0.4) ? Camera::Static : pick(rng, kAllCameras);
    spec.lighting = {pick(rng, kAllLightDirections), pick(rng, kAllTemperatures), pick(rng, kAllIntensities)};
    spec.textureSeed = rng.next();

    SceneObject subject;
    subject.shape = pick(rng, kAllShapes);
    subject.size = pick(rng, kAllSizes);
    subject.motion = pickMotion(rng, subject.shape);
    if (subject.motion == Motion::Grow && spec.camera == Camera::ZoomIn)
        spec.camera = Camera::Static;
    subject.emissive = rng.chance(0.25);
    placeSubject(rng, subject);
    bool found = false;
    for (int attempt = 0; attempt < 40 && !found; ++attempt) {
        subject.colour = pick(rng, kAllColours);
        found = keepsContrast(spec, subject);
    }
    if (!found)
        return {};
    spec.objects.push_back(subject);
    if (!layoutFits(spec))
        return {};

    int count = 1;
    if (subject.size != Size::Small) {
        const double u = rng.uniform();
        count = u < 0.45 ? 1 : u < 0.8 ? 2 : 3;
    }
    for (int k = 1; k < count; ++k) {
        SceneObject other;
        other.emissive = rng.chance(0.15);
        other.phase = float(rng.uniform(0.0, 2.0 * kPi));
        other.clockwise = rng.chance(0.5);
        for (int attempt = 0; attempt < 40; ++attempt) {
            // The subject must cover clearly more of the frame than any other object.
            other.shape = pick(rng, kAllShapes);
            other.size = Size(rng.below(int(subject.size)));
            if (areaOf(other) * 1.3 > areaOf(subject))
                continue;
            other.motion =
                (!rotationallySymmetric(other.shape) && rng.chance(0.3)) ? Motion::Spin : Motion::Still;
            other.colour = pick(rng, kAllColours);
            bool distinct = true;
            for (const auto& o : spec.objects)
                distinct = distinct && o.colour != other.colour;
            const float b = boundOf(other, 1.0f);
            other.x = float(rng.uniform(b + 0.03, 0.97 - b));
            other.y = float(rng.uniform(b + 0.03, 0.97 - b));
            if (!distinct || !keepsContrast(spec, other))
                continue;
            spec.objects.push_back(other);
            if (layoutFits(spec))
                break;
            spec.objects.pop_back();
        }
    }
    return spec;
}

} // namespace

std::string_view toString(Background v) {
    return nameOf(kBackgroundNames, v);
}
std::string_view toString(Shape v) {
    return nameOf(kShapeNames, v);
}
std::string_view toString(Colour v) {
    return nameOf(kColourNames, v);
}
std::string_view toString(Size v) {
    return nameOf(kSizeNames, v);
}
std::string_view toString(Motion v) {
    return nameOf(kMotionNames, v);
}
std::string_view toString(Camera v) {
    return nameOf(kCameraNames, v);
}
std::string_view toString(LightDirection v) {
    return nameOf(kLightNames, v);
}
std::string_view toString(Temperature v) {
    return nameOf(kTemperatureNames, v);
}
std::string_view toString(Intensity v) {
    return nameOf(kIntensityNames, v);
}

template <>
Background enumFromString<Background>(std::string_view n, std::string_view f) {
    return parseName<Background>(kBackgroundNames, n, f);
}
template <>
Shape enumFromString<Shape>(std::string_view n, std::string_view f) {
    return parseName<Shape>(kShapeNames, n, f);
}
template <>
Colour enumFromString<Colour>(std::string_view n, std::string_view f) {
    return parseName<Colour>(kColourNames, n, f);
}
template <>
Size enumFromString<Size>(std::string_view n, std::string_view f) {
    return parseName<Size>(kSizeNames, n, f);
}
template <>
Motion enumFromString<Motion>(std::string_view n, std::string_view f) {
    return parseName<Motion>(kMotionNames, n, f);
}
template <>
Camera enumFromString<Camera>(std::string_view n, std::string_view f) {
    return parseName<Camera>(kCameraNames, n, f);
}
template <>
LightDirection enumFromString<LightDirection>(std::string_view n, std::string_view f) {
    return parseName<LightDirection>(kLightNames, n, f);
}
template <>
Temperature enumFromString<Temperature>(std::string_view n, std::string_view f) {
    return parseName<Temperature>(kTemperatureNames, n, f);
}
template <>
Intensity enumFromString<Intensity>(std::string_view n, std::string_view f) {
    return parseName<Intensity>(kIntensityNames, n, f);
}

float radiusOf(Size size) {
    switch (size) {
    case Size::Small:
        return 0.075f;
    case Size::Medium:
        return 0.105f;
    case Size::Large:
        return 0.135f;
    }
    return 0.105f;
}

ObjectPose poseAt(const SceneObject& object, double t) {
    ObjectPose pose{object.x, object.y, 1.0f, object.phase};
    const float u = float(t) - 0.5f;
    const float turn = object.clockwise ? 1.0f : -1.0f;
    switch (object.motion) {
    case Motion::Still:
        break;
    case Motion::Left:
        pose.x -= kLinearTravel * u;
        break;
    case Motion::Right:
        pose.x += kLinearTravel * u;
        break;
    case Motion::Up:
        pose.y -= kLinearTravel * u;
        break;
    case Motion::Down:
        pose.y += kLinearTravel * u;
        break;
    case Motion::UpLeft:
        pose.x -= kDiagonalTravel * u;
        pose.y -= kDiagonalTravel * u;
        break;
    case Motion::UpRight:
        pose.x += kDiagonalTravel * u;
        pose.y -= kDiagonalTravel * u;
        break;
    case Motion::DownLeft:
        pose.x -= kDiagonalTravel * u;
        pose.y += kDiagonalTravel * u;
        break;
    case Motion::DownRight:
        pose.x += kDiagonalTravel * u;
        pose.y += kDiagonalTravel * u;
        break;
    case Motion::Bounce: {
        // Two parabolic hops: on the ground at t = 0, 0.5 and 1.
        double hop = 2.0 * t - std::floor(2.0 * t);
        if (t >= 1.0)
            hop = 0.0;
        pose.y -= kBounceHeight * float(4.0 * hop * (1.0 - hop));
        break;
    }
    case Motion::Orbit: {
        const double angle = object.phase + turn * 2.0 * kPi * t;
        pose.x += kOrbitRadius * float(std::cos(angle));
        pose.y += kOrbitRadius * float(std::sin(angle));
        pose.rotation = object.phase;
        break;
    }
    case Motion::Grow:
        pose.radius = kGrowFrom + (kGrowTo - kGrowFrom) * float(t);
        break;
    case Motion::Shrink:
        pose.radius = kGrowTo - (kGrowTo - kGrowFrom) * float(t);
        break;
    case Motion::Spin:
        pose.rotation = object.phase + turn * float(kPi * t);
        break;
    }
    return pose;
}

CameraPose cameraAt(Camera camera, double t) {
    CameraPose pose;
    switch (camera) {
    case Camera::Static:
        break;
    case Camera::PanLeft:
        pose.centreX = 0.5f - kPanTravel * float(t - 0.5);
        break;
    case Camera::PanRight:
        pose.centreX = 0.5f + kPanTravel * float(t - 0.5);
        break;
    case Camera::ZoomIn:
        pose.zoom = float(std::pow(kZoomRange, t));
        break;
    case Camera::ZoomOut:
        pose.zoom = float(std::pow(kZoomRange, -t));
        break;
    }
    return pose;
}

void validate(const SceneSpec& spec) {
    if (spec.objects.empty() || spec.objects.size() > 3)
        throw SceneError("scene spec: " + std::to_string(spec.objects.size()) +
                         " objects (the grammar allows 1 to 3)");
    for (std::size_t i = 0; i < spec.objects.size(); ++i) {
        const auto& o = spec.objects[i];
        const std::string where = "scene spec object " + std::to_string(i);
        if (std::size_t(o.shape) >= kAllShapes.size() || std::size_t(o.colour) >= kAllColours.size() ||
            std::size_t(o.size) >= kAllSizes.size() || std::size_t(o.motion) >= kAllMotions.size())
            throw SceneError(where + ": enum value out of range");
        if (o.motion == Motion::Spin && rotationallySymmetric(o.shape))
            throw SceneError(where + ": a " + std::string(toString(o.shape)) + " cannot visibly spin");
        if (!(o.x >= 0.0f && o.x <= 1.0f && o.y >= 0.0f && o.y <= 1.0f) || !std::isfinite(o.phase))
            throw SceneError(where + ": anchor (" + std::to_string(o.x) + ", " + std::to_string(o.y) +
                             ") outside the frame");
    }
    if (std::size_t(spec.background) >= kAllBackgrounds.size() ||
        std::size_t(spec.camera) >= kAllCameras.size() ||
        std::size_t(spec.lighting.direction) >= kAllLightDirections.size() ||
        std::size_t(spec.lighting.temperature) >= kAllTemperatures.size() ||
        std::size_t(spec.lighting.intensity) >= kAllIntensities.size())
        throw SceneError("scene spec: background, camera or lighting value out of range");
}

SceneSpec sample(std::uint64_t seed) {
    Rng rng(seed ^ 0x5CE7E5EEDull);
    for (int attempt = 0; attempt < 1000; ++attempt) {
        SceneSpec spec = draw(rng);
        if (!spec.objects.empty())
            return spec;
    }
    throw SceneError("scene sampler: no valid scene for seed " + std::to_string(seed));
}

namespace detail {
double unitArea(Shape shape) {
    static const std::array<double, 5> areas = [] {
        std::array<double, 5> out{};
        constexpr int n = 600;
        for (Shape s : kAllShapes) {
            long inside = 0;
            for (int j = 0; j < n; ++j)
                for (int i = 0; i < n; ++i) {
                    const double a = -kShapeBound + 2.0 * kShapeBound * (i + 0.5) / n;
                    const double b = -kShapeBound + 2.0 * kShapeBound * (j + 0.5) / n;
                    inside += insideShape(s, a, b) ? 1 : 0;
                }
            out[std::size_t(s)] =
                double(inside) / (double(n) * n) * (2.0 * kShapeBound) * (2.0 * kShapeBound);
        }
        return out;
    }();
    return areas[std::size_t(shape)];
}
} // namespace detail

SceneSpec withDirectionsReversed(SceneSpec spec) {
    const auto reversed = [](Motion m) {
        switch (m) {
        case Motion::Left:
            return Motion::Right;
        case Motion::Right:
            return Motion::Left;
        case Motion::Up:
            return Motion::Down;
        case Motion::Down:
            return Motion::Up;
        case Motion::UpLeft:
            return Motion::DownRight;
        case Motion::DownRight:
            return Motion::UpLeft;
        case Motion::UpRight:
            return Motion::DownLeft;
        case Motion::DownLeft:
            return Motion::UpRight;
        case Motion::Grow:
            return Motion::Shrink;
        case Motion::Shrink:
            return Motion::Grow;
        default:
            return m;
        }
    };
    for (auto& o : spec.objects) {
        o.motion = reversed(o.motion);
        if (o.motion == Motion::Orbit || o.motion == Motion::Spin)
            o.clockwise = !o.clockwise;
    }
    switch (spec.camera) {
    case Camera::PanLeft:
        spec.camera = Camera::PanRight;
        break;
    case Camera::PanRight:
        spec.camera = Camera::PanLeft;
        break;
    case Camera::ZoomIn:
        spec.camera = Camera::ZoomOut;
        break;
    case Camera::ZoomOut:
        spec.camera = Camera::ZoomIn;
        break;
    default:
        break;
    }
    if (spec.lighting.direction == LightDirection::Left)
        spec.lighting.direction = LightDirection::Right;
    else if (spec.lighting.direction == LightDirection::Right)
        spec.lighting.direction = LightDirection::Left;
    return spec;
}

SceneSpec withSubjectRecoloured(SceneSpec spec, std::uint64_t pick) {
    if (spec.objects.empty())
        return spec;
    std::vector<Colour> free;
    for (Colour c : kAllColours) {
        bool used = false;
        for (const auto& o : spec.objects)
            used = used || o.colour == c;
        if (!used)
            free.push_back(c);
    }
    if (!free.empty())
        spec.objects.front().colour = free[pick % free.size()];
    return spec;
}

SceneSpec withSubjectColourSwapped(SceneSpec spec) {
    for (std::size_t k = 1; k < spec.objects.size(); ++k)
        if (spec.objects[k].colour != spec.objects.front().colour) {
            std::swap(spec.objects[k].colour, spec.objects.front().colour);
            break;
        }
    return spec;
}

SceneSpec withSubjectSizeTraded(SceneSpec spec, std::uint64_t pick) {
    if (spec.objects.empty())
        return spec;
    auto& subject = spec.objects.front();
    if (isDirection(subject.motion)) {
        subject.motion = pick % 2 == 0 ? Motion::Grow : Motion::Shrink;
    } else if (isSizeChange(subject.motion)) {
        constexpr auto first = static_cast<std::uint64_t>(Motion::Left);
        subject.motion = static_cast<Motion>(first + pick % 8);
    }
    return spec;
}

SceneSpec withSubjectReshaped(SceneSpec spec, std::uint64_t pick) {
    if (spec.objects.empty())
        return spec;
    auto& subject = spec.objects.front();
    std::vector<Shape> others;
    for (Shape s : kAllShapes)
        if (s != subject.shape && !(subject.motion == Motion::Spin && rotationallySymmetric(s)))
            others.push_back(s);
    subject.shape = others[pick % others.size()];
    return spec;
}

} // namespace kinema::scenes
