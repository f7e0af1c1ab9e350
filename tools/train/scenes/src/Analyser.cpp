// SPDX-License-Identifier: Apache-2.0
#include "kinema/scenes/Analyser.h"

#include "Geometry.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace kinema::scenes {
namespace {

using detail::kPi;
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kEps = 0.02f; // log-ratio floor: keeps dark backgrounds' noise and texture out

struct Component {
    std::vector<int> pixels; // indices into the frame
    double area = 0;
    double cx = 0, cy = 0; // pixel coordinates
};

struct FrameObjects {
    std::vector<Component> components;
    std::vector<float> background; // per row RGB
};

float median(std::vector<float>& values) {
    const auto mid = values.begin() + std::ptrdiff_t(values.size() / 2);
    std::nth_element(values.begin(), mid, values.end());
    return *mid;
}

float percentile(std::vector<float> values, double q) {
    if (values.empty())
        return 0.0f;
    const auto k = std::size_t(std::clamp(q, 0.0, 1.0) * double(values.size() - 1));
    std::nth_element(values.begin(), values.begin() + std::ptrdiff_t(k), values.end());
    return values[k];
}

// Per-row median background, skipping excluded pixels where enough of the row remains.
void rowBackground(const float* rgb, int W, int H, const std::vector<std::uint8_t>* exclude,
                   std::vector<float>& out) {
    out.assign(std::size_t(H) * 3, 0.0f);
    std::vector<float> values;
    for (int y = 0; y < H; ++y)
        for (int c = 0; c < 3; ++c) {
            values.clear();
            for (int x = 0; x < W; ++x)
                if (!exclude || !(*exclude)[std::size_t(y * W + x)])
                    values.push_back(rgb[(std::size_t(y) * W + x) * 3 + c]);
            if (int(values.size()) < W / 4) {
                values.clear();
                for (int x = 0; x < W; ++x)
                    values.push_back(rgb[(std::size_t(y) * W + x) * 3 + c]);
            }
            out[std::size_t(y) * 3 + c] = median(values);
        }
}

float logContrast(const float* p, const float* bg) {
    float best = 0.0f;
    for (int c = 0; c < 3; ++c)
        best = std::max(best,
                        std::fabs(std::log2((std::max(p[c], 0.0f) + kEps) / (std::max(bg[c], 0.0f) + kEps))));
    return best;
}

std::vector<Component> label(const std::vector<std::uint8_t>& mask, int W, int H, int minArea) {
    std::vector<int> labels(mask.size(), -1);
    std::vector<Component> out;
    std::vector<int> stack;
    for (int start = 0; start < W * H; ++start) {
        if (!mask[std::size_t(start)] || labels[std::size_t(start)] >= 0)
            continue;
        Component comp;
        stack.assign(1, start);
        labels[std::size_t(start)] = 0;
        while (!stack.empty()) {
            const int p = stack.back();
            stack.pop_back();
            comp.pixels.push_back(p);
            const int x = p % W, y = p / W;
            const int nb[4][2] = {{x - 1, y}, {x + 1, y}, {x, y - 1}, {x, y + 1}};
            for (const auto& n : nb) {
                if (n[0] < 0 || n[0] >= W || n[1] < 0 || n[1] >= H)
                    continue;
                const int q = n[1] * W + n[0];
                if (mask[std::size_t(q)] && labels[std::size_t(q)] < 0) {
                    labels[std::size_t(q)] = 0;
                    stack.push_back(q);
                }
            }
        }
        if (int(comp.pixels.size()) < minArea)
            continue;
        for (int p : comp.pixels) {
            comp.cx += p % W + 0.5;
            comp.cy += p / W + 0.5;
        }
        comp.area = double(comp.pixels.size());
        comp.cx /= comp.area;
        comp.cy /= comp.area;
        out.push_back(std::move(comp));
    }
    return out;
}

// Separable max filter of radius r.
std::vector<float> maxFilter(const std::vector<float>& in, int W, int H, int r) {
    std::vector<float> tmp(in.size()), out(in.size());
    for (int y = 0; y < H; ++y)
        for (int x = 0; x < W; ++x) {
            float m = 0.0f;
            for (int k = std::max(0, x - r); k <= std::min(W - 1, x + r); ++k)
                m = std::max(m, in[std::size_t(y * W + k)]);
            tmp[std::size_t(y * W + x)] = m;
        }
    for (int y = 0; y < H; ++y)
        for (int x = 0; x < W; ++x) {
            float m = 0.0f;
            for (int k = std::max(0, y - r); k <= std::min(H - 1, y + r); ++k)
                m = std::max(m, tmp[std::size_t(k * W + x)]);
            out[std::size_t(y * W + x)] = m;
        }
    return out;
}

FrameObjects segment(const float* rgb, int W, int H, const AnalyserSettings& settings) {
    const std::size_t n = std::size_t(W) * H;
    FrameObjects frame;
    std::vector<float> bg;
    rowBackground(rgb, W, H, nullptr, bg);
    std::vector<std::uint8_t> candidate(n, 0), grown(n, 0);
    for (std::size_t i = 0; i < n; ++i)
        candidate[i] = logContrast(rgb + i * 3, bg.data() + (i / std::size_t(W)) * 3) >= settings.detectLog2;
    // Second pass: the background without the candidates and their fringe.
    for (int y = 0; y < H; ++y)
        for (int x = 0; x < W; ++x) {
            bool any = false;
            for (int dy = -1; dy <= 1 && !any; ++dy)
                for (int dx = -1; dx <= 1 && !any; ++dx) {
                    const int xx = x + dx, yy = y + dy;
                    any = xx >= 0 && xx < W && yy >= 0 && yy < H && candidate[std::size_t(yy * W + xx)];
                }
            grown[std::size_t(y * W + x)] = any;
        }
    rowBackground(rgb, W, H, &grown, bg);
    std::vector<float> excess(n, 0.0f);
    for (std::size_t i = 0; i < n; ++i) {
        const float* p = rgb + i * 3;
        const float* b = bg.data() + (i / std::size_t(W)) * 3;
        candidate[i] = logContrast(p, b) >= settings.detectLog2;
        excess[i] = std::sqrt((p[0] - b[0]) * (p[0] - b[0]) + (p[1] - b[1]) * (p[1] - b[1]) +
                              (p[2] - b[2]) * (p[2] - b[2]));
    }
    // Which candidates touch a non-candidate: the anti-aliased fringe of a lit object.
    std::vector<std::uint8_t> fringe(n, 0);
    for (int y = 0; y < H; ++y)
        for (int x = 0; x < W; ++x) {
            bool edge = false;
            for (int dy = -1; dy <= 1 && !edge; ++dy)
                for (int dx = -1; dx <= 1 && !edge; ++dx) {
                    const int xx = x + dx, yy = y + dy;
                    edge = xx >= 0 && xx < W && yy >= 0 && yy < H && !candidate[std::size_t(yy * W + xx)];
                }
            fringe[std::size_t(y * W + x)] = edge;
        }
    const std::vector<float> localMax = maxFilter(excess, W, H, 3);
    std::vector<std::uint8_t> mask(n, 0);
    for (const Component& comp : label(candidate, W, H, 1)) {
        std::vector<float> values, brightest;
        values.reserve(comp.pixels.size());
        for (int p : comp.pixels) {
            values.push_back(excess[std::size_t(p)]);
            const float* px = rgb + std::size_t(p) * 3;
            brightest.push_back(std::max({px[0], px[1], px[2]}));
        }
        const float peak = percentile(values, 0.95);
        // An emissive object is flat: half its excess marks its outline and drops the glow around it. A lit
        // object is shaded and its excess depends on the background behind each part (a horizon may cross
        // it), so only its fringe is held to half of the local excess.
        const bool emissive = percentile(brightest, 0.9) > settings.emissiveLevel;
        for (int p : comp.pixels) {
            const float e = excess[std::size_t(p)];
            mask[std::size_t(p)] = emissive ? e >= 0.5f * peak
                                            : e >= 0.2f * peak && (!fringe[std::size_t(p)] ||
                                                                   e >= 0.5f * localMax[std::size_t(p)]);
        }
    }
    const int minArea = std::max(6, int(std::lround(settings.minAreaFraction * float(W) * float(H))));
    frame.components = label(mask, W, H, minArea);
    frame.background = std::move(bg);
    return frame;
}

// --- colour ---------------------------------------------------------------------------------------------

std::array<float, 3> oklab(const float* rgb) {
    const float r = std::max(rgb[0], 0.0f), g = std::max(rgb[1], 0.0f), b = std::max(rgb[2], 0.0f);
    const float l = std::cbrt(0.4122214708f * r + 0.5363325363f * g + 0.0514459929f * b);
    const float m = std::cbrt(0.2119034982f * r + 0.6806995451f * g + 0.1073969566f * b);
    const float s = std::cbrt(0.0883024619f * r + 0.2817188376f * g + 0.6299787005f * b);
    return {0.2104542553f * l + 0.7936177850f * m - 0.0040720468f * s,
            1.9779984951f * l - 2.4285922050f * m + 0.4505937099f * s,
            0.0259040371f * l + 0.7827717662f * m - 0.8086757660f * s};
}

// Brightness-invariant chromaticity: Oklab scales by k^(1/3) when linear RGB scales by k.
bool chromaticity(const float* rgb, float& u, float& v) {
    const auto lab = oklab(rgb);
    if (lab[0] < 1e-3f)
        return false;
    u = lab[1] / lab[0];
    v = lab[2] / lab[0];
    return true;
}

struct Prototype {
    Colour colour;
    float u, v;
};

const std::vector<Prototype>& prototypes() {
    static const std::vector<Prototype> out = [] {
        std::vector<Prototype> v;
        for (Colour c : kAllColours)
            for (Temperature t : kAllTemperatures) {
                const auto a = linearColour(c);
                const auto k = lightTint(t);
                const float rgb[3] = {a[0] * k[0], a[1] * k[1], a[2] * k[2]};
                float u = 0, w = 0;
                chromaticity(rgb, u, w);
                v.push_back({c, u, w});
            }
        return v;
    }();
    return out;
}

// --- shape ----------------------------------------------------------------------------------------------

struct ShapeFit {
    std::array<float, 5> iou{};
    std::array<float, 5> rotation{};
};

ShapeFit fitShapes(const Component& comp, int W, int H) {
    ShapeFit fit;
    int x0 = W, x1 = -1, y0 = H, y1 = -1;
    for (int p : comp.pixels) {
        x0 = std::min(x0, p % W);
        x1 = std::max(x1, p % W);
        y0 = std::min(y0, p / W);
        y1 = std::max(y1, p / W);
    }
    double maxScale = 0;
    for (Shape s : kAllShapes)
        maxScale = std::max(maxScale, std::sqrt(comp.area / detail::unitArea(s)));
    const int reach = int(std::ceil(maxScale * detail::kShapeBound)) + 1;
    x0 = std::max(0, std::min(x0, int(comp.cx) - reach));
    x1 = std::min(W - 1, std::max(x1, int(comp.cx) + reach));
    y0 = std::max(0, std::min(y0, int(comp.cy) - reach));
    y1 = std::min(H - 1, std::max(y1, int(comp.cy) + reach));
    const int bw = x1 - x0 + 1, bh = y1 - y0 + 1;
    std::vector<std::uint8_t> inMask(std::size_t(bw) * bh, 0);
    for (int p : comp.pixels)
        inMask[std::size_t((p / W - y0) * bw + (p % W - x0))] = 1;
    for (Shape shape : kAllShapes) {
        const double scale = std::sqrt(comp.area / detail::unitArea(shape));
        const double period = detail::symmetryPeriod(shape);
        const auto iouAt = [&](double rot) {
            const double cr = std::cos(rot), sr = std::sin(rot);
            int inter = 0, uni = 0;
            for (int y = 0; y < bh; ++y)
                for (int x = 0; x < bw; ++x) {
                    const double px = x0 + x + 0.5 - comp.cx, py = y0 + y + 0.5 - comp.cy;
                    const double a = (cr * px + sr * py) / scale, b = (-sr * px + cr * py) / scale;
                    const bool t = detail::insideShape(shape, a, b);
                    const bool m = inMask[std::size_t(y * bw + x)];
                    inter += t && m;
                    uni += t || m;
                }
            return uni > 0 ? float(inter) / float(uni) : 0.0f;
        };
        float best = iouAt(0.0), bestRotation = 0.0f;
        if (period > 0) {
            // Coarse search in steps of about 9 degrees, then refine to a third of a step.
            const int steps = int(std::ceil(period / (9.0 * kPi / 180.0)));
            const double step = period / steps;
            for (int k = 1; k < steps; ++k) {
                const float iou = iouAt(step * k);
                if (iou > best) {
                    best = iou;
                    bestRotation = float(step * k);
                }
            }
            const double centre = bestRotation;
            for (double delta : {-2.0 * step / 3.0, -step / 3.0, step / 3.0, 2.0 * step / 3.0}) {
                const float iou = iouAt(centre + delta);
                if (iou > best) {
                    best = iou;
                    bestRotation = float(std::fmod(centre + delta + period, period));
                }
            }
        }
        fit.iou[std::size_t(shape)] = best;
        fit.rotation[std::size_t(shape)] = bestRotation;
    }
    return fit;
}

// --- motion ---------------------------------------------------------------------------------------------

Motion directionOf(double dx, double dy) {
    // Screen angle with y down; sectors of 45 degrees centred on the eight directions.
    const double angle = std::atan2(-dy, dx) * 180.0 / kPi; // counter-clockwise from right, y up
    const int sector = int(std::lround(angle / 45.0)) & 7;
    constexpr Motion bySector[8] = {Motion::Right, Motion::UpRight,  Motion::Up,   Motion::UpLeft,
                                    Motion::Left,  Motion::DownLeft, Motion::Down, Motion::DownRight};
    return bySector[sector];
}

/// Displacement of the centroid over the clip, from a linear fit of position over time.
std::array<double, 2> linearTravel(const std::vector<double>& t, const std::vector<double>& xs,
                                   const std::vector<double>& ys) {
    const std::size_t n = t.size();
    const double mt = std::accumulate(t.begin(), t.end(), 0.0) / double(n);
    const double mx = std::accumulate(xs.begin(), xs.end(), 0.0) / double(n);
    const double my = std::accumulate(ys.begin(), ys.end(), 0.0) / double(n);
    double stt = 0, stx = 0, sty = 0;
    for (std::size_t i = 0; i < n; ++i) {
        stt += (t[i] - mt) * (t[i] - mt);
        stx += (t[i] - mt) * (xs[i] - mx);
        sty += (t[i] - mt) * (ys[i] - my);
    }
    const double span = t.back() - t.front();
    return {stt > 0 ? stx / stt * span : 0.0, stt > 0 ? sty / stt * span : 0.0};
}

/// Travel shorter than this (in frame widths and heights) is no direction.
constexpr double kMinTravel = 0.15;

/// The direction of a travel (dx, dy): one of the eight directions, or Still when shorter than kMinTravel.
Motion travelDirection(const std::array<double, 2>& travel) {
    const auto [dx, dy] = travel;
    return std::hypot(dx, dy) > kMinTravel ? directionOf(dx, dy) : Motion::Still;
}

/// The centroid's direction of travel alone, whatever the subject's size, path shape or rotation does
/// meanwhile (Still for fewer than 3 frames, as classifyMotion).
Motion classifyTravel(const std::vector<double>& t, const std::vector<double>& xs,
                      const std::vector<double>& ys) {
    return t.size() < 3 ? Motion::Still : travelDirection(linearTravel(t, xs, ys));
}

Motion classifyMotion(const std::vector<double>& t, const std::vector<double>& xs,
                      const std::vector<double>& ys, const std::vector<double>& scales,
                      const std::vector<double>& rotations, double period) {
    const std::size_t n = t.size();
    if (n < 3)
        return Motion::Still;
    const std::size_t k = std::max<std::size_t>(1, std::min<std::size_t>(3, n / 4));
    double first = 0, last = 0;
    for (std::size_t i = 0; i < k; ++i) {
        first += scales[i] / double(k);
        last += scales[n - 1 - i] / double(k);
    }
    const double ratio = last / std::max(first, 1e-9);
    if (ratio > 1.4)
        return Motion::Grow;
    if (ratio < 1.0 / 1.4)
        return Motion::Shrink;

    const auto [xMin, xMax] = std::minmax_element(xs.begin(), xs.end());
    const auto [yMin, yMax] = std::minmax_element(ys.begin(), ys.end());
    const double xRange = *xMax - *xMin, yRange = *yMax - *yMin;
    const double mx = std::accumulate(xs.begin(), xs.end(), 0.0) / double(n);
    const double my = std::accumulate(ys.begin(), ys.end(), 0.0) / double(n);
    double sweep = 0, previous = std::atan2(ys[0] - my, xs[0] - mx);
    for (std::size_t i = 1; i < n; ++i) {
        const double a = std::atan2(ys[i] - my, xs[i] - mx);
        double d = a - previous;
        d -= 2.0 * kPi * std::round(d / (2.0 * kPi));
        sweep += d;
        previous = a;
    }
    if (xRange > 0.25 && yRange > 0.25 && std::fabs(sweep) > 4.0)
        return Motion::Orbit;

    const auto travel = linearTravel(t, xs, ys);
    const auto [dx, dy] = travel;

    int reversals = 0, lastSign = 0;
    for (std::size_t i = 1; i < n; ++i) {
        const double d = ys[i] - ys[i - 1];
        if (std::fabs(d) < 0.004)
            continue;
        const int sign = d > 0 ? 1 : -1;
        if (lastSign != 0 && sign != lastSign)
            ++reversals;
        lastSign = sign;
    }
    if (reversals >= 2 && yRange > 0.12 && std::fabs(dx) < 0.2 && std::fabs(dy) < 0.15)
        return Motion::Bounce;
    if (const Motion direction = travelDirection(travel); direction != Motion::Still)
        return direction;

    if (period > 0 && rotations.size() == n) {
        double total = 0;
        int positive = 0, negative = 0;
        for (std::size_t i = 1; i < n; ++i) {
            double d = rotations[i] - rotations[i - 1];
            d -= period * std::round(d / period);
            total += d;
            positive += d > 0.02;
            negative += d < -0.02;
        }
        const double perFrame = total / double(n - 1);
        if (std::fabs(perFrame) > 0.08 && std::max(positive, negative) >= int(0.7 * double(n - 1)))
            return Motion::Spin;
    }
    return Motion::Still;
}

struct Track {
    std::vector<int> frameOf;                 // frame index of each observation
    std::vector<const Component*> components; // observation per entry
    double totalArea = 0;
};

} // namespace

ClipAnalysis SceneAnalyser::analyse(const Clip& clip) const {
    if (clip.width < 8 || clip.height < 8 || clip.frames < 1 ||
        clip.rgb.size() != clip.frameFloats() * std::size_t(clip.frames))
        throw SceneError("scene analyser: clip of " + std::to_string(clip.width) + "x" +
                         std::to_string(clip.height) + "x" + std::to_string(clip.frames) + " with " +
                         std::to_string(clip.rgb.size()) + " floats is not a valid clip");
    // Generated clips may hold NaN or infinities: read them as black and as the largest half value.
    if (!std::all_of(clip.rgb.begin(), clip.rgb.end(), [](float v) { return std::isfinite(v); })) {
        Clip clean = clip;
        for (float& v : clean.rgb)
            v = std::isnan(v) ? 0.0f : std::clamp(v, -65504.0f, 65504.0f);
        return analyse(clean);
    }
    const int W = clip.width, H = clip.height, F = clip.frames;
    const double side = std::min(W, H);
    std::vector<FrameObjects> frames;
    frames.reserve(std::size_t(F));
    for (int f = 0; f < F; ++f)
        frames.push_back(segment(clip.frame(f), W, H, m_settings));

    // Track by nearest predicted centroid.
    std::vector<Track> tracks;
    const double gate = 0.25 * side;
    for (int f = 0; f < F; ++f) {
        const auto& comps = frames[std::size_t(f)].components;
        std::vector<bool> used(comps.size(), false);
        std::vector<std::pair<double, std::pair<std::size_t, std::size_t>>> pairs;
        for (std::size_t ti = 0; ti < tracks.size(); ++ti) {
            const Track& tr = tracks[ti];
            if (tr.frameOf.back() != f - 1)
                continue;
            const Component* lastC = tr.components.back();
            double px = lastC->cx, py = lastC->cy;
            if (tr.components.size() >= 2) {
                const Component* prev = tr.components[tr.components.size() - 2];
                px += lastC->cx - prev->cx;
                py += lastC->cy - prev->cy;
            }
            for (std::size_t ci = 0; ci < comps.size(); ++ci) {
                // Nearest of the predicted and the last position: a bounce reverses its velocity.
                const double d = std::min(std::hypot(comps[ci].cx - px, comps[ci].cy - py),
                                          std::hypot(comps[ci].cx - lastC->cx, comps[ci].cy - lastC->cy));
                if (d < gate)
                    pairs.push_back({d, {ti, ci}});
            }
        }
        std::sort(pairs.begin(), pairs.end());
        std::vector<bool> trackDone(tracks.size(), false);
        for (const auto& [d, tc] : pairs) {
            if (trackDone[tc.first] || used[tc.second])
                continue;
            trackDone[tc.first] = true;
            used[tc.second] = true;
            tracks[tc.first].frameOf.push_back(f);
            tracks[tc.first].components.push_back(&comps[tc.second]);
            tracks[tc.first].totalArea += comps[tc.second].area;
        }
        for (std::size_t ci = 0; ci < comps.size(); ++ci)
            if (!used[ci])
                tracks.push_back({{f}, {&comps[ci]}, comps[ci].area});
    }
    std::sort(tracks.begin(), tracks.end(),
              [](const Track& a, const Track& b) { return a.totalArea > b.totalArea; });

    ClipAnalysis analysis;
    for (const Track& tr : tracks) {
        if (int(tr.frameOf.size()) < std::max(1, F / 2))
            continue;
        ObjectMeasurement m;
        m.framesSeen = int(tr.frameOf.size());
        m.centroids.assign(std::size_t(F), {kNaN, kNaN});
        m.scales.assign(std::size_t(F), kNaN);
        std::vector<float> us, vs, brightest;
        std::array<double, 5> iouSum{};
        std::vector<std::array<float, 5>> rotations;
        std::vector<double> ts, xs, ys, scales;
        double offX = 0, offY = 0, areaSum = 0;
        for (std::size_t k = 0; k < tr.frameOf.size(); ++k) {
            const int f = tr.frameOf[k];
            const Component& c = *tr.components[k];
            const float* rgb = clip.frame(f);
            m.centroids[std::size_t(f)] = {float(c.cx / W), float(c.cy / H)};
            m.scales[std::size_t(f)] = float(std::sqrt(c.area) / side);
            ts.push_back(F > 1 ? double(f) / (F - 1) : 0.0);
            xs.push_back(c.cx / W);
            ys.push_back(c.cy / H);
            scales.push_back(std::sqrt(c.area) / side);
            areaSum += c.area;
            // Interior pixels for colour; every pixel for brightness and lighting.
            std::vector<std::uint8_t> inComp(std::size_t(W) * H, 0);
            for (int p : c.pixels)
                inComp[std::size_t(p)] = 1;
            double lumSum = 0, lx = 0, ly = 0;
            for (int p : c.pixels) {
                const int x = p % W, y = p / W;
                const float* px = rgb + std::size_t(p) * 3;
                brightest.push_back(std::max({px[0], px[1], px[2]}));
                const double lum = 0.2126 * px[0] + 0.7152 * px[1] + 0.0722 * px[2];
                lumSum += lum;
                lx += lum * (x + 0.5);
                ly += lum * (y + 0.5);
                const bool interior = x > 0 && y > 0 && x < W - 1 && y < H - 1 &&
                                      inComp[std::size_t(p - 1)] && inComp[std::size_t(p + 1)] &&
                                      inComp[std::size_t(p - W)] && inComp[std::size_t(p + W)];
                float u = 0, v = 0;
                if (interior && chromaticity(px, u, v)) {
                    us.push_back(u);
                    vs.push_back(v);
                }
            }
            if (lumSum > 0) {
                const double radius = std::sqrt(c.area / kPi);
                offX += (lx / lumSum - c.cx) / radius;
                offY += (ly / lumSum - c.cy) / radius;
            }
            const ShapeFit fit = fitShapes(c, W, H);
            for (std::size_t s = 0; s < 5; ++s)
                iouSum[s] += fit.iou[s];
            rotations.push_back(fit.rotation);
        }
        const double seen = double(tr.frameOf.size());
        m.meanArea = float(areaSum / seen / (double(W) * H));
        m.lightOffset = {float(offX / seen), float(offY / seen)};

        if (us.size() < 8) { // tiny object: fall back to every pixel
            us.clear();
            vs.clear();
            for (std::size_t k = 0; k < tr.frameOf.size(); ++k)
                for (int p : tr.components[k]->pixels) {
                    float u = 0, v = 0;
                    if (chromaticity(clip.frame(tr.frameOf[k]) + std::size_t(p) * 3, u, v)) {
                        us.push_back(u);
                        vs.push_back(v);
                    }
                }
        }
        if (!us.empty()) {
            const float mu = median(us), mv = median(vs);
            float best = std::numeric_limits<float>::max();
            for (const auto& proto : prototypes()) {
                const float d = std::hypot(mu - proto.u, mv - proto.v);
                if (d < best) {
                    best = d;
                    m.colour = proto.colour;
                }
            }
            m.colourDistance = best;
        }
        m.emissive = percentile(brightest, 0.9) > m_settings.emissiveLevel;

        std::size_t bestShape = 0;
        for (std::size_t s = 1; s < 5; ++s)
            if (iouSum[s] > iouSum[bestShape])
                bestShape = s;
        m.shape = Shape(bestShape);
        m.shapeIoU = float(iouSum[bestShape] / seen);

        std::vector<double> rot;
        for (const auto& r : rotations)
            rot.push_back(r[bestShape]);
        m.motion = classifyMotion(ts, xs, ys, scales, rot, detail::symmetryPeriod(m.shape));
        m.travel = classifyTravel(ts, xs, ys);

        if (!m.emissive) {
            const float ox = m.lightOffset[0], oy = m.lightOffset[1];
            if (std::hypot(ox, oy) < 0.04f)
                m.light = LightDirection::Front;
            else if (std::fabs(ox) > std::fabs(oy))
                m.light = ox < 0 ? LightDirection::Left : LightDirection::Right;
            else if (oy < 0)
                m.light = LightDirection::Top;
        }
        analysis.objects.push_back(std::move(m));
    }
    return analysis;
}

SceneScore SceneAnalyser::score(const ClipAnalysis& analysis, const CaptionFacts& intended) {
    SceneScore score;
    if (intended.objects.empty())
        return score;
    const ObjectFacts& want = intended.objects[0];
    const ObjectMeasurement* got = analysis.objects.empty() ? nullptr : &analysis.objects[0];
    if (want.colour)
        score.colour = got && got->colour == *want.colour;
    if (want.shape)
        score.shape = got && got->shape == *want.shape;
    if (want.motion)
        score.motion = got && got->motion == *want.motion;
    if (want.motion && isDirection(*want.motion))
        score.direction = got && got->travel == *want.motion;
    score.emissive = got && got->emissive == want.emissive;
    if (intended.light && !want.emissive)
        score.light = got && got->light == intended.light;
    return score;
}

float toAcesCct(float linear) {
    if (std::isnan(linear))
        linear = 0.0f;
    linear = std::min(linear, 65504.0f);
    if (linear <= 0.0078125f)
        return 10.5402377416545f * linear + 0.0729055341958355f;
    return (std::log2(linear) + 9.72f) / 17.52f;
}

float fromAcesCct(float code) {
    if (code <= 0.155251141552511f)
        return (code - 0.0729055341958355f) / 10.5402377416545f;
    return std::exp2(code * 17.52f - 9.72f);
}

namespace {
void checkFrame(const Clip& clip, int frame, const char* what) {
    if (frame < 0 || frame >= clip.frames || clip.rgb.size() != clip.frameFloats() * std::size_t(clip.frames))
        throw SceneError(std::string(what) + ": frame " + std::to_string(frame) + " outside a clip of " +
                         std::to_string(clip.frames) + " frames");
}
void checkSameSize(const Clip& a, const Clip& b, const char* what) {
    if (a.width != b.width || a.height != b.height)
        throw SceneError(std::string(what) + ": frame sizes differ (" + std::to_string(a.width) + "x" +
                         std::to_string(a.height) + " and " + std::to_string(b.width) + "x" +
                         std::to_string(b.height) + ")");
}
} // namespace

double frameDifference(const Clip& a, int frameA, const Clip& b, int frameB) {
    checkFrame(a, frameA, "frame difference");
    checkFrame(b, frameB, "frame difference");
    checkSameSize(a, b, "frame difference");
    const float* pa = a.frame(frameA);
    const float* pb = b.frame(frameB);
    double sum = 0;
    const std::size_t n = a.frameFloats();
    for (std::size_t i = 0; i < n; ++i)
        sum += std::fabs(toAcesCct(pa[i]) - toAcesCct(pb[i]));
    return sum / double(n);
}

double psnr(const Clip& a, int frameA, const Clip& b, int frameB) {
    checkFrame(a, frameA, "psnr");
    checkFrame(b, frameB, "psnr");
    checkSameSize(a, b, "psnr");
    const float* pa = a.frame(frameA);
    const float* pb = b.frame(frameB);
    double sum = 0;
    const std::size_t n = a.frameFloats();
    for (std::size_t i = 0; i < n; ++i) {
        const double d = double(toAcesCct(pa[i])) - double(toAcesCct(pb[i]));
        sum += d * d;
    }
    const double mse = sum / double(n);
    return mse > 0 ? 10.0 * std::log10(1.0 / mse) : std::numeric_limits<double>::infinity();
}

double keyframePsnr(const Clip& generated, const Clip& reference, const std::vector<int>& frames) {
    if (frames.empty())
        throw SceneError("keyframe psnr: no keyframes given");
    double sum = 0;
    for (int f : frames)
        sum += psnr(generated, f, reference, f);
    return sum / double(frames.size());
}

double loopSeam(const Clip& clip) {
    if (clip.frames < 3)
        throw SceneError("loop seam: needs at least 3 frames, the clip has " + std::to_string(clip.frames));
    double mean = 0;
    for (int f = 0; f + 1 < clip.frames; ++f)
        mean += frameDifference(clip, f, clip, f + 1) / double(clip.frames - 1);
    const double seam = frameDifference(clip, clip.frames - 1, clip, 0);
    if (mean <= 1e-12)
        return seam <= 1e-12 ? 1.0 : std::numeric_limits<double>::infinity();
    return seam / mean;
}

double extensionSeam(const Clip& clip, int seam) {
    if (clip.frames < 3 || seam < 1 || seam >= clip.frames)
        throw SceneError("extension seam: seam frame " + std::to_string(seam) +
                         " must lie inside a clip of " + std::to_string(clip.frames) +
                         " frames (at least 3)");
    double mean = 0;
    for (int f = 0; f + 1 < clip.frames; ++f)
        if (f != seam - 1)
            mean += frameDifference(clip, f, clip, f + 1) / double(clip.frames - 2);
    const double jump = frameDifference(clip, seam - 1, clip, seam);
    if (mean <= 1e-12)
        return jump <= 1e-12 ? 1.0 : std::numeric_limits<double>::infinity();
    return jump / mean;
}

} // namespace kinema::scenes
