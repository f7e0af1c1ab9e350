// SPDX-License-Identifier: Apache-2.0
#pragma once
// Shared pieces of the trainer's stages: models built for training, the optimiser, checkpoints, data.
#include "kinema/trainer/Trainer.h"

#include "families/wan21/WanConfig.h"
#include "families/wan21/WanDit.h"
#include "families/wan21/WanT5.h"
#include "families/wan21/WanVae.h"
#include "tensor/WeightMap.h"

#include <kinema/diffusion/Session.h>

#include <kinema/scenes/SceneSpec.h>

#include <ATen/ATen.h>

#include <map>
#include <memory>
#include <optional>
#include <string>

namespace kinema::diffusion {
class SafetensorsCheckpoint;
}

namespace kinema::trainer::detail {

class SampleWorkers;

using namespace kinema::diffusion;

/// Named trainable tensors (autograd leaves) of one or more models.
using ParamMap = std::map<std::string, at::Tensor>;

/// A model built from a seeded random WeightMap with trainable leaves; `params` are its tensors by name.
template <typename Model>
struct Trainable {
    std::unique_ptr<WeightMap> weights;
    std::unique_ptr<Model> model;
    ParamMap params;
};

wan21::VaeConfig vaeConfig(const ModelShape& shape);
wan21::DitConfig ditConfig(const ModelShape& shape);
wan21::T5Config t5Config(const ModelShape& shape, std::int64_t vocab);

/// The models' parameters are drawn on the CPU and live on `device` (same values on every device).
Trainable<wan21::WanVae> buildVae(const wan21::VaeConfig& config, std::uint64_t seed,
                                  at::Device device = at::kCPU);
Trainable<wan21::WanDit> buildDit(const wan21::DitConfig& config, std::uint64_t seed,
                                  at::Device device = at::kCPU);
Trainable<wan21::WanT5> buildT5(const wan21::T5Config& config, std::uint64_t seed,
                                at::Device device = at::kCPU);

/// The training device of `options.device`; throws TrainError naming --device when it is malformed or not
/// available in this build or on this machine.
at::Device trainingDevice(const TrainOptions& options);

/// Adam with bias correction and global gradient-norm clipping.
class Adam {
public:
    explicit Adam(ParamMap params);
    /// One update with learning rate `lr`; returns the gradient norm before clipping. Parameters on a GPU
    /// take stepMultiTensor().
    double step(double lr, double clipNorm = 1.0);
    /// The same update with multi-tensor ops and one host sync, for parameters on a GPU (where one small op
    /// per parameter would cost more than the update); equal to step() up to float rounding on any device.
    double stepMultiTensor(double lr, double clipNorm = 1.0);
    /// The same update for contiguous float parameters on the CPU in one pass over each parameter's values
    /// (and the average's), instead of about ten ops per parameter; equal to step() up to float rounding.
    /// With `workers`, each parameter's values are split into fixed parts shared among them (the result
    /// does not depend on their number). Other parameters take step()'s ops.
    double stepFused(double lr, SampleWorkers* workers = nullptr, double clipNorm = 1.0);
    void zeroGrad();
    int steps() const { return m_steps; }
    ParamMap& params() { return m_params; }

    /// Keeps an exponential moving average of the parameters from now on, updated after every step with
    /// decay min(decay, (1 + n) / (10 + n)) after n averaged steps; it starts as the current parameters.
    void keepAverage(double decay);
    /// The moving average ("average/<name>" in the checkpoint); empty unless keepAverage() was called.
    const ParamMap& average() const { return m_average; }

    /// Writes parameters, moments and the average (prefix-named) with the step count to `path`.
    void save(const std::filesystem::path& path) const;
    /// Restores what save() wrote; returns false if `path` does not exist. An average kept by this object
    /// starts as the parameters when the checkpoint has none.
    bool load(const std::filesystem::path& path);

private:
    void updateAverage();
    /// Average decay of the next averaged step (counts it).
    double nextAverageDecay();

    ParamMap m_params, m_m, m_v, m_average;
    int m_steps = 0;
    double m_averageDecay = 0.0;
    int m_averagedSteps = 0;
};

/// The moving average a checkpoint written by Adam::save holds ("average/<name>" tensors), as its metadata
/// describes it: the decay as written and the number of averaged steps; nullopt when it holds none.
struct CheckpointAverage {
    std::string decay;
    int steps = 0;
};
std::optional<CheckpointAverage> checkpointAverage(const diffusion::SafetensorsCheckpoint& checkpoint);

/// Loads "param/<name>" tensors of a checkpoint written by Adam::save into `params` (no moments).
void loadParams(const std::filesystem::path& path, ParamMap& params);
/// The same, but from the moving average ("average/<name>") when the checkpoint holds one and `raw` is
/// false: the weights a trained model is used with.
void loadTrainedParams(const std::filesystem::path& path, ParamMap& params, bool raw);
/// Writes tensors under their own names (F32) with string metadata.
void writeTensors(const std::filesystem::path& path, const ParamMap& tensors,
                  const std::map<std::string, std::string>& metadata = {});

/// Deterministic seed derivation (splitmix64 of the mixed inputs).
std::uint64_t mixSeed(std::uint64_t a, std::uint64_t b, std::uint64_t c = 0, std::uint64_t d = 0);

/// A rendered training clip: video [3, T, H, W] in the model's pixel space and one caption.
struct Sample {
    at::Tensor video;
    std::string caption;
};
/// Scene `sceneSeed`, `frames` frames starting at `firstFrame` of a `timeline`-frame timeline.
Sample renderSample(std::uint64_t sceneSeed, int width, int height, int frames, int firstFrame, int timeline,
                    int supersampling);

/// 1 where a pixel differs from its row's median by more than 0.1 in some channel (about one stop in the
/// log pixel space: objects and their edges, not sky gradients), else 0: [B, 1, T, H, W] of [B, 3, T, H, W].
at::Tensor objectPixels(const at::Tensor& video);
/// objectPixels of a [1, 3, T, H, W] clip on the latent grid: [F, H / stride, W / stride], 1 where any pixel
/// the latent pixel covers (its pixel frames, its stride x stride window) is an object pixel.
at::Tensor latentObjectMask(const at::Tensor& video, std::int64_t stride);

/// A caption of `spec` in a style and wording drawn from `captionSeed` (renderSample uses the scene seed).
std::string sceneCaption(const scenes::SceneSpec& spec, std::uint64_t captionSeed);

/// Appends rows to a CSV loss log (writes the header when the file is new).
void appendLossLog(const std::filesystem::path& path, const std::vector<StepLoss>& rows, double seconds);

/// Drops the rows of a CSV loss log after step `lastStep` (a resumed run logs them again); nothing when the
/// file does not exist.
void trimLossLog(const std::filesystem::path& path, int lastStep);

/// Latent statistics file written at the start of the DiT stage.
std::filesystem::path latentStatsPath(const TrainOptions& options);

/// Digest (64-bit FNV-1a, hex) of parameter values in name order: identifies the VAE weights that latent
/// statistics were computed with.
std::string paramsDigest(const ParamMap& params);
/// The latent statistics file: per-channel mean and std, and the digest of the VAE they were computed with
/// ("vae_digest" metadata; empty when the file predates it).
struct LatentStats {
    std::vector<float> mean, std;
    std::string vaeDigest;
};
LatentStats readLatentStats(const TrainOptions& options);

/// The latent statistics of the work directory, computed from fixed clips with `vae` when the file is
/// missing or was computed with other VAE weights (`vaeDigest`).
LatentStats latentStats(const TrainOptions& options, wan21::WanVae& vae, const std::string& vaeDigest);

/// The vocabulary size of the work directory's tokenizer; throws TrainError naming spiece.model when the
/// tokenizer stage has not run.
std::int64_t tokenizerVocab(const TrainOptions& options);

/// `err` plus `weight` times the squared change of `d` from one frame to the next along `frameDim` (none on
/// the first frame): the temporal term of the VAE stages' pixel loss and the dit stage's velocity loss. With
/// `weight` 0 or a single frame, `err` itself.
at::Tensor withFrameChange(const at::Tensor& err, const at::Tensor& d, double weight, std::int64_t frameDim);

/// `w` times the squared difference of `d` [B, C, T, H, W] from its right neighbour plus that from its lower
/// neighbour, zero in the last column and row: an error that stays the same across a region is free, one that
/// swaps sign across an edge (a blurred or shifted outline) is not.
at::Tensor spatialChange(const at::Tensor& d, double w);

/// The dit stage's error per element, from the predicted and the target velocity with latent frames along
/// `frameDim`: the squared difference, plus `temporalWeight` times the squared change of the difference
/// from the previous latent frame (none on the first). The change term leaves the best prediction where it
/// is (a quadratic loss is still least at the conditional mean) and makes an error that comes and goes
/// between frames, flicker, cost more than one that stays put.
at::Tensor velocityError(const at::Tensor& v, const at::Tensor& target, double temporalWeight,
                         std::int64_t frameDim);

/// The dit stage's loss of one sample, from the predicted and the target velocity [C, F, h, w]: the mean of
/// velocityError, or with `weight` [F, h, w] (latent pixels over objects, --object-weight) its weighted
/// mean.
at::Tensor velocityLoss(const at::Tensor& v, const at::Tensor& target, const at::Tensor& weight,
                        double temporalWeight = 0.0);

/// The dit checkpoint's naming: the DiT's tensors under "dit/", the text encoder's under "text_encoder/"
/// (the same tensors, not copies).
ParamMap ditAndTextEncoder(const ParamMap& dit, const ParamMap& textEncoder);

/// Copies a model folder's tokenizer and VAE (with the latent statistics of its kinema.json) into the work
/// directory where it has none (--init-from); throws TrainError naming --init-from when the folder is not a
/// model folder.
void seedWorkDirFrom(const TrainOptions& options);
/// Loads the DiT and text encoder weights of the model folder `dir` (as export writes them) into `dit` and
/// `textEncoder`.
void loadExportedDit(const std::filesystem::path& dir, ParamMap& dit, ParamMap& textEncoder);
/// Loads the DiT and text encoder to measure or sample with: the work directory's dit checkpoint, or the
/// options' --init-from folder when there is none; TrainError naming the missing checkpoint otherwise.
void loadTrainedDit(const TrainOptions& options, ParamMap& dit, ParamMap& textEncoder);
/// Throws TrainError naming --unkeyed-condition unless it is "zero", "grey" or "position".
void checkUnkeyedCondition(const TrainOptions& options);
/// The DiT's conditioning latent at unkeyed latent frames, [C, F, h, w] of the options' frame size and
/// count, as the engine computes it: undefined for --unkeyed-condition zero, the grey clip's latent
/// (diffusion::greyClipLatent) normalised with the latent statistics `mean` and `std` ([C, 1, 1, 1]) for
/// grey, the position pattern (diffusion::positionLatent) for position.
at::Tensor unkeyedLatent(const TrainOptions& options, const wan21::WanVae& vae, const at::Tensor& mean,
                         const at::Tensor& std);
/// The spec a caption contrast or caption-gap compares against: every direction reversed, or the subject
/// recoloured or reshaped with the other value picked from the sample's `seed`.
scenes::SceneSpec changedSpec(const scenes::SceneSpec& spec, CaptionChange change, std::uint64_t seed);
/// A trained DiT and text encoder held for inference (no gradients), with what sampling needs: the
/// tokenizer, the latent statistics ([C, 1, 1, 1]) and the unkeyed conditioning latent (undefined for zero).
struct FrozenDit {
    Trainable<wan21::WanDit> dit;
    Trainable<wan21::WanT5> textEncoder;
    std::unique_ptr<PromptTokenizer> tokenizer;
    at::Tensor mean, std, grey;
    at::Tensor negative; ///< the embedded context of the default negative prompt
    std::int64_t textLen = 0;
    /// The DiT's embedded context of `text`.
    at::Tensor context(const std::string& text) const;
    /// The conditioning channels of an unkeyed sample of latent `z0`'s shape: mask 0, the unkeyed latent.
    at::Tensor conditioning(const at::Tensor& z0) const;
    /// The engine's video-to-video on raw latent `rawLatent` [C, F, h, w] at `strength` (0 to 1) with
    /// `caption`: noised with a noise drawn from `seed`, denoised with 20 UniPC steps at guidance 5 and
    /// `shift`, no keys. Returns the raw (not normalised) latent.
    at::Tensor sampleFrom(const at::Tensor& rawLatent, const std::string& caption, double strength,
                          std::uint64_t seed, double shift) const;
};
/// The DiT and text encoder of the work directory's dit checkpoint, or of the options' --init-from folder
/// when there is none (TrainError naming the missing checkpoint otherwise), with the latent statistics of
/// `vae` (whose weights' digest is `vaeDigest`).
FrozenDit loadFrozenDit(const TrainOptions& options, wan21::WanVae& vae, const std::string& vaeDigest);
/// The text-attention measure of `t5` on `prompts` (each cut to its length); the shuffles are drawn from
/// `seed`.
TextAttentionReport measureTextAttention(const wan21::WanT5& t5, const std::vector<wan21::PromptIds>& prompts,
                                         std::uint64_t seed);
/// The dit stage's --text-logit-cap probes: eight scene captions drawn from the options' seed, tokenised.
std::vector<wan21::PromptIds> textAttentionProbes(const TrainOptions& options,
                                                  const PromptTokenizer& tokenizer);
/// Scales down the query weights of each block of `t5` (whose trainable tensors are `params`) whose content
/// logits' standard deviation on `probes` exceeds `cap`, to bring it to the cap. Blocks are measured
/// together, so a block after a rescaled one is held exactly only from the next call on. With `workers`,
/// probe i is encoded on worker i mod count (the same result: the spreads are summed in probe order).
void capTextAttention(const wan21::WanT5& t5, ParamMap& params, const std::vector<wan21::PromptIds>& probes,
                      double cap, SampleWorkers* workers = nullptr);
/// A caption contrast's hinge, max(0, margin - (reversed - truth) / truth) with `truth` in the
/// denominator taken as a constant, as a term whose value is 0 and whose gradient is the hinge's: added to
/// a loss, it changes the update but not the logged value.
at::Tensor contrastHinge(const at::Tensor& truth, const at::Tensor& reversed, double margin);

} // namespace kinema::trainer::detail
