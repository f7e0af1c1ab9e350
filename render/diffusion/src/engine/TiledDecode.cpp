// SPDX-License-Identifier: Apache-2.0
#include "engine/TiledDecode.h"

#include <algorithm>
#include <cstdlib>
#include <stdexcept>
#include <vector>

namespace kinema::diffusion {

void simulateDecodeOutOfMemory(std::int64_t latentPixels) {
    const char* limit = std::getenv("KINEMA_DIFFUSION_SIMULATE_DECODE_OOM");
    if (limit && *limit && latentPixels > std::atoll(limit))
        throw std::runtime_error("simulated out of memory: VAE decode of " + std::to_string(latentPixels) +
                                 " latent pixels per tile");
}

std::vector<int> decodeTileLadder(int requested, std::int64_t h, std::int64_t w) {
    if (requested > 0)
        return {requested};
    std::vector<int> ladder{0};
    for (int tile : {64, 32, 16, 8, 4})
        if (tile < std::max(h, w))
            ladder.push_back(tile);
    return ladder;
}

namespace {

/// Start offsets of tiles of `tile` covering `size` with `overlap`; the last tile ends at the border.
std::vector<std::int64_t> tileStarts(std::int64_t size, std::int64_t tile, std::int64_t overlap) {
    std::vector<std::int64_t> starts;
    if (tile >= size)
        return {0};
    for (std::int64_t s = 0;; s += tile - overlap) {
        if (s + tile >= size) {
            starts.push_back(size - tile);
            break;
        }
        starts.push_back(s);
    }
    return starts;
}

/// Blend weights along one axis of a tile: ramps over `ramp` pixels at edges that are not image borders.
at::Tensor ramp(std::int64_t length, std::int64_t ramp, bool rampStart, bool rampEnd) {
    std::vector<float> weight(static_cast<std::size_t>(length), 1.0f);
    for (std::int64_t i = 0; i < std::min(ramp, length); ++i) {
        const float v = static_cast<float>(i + 1) / static_cast<float>(ramp + 1);
        auto& first = weight[static_cast<std::size_t>(i)];
        auto& last = weight[static_cast<std::size_t>(length - 1 - i)];
        if (rampStart)
            first = std::min(first, v);
        if (rampEnd)
            last = std::min(last, v);
    }
    return at::tensor(weight, at::kFloat);
}

} // namespace

at::Tensor decodeInTiles(const wan21::WanVae& vae, const at::Tensor& z, int tile) {
    const std::int64_t h = z.size(3), w = z.size(4);
    if (tile <= 0 || (tile >= h && tile >= w)) {
        simulateDecodeOutOfMemory(h * w);
        return vae.decode(z);
    }
    const std::int64_t overlap = std::clamp<std::int64_t>(tile / 4, 1, 4);
    const std::int64_t s = vae.config().spatialStride(); // pixels per latent pixel
    const auto ys = tileStarts(h, tile, overlap), xs = tileStarts(w, tile, overlap);
    at::Tensor out, weight;
    for (const auto y0 : ys)
        for (const auto x0 : xs) {
            const std::int64_t th = std::min<std::int64_t>(tile, h), tw = std::min<std::int64_t>(tile, w);
            simulateDecodeOutOfMemory(th * tw);
            const auto px = vae.decode(z.narrow(3, y0, th).narrow(4, x0, tw).contiguous());
            if (!out.defined()) {
                out = at::zeros({px.size(0), px.size(1), px.size(2), s * h, s * w}, px.options());
                weight = at::zeros({1, 1, 1, s * h, s * w}, px.options());
            }
            const auto wy = ramp(s * th, s * overlap, y0 > 0, y0 + th < h).to(px.device());
            const auto wx = ramp(s * tw, s * overlap, x0 > 0, x0 + tw < w).to(px.device());
            const auto mask = (wy.view({-1, 1}) * wx.view({1, -1})).view({1, 1, 1, s * th, s * tw});
            out.narrow(3, s * y0, s * th).narrow(4, s * x0, s * tw).add_(px * mask);
            weight.narrow(3, s * y0, s * th).narrow(4, s * x0, s * tw).add_(mask);
        }
    return out / weight;
}

} // namespace kinema::diffusion
