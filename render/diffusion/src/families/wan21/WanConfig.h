// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Wan 2.1 component configurations (torch-free), under the reference's field names, with the 1.3B
/// defaults and validation of every value read from a file.
#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace kinema::diffusion::wan21 {

struct DitConfig {
    std::string modelType = "t2v"; ///< t2v, i2v or flf2v
    std::array<std::int64_t, 3> patchSize{1, 2, 2};
    std::int64_t textLen = 512;
    std::int64_t inDim = 16;
    std::int64_t dim = 1536;
    std::int64_t ffnDim = 8960;
    std::int64_t freqDim = 256;
    std::int64_t textDim = 4096;
    std::int64_t outDim = 16;
    std::int64_t numHeads = 12;
    std::int64_t numLayers = 30;
    /// Width of the CLIP image features (i2v / flf2v); 1280 for Wan's ViT-H/14, smaller in test models.
    std::int64_t clipDim = 1280;
    /// CLIP tokens per image (257 = 16 x 16 patches + class token); flf2v sees two images' worth.
    std::int64_t clipTokens = 257;
    double eps = 1e-6;

    bool hasImageInput() const { return modelType == "i2v" || modelType == "flf2v"; }
    std::int64_t headDim() const { return dim / numHeads; }
    /// Spatial patch sizes the DiT supports (patches are [1, p, p]): Wan 2.1 uses 2; 1, 4 and 8 serve
    /// other latent strides.
    static bool supportedPatch(std::int64_t p) { return p == 1 || p == 2 || p == 4 || p == 8; }
    /// Throws ModelError naming `label` if a value is unusable.
    void validate(const std::string& label) const;
};

struct VaeConfig {
    std::int64_t dim = 96;
    std::int64_t zDim = 16;
    std::vector<std::int64_t> dimMult{1, 2, 4, 4};
    std::int64_t numResBlocks = 2;
    std::vector<bool> temporalDownsample{false, true, true};
    std::vector<float> latentsMean;
    std::vector<float> latentsStd;

    /// The reference latent statistics for z_dim 16 (used when a config does not give them).
    static std::vector<float> defaultMean();
    static std::vector<float> defaultStd();
    /// Pixels per latent pixel on each side: one halving per downsampling stage (8 for Wan 2.1).
    std::int64_t spatialStride() const { return std::int64_t{1} << (dimMult.size() - 1); }
    void validate(const std::string& label) const;
};

struct T5Config {
    std::int64_t vocab = 256384;
    std::int64_t dim = 4096;
    std::int64_t dimAttn = 4096;
    std::int64_t dimFfn = 10240;
    std::int64_t numHeads = 64;
    std::int64_t numLayers = 24;
    std::int64_t numBuckets = 32;
    std::int64_t maxDistance = 128;
    bool sharedPos = false;
    double eps = 1e-6;
    std::int64_t textLen = 512;
    void validate(const std::string& label) const;
};

/// The CLIP vision tower of the image-to-video models (ViT-H/14 by default; see WanClip.h).
struct ClipConfig {
    std::int64_t imageSize = 224;
    std::int64_t patchSize = 14;
    std::int64_t dim = 1280;
    std::int64_t mlpDim = 5120;
    std::int64_t numHeads = 16;
    std::int64_t numLayers = 32;
    std::int64_t embedDim = 1024; ///< width of the (unused) projection head
    double eps = 1e-5;

    std::int64_t tokens() const { return (imageSize / patchSize) * (imageSize / patchSize) + 1; }
    /// Throws ModelError naming `label` if a value is unusable.
    void validate(const std::string& label) const;
};

/// Parse from JSON text (reference names: "dim", "ffn_dim", "num_heads", ...). Missing fields keep the
/// defaults above; wrongly typed ones throw ModelError naming `label` and the field.
DitConfig parseDitConfig(const std::string& jsonText, const std::string& label);
VaeConfig parseVaeConfig(const std::string& jsonText, const std::string& label);
T5Config parseT5Config(const std::string& jsonText, const std::string& label);
/// The CLIP vision tower ("image_size", "patch_size", "dim", "mlp_dim", "num_heads", "num_layers",
/// "embed_dim"); missing fields keep the ViT-H/14 values.
ClipConfig parseClipConfig(const std::string& jsonText, const std::string& label);

} // namespace kinema::diffusion::wan21
