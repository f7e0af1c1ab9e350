// SPDX-License-Identifier: Apache-2.0
#include "kinema/scenes/Render.h"

#include "Geometry.h"

#include <algorithm>
#include <cmath>

namespace kinema::scenes {
namespace {

using detail::kPi;
using detail::kShapeBound;
using Rgb = std::array<float, 3>;

constexpr float kEmission = 4.0f;     // emissive radiance of the brightest channel
constexpr float kGlowLevel = 0.25f;   // glow at the outline, relative to the emission
constexpr float kGlowFalloff = 0.15f; // e-folding distance of the glow, in object radii
constexpr float kAmbient = 0.4f;
constexpr float kDiffuse = 0.7f;

Rgb mix(const Rgb& a, const Rgb& b, float t) {
    return {a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t};
}

float smooth(float t) {
    t = std::clamp(t, 0.0f, 1.0f);
    return t * t * (3.0f - 2.0f * t);
}

// Random lattice values of a texture seed: eight channels of 64 x 64 values in [0, 1), built once per seed
// and thread (hashing every lookup instead made textured backgrounds three times slower to render).
class Lattice {
public:
    static constexpr int kSize = 64;
    static constexpr int kChannels = 8;

    static const Lattice& forSeed(std::uint64_t seed) {
        thread_local Lattice cache;
        if (!cache.m_built || cache.m_seed != seed) {
            for (int c = 0; c < kChannels; ++c)
                for (int j = 0; j < kSize; ++j)
                    for (int i = 0; i < kSize; ++i)
                        cache.m_values[std::size_t((c * kSize + j) * kSize + i)] =
                            float(detail::hash01(i, j, seed + std::uint64_t(c)));
            cache.m_seed = seed;
            cache.m_built = true;
        }
        return cache;
    }
    float at(std::int64_t i, std::int64_t j, int channel) const {
        return m_values[std::size_t((channel * kSize + (j & (kSize - 1))) * kSize + (i & (kSize - 1)))];
    }

private:
    std::array<float, std::size_t(kChannels* kSize* kSize)> m_values{};
    std::uint64_t m_seed = 0;
    bool m_built = false;
};

// Value noise in [-1, 1] on a unit lattice.
float noise(const Lattice& lattice, double x, double y, int channel) {
    const double fx = std::floor(x), fy = std::floor(y);
    const auto ix = std::int64_t(fx), iy = std::int64_t(fy);
    const float tx = smooth(float(x - fx)), ty = smooth(float(y - fy));
    const float v00 = lattice.at(ix, iy, channel), v10 = lattice.at(ix + 1, iy, channel);
    const float v01 = lattice.at(ix, iy + 1, channel), v11 = lattice.at(ix + 1, iy + 1, channel);
    const float top = v00 + (v10 - v00) * tx, bottom = v01 + (v11 - v01) * tx;
    return 2.0f * (top + (bottom - top) * ty) - 1.0f;
}

float intensityScale(Intensity intensity) {
    switch (intensity) {
    case Intensity::Dim:
        return 0.6f;
    case Intensity::Bright:
        return 1.6f;
    default:
        return 1.0f;
    }
}

std::array<float, 3> lightVector(LightDirection direction) {
    switch (direction) {
    case LightDirection::Left:
        return {-0.8f, -0.25f, 0.545f};
    case LightDirection::Right:
        return {0.8f, -0.25f, 0.545f};
    case LightDirection::Top:
        return {0.0f, -0.85f, 0.527f};
    case LightDirection::Front:
        return {0.0f, 0.0f, 1.0f};
    }
    return {0.0f, 0.0f, 1.0f};
}

// Brightness of a lit object at an offset from its centre, measured in bounding radii: the object is
// shaded as if it were a dome facing the camera.
float domeShade(float nx, float ny, const std::array<float, 3>& light) {
    float r2 = nx * nx + ny * ny;
    if (r2 > 1.0f) {
        const float r = std::sqrt(r2);
        nx /= r;
        ny /= r;
        r2 = 1.0f;
    }
    const float nz = std::sqrt(std::max(0.0f, 1.0f - r2));
    return kAmbient + kDiffuse * std::max(0.0f, nx * light[0] + ny * light[1] + nz * light[2]);
}

Rgb floorScene(const Rgb& wall, const Rgb& floor, double x, double y, float stripes, float stripeAmount,
               const Lattice& lattice) {
    constexpr double horizon = 0.55;
    if (y < horizon) {
        const float k = 0.85f + 0.15f * float(y / horizon);
        return {wall[0] * k, wall[1] * k, wall[2] * k};
    }
    const float depth = float((y - horizon) / (1.0 - horizon));
    float k = 1.1f - 0.35f * depth;
    k *= 1.0f + stripeAmount * float(std::sin(2.0 * kPi * x * stripes)) +
         0.025f * noise(lattice, x * 40, y * 6, 0);
    return {floor[0] * k, floor[1] * k, floor[2] * k};
}

struct ObjectPaint {
    Rgb colour; // lit albedo (shade applied per sample) or emission
    bool emissive;
};

} // namespace

std::array<float, 3> linearColour(Colour colour) {
    switch (colour) {
    case Colour::Red:
        return {0.80f, 0.05f, 0.04f};
    case Colour::Orange:
        return {0.90f, 0.28f, 0.03f};
    case Colour::Yellow:
        return {0.85f, 0.72f, 0.05f};
    case Colour::Green:
        return {0.10f, 0.60f, 0.08f};
    case Colour::Cyan:
        return {0.05f, 0.62f, 0.72f};
    case Colour::Blue:
        return {0.05f, 0.12f, 0.85f};
    case Colour::Purple:
        return {0.38f, 0.05f, 0.72f};
    case Colour::Pink:
        return {0.90f, 0.22f, 0.45f};
    case Colour::White:
        return {0.85f, 0.85f, 0.85f};
    }
    return {0.5f, 0.5f, 0.5f};
}

std::array<float, 3> lightTint(Temperature temperature) {
    switch (temperature) {
    case Temperature::Warm:
        return {1.15f, 0.97f, 0.75f};
    case Temperature::Cool:
        return {0.80f, 0.95f, 1.20f};
    default:
        return {1.0f, 1.0f, 1.0f};
    }
}

// Background radiance over the world plane for one spec: built once per render, evaluated per pixel.
class BackgroundShader {
public:
    explicit BackgroundShader(const SceneSpec& spec)
        : m_background(spec.background)
        , m_lattice(Lattice::forSeed(spec.textureSeed))
        , m_tint(lightTint(spec.lighting.temperature))
        , m_lit(intensityScale(spec.lighting.intensity)) {}
    Rgb at(double x, double y, double pixelScale) const;

private:
    Background m_background;
    const Lattice& m_lattice;
    Rgb m_tint;
    float m_lit;
};

Rgb BackgroundShader::at(double x, double y, double pixelScale) const {
    const Lattice& lattice = m_lattice;
    const auto& tint = m_tint;
    const float lit = m_lit;
    const float fy = float(std::clamp(y, -0.5, 1.5));
    switch (m_background) {
    case Background::BlueSky: {
        Rgb c = mix({0.20f, 0.40f, 1.00f}, {0.85f, 1.05f, 1.50f}, smooth(fy));
        const float cloud =
            1.0f + 0.04f * noise(lattice, x * 4, y * 7, 0) + 0.02f * noise(lattice, x * 9, y * 15, 1);
        return {c[0] * cloud, c[1] * cloud, c[2] * cloud};
    }
    case Background::SunsetSky: {
        const float k = std::clamp(fy, 0.0f, 1.0f) * std::sqrt(std::clamp(fy, 0.0f, 1.0f));
        Rgb c = mix({0.22f, 0.16f, 0.42f}, {2.2f, 0.9f, 0.30f}, k);
        const float cloud = 1.0f + 0.04f * noise(lattice, x * 5, y * 9, 0);
        return {c[0] * cloud, c[1] * cloud, c[2] * cloud};
    }
    case Background::GreyFloor:
    case Background::WoodFloor: {
        const bool wood = m_background == Background::WoodFloor;
        Rgb c = wood ? floorScene({0.55f, 0.48f, 0.38f}, {0.30f, 0.15f, 0.06f}, x, y, 7.0f, 0.06f, lattice)
                     : floorScene({0.42f, 0.44f, 0.47f}, {0.22f, 0.22f, 0.23f}, x, y, 10.0f, 0.05f, lattice);
        return {c[0] * tint[0] * lit, c[1] * tint[1] * lit, c[2] * tint[2] * lit};
    }
    case Background::Night:
    case Background::StarryNight: {
        Rgb c = mix({0.004f, 0.006f, 0.018f}, {0.02f, 0.028f, 0.06f}, smooth(fy));
        if (m_background == Background::StarryNight) {
            constexpr double cell = 0.05;
            const double sigma = std::max(0.0035, 0.7 * pixelScale);
            const auto cx = std::int64_t(std::floor(x / cell)), cy = std::int64_t(std::floor(y / cell));
            for (std::int64_t j = cy - 1; j <= cy + 1; ++j)
                for (std::int64_t i = cx - 1; i <= cx + 1; ++i) {
                    if (lattice.at(i, j, 2) > 0.35f)
                        continue;
                    const double sx = (i + lattice.at(i, j, 3)) * cell;
                    const double sy = (j + lattice.at(i, j, 4)) * cell;
                    const double d2 = (x - sx) * (x - sx) + (y - sy) * (y - sy);
                    if (d2 > 16 * sigma * sigma)
                        continue;
                    const float b =
                        float((0.15 + 0.45 * lattice.at(i, j, 5)) * std::exp(-d2 / (2 * sigma * sigma)));
                    c = {c[0] + b, c[1] + b, c[2] + 1.05f * b};
                }
        }
        return c;
    }
    }
    return {0.0f, 0.0f, 0.0f};
}

std::array<float, 3> backgroundAt(const SceneSpec& spec, double x, double y, double pixelScale) {
    return BackgroundShader(spec).at(x, y, pixelScale);
}

Clip render(const SceneSpec& spec, const RenderSettings& settings) {
    validate(spec);
    if (settings.width < 8 || settings.height < 8 || settings.width > 4096 || settings.height > 4096)
        throw SceneError("render settings: size " + std::to_string(settings.width) + "x" +
                         std::to_string(settings.height) + " outside 8 to 4096");
    if (settings.frames < 1 || settings.frames > 1024)
        throw SceneError("render settings: " + std::to_string(settings.frames) + " frames outside 1 to 1024");
    if (settings.supersampling < 1 || settings.supersampling > 8)
        throw SceneError("render settings: supersampling " + std::to_string(settings.supersampling) +
                         " outside 1 to 8");
    const int timeline = settings.timelineFrames > 0 ? settings.timelineFrames : settings.frames;
    if (settings.firstFrame < 0 || settings.firstFrame + settings.frames > timeline)
        throw SceneError("render settings: frames " + std::to_string(settings.firstFrame) + " to " +
                         std::to_string(settings.firstFrame + settings.frames - 1) +
                         " outside a timeline of " + std::to_string(timeline) + " frames");
    if (!(settings.fps > 0.0))
        throw SceneError("render settings: frame rate must be positive");

    Clip clip;
    clip.width = settings.width;
    clip.height = settings.height;
    clip.frames = settings.frames;
    clip.fps = settings.fps;
    clip.rgb.resize(clip.frameFloats() * std::size_t(clip.frames));

    const int W = settings.width, H = settings.height, S = settings.supersampling;
    const float minSide = float(std::min(W, H));
    const auto tint = lightTint(spec.lighting.temperature);
    const float lit = intensityScale(spec.lighting.intensity);
    const auto light = lightVector(spec.lighting.direction);

    std::vector<ObjectPaint> paints;
    for (const auto& object : spec.objects) {
        const auto albedo = linearColour(object.colour);
        if (object.emissive) {
            const float peak = std::max({albedo[0], albedo[1], albedo[2]});
            paints.push_back(
                {{albedo[0] / peak * kEmission, albedo[1] / peak * kEmission, albedo[2] / peak * kEmission},
                 true});
        } else {
            paints.push_back(
                {{albedo[0] * tint[0] * lit, albedo[1] * tint[1] * lit, albedo[2] * tint[2] * lit}, false});
        }
    }

    const BackgroundShader background(spec);
    for (int f = 0; f < clip.frames; ++f) {
        const double t = timeline > 1 ? double(settings.firstFrame + f) / double(timeline - 1) : 0.0;
        const CameraPose cam = cameraAt(spec.camera, t);
        float* out = clip.frame(f);
        const double pixelScale = 1.0 / (minSide * cam.zoom);
        for (int j = 0; j < H; ++j) {
            const double wy = ((j + 0.5) / H - 0.5) / cam.zoom + 0.5;
            for (int i = 0; i < W; ++i) {
                const double wx = ((i + 0.5) / W - 0.5) / cam.zoom + cam.centreX;
                const auto bg = background.at(wx, wy, pixelScale);
                float* p = out + (std::size_t(j) * W + i) * 3;
                p[0] = bg[0];
                p[1] = bg[1];
                p[2] = bg[2];
            }
        }
        // Back to front: the subject (object 0) is drawn last, on top.
        for (std::size_t k = spec.objects.size(); k-- > 0;) {
            const auto& object = spec.objects[k];
            const auto& paint = paints[k];
            const ObjectPose pose = poseAt(object, t);
            const float cx = ((pose.x - cam.centreX) * cam.zoom + 0.5f) * W;
            const float cy = ((pose.y - 0.5f) * cam.zoom + 0.5f) * H;
            const float R = radiusOf(object.size) * pose.radius * cam.zoom * minSide;
            const float bound = R * float(kShapeBound);
            const float reach = paint.emissive ? R * (1.0f + 8.0f * kGlowFalloff) : bound;
            const float cosr = std::cos(pose.rotation), sinr = std::sin(pose.rotation);
            const int i0 = std::max(0, int(std::floor(cx - reach - 1))),
                      i1 = std::min(W - 1, int(cx + reach + 1));
            const int j0 = std::max(0, int(std::floor(cy - reach - 1))),
                      j1 = std::min(H - 1, int(cy + reach + 1));
            const auto inside = [&](float px, float py) {
                const float a = (cosr * px + sinr * py) / R, b = (-sinr * px + cosr * py) / R;
                return detail::insideShape(object.shape, a, b);
            };
            const auto colourAt = [&](float px, float py) -> Rgb {
                if (paint.emissive)
                    return paint.colour;
                const float s = domeShade(px / bound, py / bound, light);
                return {paint.colour[0] * s, paint.colour[1] * s, paint.colour[2] * s};
            };
            for (int j = j0; j <= j1; ++j)
                for (int i = i0; i <= i1; ++i) {
                    const float px = i + 0.5f - cx, py = j + 0.5f - cy;
                    const float d = std::hypot(px, py);
                    float coverage = 0.0f;
                    Rgb sum{0.0f, 0.0f, 0.0f};
                    if (d <= bound + 0.75f) {
                        // Pixels whose centre and corners agree are uniform; the rest are supersampled.
                        const bool c0 = inside(px, py);
                        const bool uniform =
                            c0 == inside(px - 0.5f, py - 0.5f) && c0 == inside(px + 0.5f, py - 0.5f) &&
                            c0 == inside(px - 0.5f, py + 0.5f) && c0 == inside(px + 0.5f, py + 0.5f);
                        if (uniform) {
                            if (c0) {
                                coverage = 1.0f;
                                sum = colourAt(px, py);
                            }
                        } else {
                            int hits = 0;
                            for (int sy = 0; sy < S; ++sy)
                                for (int sx = 0; sx < S; ++sx) {
                                    const float qx = px - 0.5f + (sx + 0.5f) / S,
                                                qy = py - 0.5f + (sy + 0.5f) / S;
                                    if (!inside(qx, qy))
                                        continue;
                                    ++hits;
                                    const Rgb c = colourAt(qx, qy);
                                    sum = {sum[0] + c[0], sum[1] + c[1], sum[2] + c[2]};
                                }
                            const float n = float(S * S);
                            coverage = hits / n;
                            sum = {sum[0] / n, sum[1] / n, sum[2] / n};
                        }
                    }
                    float* p = out + (std::size_t(j) * W + i) * 3;
                    float glow = 0.0f;
                    if (paint.emissive) {
                        // Distance outside the outline, in radii; a ring also glows into its hole.
                        float out = std::max(0.0f, d / R - 0.95f);
                        if (object.shape == Shape::Ring)
                            out = std::max(out, 0.63f - d / R);
                        glow = kGlowLevel * std::exp(-out / kGlowFalloff);
                    }
                    for (int c = 0; c < 3; ++c)
                        p[c] = p[c] * (1.0f - coverage) + sum[c] + glow * paint.colour[c] * (1.0f - coverage);
                }
        }
    }
    return clip;
}

} // namespace kinema::scenes
