// SPDX-License-Identifier: Apache-2.0
#include "families/wan21/WanConfig.h"

#include "io/StrictJson.h"

#include <kinema/diffusion/Errors.h>

namespace kinema::diffusion::wan21 {

namespace {

nlohmann::json parse(const std::string& text, const std::string& label) {
    try {
        auto json = parseStrictJson(text, 16);
        if (!json.is_object())
            throw std::runtime_error("not a JSON object");
        return json;
    } catch (const std::exception& e) {
        throw ModelError("config '" + label + "': " + e.what());
    }
}

void readInt(const nlohmann::json& j, const char* key, std::int64_t& out, const std::string& label) {
    if (!j.contains(key))
        return;
    if (!j[key].is_number_integer())
        throw ModelError("config '" + label + "': field \"" + key + "\" is not an integer");
    out = j[key].get<std::int64_t>();
}

void readDouble(const nlohmann::json& j, const char* key, double& out, const std::string& label) {
    if (!j.contains(key))
        return;
    if (!j[key].is_number())
        throw ModelError("config '" + label + "': field \"" + key + "\" is not a number");
    out = j[key].get<double>();
}

template <typename T>
void readList(const nlohmann::json& j, const char* key, std::vector<T>& out, const std::string& label) {
    if (!j.contains(key))
        return;
    const auto& a = j[key];
    if (!a.is_array() || a.size() > 64)
        throw ModelError("config '" + label + "': field \"" + key + "\" is not a short list");
    out.clear();
    for (const auto& v : a) {
        if constexpr (std::is_same_v<T, bool>) {
            if (!v.is_boolean())
                throw ModelError("config '" + label + "': field \"" + key + "\" must hold booleans");
        } else {
            if (!v.is_number())
                throw ModelError("config '" + label + "': field \"" + key + "\" must hold numbers");
        }
        out.push_back(v.get<T>());
    }
}

void require(bool ok, const std::string& label, const std::string& what) {
    if (!ok)
        throw ModelError("config '" + label + "': " + what);
}

} // namespace

void DitConfig::validate(const std::string& label) const {
    require(modelType == "t2v" || modelType == "i2v" || modelType == "flf2v", label,
            "model_type \"" + modelType + "\" is not t2v, i2v or flf2v");
    require(patchSize[0] == 1 && patchSize[1] == patchSize[2] && supportedPatch(patchSize[1]), label,
            "patch_size must be [1, p, p] with p 1, 2, 4 or 8");
    require(clipDim > 0 && clipDim <= 8192 && clipTokens > 0 && clipTokens <= 4096, label,
            "clip_dim and clip_tokens out of range");
    require(dim > 0 && numHeads > 0 && dim % numHeads == 0, label,
            "dim must be a positive multiple of num_heads");
    require(headDim() % 2 == 0 && headDim() >= 6, label, "head_dim must be even and at least 6");
    require(textLen > 0 && textLen <= 4096, label, "text_len out of range");
    require(inDim > 0 && outDim > 0 && ffnDim > 0 && textDim > 0, label, "dimensions must be positive");
    require(freqDim > 0 && freqDim % 2 == 0, label, "freq_dim must be positive and even");
    require(numLayers >= 0 && numLayers <= 1000, label, "num_layers out of range");
    require(dim <= 65536 && ffnDim <= 262144 && textDim <= 65536 && inDim <= 4096 && outDim <= 4096, label,
            "dimensions too large");
    require(eps > 0 && eps < 1, label, "eps out of range");
}

std::vector<float> VaeConfig::defaultMean() {
    return {-0.7571f, -0.7089f, -0.9113f, 0.1075f,  -0.1745f, 0.9653f,  -0.1517f, 1.5508f,
            0.4134f,  -0.0715f, 0.5517f,  -0.3632f, -0.1922f, -0.9497f, 0.2503f,  -0.2921f};
}

std::vector<float> VaeConfig::defaultStd() {
    return {2.8184f, 1.4541f, 2.3275f, 2.6558f, 1.2196f, 1.7708f, 2.6052f, 2.0743f,
            3.2687f, 2.1526f, 2.8652f, 1.5579f, 1.6382f, 1.1253f, 2.8251f, 1.9160f};
}

void VaeConfig::validate(const std::string& label) const {
    require(dim > 0 && dim <= 4096 && zDim > 0 && zDim <= 1024, label, "dim / z_dim out of range");
    require(dimMult.size() >= 2 && dimMult.size() <= 8, label, "dim_mult must have 2 to 8 entries");
    for (auto m : dimMult)
        require(m > 0 && m <= 64, label, "dim_mult entries must be in 1..64");
    require(numResBlocks >= 1 && numResBlocks <= 16, label, "num_res_blocks out of range");
    require(temporalDownsample.size() == dimMult.size() - 1, label,
            "temperal_downsample needs one entry per stage transition");
    require(latentsMean.size() == static_cast<std::size_t>(zDim) &&
                latentsStd.size() == static_cast<std::size_t>(zDim),
            label, "latents_mean and latents_std need z_dim entries");
    for (float s : latentsStd)
        require(s > 0, label, "latents_std entries must be positive");
}

void T5Config::validate(const std::string& label) const {
    require(vocab > 0 && dim > 0 && dimAttn > 0 && dimFfn > 0 && numHeads > 0 && dimAttn % numHeads == 0,
            label, "dimensions must be positive and dim_attn a multiple of num_heads");
    require(numLayers >= 0 && numLayers <= 1000, label, "num_layers out of range");
    require(numBuckets >= 4 && numBuckets % 2 == 0 && maxDistance > numBuckets / 4, label,
            "num_buckets / max_distance out of range");
    require(!sharedPos, label, "shared_pos = true (a single shared position table) is not supported");
    require(textLen > 0 && textLen <= 4096, label, "text_len out of range");
}

DitConfig parseDitConfig(const std::string& jsonText, const std::string& label) {
    const auto j = parse(jsonText, label);
    DitConfig c;
    if (j.contains("model_type")) {
        require(j["model_type"].is_string(), label, "field \"model_type\" is not a string");
        c.modelType = j["model_type"].get<std::string>();
    }
    std::vector<std::int64_t> patch;
    readList(j, "patch_size", patch, label);
    if (!patch.empty()) {
        require(patch.size() == 3, label, "patch_size must have 3 entries");
        c.patchSize = {patch[0], patch[1], patch[2]};
    }
    readInt(j, "text_len", c.textLen, label);
    readInt(j, "in_dim", c.inDim, label);
    readInt(j, "dim", c.dim, label);
    readInt(j, "ffn_dim", c.ffnDim, label);
    readInt(j, "freq_dim", c.freqDim, label);
    readInt(j, "text_dim", c.textDim, label);
    readInt(j, "out_dim", c.outDim, label);
    readInt(j, "num_heads", c.numHeads, label);
    readInt(j, "num_layers", c.numLayers, label);
    readInt(j, "clip_dim", c.clipDim, label);
    readInt(j, "clip_tokens", c.clipTokens, label);
    readDouble(j, "eps", c.eps, label);
    if (j.contains("model_type") && !j.contains("in_dim") && c.hasImageInput())
        c.inDim = 36;
    c.validate(label);
    return c;
}

VaeConfig parseVaeConfig(const std::string& jsonText, const std::string& label) {
    const auto j = parse(jsonText, label);
    VaeConfig c;
    readInt(j, "dim", c.dim, label);
    readInt(j, "z_dim", c.zDim, label);
    readList(j, "dim_mult", c.dimMult, label);
    readInt(j, "num_res_blocks", c.numResBlocks, label);
    readList(j, "temperal_downsample", c.temporalDownsample, label);
    readList(j, "latents_mean", c.latentsMean, label);
    readList(j, "latents_std", c.latentsStd, label);
    if (j.contains("attn_scales")) {
        require(j["attn_scales"].is_array() && j["attn_scales"].empty(), label,
                "attn_scales must be empty (attention only in the middle blocks)");
    }
    if (c.latentsMean.empty() && c.zDim == 16)
        c.latentsMean = VaeConfig::defaultMean();
    if (c.latentsStd.empty() && c.zDim == 16)
        c.latentsStd = VaeConfig::defaultStd();
    c.validate(label);
    return c;
}

T5Config parseT5Config(const std::string& jsonText, const std::string& label) {
    const auto j = parse(jsonText, label);
    T5Config c;
    readInt(j, "vocab", c.vocab, label);
    readInt(j, "dim", c.dim, label);
    readInt(j, "dim_attn", c.dimAttn, label);
    readInt(j, "dim_ffn", c.dimFfn, label);
    readInt(j, "num_heads", c.numHeads, label);
    readInt(j, "num_layers", c.numLayers, label);
    readInt(j, "num_buckets", c.numBuckets, label);
    readInt(j, "max_distance", c.maxDistance, label);
    readInt(j, "text_len", c.textLen, label);
    if (j.contains("shared_pos")) {
        require(j["shared_pos"].is_boolean(), label, "field \"shared_pos\" is not a boolean");
        c.sharedPos = j["shared_pos"].get<bool>();
    }
    readDouble(j, "eps", c.eps, label);
    c.validate(label);
    return c;
}

void ClipConfig::validate(const std::string& label) const {
    require(imageSize >= 14 && imageSize <= 1024 && patchSize >= 1 && imageSize % patchSize == 0, label,
            "image_size must be a multiple of patch_size");
    require(dim > 0 && numHeads > 0 && dim % numHeads == 0 && mlpDim > 0 && embedDim > 0, label,
            "dim, mlp_dim and embed_dim must be positive and dim a multiple of num_heads");
    require(numLayers >= 2 && numLayers <= 256, label, "num_layers must be between 2 and 256");
}

ClipConfig parseClipConfig(const std::string& jsonText, const std::string& label) {
    const auto j = parse(jsonText, label);
    ClipConfig c;
    readInt(j, "image_size", c.imageSize, label);
    readInt(j, "patch_size", c.patchSize, label);
    readInt(j, "dim", c.dim, label);
    readInt(j, "mlp_dim", c.mlpDim, label);
    readInt(j, "num_heads", c.numHeads, label);
    readInt(j, "num_layers", c.numLayers, label);
    readInt(j, "embed_dim", c.embedDim, label);
    c.validate(label);
    return c;
}

} // namespace kinema::diffusion::wan21
