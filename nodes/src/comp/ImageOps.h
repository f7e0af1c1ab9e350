// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Small helpers shared by the compositing nodes: image allocation, row-parallel loops with cancellation,
/// channel-set arithmetic, window-aware channel copies and parameter declarations.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "kinema/graph/Param.h"
#include "kinema/render/Image.h"
#include "kinema/render/ImageNode.h"

namespace kinema::nodes::ops {

using graph::Box2i;
using render::Image;
using render::ImagePtr;

/// A zero-filled image with `channels` over `window`, carrying `like`'s metadata when given.
std::shared_ptr<Image> newImage(const graph::Format& format, const Box2i& window,
                                const std::vector<std::string>& channels, const Image* like = nullptr);

/// Calls row(y) for every y of [box.y0, box.y1) on the global pool, checking cancellation per chunk.
void forEachRow(const render::EvalContext& ec, const Box2i& box, const std::function<void(int)>& row);

/// Channel names of `a` followed by those of `b` that `a` lacks.
std::vector<std::string> unionChannels(const Image& a, const Image& b);

/// Offset of absolute pixel (x, y) in a plane covering `window` (the pixel must lie inside).
inline std::size_t pixelIndex(const Box2i& window, int x, int y) {
    return static_cast<std::size_t>(y - window.y0) * static_cast<std::size_t>(window.width()) +
           static_cast<std::size_t>(x - window.x0);
}

/// Copies channel `from` of `src` into channel `to` of `dst` where both windows overlap; `dst` keeps its
/// other pixels. A missing source channel copies nothing.
void copyChannel(const render::EvalContext& ec, const Image& src, const std::string& from, Image& dst,
                 const std::string& to);

/// A copy of `src` with the same channels, metadata and format over a new window (pixels outside the
/// source window are zero).
std::shared_ptr<Image> copyToWindow(const render::EvalContext& ec, const Image& src, const Box2i& window);

/// (1 − t)·a + t·b over the union of both windows and channels (missing pixels read as 0).
std::shared_ptr<Image> blendImages(const render::EvalContext& ec, const Image& a, const Image& b, float t);

// Parameter declaration helpers ---------------------------------------------------------------------------
graph::ParamSpec floatSpec(const std::string& name, double value, double softMin, double softMax,
                           const std::string& tooltip);
graph::ParamSpec colorSpec(const std::string& name, double value, const std::string& tooltip);
graph::ParamSpec float2Spec(const std::string& name, double x, double y, const std::string& tooltip);
graph::ParamSpec intSpec(const std::string& name, std::int64_t value, const std::string& tooltip);
graph::ParamSpec boolSpec(const std::string& name, bool value, const std::string& tooltip);
graph::ParamSpec enumSpec(const std::string& name, std::vector<std::string> items, std::int64_t index,
                          const std::string& tooltip);
graph::ParamSpec stringSpec(const std::string& name, const std::string& value, const std::string& tooltip);

} // namespace kinema::nodes::ops
