// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Integer boxes and image formats.
///
/// Pixel coordinates follow OpenEXR and OpenImageIO: x grows to the right, y grows DOWN, the display
/// window of a format W×H is [0,W)×[0,H). Boxes are half-open: [x0,x1)×[y0,y1).
#include <algorithm>
#include <cstdint>
#include <string>

namespace kinema::graph {

struct Box2i {
    int x0 = 0, y0 = 0, x1 = 0, y1 = 0;

    int width() const { return std::max(0, x1 - x0); }
    int height() const { return std::max(0, y1 - y0); }
    bool empty() const { return x1 <= x0 || y1 <= y0; }
    std::int64_t area() const { return static_cast<std::int64_t>(width()) * height(); }
    bool contains(int x, int y) const { return x >= x0 && x < x1 && y >= y0 && y < y1; }
    bool operator==(const Box2i&) const = default;

    Box2i intersect(const Box2i& o) const {
        Box2i r{std::max(x0, o.x0), std::max(y0, o.y0), std::min(x1, o.x1), std::min(y1, o.y1)};
        return r.empty() ? Box2i{} : r;
    }
    Box2i unite(const Box2i& o) const {
        if (empty())
            return o;
        if (o.empty())
            return *this;
        return {std::min(x0, o.x0), std::min(y0, o.y0), std::max(x1, o.x1), std::max(y1, o.y1)};
    }
};

/// An image format: the display window size and pixel aspect, with an optional name ("HD_1080").
struct Format {
    int width = 1920;
    int height = 1080;
    double pixelAspect = 1.0;
    std::string name;

    Box2i displayWindow() const { return {0, 0, width, height}; }
    bool operator==(const Format&) const = default;
};

} // namespace kinema::graph
