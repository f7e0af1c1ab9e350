// SPDX-License-Identifier: Apache-2.0
#pragma once
/// The CLIP image encoder of Wan 2.1's image-to-video models: the vision tower of open-clip's
/// xlm-roberta-large-vit-huge-14 (file models_clip_open-clip-xlm-roberta-large-vit-huge-14, converted to
/// safetensors), as the reference uses it.
///
/// Design: a pre-LN ViT-H/14 (224 px, 14 px patches, 1280 wide, 16 heads, 32 blocks, exact GELU, LayerNorm
/// eps 1e-5, no bias on the patch projection). The reference stops after the 31st block (`use_31_block`) and
/// returns all 257 tokens without the post-norm or the projection head, so those weights are checked for
/// shape and dropped. Input images in [-1, 1] are squashed to 224x224 with bicubic interpolation, mapped to
/// [0, 1] and normalised with CLIP's mean and std. Runs in fp32 on any device (the reference uses fp16 on a
/// GPU).
#include "families/wan21/WanConfig.h"
#include "tensor/WeightMap.h"

#include <ATen/ATen.h>

#include <cstdint>
#include <string>
#include <vector>

namespace kinema::diffusion::wan21 {

class WanClipVision {
public:
    /// Takes the `visual.*` tensors of the checkpoint (the text tower is not read).
    WanClipVision(const ClipConfig& config, WeightMap& weights);

    const ClipConfig& config() const { return m_config; }
    std::int64_t parameterCount() const { return m_parameterCount; }
    void to(at::Device device);

    /// Images [N, 3, H, W] in [-1, 1] (any size) -> features [N, tokens, dim] after block numLayers - 1.
    at::Tensor encode(const at::Tensor& images) const;

private:
    struct Block {
        at::Tensor norm1W, norm1B, qkvW, qkvB, projW, projB, norm2W, norm2B, fc1W, fc1B, fc2W, fc2B;
    };
    ClipConfig m_config;
    std::int64_t m_parameterCount = 0;
    at::Tensor m_patch, m_cls, m_pos, m_preNormW, m_preNormB;
    std::vector<Block> m_blocks; // the first numLayers - 1 blocks
};

} // namespace kinema::diffusion::wan21
