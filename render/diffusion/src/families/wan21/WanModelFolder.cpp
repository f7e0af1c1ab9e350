// SPDX-License-Identifier: Apache-2.0
#include "families/wan21/WanModelFolder.h"

#include "io/StrictJson.h"

#include <kinema/diffusion/Errors.h>

#include <fstream>
#include <sstream>

namespace kinema::diffusion::wan21 {

namespace fs = std::filesystem;

namespace {

std::string readText(const fs::path& path) {
    std::error_code ec;
    const auto size = fs::file_size(path, ec);
    if (ec)
        throw ModelError("'" + path.string() + "': cannot read: " + ec.message());
    if (size > (1u << 20))
        throw ModelError("'" + path.string() + "': too large for a configuration file");
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

bool isFile(const fs::path& p) {
    std::error_code ec;
    return fs::is_regular_file(p, ec);
}

fs::path weightsFile(const fs::path& dir, const std::string& stem, const char* what) {
    for (const auto& candidate : {stem + ".safetensors.index.json", stem + ".safetensors"})
        if (isFile(dir / candidate))
            return dir / candidate;
    if (isFile(dir / (stem + ".pth")))
        throw ModelError("model folder '" + dir.string() + "': the " + what + " is only present as '" + stem +
                         ".pth'; convert it once with `kinema-model convert " + stem + ".pth " + stem +
                         ".safetensors` (pickle checkpoints are never loaded in-process)");
    throw ModelError("model folder '" + dir.string() + "': the " + what + " is missing (expected '" + stem +
                     ".safetensors')");
}

/// config.json in diffusers naming -> reference naming.
std::string ditConfigText(const std::string& text, const fs::path& path) {
    nlohmann::json j;
    try {
        j = parseStrictJson(text, 16);
    } catch (const std::exception& e) {
        throw ModelError("config '" + path.string() + "': " + e.what());
    }
    if (!j.is_object())
        throw ModelError("config '" + path.string() + "': not a JSON object");
    if (!j.contains("num_attention_heads"))
        return text;
    nlohmann::json out;
    auto copy = [&](const char* from, const char* to) {
        if (j.contains(from))
            out[to] = j[from];
    };
    copy("num_attention_heads", "num_heads");
    copy("num_layers", "num_layers");
    copy("ffn_dim", "ffn_dim");
    copy("freq_dim", "freq_dim");
    copy("in_channels", "in_dim");
    copy("out_channels", "out_dim");
    copy("text_dim", "text_dim");
    copy("eps", "eps");
    copy("patch_size", "patch_size");
    if (j.contains("num_attention_heads") && j.contains("attention_head_dim") &&
        j["num_attention_heads"].is_number_integer() && j["attention_head_dim"].is_number_integer())
        out["dim"] =
            j["num_attention_heads"].get<std::int64_t>() * j["attention_head_dim"].get<std::int64_t>();
    if (j.contains("image_dim") && !j["image_dim"].is_null())
        out["model_type"] = "i2v";
    return out.dump();
}

} // namespace

bool isUnkeyedCondition(const std::string& value) {
    return value == "zero" || value == "grey" || value == "position";
}

ModelFolder resolveModelFolder(const fs::path& dir) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec))
        throw ModelError("model folder '" + dir.string() + "' does not exist or is not a folder");
    ModelFolder folder;
    folder.dir = dir;
    const auto configPath = dir / "config.json";
    if (!isFile(configPath))
        throw ModelError("model folder '" + dir.string() +
                         "': no config.json (not a Wan 2.1 model folder; see docs/models.md)");
    const auto configText = readText(configPath);
    folder.dit = parseDitConfig(ditConfigText(configText, configPath), configPath.string());

    folder.ditWeights = weightsFile(dir, "diffusion_pytorch_model", "diffusion transformer");
    folder.vaeWeights = weightsFile(dir, "Wan2.1_VAE", "VAE");
    folder.textEncoderWeights = weightsFile(dir, "models_t5_umt5-xxl-enc-bf16", "text encoder");
    if (folder.dit.hasImageInput())
        folder.clipWeights =
            weightsFile(dir, "models_clip_open-clip-xlm-roberta-large-vit-huge-14", "CLIP image encoder");
    folder.vae.latentsMean = VaeConfig::defaultMean();
    folder.vae.latentsStd = VaeConfig::defaultStd();
    folder.textEncoder.dim = folder.dit.textDim;
    folder.textEncoder.textLen = folder.dit.textLen;

    const auto overridesPath = dir / "kinema.json";
    if (isFile(overridesPath)) {
        nlohmann::json j;
        try {
            j = parseStrictJson(readText(overridesPath), 16);
        } catch (const std::exception& e) {
            throw ModelError("'" + overridesPath.string() + "': " + e.what());
        }
        if (!j.is_object())
            throw ModelError("'" + overridesPath.string() + "': not a JSON object");
        if (j.contains("family") && j["family"] != "wan2.1")
            throw ModelError("'" + overridesPath.string() + "': unknown family " + j["family"].dump());
        if (j.contains("vae"))
            folder.vae = parseVaeConfig(j["vae"].dump(), overridesPath.string() + " (vae)");
        if (j.contains("text_encoder"))
            folder.textEncoder =
                parseT5Config(j["text_encoder"].dump(), overridesPath.string() + " (text_encoder)");
        if (j.contains("clip"))
            folder.clip = parseClipConfig(j["clip"].dump(), overridesPath.string() + " (clip)");
        if (j.contains("tokenizer")) {
            if (!j["tokenizer"].is_string() || (j["tokenizer"] != "umt5" && j["tokenizer"] != "bytes"))
                throw ModelError("'" + overridesPath.string() +
                                 "': \"tokenizer\" must be \"umt5\" or \"bytes\"");
            folder.tokenizer = j["tokenizer"].get<std::string>();
        }
        if (j.contains("sizes")) {
            const auto& sizes = j["sizes"];
            auto bad = [&] {
                return ModelError("'" + overridesPath.string() +
                                  "': \"sizes\" must be a list of [width, height] pairs, multiples of 16");
            };
            if (!sizes.is_array() || sizes.size() > 64)
                throw bad();
            for (const auto& size : sizes) {
                if (!size.is_array() || size.size() != 2 || !size[0].is_number_integer() ||
                    !size[1].is_number_integer())
                    throw bad();
                const int w = size[0].get<int>(), h = size[1].get<int>();
                if (w < 16 || h < 16 || w > 4096 || h > 4096 || w % 16 || h % 16)
                    throw bad();
                folder.sizes.emplace_back(w, h);
            }
        }
        if (j.contains("pixel_encoding")) {
            if (!j["pixel_encoding"].is_string() ||
                (j["pixel_encoding"] != "rec709-video" && j["pixel_encoding"] != "acescct-linear-rec709"))
                throw ModelError(
                    "'" + overridesPath.string() +
                    "': \"pixel_encoding\" must be \"rec709-video\" or \"acescct-linear-rec709\"");
            folder.pixelEncoding = j["pixel_encoding"].get<std::string>();
        }
        if (j.contains("unkeyed_condition")) {
            if (!j["unkeyed_condition"].is_string() ||
                !isUnkeyedCondition(j["unkeyed_condition"].get<std::string>()))
                throw ModelError("'" + overridesPath.string() +
                                 "': \"unkeyed_condition\" must be \"zero\", \"grey\" or \"position\"");
            folder.unkeyedCondition = j["unkeyed_condition"].get<std::string>();
        }
    }
    folder.vae.validate(dir.string());
    if (folder.textEncoder.dim != folder.dit.textDim)
        throw ModelError("model folder '" + dir.string() + "': the text encoder width " +
                         std::to_string(folder.textEncoder.dim) + " differs from the DiT's text_dim " +
                         std::to_string(folder.dit.textDim));
    if (folder.dit.hasImageInput() &&
        (folder.clip.dim != folder.dit.clipDim || folder.clip.tokens() != folder.dit.clipTokens))
        throw ModelError("model folder '" + dir.string() + "': the CLIP encoder gives " +
                         std::to_string(folder.clip.tokens()) + " tokens of width " +
                         std::to_string(folder.clip.dim) + " but the DiT expects " +
                         std::to_string(folder.dit.clipTokens) + " of width " +
                         std::to_string(folder.dit.clipDim));
    if (folder.vae.zDim != folder.dit.outDim)
        throw ModelError("model folder '" + dir.string() + "': the VAE's z_dim " +
                         std::to_string(folder.vae.zDim) + " differs from the DiT's out_dim " +
                         std::to_string(folder.dit.outDim));
    return folder;
}

std::string defaultNegativePrompt(const std::string& modelType) {
    // The reference's image-to-video pipelines put a phrase against camera shake (i2v) or cuts (flf2v) first.
    if (modelType == "i2v")
        return "镜头晃动，" + defaultNegativePrompt();
    if (modelType == "flf2v")
        return "镜头切换，镜头晃动，" + defaultNegativePrompt();
    return defaultNegativePrompt();
}

const std::string& defaultNegativePrompt() {
    static const std::string text = "色调艳丽，过曝，静态，细节模糊不清，字幕，风格，作品，画作，"
                                    "画面，静止，整体发灰，最差质量，低质量，JPEG压缩残留，丑"
                                    "陋的，残缺的，多余的手指，画得不好的手部，画得不好的脸部，畸"
                                    "形的，毁容的，形态畸形的肢体，手指融合，静止不动的画面，杂乱"
                                    "的背景，三条腿，背景人很多，倒着走";
    return text;
}

} // namespace kinema::diffusion::wan21
