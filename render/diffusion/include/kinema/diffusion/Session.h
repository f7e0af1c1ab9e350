// SPDX-License-Identifier: Apache-2.0
#pragma once
/// The narrow engine API of the diffusion core: open a model folder, generate a clip.
///
/// Design: a Session owns one loaded model family (today Wan 2.1 T2V: text encoder, DiT, VAE) and runs
/// GenerateRequests synchronously on the calling thread. Everything here is torch-free; libtorch stays
/// inside the library. A generation is deterministic for a given seed, device and build (noise is drawn on
/// the CPU). Progress is reported after every denoising step with a cheap preview decoded from the latent
/// (not colour-accurate); cancellation (an atomic flag or the progress callback returning false) is
/// honoured within one step and raises CancelledError. Errors are DiffusionError subclasses (Errors.h).
#include "kinema/diffusion/Errors.h"

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kinema::diffusion {

enum class Device { Cpu, Cuda };
enum class ComputeType { F32, BF16 };

/// An RGB image, row-major, 3 floats per pixel, values in [-1, 1] (the VAE's range).
struct Image {
    int width = 0;
    int height = 0;
    std::vector<float> rgb;
};

/// A frame that constrains the generation at `position` (0-based output frame index): either a pixel
/// image of the output size, or a latent frame [z_dim x h x w] (channel-major) if `latent` is non-empty.
struct ConditioningFrame {
    int position = 0;
    Image image;
    std::vector<float> latent;
};

struct GenerateRequest {
    std::string prompt;
    /// Empty: the model's default negative prompt.
    std::string negativePrompt;
    std::uint64_t seed = 0;
    int frames = 81;  ///< 4k + 1
    int width = 832;  ///< multiple of 16
    int height = 480; ///< multiple of 16
    int steps = 50;
    double guidance = 5.0;
    double shift = 5.0;
    std::string solver = "unipc"; ///< unipc, dpm++ or euler
    std::vector<ConditioningFrame> conditioning;
    /// Video-to-video: `frames` images of the output size; strength 1 ignores it, 0 returns it re-encoded.
    std::vector<Image> initVideo;
    double strength = 1.0;
    /// Must be the session's device (SessionOptions::device).
    Device device = Device::Cpu;
    /// F32, or BF16: the reference's mixed precision (bf16 matrices, fp32 residual stream, modulation,
    /// norms and head), the usual choice on a GPU. Switching a session between them converts or reloads the
    /// DiT's weights once.
    ComputeType computeType = ComputeType::F32;
    /// Classifier-free guidance with cond and uncond in one batched forward (faster; twice the DiT's
    /// activation memory). On out-of-memory the run continues with two forwards per step.
    bool batchGuidance = true;
    /// VAE decode tile size in latent pixels; 0 decodes whole frames and, on out-of-memory, retries with
    /// tiles of 64, 32, 16, 8 and 4 latent pixels before giving up (see DecodeOutOfMemoryError).
    int vaeTile = 0;
    /// Checked inside the step loop; when it becomes true the generation stops with CancelledError.
    const std::atomic<bool>* cancel = nullptr;
};

struct Progress {
    int step = 0;  ///< steps done (1-based after the first step)
    int total = 0; ///< steps to run
    Image preview; ///< rough RGB preview of the middle latent frame, at latent resolution
};

/// Called after every step; return false to cancel.
using ProgressCallback = std::function<bool(const Progress&)>;

struct GenerateResult {
    std::vector<Image> frames; ///< decoded RGB frames, values as decoded (clamped to [-1, 1])
    /// The final normalised latent, channel-major [channels][latentFrames][latentHeight][latentWidth].
    std::vector<float> latents;
    int latentChannels = 0, latentFrames = 0, latentHeight = 0, latentWidth = 0;
};

/// VAE decoding ran out of memory at every tile size. The sampling itself succeeded: `sampled` holds the
/// final latents (no frames), which Session::decode() can turn into frames later or on another device, so
/// a long sampling run is never lost to a failed decode.
class DecodeOutOfMemoryError : public OutOfMemoryError {
public:
    DecodeOutOfMemoryError(const std::string& message, GenerateResult result)
        : OutOfMemoryError(message)
        , sampled(std::move(result)) {}
    GenerateResult sampled;
};

/// One loaded component, for `kinema-model info`.
struct ComponentInfo {
    std::string name;  ///< "dit", "vae", "text_encoder", "tokenizer"
    std::string file;  ///< weights file (or folder)
    std::string dtype; ///< storage dtype(s), e.g. "BF16" or "F32"
    std::int64_t parameters = 0;
};

struct ModelInfo {
    std::string family;    ///< "wan2.1"
    std::string modelType; ///< t2v, i2v, flf2v
    std::vector<ComponentInfo> components;
    std::string description; ///< key configuration values in one line
    /// What the model's RGB in [-1, 1] means:
    ///  "rec709-video"           display-referred Rec.709 video, v = 2 * code - 1 (Wan 2.1 and most models);
    ///  "acescct-linear-rec709"  native HDR: v = 2 * ACEScct(x) - 1 of scene-linear x with Rec.709
    ///                           primaries (the embedded demo model), so decoded values above 1.0 are real.
    std::string pixelEncoding = "rec709-video";
    /// Frame sizes (width, height) the model was trained for, from kinema.json "sizes"; callers map a
    /// requested size to the nearest of them. Empty: any multiple of 16 (Wan 2.1).
    std::vector<std::pair<int, int>> supportedSizes;
    // DiT shape, for memory estimates.
    std::int64_t dim = 0, layers = 0, heads = 0, ffnDim = 0, textLen = 0, latentChannels = 16;
};

/// Where the weights live while a GPU generates. The results are the same in every mode; only device memory
/// and speed differ (docs/models.md has the figures).
enum class Offload {
    Auto,   ///< None on the CPU and where all weights fit in 3/4 of the GPU; otherwise Model, or Blocks
            ///< when the DiT's weights alone would fill half of it (Wan 1.3B: Model on 8-24 GiB GPUs)
    None,   ///< every component stays on the device
    Model,  ///< the text encoder runs on the CPU and the DiT and the VAE take turns on the device (the
            ///< reference's --offload_model with --t5_cpu)
    Blocks, ///< as Model, and the DiT's transformer blocks stay in CPU memory and are copied to the device
            ///< one at a time during each forward
};

/// "auto", "none", "model", "blocks".
const char* offloadName(Offload offload);

/// Parses a compute device name: "cpu", "cuda" or "cuda:N" (N of one or two digits). False for anything else.
bool parseDeviceName(std::string_view text, Device& device, int& index);

struct SessionOptions {
    int threads = 0; ///< CPU compute threads; 0 = all hardware threads
    Device device = Device::Cpu;
    int deviceIndex = 0; ///< which GPU ("cuda:1" is index 1)
    Offload offload = Offload::Auto;
};

/// Converts prompt text to the text encoder's token ids: exactly textLength ids ending with </s> and
/// padding; `length` = number of non-pad ids. Implemented by the umT5 tokenizer.
class PromptTokenizer {
public:
    virtual ~PromptTokenizer() = default;
    struct Tokens {
        std::vector<std::int64_t> ids;
        std::size_t length = 0;
    };
    /// Tokenises `text` to exactly `textLength` ids (truncating, appending </s>, padding).
    virtual Tokens tokenize(const std::string& text, std::size_t textLength) const = 0;
};

class Session {
public:
    /// Opens the model folder `dir` (see docs/models.md for the layout). Throws ModelError / WeightsError.
    static std::unique_ptr<Session> open(const std::filesystem::path& dir,
                                         const SessionOptions& options = {});
    virtual ~Session() = default;

    /// What was loaded.
    virtual ModelInfo info() const = 0;
    /// The offload mode in effect (Auto resolved for this device).
    virtual Offload offload() const = 0;
    /// Runs one generation; throws RequestError for bad parameters and CancelledError when cancelled.
    virtual GenerateResult generate(const GenerateRequest& request,
                                    const ProgressCallback& progress = {}) = 0;
    /// Decodes the latents of `sampled` (as generate() returns them) into frames, with the same tiling
    /// and out-of-memory ladder as generate(); `vaeTile` as in GenerateRequest. Throws RequestError for
    /// latents of the wrong shape and DecodeOutOfMemoryError when no tile size fits.
    virtual std::vector<Image> decode(const GenerateResult& sampled, int vaeTile = 0) = 0;
};

/// Summary of a model folder without loading the weights (headers only). Throws like Session::open.
ModelInfo inspectModel(const std::filesystem::path& dir);

/// Estimated peak memory in bytes for generating `frames` at width x height with the model described by
/// `info`: fp32 weights of every component plus the DiT's largest activations (attention tiled).
std::uint64_t estimateMemoryBytes(const ModelInfo& info, int width, int height, int frames);

/// Estimated peak GPU memory in bytes with the DiT in `computeType` and the given offload mode (not Auto):
/// the weights that sit on the device at the busiest stage plus that stage's activations (DiT sampling
/// with fp32 activations, or the VAE decode). The text and image encoders count only without offloading.
std::uint64_t estimateDeviceMemoryBytes(const ModelInfo& info, int width, int height, int frames,
                                        ComputeType computeType, Offload offload);

} // namespace kinema::diffusion
