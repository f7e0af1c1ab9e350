// SPDX-License-Identifier: Apache-2.0
#include "LatentPool.h"
#include <c10/core/GradMode.h>

#include "Workers.h"
#include "engine/ConditioningClip.h"
#include "io/SafetensorsReader.h"

#include <algorithm>
#include <iostream>
#include <map>
#include <vector>

namespace kinema::trainer::detail {

namespace fs = std::filesystem;

std::uint64_t LatentPool::sceneSeed(std::int64_t index) const {
    return mixSeed(sceneSeedBase, static_cast<std::uint64_t>(index));
}

fs::path latentPoolPath(const TrainOptions& options) {
    return options.workDir / "latent_pool.safetensors";
}

at::Tensor keyChunkLatent(wan21::WanVae& vae, const at::Tensor& video, std::int64_t index) {
    const int position = static_cast<int>(4 * index);
    std::vector<at::Tensor> clips;
    for (std::int64_t b = 0; b < video.size(0); ++b) {
        const std::map<int, at::Tensor> key{{position, video[b].select(1, position)}};
        clips.push_back(conditioningClip(index, key, key));
    }
    return vae.encode(at::cat(clips)).select(2, 1);
}

namespace {

/// What a stored pool must match to be reused.
std::map<std::string, std::string> poolIdentity(const TrainOptions& o, const std::string& vaeDigest,
                                                std::uint64_t sceneSeedBase) {
    return {{"vae_digest", vaeDigest},
            {"scenes", std::to_string(o.latentPool)},
            {"scene_seed", std::to_string(sceneSeedBase)},
            {"geometry", std::to_string(o.width) + "x" + std::to_string(o.height) + "x" +
                             std::to_string(o.frames) + " supersampling " + std::to_string(o.supersampling)}};
}

bool loadPool(const fs::path& path, const std::map<std::string, std::string>& identity, LatentPool& pool) {
    if (!fs::exists(path))
        return false;
    const auto ckpt = SafetensorsCheckpoint::open(path);
    const auto& meta = ckpt.files().front().metadata();
    for (const auto& [key, value] : identity) {
        const auto it = meta.find(key);
        if (it == meta.end() || it->second != value)
            return false;
    }
    const auto* latents = ckpt.find("latents");
    const auto* held = ckpt.find("held_keys");
    if (!latents || !held)
        return false;
    pool.latents = toTensor(*latents).to(at::kFloat).clone();
    pool.heldKeys = toTensor(*held).to(at::kFloat).clone();
    return pool.latents.dim() == 5 && pool.heldKeys.sizes() == pool.latents.sizes();
}

/// Pool entry `index`'s scene, rendered: [1, 3, T, H, W].
at::Tensor renderPoolScene(const TrainOptions& o, const LatentPool& pool, std::int64_t index) {
    return renderSample(pool.sceneSeed(index), o.width, o.height, o.frames, 0, o.frames, o.supersampling)
        .video.unsqueeze(0);
}

/// An uninitialised [N, F, h, w] tensor for the pool's object masks.
at::Tensor emptyObjectMasks(const LatentPool& pool) {
    return at::empty({pool.size(), pool.latents.size(2), pool.latents.size(3), pool.latents.size(4)});
}

/// The object masks of a loaded pool: the scenes are rendered again (a few milliseconds each), which is
/// cheaper than storing the masks. A pool being built takes them from the renders it encodes.
void addObjectMasks(const TrainOptions& o, LatentPool& pool, SampleWorkers& workers) {
    const auto stride = vaeConfig(o.shape).spatialStride();
    pool.objectMasks = emptyObjectMasks(pool);
    workers.run([&](int worker) {
        c10::NoGradGuard noGrad;
        for (std::int64_t j = worker; j < pool.size(); j += workers.count())
            pool.objectMasks[j].copy_(latentObjectMask(renderPoolScene(o, pool, j), stride));
    });
}

} // namespace

LatentPool loadOrBuildLatentPool(const TrainOptions& o, wan21::WanVae& vae, const std::string& vaeDigest,
                                 std::uint64_t sceneSeedBase, SampleWorkers& workers,
                                 wan21::WanVae* batchVae) {
    LatentPool pool;
    pool.sceneSeedBase = sceneSeedBase;
    const auto identity = poolIdentity(o, vaeDigest, sceneSeedBase);
    const bool weighted = o.objectWeight > 0;
    const auto path = latentPoolPath(o);
    if (loadPool(path, identity, pool)) {
        if (!o.quiet)
            std::cout << "dit: " << pool.size() << " pooled scenes from '" << path.string() << "'\n";
        if (weighted)
            addObjectMasks(o, pool, workers);
        return pool;
    }
    const std::int64_t count = o.latentPool;
    if (!o.quiet)
        std::cout << "dit: rendering and encoding " << count << " scenes for the latent pool\n";
    const auto stride = vaeConfig(o.shape).spatialStride();
    pool.latents =
        at::empty({count, o.shape.zDim, (o.frames - 1) / 4 + 1, o.height / stride, o.width / stride});
    pool.heldKeys = at::zeros_like(pool.latents);
    if (weighted)
        pool.objectMasks = emptyObjectMasks(pool);
    if (batchVae) {
        // Batches of scenes: rendered (with their object masks) on the workers, encoded together.
        constexpr std::int64_t kBatch = 32;
        for (std::int64_t first = 0; first < count; first += kBatch) {
            const auto n = std::min(kBatch, count - first);
            std::vector<at::Tensor> videos(static_cast<std::size_t>(n));
            workers.run([&](int worker) {
                c10::NoGradGuard noGrad;
                for (std::int64_t j = worker; j < n; j += workers.count()) {
                    auto& video = videos[static_cast<std::size_t>(j)];
                    video = renderPoolScene(o, pool, first + j);
                    if (weighted)
                        pool.objectMasks[first + j].copy_(latentObjectMask(video, stride));
                }
            });
            c10::NoGradGuard noGrad;
            const auto batch = at::cat(videos).to(batchVae->device());
            pool.latents.narrow(0, first, n).copy_(batchVae->encode(batch));
            for (std::int64_t k = 1; k < pool.latents.size(2); ++k)
                pool.heldKeys.narrow(0, first, n).select(2, k).copy_(keyChunkLatent(*batchVae, batch, k));
            if (!o.quiet && first / 1000 != (first + n) / 1000 && first + n < count)
                std::cout << "dit: latent pool " << first + n << "/" << count << std::endl;
        }
    } else {
        workers.run([&](int worker) {
            c10::NoGradGuard noGrad;
            for (std::int64_t j = worker; j < count; j += workers.count()) {
                const auto video = renderPoolScene(o, pool, j);
                pool.latents[j].copy_(vae.encode(video)[0]);
                for (std::int64_t k = 1; k < pool.latents.size(2); ++k)
                    pool.heldKeys[j].select(1, k).copy_(keyChunkLatent(vae, video, k)[0]);
                if (weighted)
                    pool.objectMasks[j].copy_(latentObjectMask(video, stride));
                if (worker == 0 && !o.quiet && j > 0 && j % 1000 == 0)
                    std::cout << "dit: latent pool " << j << "/" << count << std::endl;
            }
        });
    }
    writeTensors(path, {{"latents", pool.latents}, {"held_keys", pool.heldKeys}}, identity);
    return pool;
}

} // namespace kinema::trainer::detail
