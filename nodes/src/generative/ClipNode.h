// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Generative nodes: image nodes whose output at frame F is slice F of a clip generated once.
///
/// Design: a ClipNode resolves its parameters into ClipSettings, then hashes the clip: node type and
/// version, every generation parameter, the model folder's identity (path, file names, sizes and
/// modification times) and the hashes of the conditioning inputs at every frame it reads. That clip hash
/// keys the ClipCache (memory, single-flight, and disk), so scrubbing, other frame ranges, other processes
/// or a reopened graph never regenerate. The output at a frame is the clip's frame converted to the
/// scene-linear working space with the project's OCIO config: native-HDR models (pixel encoding
/// "acescct-linear-rec709", like the embedded demo model) through the ACEScct curve and Linear Rec.709,
/// display-referred models through the inverse of the Rec.709 video encoding. Clips are stored as the
/// model's code values in [0, 1]. The generation parameters go into metadata `kinema/gen/*`.
/// Subclasses add inputs and parameters and fill in the conditioning of the request.
#include <atomic>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "ClipCache.h"
#include "kinema/diffusion/SeamBlend.h"
#include "kinema/diffusion/Session.h"
#include "kinema/render/ImageNode.h"

namespace kinema::nodes::generative {

/// A generation parameter or input that cannot be used; the message names the parameter.
class GenerativeError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// Number of Session::generate() calls made by generative nodes in this process.
std::uint64_t modelRunCount();

/// Every parameter of a generation, resolved from the node's parameters and the context.
struct ClipSettings {
    std::string modelDir;
    std::string modelIdentity; ///< hash of path + file names, sizes and mtimes
    std::string pixelEncoding; ///< diffusion::ModelInfo::pixelEncoding of the model
    std::string prompt;
    std::string negativePrompt;
    std::uint64_t seed = 0;
    int duration = 0;  ///< output frames
    int genFrames = 0; ///< frames generated (4k + 1 >= duration)
    int width = 0;
    int height = 0;
    int steps = 0;
    double guidance = 0;
    double shift = 0;
    std::string sampler;
    std::string quality;
    std::string aspect;
    std::string device;
    int startFrame = 1;
    /// First clip position the node shows; the frames before it are generated only to move a seam off a
    /// latent-frame boundary (Extend's alignSeam) and are never output.
    int shownFrom = 0;
};

/// Bilinear sample of a w x h plane for pixel (x, y) of a W x H resampling of it (pixel centres aligned,
/// edges clamped).
double resampleBilinear(const float* plane, int w, int h, int W, int H, int x, int y);

class ClipNode : public render::ImageNode {
public:
    explicit ClipNode(graph::NodeTypeInfo info);

    /// Clip hash + the frame's index in the clip + the colour context of the conversion.
    render::Hash128 hash(const render::EvalContext& ec) const override;
    /// The clip's frame at ec.frame() (held at the first/last frame outside the clip).
    render::ImagePtr compute(const render::EvalContext& ec) const override;
    /// No pass-through: a disabled generative node outputs an empty image.
    int passThroughInput() const override { return -1; }
    /// The clip's frames placed at the start frame.
    std::optional<render::FrameRange> frameRange(const render::Evaluator& evaluator) const override;

    /// The resolved settings in `ec` (throws GenerativeError for bad values).
    ClipSettings settings(const render::EvalContext& ec) const;
    /// The clip hash in `ec`.
    render::Hash128 clipHash(const render::EvalContext& ec) const;
    render::Hash128 clipHash(const render::EvalContext& ec, const ClipSettings& s) const;
    /// The generated (or cached) clip for `ec`.
    ClipPtr clip(const render::EvalContext& ec) const;
    /// The same for settings `s` already resolved in `ec` and their clip hash `key` (no second resolve).
    ClipPtr clip(const render::EvalContext& ec, const ClipSettings& s, const std::string& key) const;

protected:
    /// Appends the hashes of every conditioning input at every frame it reads, and any extra parameter
    /// the subclass reads. The default hashes nothing.
    virtual void hashConditioning(const render::EvalContext& ec, const ClipSettings& s,
                                  graph::Hasher& h) const;
    /// Adds conditioning frames / init video to `request` by pulling inputs. Must read only what
    /// hashConditioning() covered. The default adds nothing.
    virtual void addConditioning(const render::EvalContext& ec, const ClipSettings& s,
                                 diffusion::GenerateRequest& request) const;
    /// Adjusts the resolved settings (clip placement and length) before they are hashed. Default: nothing.
    virtual void place(const render::EvalContext& ec, ClipSettings& s) const {}
    /// Frames generated beyond the duration (before rounding up to 4k + 1); Loop needs one.
    virtual int extraFrames() const { return 0; }
    /// Post-processes the generated clip (measures, blending with inputs). Must be a pure function of what
    /// the hash covered. The default does nothing.
    virtual void finishClip(const render::EvalContext& ec, const ClipSettings& s, Clip& clip) const;

    /// Adds the "seamBlend" parameter (Loop, Extend): the frames over which the difference at a seam
    /// fades out (diffusion::blendSeam); 0 leaves the model's frames as they are.
    void addSeamBlendParam(int defaultFrames);
    /// Makes clip frame `anchor` equal `target` (code values in [0, 1], one frame) and fades the
    /// difference over the "seamBlend" frames (at most `maxFade`) on `side` of it; a fade of 0 changes
    /// nothing. Records the difference found at the anchor as the clip's "seamDifference" measure.
    /// Subclasses that call it hash the parameter.
    void blendClipSeam(Clip& clip, int anchor, const std::vector<float>& target, diffusion::SeamSide side,
                       int maxFade = 1 << 20) const;

    /// Runs one generation of `request` on the model in `s`, with progress and cancellation of `ec`. When
    /// the VAE decode runs out of memory at every tile size, the sampled latents are saved in the clip
    /// cache under `latentKey` (the next attempt decodes them instead of sampling), a GPU decode is retried
    /// on the CPU, and only then a GenerativeError says what happened.
    diffusion::GenerateResult runModel(const render::EvalContext& ec, const ClipSettings& s,
                                       diffusion::GenerateRequest request,
                                       const std::string& latentKey) const;
    diffusion::GenerateResult recoverDecode(const ClipSettings& s, const diffusion::GenerateRequest& request,
                                            const diffusion::DecodeOutOfMemoryError& error,
                                            const std::string& latentKey) const;
    /// Decodes latents saved by recoverDecode() (frames of the clip `s` describes).
    diffusion::GenerateResult decodeSaved(const ClipSettings& s, const Clip& saved) const;
    /// The base request for `s` (prompt, seed, size, steps, sampler, device).
    diffusion::GenerateRequest baseRequest(const ClipSettings& s) const;

    /// Pulls input `index` at `frame`: its display window as RGBA (alpha 1 when it has none) in the
    /// model's code values, with the input's metadata. Throws naming the input when it is not connected
    /// or empty.
    std::shared_ptr<render::Image> inputAsModelCodes(const render::EvalContext& ec, int index, double frame,
                                                     const ClipSettings& s) const;
    /// Pulls input `index` at `frame` and converts it to a model image of the clip size (the input's
    /// display window resampled, working space → display-referred RGB in [-1, 1]). Throws naming the
    /// input when it is not connected.
    diffusion::Image inputAsModelImage(const render::EvalContext& ec, int index, double frame,
                                       const ClipSettings& s) const;
    /// Converts the R, G, B channels of a working-space image to the model's code values in [0, 1] (the
    /// model's [-1, 1] RGB mapped by (v + 1) / 2) in place, and back.
    void toModelCodes(const render::EvalContext& ec, const ClipSettings& s, render::Image& image) const;
    void fromModelCodes(const render::EvalContext& ec, const ClipSettings& s, render::Image& image) const;
    /// The clip frame shown at ec.frame(): frames outside the clip hold its first or last frame (at most
    /// `available` frames exist).
    static int frameIndex(const render::EvalContext& ec, const ClipSettings& s, int available);
    /// Writes the generation (kinema/gen/*: parameters of `s`, model, clip hash, frame index, the clip's
    /// measures) into `md`.
    void addGenerationMetadata(const ClipSettings& s, const std::string& key, const Clip& clip, int index,
                               render::Metadata& md) const;
    /// Converts a clip frame to a scene-linear working-space RGBA image.
    render::ImagePtr frameToImage(const render::EvalContext& ec, const ClipSettings& s, const Clip& clip,
                                  int index) const;
};

} // namespace kinema::nodes::generative
