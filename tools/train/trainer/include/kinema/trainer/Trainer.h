// SPDX-License-Identifier: Apache-2.0
#pragma once
/// kinema::trainer: trains Kinema's embedded demo model (a small Wan 2.1-architecture model) on procedural
/// scenes, and exports it as a model folder that the diffusion core's Session opens like any Wan folder.
///
/// Design: the trainer builds the diffusion core's own WanVae / WanDit / WanT5 from a seeded random
/// WeightMap whose tensors are autograd leaves, so training and inference share one implementation. Data
/// are scene-linear clips from kinema::scenes, stored as ACEScct code values mapped to [-1, 1]
/// (v = 2 * ACEScct - 1), so decoded output is scene-linear HDR after the inverse mapping. Every random
/// choice of step s is drawn from seeds derived from (seed, s), so a resumed run repeats exactly what an
/// uninterrupted run does. Stages:
///   tokenizer  captions -> `spm_train` (separate process) -> work/spiece.model (Unigram)
///   vae        autoencoder on short clips (MSE + small latent penalty) -> work/vae.safetensors
///   vae-decoder  the decoder side again on full-length clips (encoder frozen) ->
///   work/vae_decoder.safetensors dit        flow matching with shift, DiT + text encoder, I2V-style
///   conditioning channels
///              (noise latent | 4 mask channels | conditioning latent), random conditioning masks
///   export     model folder: config.json, kinema.json, three safetensors files, spiece.model, model.json
/// The public interface is torch-free.
#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

namespace kinema::trainer {

/// Raised for unusable options, missing stage outputs and failed subprocesses.
class TrainError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct ModelShape {
    // VAE (Wan causal VAE, smaller widths)
    int vaeDim = 16;
    int zDim = 8;
    int vaeResBlocks = 1;
    /// Spatial downsampling stages of the VAE: latents are 2^n times smaller than the frame on each side
    /// (Wan 2.1 has 3). The last two stages also halve time, so latents are 4 times shorter in any case.
    int vaeDownsamples = 2;
    // DiT
    int ditDim = 128;
    int ditLayers = 4;
    int ditHeads = 4;
    int ditFfn = 512;
    int freqDim = 128;
    /// Spatial patch size of the DiT (Wan 2.1 has 2): a token covers ditPatch^2 latent pixels.
    int ditPatch = 4;
    // text encoder (umT5-style)
    int textDim = 128;
    int textLayers = 2;
    int textHeads = 4;
    int textFfn = 256;
    int textLen = 48;
    int vocab = 400; ///< requested tokenizer vocabulary (the trained model may be smaller)
};

struct TrainOptions {
    std::filesystem::path workDir; ///< checkpoints, loss logs, tokenizer
    ModelShape shape;
    int width = 64;
    int height = 64;
    int frames = 17;   ///< DiT clip length (4k + 1)
    int vaeFrames = 5; ///< VAE training clip length (4k + 1)
    /// VAE stage: trains on a seeded random vaeCrop x vaeCrop window of each rendered frame (0: the whole
    /// frame). The VAE is convolutional, so crops teach it the same pixels at a fraction of the cost per
    /// step.
    int vaeCrop = 0;
    int steps = 100; ///< total optimiser steps of the stage (a resumed run continues to this number)
    int batch = 2;
    double learningRate = 1e-3; ///< peak, reached after a 20-step warm-up
    double finalLrRatio = 0.1;  ///< cosine decay from the peak to this fraction of it at the last step
    double shift = 3.0;         ///< flow-matching timestep shift
    double textDropout = 0.1;   ///< probability of training on the negative prompt (for guidance)
    /// VAE stages: extra weight of pixels that stand out from their row's background (0: plain MSE). dit
    /// stage: extra weight of the latent pixels that cover such pixels.
    double objectWeight = 0.0;
    /// VAE stages: weight of the chroma error (each channel less the pixel's channel mean) added to the
    /// squared error; colour then costs as much to lose as brightness (0: plain squared error).
    double chromaWeight = 0.0;
    /// VAE stages: weight of the temporal error (how much a pixel's error changes from one frame to the
    /// next) added to the squared error; a steady error does not flicker (0: frames scored on their own).
    /// dit stage: the same on the velocity error between latent frames.
    double temporalWeight = 0.0;
    /// VAE stages: weight of the spatial error (how much a pixel's error differs from its right and lower
    /// neighbours' in the same frame) added to the squared error; a blurred edge leaves an error that
    /// changes sign across the edge and costs extra, a uniform offset does not (0: pixels scored on their
    /// own).
    double edgeWeight = 0.0;
    /// vae-decoder stage: fraction of samples in which one latent frame after the first is replaced by the
    /// latent the engine conditions on for a keyframe at its last pixel frame (the key held still), so that
    /// the decoder learns to lead from the frames before into a key (0: plain latents only).
    double keyChunks = 0.0;
    /// vae-decoder stage: fraction of samples whose latent is first run through the trained DiT (the work
    /// directory's dit checkpoint or --init-from's): noised to a strength drawn uniformly up to
    /// `sampledStrength` and denoised with the clip's caption as the engine's video-to-video does, so the
    /// decoder learns to turn the DiT's latents (blurred, washed out, speckled) into the clip's pixels
    /// (0: the encoder's latents only).
    double sampledLatents = 0.0;
    double sampledStrength = 0.5; ///< largest video-to-video strength of --sampled-latents (0 to 1)
    /// dit stage: fraction of keyed latent frames (after the first, following an unkeyed one) conditioned on
    /// the key's held-still latent, as the engine builds it for a single keyframe, instead of the clip's own
    /// latent (0: the clip's own latents only).
    double heldKeys = 0.0;
    /// dit stage: draw every sample from this many scenes rendered and encoded once (with their held-key
    /// latents) and kept in work/latent_pool.safetensors, instead of rendering and encoding a scene per
    /// sample (0). A pooled scene gets a new timestep, noise, mask and caption wording at every draw.
    int latentPool = 0;
    /// vae, vae-decoder and dit stages: the device the model trains on ("cpu", "cuda" or "cuda:N"; the
    /// dit stage's frozen VAE that builds the latent pool stays on the CPU, and clips are always rendered on
    /// the CPU's worker threads). Other than the CPU, steps run batched (and the dit stage needs
    /// --latent-pool). The tokenizer stage runs on the CPU.
    std::string device = "cpu";
    /// vae, vae-decoder and dit stages: one forward and backward over the whole batch instead of one per
    /// sample: the same draws and the same per-sample losses, summed, so the weights match the per-sample
    /// steps up to float rounding. The dit stage's needs --latent-pool, the vae-decoder's cannot take
    /// --sampled-latents; always on when `device` is not the CPU.
    bool batchedSteps = false;
    /// dit stage on the CPU: batched steps (implied) in this many passes instead of one, run side by side on
    /// the worker threads (chunk c, samples [c * batch / N, (c + 1) * batch / N), on worker c mod threads),
    /// their gradients summed in chunk order, so the weights do not depend on `threads`. One pass over the
    /// whole batch keeps one core busy; 2 chunks on 2 workers keep two (0: one pass).
    int batchChunks = 0;
    /// dit stage: weight of the direction contrast (0: off). A sample whose caption states a direction
    /// (scenes::withDirectionsReversed changes its caption), drawn at timestep >= 500 with no key after the
    /// first latent frame (nothing in the noise or the conditioning then shows the direction), is run a
    /// second time with the reversed caption; the hinge max(0, margin - (L_reversed - L_true) / L_true) on
    /// the two flow-matching losses, times this weight, is added to the gradient. The logged loss stays the
    /// plain flow-matching loss.
    double directionContrast = 0.0;
    /// dit stage: weight of the size contrast (0: off), the same hinge, for the same samples as the
    /// direction contrast, with the caption of scenes::withSubjectSizeTraded (a travelling subject growing
    /// or shrinking instead, a growing or shrinking one travelling; the pick from the sample's seed). When
    /// both are on, a sample whose subject travels, grows or shrinks takes one of the two, half the samples
    /// each, so a step costs what it costs with the direction contrast alone; the other samples take the
    /// direction contrast.
    double sizeContrast = 0.0;
    double directionMargin = 0.05; ///< relative margin of the direction and size contrasts
    /// dit stage: weights of the colour and shape contrasts (0: off), the same hinge with the caption of
    /// scenes::withSubjectRecoloured or withSubjectReshaped (the other value picked from the sample's seed),
    /// for samples at timestep >= 500 with no key at all (a key shows the subject). When both are on, a
    /// sample takes one of them, half the samples each; either may come with a direction contrast.
    double colourContrast = 0.0;
    double shapeContrast = 0.0;
    /// dit stage: weight of the colour-swap contrast (0: off), the same hinge with the caption of
    /// scenes::withSubjectColourSwapped, for the same samples as the colour and shape contrasts when the
    /// scene has another object of another colour; it comes on top of whichever of those the sample takes.
    double colourSwapContrast = 0.0;
    /// dit stage: the largest standard deviation of the text encoder's content logits (q·k), measured on
    /// eight probe captions; after every step each block above it has its query weights scaled down to
    /// it (0: off). The umT5 attention is unscaled, and content logits far above the relative position
    /// bias make the encoder blind to word order (kinema-train text-attention).
    double textLogitCap = 0.0;
    double subjectMargin = 0.05; ///< relative margin of the colour, shape and colour-swap contrasts
    /// dit stage, export and caption-gap: what the DiT's conditioning latent holds at unkeyed latent frames:
    /// "zero"; "grey", the latent of a mid-grey clip (diffusion::greyClipLatent), which the VAE's zero
    /// padding marks at the frame's edges, so that the DiT can tell where a token lies even at high noise;
    /// or "position", horizontal and vertical ramps (diffusion::positionLatent), which tell it outright.
    /// Export writes it into kinema.json ("unkeyed_condition"), where the engine reads it.
    std::string unkeyedCondition = "zero";
    /// dit and vae-decoder stages, export and caption-gap: a model folder written by export (the same
    /// ModelShape) to start from when the work directory has no checkpoint of its own: its tokenizer and VAE
    /// seed the work directory, and the DiT and text encoder start from its weights with a fresh optimiser
    /// (steps count from 0); export takes its DiT and text encoder when the work directory has none.
    std::filesystem::path initFrom;
    /// dit stage with initFrom: take only the folder's tokenizer and VAE; the DiT and the text encoder start
    /// from their seeds, as in a work directory trained from scratch.
    bool freshDit = false;
    /// dit stage: decay of an exponential moving average of the DiT's and text encoder's weights, kept
    /// beside the optimiser's own in the checkpoint (0: none). The average over roughly 1 / (1 - decay)
    /// steps smooths out the noise of the last steps; early on the decay is min(decay, (1 + n) / (10 + n))
    /// after n averaged steps, so the average follows the weights while they move fast.
    double averageDecay = 0.0;
    /// export, caption-gap, text-attention and the vae-decoder's sampled latents: take the optimiser's own
    /// weights from a dit checkpoint that also holds an average (by default the average is taken).
    bool rawWeights = false;
    std::uint64_t seed = 1;
    int threads = 0; ///< worker threads over a batch's samples (0 = all cores); results do not depend on it
    /// Threads per op on each worker. 1 is fastest for these model sizes; results depend on it (reductions
    /// split differently), so it is part of a recipe that must reproduce a checkpoint bit for bit.
    int intraOpThreads = 1;
    int checkpointEvery = 50;
    bool resume = true;           ///< continue from work/<stage>.safetensors if present
    bool fixedBatch = false;      ///< every step sees the batch of step 0 (tests)
    int supersampling = 2;        ///< scene renderer anti-aliasing
    int tokenizerCaptions = 3000; ///< captions sampled to train the tokenizer
    bool quiet = false;
};

struct StepLoss {
    int step = 0; ///< 1-based
    double loss = 0.0;
};

/// Trains the Unigram tokenizer with `spm_train` on scene captions; writes work/spiece.model.
void trainTokenizer(const TrainOptions& options);

/// Runs VAE steps from the last checkpoint (or from scratch) up to options.steps; appends to
/// work/vae_loss.csv and returns the losses of the steps run.
std::vector<StepLoss> trainVae(const TrainOptions& options);

/// Fine-tunes the VAE's decoder side (encoder frozen, so the latent space is unchanged) on full-length
/// clips of options.frames frames, whose later chunks the vae stage's short clips never reach; writes
/// work/vae_decoder.safetensors (used by export when present) and work/vae_decoder_loss.csv.
std::vector<StepLoss> trainVaeDecoder(const TrainOptions& options);

/// Same for the DiT and text encoder (needs work/vae.safetensors and work/spiece.model).
std::vector<StepLoss> trainDit(const TrainOptions& options);

/// What a caption gap changes in the caption: every direction (scenes::withDirectionsReversed), the
/// subject's colour (withSubjectRecoloured), its shape (withSubjectReshaped), or its colour swapped with
/// another object's (withSubjectColourSwapped), or the subject's travel traded for a change of size
/// (withSubjectSizeTraded), as the dit stage's contrasts.
enum class CaptionChange { Direction, Colour, Shape, ColourSwap, SizeTrade };

/// How much a model's flow-matching loss rises when its caption is changed, per timestep.
struct CaptionGapRow {
    /// "all", or a group of clips: for directions the subject's motion ("left/right", "up/down",
    /// "diagonal", "grow/shrink", or "other": the caption changes only in the camera's or the light's
    /// direction, or in an orbit's or spin's; with ", same words" appended where the reversed caption is
    /// the true one's words in another order, as when the light's "left" and the motion's "right" trade
    /// places); for colours and shapes the subject's own colour or shape;
    /// for colour swaps "same words" (the captions differ only in word order) or "other words".
    std::string group = "all";
    int clips = 0;
    int timestep = 0;
    double trueCaption = 0.0, changedCaption = 0.0, negativePrompt = 0.0; ///< mean losses over the clips
};
/// Measures the DiT of the work directory (or of options.initFrom when the work directory has no dit
/// checkpoint) on `clips` scenes that no training stage draws, whose captions the change alters: with no
/// conditioning and the same noise, the loss (object-weighted as in training) with the true caption, the
/// changed caption and the default negative prompt, at timesteps 100 to 900: the rows of all clips first,
/// then those of each group that has clips.
std::vector<CaptionGapRow> measureCaptionGap(const TrainOptions& options, int clips,
                                             CaptionChange change = CaptionChange::Direction);

/// How the text encoder's attention splits between content and word position (kinema-train text-attention).
struct TextAttentionBlock {
    int block = 0;
    double contentLogitStd = 0.0; ///< standard deviation of the content term q·k of the logits
    double positionBiasStd = 0.0; ///< standard deviation of the relative position bias
    double largestWeight = 0.0;   ///< mean over tokens and heads of the largest attention weight
};
struct TextAttentionReport {
    std::vector<TextAttentionBlock> blocks; ///< means over the captions
    /// Mean relative difference between the outputs of a caption with its tokens shuffled and the
    /// caption's outputs shuffled the same way: 0 when the encoder sees a bag of words.
    double orderSensitivity = 0.0;
    int captions = 0;
};

/// Measures the text encoder of the work directory's dit checkpoint (or of --init-from's folder) on
/// `captions` captions of scenes drawn from the options' seed.
TextAttentionReport measureTextAttention(const TrainOptions& options, int captions);

/// Writes the model folder `outDir` from the work directory's checkpoints. Returns its total size in bytes.
std::uint64_t exportModel(const TrainOptions& options, const std::filesystem::path& outDir,
                          const std::string& commandLine = {});

/// ACEScct mapping of the model's pixel space: v = 2 * ACEScct(linear) - 1, and its inverse.
float encodePixel(float linear);
float decodePixel(float value);

} // namespace kinema::trainer
