// SPDX-License-Identifier: Apache-2.0
#pragma once
/// VAE decoding that survives out-of-memory: the whole frame first, then spatial tiles of decreasing size.
///
/// Tiles are square crops of the latent (in latent pixels) that overlap by a quarter of a tile (at most 4
/// latent pixels); each is decoded on its own (the VAE's temporal chunking and feature cache still bound
/// memory along time) and the decoded tiles are blended with linear ramps across the overlaps, so seams
/// stay below the VAE's own error. A tile size >= the latent's size decodes the whole frame.
#include "families/wan21/WanVae.h"

#include <ATen/ATen.h>

#include <string>
#include <vector>

namespace kinema::diffusion {

/// Decodes a denormalised latent [1, C, F, h, w] in tiles of `tile` latent pixels (0 = whole frame).
/// Returns [1, 3, T, 8h, 8w].
at::Tensor decodeInTiles(const wan21::WanVae& vae, const at::Tensor& z, int tile);

/// Tile sizes tried in order for a latent of h x w: `requested` alone when > 0, else the whole frame, then
/// 64, 32, 16, 8 and 4 latent pixels (sizes not smaller than the frame skipped).
std::vector<int> decodeTileLadder(int requested, std::int64_t h, std::int64_t w);

/// For tests of the out-of-memory paths: a simulated allocation failure for any decode of more than
/// $KINEMA_DIFFUSION_SIMULATE_DECODE_OOM latent pixels per tile (unset: never).
void simulateDecodeOutOfMemory(std::int64_t latentPixels);

} // namespace kinema::diffusion
