// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Where the pieces of a Wan 2.1 model folder are and how they are configured (torch-free).
///
/// Layout (see docs/models.md): `config.json` (DiT, reference or diffusers field names),
/// `diffusion_pytorch_model.safetensors` or its `.index.json` with shards, `Wan2.1_VAE.safetensors`,
/// `models_t5_umt5-xxl-enc-bf16.safetensors`, and the tokenizer under `google/umt5-xxl/`. An optional
/// `kinema.json` overrides the VAE / text-encoder configs and the tokenizer (used by small test models).
#include "families/wan21/WanConfig.h"

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace kinema::diffusion::wan21 {

struct ModelFolder {
    std::filesystem::path dir;
    DitConfig dit;
    std::filesystem::path ditWeights;
    std::filesystem::path vaeWeights;
    VaeConfig vae;
    std::filesystem::path textEncoderWeights;
    T5Config textEncoder;
    /// i2v / flf2v only: the CLIP image encoder (`models_clip_open-clip-xlm-roberta-large-vit-huge-14`).
    std::filesystem::path clipWeights;
    ClipConfig clip;
    /// "umt5" (the model's tokenizer files) or "bytes" (UTF-8 bytes as ids; small test models only).
    std::string tokenizer = "umt5";
    /// What the VAE's [-1, 1] RGB means (ModelInfo::pixelEncoding).
    std::string pixelEncoding = "rec709-video";
    /// Models with image-to-video conditioning channels but no CLIP branch: what the conditioning latent
    /// holds at unkeyed latent frames: "zero" (zeros, the default), "grey" (greyClipLatent normalised) or
    /// "position" (positionLatent: horizontal and vertical ramps).
    std::string unkeyedCondition = "zero";
    /// Frame sizes the model was trained for (ModelInfo::supportedSizes); empty: any multiple of 16.
    std::vector<std::pair<int, int>> sizes;
};

/// Whether `value` is one of the conditioning latents a model folder may ask for at unkeyed latent frames
/// (ModelFolder::unkeyedCondition): "zero", "grey" or "position". The one list the folder's kinema.json and
/// the trainer's --unkeyed-condition are checked against.
bool isUnkeyedCondition(const std::string& value);

/// Finds and validates the files of the model in `dir`; throws ModelError naming what is missing.
ModelFolder resolveModelFolder(const std::filesystem::path& dir);

/// The reference's default negative prompt (the text encoder's cleaning turns its full-width commas into
/// ASCII ones).
const std::string& defaultNegativePrompt();
/// The default negative prompt of a model type: i2v and flf2v put "镜头晃动，" (and flf2v "镜头切换，")
/// in front, as the reference's image-to-video pipelines do.
std::string defaultNegativePrompt(const std::string& modelType);

} // namespace kinema::diffusion::wan21
