// SPDX-License-Identifier: Apache-2.0
#include "engine/ImageToVideo.h"

#include <kinema/diffusion/Errors.h>

namespace kinema::diffusion {

at::Tensor imageToVideoMask(int frames, const std::vector<int>& givenFrames, std::int64_t lh,
                            std::int64_t lw) {
    auto perFrame = at::zeros({frames}, at::kFloat);
    for (int f : givenFrames)
        perFrame[f] = 1.0f;
    const auto padded = at::cat({perFrame.narrow(0, 0, 1).expand({4}), perFrame.narrow(0, 1, frames - 1)});
    const std::int64_t latentFrames = (frames - 1) / 4 + 1;
    return padded.view({latentFrames, 4})
        .t()
        .contiguous()
        .view({4, latentFrames, 1, 1})
        .expand({4, latentFrames, lh, lw});
}

ImageConditioning buildImageConditioning(const std::string& modelType, const wan21::WanClipVision& clip,
                                         const wan21::WanVae& vae, const std::vector<at::Tensor>& keys,
                                         int frames) {
    const bool lastToo = modelType == "flf2v";
    if (keys.size() != (lastToo ? 2u : 1u))
        throw RequestError(modelType + " needs " + (lastToo ? "a first and a last frame" : "a first frame"));
    if (lastToo && frames < 5)
        throw RequestError("flf2v needs at least 5 frames");
    const auto h = keys[0].size(1), w = keys[0].size(2);
    ImageConditioning out;
    // CLIP sees each key image; flf2v's two token sets are laid end to end.
    const auto features = clip.encode(at::stack(keys, 0));
    out.clipFeatures = features.reshape({1, features.size(0) * features.size(1), features.size(2)});
    // The VAE encodes the key image(s) with black (zero) frames in between.
    auto video = at::zeros({1, 3, frames, h, w}, keys[0].options());
    video[0].select(1, 0).copy_(keys[0]);
    if (lastToo)
        video[0].select(1, frames - 1).copy_(keys[1]);
    const auto latent = vae.normalize(vae.encode(video))[0];
    std::vector<int> given{0};
    if (lastToo)
        given.push_back(frames - 1);
    const auto mask = imageToVideoMask(frames, given, latent.size(2), latent.size(3)).to(latent.device());
    out.y = at::cat({mask, latent}, 0);
    return out;
}

} // namespace kinema::diffusion
