// SPDX-License-Identifier: Apache-2.0
#pragma once
// Builds a tiny random-weight Wan 2.1 model folder for generation tests (the real model classes
// construct themselves from a recording random WeightMap; the recorded tensors are saved as safetensors).
#include "families/wan21/WanClip.h"
#include "families/wan21/WanDit.h"
#include "families/wan21/WanT5.h"
#include "families/wan21/WanVae.h"

#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>

namespace kinema::test {

/// A minimal safetensors serialisation of F32 tensors (test-side, independent of the library's reader).
inline void saveF32Safetensors(const std::filesystem::path& path,
                               const std::map<std::string, at::Tensor>& tensors) {
    std::string header = "{";
    std::string data;
    for (const auto& [name, tensor] : tensors) {
        const auto t = tensor.to(at::kFloat).contiguous();
        std::string shape;
        for (auto d : t.sizes())
            shape += (shape.empty() ? "" : ",") + std::to_string(d);
        const auto begin = data.size();
        data.append(reinterpret_cast<const char*>(t.data_ptr<float>()),
                    static_cast<std::size_t>(t.numel()) * 4);
        header += (header.size() > 1 ? "," : "") + std::string("\"") + name +
                  "\":{\"dtype\":\"F32\",\"shape\":[" + shape + "],\"data_offsets\":[" +
                  std::to_string(begin) + "," + std::to_string(data.size()) + "]}";
    }
    header += "}";
    while (header.size() % 8)
        header += ' ';
    std::ofstream out(path, std::ios::binary);
    const std::uint64_t n = header.size();
    for (int i = 0; i < 8; ++i)
        out.put(static_cast<char>((n >> (8 * i)) & 0xFF));
    out << header << data;
}

inline void writeText(const std::filesystem::path& path, const std::string& text) {
    std::ofstream(path, std::ios::binary) << text;
}

/// Latent geometry of a tiny model: Wan 2.1's (VAE stride 8, DiT patch 2) by default; `vaeDownsamples` 2
/// with `ditPatch` 4 is the embedded demo model's (stride 4), which gives the same 16-pixel tokens.
struct TinyGeometry {
    int vaeDownsamples = 3;
    int ditPatch = 2;
    /// A t2v DiT with the demo model's conditioning channels (in_dim = 2 * z_dim + 4, no CLIP branch).
    bool conditioningChannels = false;
    /// kinema.json "unkeyed_condition" when not empty.
    std::string unkeyedCondition;
};

/// Writes config.json, kinema.json and the weights files of a tiny model into `dir`: T2V by default, or
/// an "i2v" / "flf2v" model with a tiny CLIP image encoder (28 px, 14 px patches: 5 tokens of width 32).
inline void writeTinyWanModel(const std::filesystem::path& dir, std::uint64_t seed = 7,
                              const std::string& modelType = "t2v", TinyGeometry geometry = {}) {
    using namespace kinema::diffusion;
    const bool image = modelType != "t2v";
    const std::string dit =
        R"({"_class_name":"WanModel","model_type":")" + modelType +
        R"(","dim":32,"ffn_dim":64,"freq_dim":32,)" +
        (image                           ? R"("in_dim":36,"clip_dim":32,"clip_tokens":5,)"
         : geometry.conditioningChannels ? R"("in_dim":36,)"
                                         : R"("in_dim":16,)") +
        R"("out_dim":16,"num_heads":2,"num_layers":2,"text_len":16,"text_dim":24,"eps":1e-06,)" +
        R"("patch_size":[1,)" + std::to_string(geometry.ditPatch) + "," + std::to_string(geometry.ditPatch) +
        "]}";
    const std::string clip =
        R"({"image_size":28,"patch_size":14,"dim":32,"mlp_dim":48,"num_heads":2,"num_layers":3,"embed_dim":16})";
    const std::string vae =
        geometry.vaeDownsamples == 3
            ? R"({"dim":8,"z_dim":16,"dim_mult":[1,2,2,2],"num_res_blocks":1,"temperal_downsample":[false,true,true]})"
            : R"({"dim":8,"z_dim":16,"dim_mult":[1,2,2],"num_res_blocks":1,"temperal_downsample":[true,true]})";
    const std::string t5 = R"({"vocab":64,"dim":24,"dim_attn":24,"dim_ffn":32,"num_heads":2,"num_layers":1,)"
                           R"("num_buckets":8,"max_distance":16,"text_len":16})";
    writeText(dir / "config.json", dit);
    writeText(dir / "kinema.json",
              R"({"family":"wan2.1","tokenizer":"bytes","vae":)" + vae + R"(,"text_encoder":)" + t5 +
                  (image ? R"(,"clip":)" + clip : std::string()) +
                  (geometry.unkeyedCondition.empty()
                       ? std::string()
                       : R"(,"unkeyed_condition":")" + geometry.unkeyedCondition + "\"") +
                  "}");
    if (image) {
        auto wm = WeightMap::random(seed + 3);
        wan21::WanClipVision model(wan21::parseClipConfig(clip, "tiny clip"), wm);
        saveF32Safetensors(dir / "models_clip_open-clip-xlm-roberta-large-vit-huge-14.safetensors",
                           wm.recorded());
    }
    {
        auto wm = WeightMap::random(seed);
        wan21::WanDit model(wan21::parseDitConfig(dit, "tiny dit"), wm);
        saveF32Safetensors(dir / "diffusion_pytorch_model.safetensors", wm.recorded());
    }
    {
        auto wm = WeightMap::random(seed + 1);
        wan21::WanVae model(wan21::parseVaeConfig(vae, "tiny vae"), wm, true, true);
        saveF32Safetensors(dir / "Wan2.1_VAE.safetensors", wm.recorded());
    }
    {
        auto wm = WeightMap::random(seed + 2);
        wan21::WanT5 model(wan21::parseT5Config(t5, "tiny t5"), wm);
        saveF32Safetensors(dir / "models_t5_umt5-xxl-enc-bf16.safetensors", wm.recorded());
    }
}

} // namespace kinema::test
