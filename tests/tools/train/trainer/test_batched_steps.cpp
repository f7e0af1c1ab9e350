// SPDX-License-Identifier: Apache-2.0
// The dit stage's batched steps (--batched, and every step on a GPU) and the multi-tensor Adam update the
// GPU path uses: both must compute what the per-sample CPU path computes, up to float rounding. CI has no
// GPU, so these run on the CPU; bench/gpu/run.sh builds kinema-train on a GPU machine.
#include "TrainerInternal.h"
#include "Workers.h"

#include "TestSupport.h"
#include "TrainerTestSupport.h"

#include <catch2/catch.hpp>

#include <ATen/ATen.h>

#include <array>
#include <cmath>
#include <filesystem>
#include <utility>

using namespace kinema::trainer;
using namespace kinema::trainer::detail;
namespace fs = std::filesystem;

namespace {

/// Largest absolute difference between the "param/" tensors of two checkpoints written by Adam::save.
double largestParamDifference(const fs::path& a, const fs::path& b) {
    const auto ca = SafetensorsCheckpoint::open(a), cb = SafetensorsCheckpoint::open(b);
    double largest = 0.0;
    int compared = 0;
    for (const auto& raw : ca.files().front().tensors()) {
        if (raw.name.rfind("param/", 0) != 0)
            continue;
        const auto* other = cb.find(raw.name);
        REQUIRE(other);
        largest = std::max(largest, (toTensor(raw) - toTensor(*other)).abs().max().item<double>());
        ++compared;
    }
    CHECK(compared > 20);
    return largest;
}

/// Checks that every step's loss and, at the end, the weights in `checkpoint` of two runs agree to rounding
/// (a learning rate of 3e-3 moves them by about 1e-2 over these few steps).
void checkRunsAgree(const std::vector<StepLoss>& a, const std::vector<StepLoss>& b, const fs::path& dirA,
                    const fs::path& dirB, const char* checkpoint) {
    REQUIRE(a.size() == b.size());
    for (std::size_t i = 0; i < a.size(); ++i) {
        INFO("step " << a[i].step);
        CHECK(a[i].loss == Approx(b[i].loss).epsilon(1e-4));
    }
    CHECK(largestParamDifference(dirA / checkpoint, dirB / checkpoint) < 1e-4);
}

/// Runs `train` with options `o` per sample in `perSampleDir` and batched in `batchedDir`, and checks that
/// they agree (checkRunsAgree). Returns the per-sample run's losses.
template <typename Train>
std::vector<StepLoss> checkBatchedMatchesPerSample(TrainOptions o, Train train, const fs::path& perSampleDir,
                                                   const fs::path& batchedDir, const char* checkpoint) {
    o.workDir = perSampleDir;
    o.batchedSteps = false;
    const auto perSample = train(o);
    o.workDir = batchedDir;
    o.batchedSteps = true;
    const auto batched = train(o);
    checkRunsAgree(perSample, batched, perSampleDir, batchedDir, checkpoint);
    return perSample;
}

} // namespace

TEST_CASE("trainer: batched DiT steps make the per-sample steps' draws, losses and updates", "[trainer]") {
    kinema::test::TempDir perSampleDir, batchedDir;
    auto o = test::preparedWork(perSampleDir.path());
    test::copyWork(perSampleDir.path(), batchedDir.path());
    o.latentPool = 6;
    o.batch = 3;
    o.threads = 2;
    o.steps = 4;
    o.heldKeys = 0.5;
    for (const auto& [objectWeight, temporalWeight] : {std::pair{0.0, 0.0}, {4.0, 0.0}, {4.0, 2.0}}) {
        INFO("object weight " << objectWeight << ", temporal weight " << temporalWeight);
        o.objectWeight = objectWeight;
        o.temporalWeight = temporalWeight;
        o.resume = false;
        checkBatchedMatchesPerSample(o, trainDit, perSampleDir.path(), batchedDir.path(), "dit.safetensors");
    }
}

TEST_CASE("trainer: DiT steps in chunks make the per-sample steps' losses and updates, whatever the threads",
          "[trainer]") {
    kinema::test::TempDir perSampleDir, twoWorkersDir, oneWorkerDir;
    auto o = test::preparedWork(perSampleDir.path());
    test::copyWork(perSampleDir.path(), twoWorkersDir.path());
    test::copyWork(perSampleDir.path(), oneWorkerDir.path());
    o.latentPool = 6;
    o.batch = 5; // uneven chunks: samples 0, 1-2 and 3-4 ...
    o.steps = 3;
    o.heldKeys = 0.5;
    o.objectWeight = 4.0;
    o.directionContrast = 1.0; // ... with contrast rows among them
    o.directionMargin = 0.5;
    o.threads = 2;
    const auto perSample = trainDit(o);
    o.batchChunks = 3;
    o.workDir = twoWorkersDir.path();
    const auto chunked = trainDit(o);
    checkRunsAgree(perSample, chunked, perSampleDir.path(), twoWorkersDir.path(), "dit.safetensors");
    // Chunked runs build their latent pool per scene, as the per-sample steps do: the same file.
    CHECK(kinema::test::readFileBytes(perSampleDir.path() / "latent_pool.safetensors") ==
          kinema::test::readFileBytes(twoWorkersDir.path() / "latent_pool.safetensors"));
    // The chunks' gradients are summed in chunk order, so one worker computes the same weights bit for bit.
    o.threads = 1;
    o.workDir = oneWorkerDir.path();
    const auto oneWorker = trainDit(o);
    REQUIRE(oneWorker.size() == chunked.size());
    for (std::size_t i = 0; i < chunked.size(); ++i)
        CHECK(oneWorker[i].loss == chunked[i].loss);
    CHECK(largestParamDifference(twoWorkersDir.path() / "dit.safetensors",
                                 oneWorkerDir.path() / "dit.safetensors") == 0.0);
}

TEST_CASE("trainer: the DiT's temporal term costs an error that changes between latent frames", "[trainer]") {
    // [C 1, F 3, h 1, w 2] velocities; the target is zero, so the prediction is the error.
    const auto steady = at::full({1, 3, 1, 2}, 0.5f);
    const auto target = at::zeros({1, 3, 1, 2});
    const auto flicker = at::tensor({0.5f, 0.5f, -0.5f, -0.5f, 0.5f, 0.5f}).view({1, 3, 1, 2});
    const at::Tensor none;
    // Without the term both cost their squared error, 0.25.
    CHECK(velocityLoss(steady, target, none).item<double>() == Approx(0.25));
    CHECK(velocityLoss(flicker, target, none).item<double>() == Approx(0.25));
    // With weight 2: a steady error costs nothing extra; one that flips sign adds 2 * 1.0 on each of the
    // two later frames, a mean of 2 * 2 / 3 over the three.
    CHECK(velocityLoss(steady, target, none, 2.0).item<double>() == Approx(0.25));
    CHECK(velocityLoss(flicker, target, none, 2.0).item<double>() == Approx(0.25 + 4.0 / 3.0));
    // The batched layout [B, C, F, h, w] measures along dimension 2, as one sample's along dimension 1.
    const auto batched = velocityError(flicker.unsqueeze(0), target.unsqueeze(0), 2.0, 2);
    CHECK((batched[0] - velocityError(flicker, target, 2.0, 1)).abs().max().item<double>() == 0.0);
    // One latent frame has no change to measure.
    CHECK(velocityLoss(flicker.narrow(1, 0, 1), target.narrow(1, 0, 1), none, 2.0).item<double>() ==
          Approx(0.25));
}

TEST_CASE("trainer: the VAE's edge term costs an error that changes between neighbouring pixels",
          "[trainer]") {
    // [B 1, C 1, T 1, H 2, W 3] errors.
    const auto uniform = at::full({1, 1, 1, 2, 3}, 0.5f);
    // A blurred vertical edge: the error swaps sign between the second and third columns.
    const auto edge = at::tensor({0.5f, 0.5f, -0.5f, 0.5f, 0.5f, -0.5f}).view({1, 1, 1, 2, 3});
    CHECK(spatialChange(uniform, 2.0).abs().max().item<double>() == 0.0);
    const auto e = spatialChange(edge, 2.0);
    // Only the pixels left of the swap pay: 2 * (1.0)^2 each; none downwards (the rows are equal).
    CHECK(e.sum().item<double>() == Approx(4.0));
    CHECK(e[0][0][0][0][1].item<double>() == Approx(2.0));
    CHECK(e[0][0][0][1][1].item<double>() == Approx(2.0));
    // A horizontal edge costs the same through the lower neighbour.
    const auto across = edge.transpose(3, 4).contiguous(); // [.., 3, 2]: the swap between rows 2 and 3
    CHECK(spatialChange(across, 2.0).sum().item<double>() == Approx(4.0));
    // Weight 0 adds nothing.
    CHECK(spatialChange(edge, 0.0).abs().max().item<double>() == 0.0);
}

TEST_CASE("trainer: the caption contrasts change the update, not the logged loss, batched or not",
          "[trainer]") {
    // Each contrast's work directories: per sample, batched.
    kinema::test::TempDir plainDir, directionDirs[2], subjectDirs[2], swapDirs[2], sizeDirs[2];
    auto o = test::preparedWork(plainDir.path());
    for (auto* dirs : {directionDirs, subjectDirs, swapDirs, sizeDirs})
        for (int k = 0; k < 2; ++k)
            test::copyWork(plainDir.path(), dirs[k].path());
    o.latentPool = 6;
    o.batch = 4;
    o.threads = 2;
    o.steps = 4;
    o.objectWeight = 4.0;
    const auto plain = trainDit(o);
    // Margins far above what an untrained model shows: every contrasted sample pushes.
    const auto directionOnly = [](TrainOptions& c) {
        c.directionContrast = 1.0;
        c.directionMargin = 0.5;
    };
    const auto colourAndShape = [](TrainOptions& c) {
        c.colourContrast = 1.0;
        c.shapeContrast = 0.5;
        c.subjectMargin = 0.5;
    };
    const auto colourSwapOnly = [](TrainOptions& c) {
        c.colourSwapContrast = 1.0;
        c.subjectMargin = 0.5;
    };
    const auto directionAndSize = [](TrainOptions& c) {
        c.directionContrast = 1.0;
        c.sizeContrast = 1.0;
        c.directionMargin = 0.5;
    };
    const std::array<std::pair<const char*, void (*)(TrainOptions&)>, 4> runs{
        std::pair{"direction", +directionOnly}, std::pair{"colour and shape", +colourAndShape},
        std::pair{"colour swap", +colourSwapOnly}, std::pair{"direction and size", +directionAndSize}};
    const std::array<kinema::test::TempDir*, 4> dirsOf{directionDirs, subjectDirs, swapDirs, sizeDirs};
    for (std::size_t run = 0; run < runs.size(); ++run) {
        INFO(runs[run].first << " contrast");
        const auto& perSampleDir = dirsOf[run][0];
        const auto& batchedDir = dirsOf[run][1];
        auto c = o;
        runs[run].second(c);
        // The contrast moves the weights the same way in one batched forward as per sample ...
        const auto perSample = checkBatchedMatchesPerSample(c, trainDit, perSampleDir.path(),
                                                            batchedDir.path(), "dit.safetensors");
        REQUIRE(plain.size() == perSample.size());
        // ... the first step starts from the same weights: the logged loss is the plain flow-matching loss
        // ...
        CHECK(perSample[0].loss == Approx(plain[0].loss).epsilon(1e-6));
        // ... and it moved the weights (some of the 16 samples take part).
        CHECK(largestParamDifference(plainDir.path() / "dit.safetensors",
                                     perSampleDir.path() / "dit.safetensors") > 1e-3);
    }
    // Half the samples that take the direction contrast take the size contrast instead: another update.
    CHECK(largestParamDifference(directionDirs[0].path() / "dit.safetensors",
                                 sizeDirs[0].path() / "dit.safetensors") > 1e-4);
}

TEST_CASE("trainer: the multi-tensor Adam update equals the per-parameter one", "[trainer]") {
    auto gen = at::detail::createCPUGenerator(5);
    const auto makeParams = [&] {
        auto g = at::detail::createCPUGenerator(6);
        return ParamMap{{"a", at::randn({7, 5}, g).requires_grad_(true)},
                        {"b", at::randn({5}, g).requires_grad_(true)},
                        {"unused", at::randn({3}, g).requires_grad_(true)}};
    };
    Adam plain(makeParams()), multi(makeParams());
    for (int step = 0; step < 3; ++step) {
        // Gradients large enough for clipping at step 0, small after.
        const double size = step == 0 ? 3.0 : 0.01;
        for (const auto& name : {"a", "b"}) {
            const auto g = at::randn(plain.params().at(name).sizes(), gen) * size;
            plain.params().at(name).mutable_grad() = g.clone();
            multi.params().at(name).mutable_grad() = g.clone();
        }
        const double lr = 1e-2 * (step + 1);
        const double normPlain = plain.step(lr), normMulti = multi.stepMultiTensor(lr);
        CHECK(normMulti == Approx(normPlain).epsilon(1e-6));
        plain.zeroGrad();
        multi.zeroGrad();
    }
    CHECK(multi.steps() == plain.steps());
    for (const auto& [name, p] : plain.params()) {
        INFO(name);
        CHECK((p - multi.params().at(name)).abs().max().item<double>() < 1e-6);
    }
    // A parameter that never had a gradient is left alone.
    CHECK(at::equal(plain.params().at("unused"), makeParams().at("unused")));
}

TEST_CASE("trainer: the fused Adam update equals the per-parameter one, whatever the workers", "[trainer]") {
    const auto makeParams = [] {
        auto g = at::detail::createCPUGenerator(6);
        return ParamMap{{"a", at::randn({37, 5}, g).requires_grad_(true)},
                        {"b", at::randn({3}, g).requires_grad_(true)},
                        {"unused", at::randn({3}, g).requires_grad_(true)}};
    };
    Adam plain(makeParams()), fused(makeParams()), fusedTwo(makeParams());
    for (auto* adam : {&plain, &fused, &fusedTwo})
        adam->keepAverage(0.9);
    SampleWorkers two(2);
    auto gen = at::detail::createCPUGenerator(5);
    for (int step = 0; step < 3; ++step) {
        const double size = step == 0 ? 3.0 : 0.01; // clipped at step 0
        for (const auto& name : {"a", "b"}) {
            const auto g = at::randn(plain.params().at(name).sizes(), gen) * size;
            for (auto* adam : {&plain, &fused, &fusedTwo})
                adam->params().at(name).mutable_grad() = g.clone();
        }
        const double lr = 1e-2 * (step + 1);
        const double normPlain = plain.step(lr), normFused = fused.stepFused(lr),
                     normTwo = fusedTwo.stepFused(lr, &two);
        CHECK(normFused == Approx(normPlain).epsilon(1e-6));
        CHECK(normTwo == normFused);
        for (auto* adam : {&plain, &fused, &fusedTwo})
            adam->zeroGrad();
    }
    CHECK(fused.steps() == plain.steps());
    for (const auto& [name, p] : plain.params()) {
        INFO(name);
        CHECK((p - fused.params().at(name)).abs().max().item<double>() < 1e-6);
        CHECK((plain.average().at(name) - fused.average().at(name)).abs().max().item<double>() < 1e-6);
        CHECK(at::equal(fused.params().at(name), fusedTwo.params().at(name)));
        CHECK(at::equal(fused.average().at(name), fusedTwo.average().at(name)));
    }
    // A parameter that never had a gradient is left alone (its average follows it).
    CHECK(at::equal(fused.params().at("unused"), makeParams().at("unused")));
    // The update moved the weights.
    CHECK((fused.params().at("a") - makeParams().at("a")).abs().max().item<double>() > 1e-3);
}

TEST_CASE("trainer: devices and batched steps refuse what they cannot do, by name", "[trainer]") {
    kinema::test::TempDir dir;
    auto o = test::tinyOptions(dir.path());
    o.steps = 1;
    o.device = "gpu7";
    CHECK_THROWS_WITH(trainDit(o), Catch::Contains("--device 'gpu7'") && Catch::Contains("cuda:N"));
    CHECK_THROWS_WITH(trainVae(o), Catch::Contains("--device 'gpu7'"));
    CHECK_THROWS_WITH(trainVaeDecoder(o), Catch::Contains("--device 'gpu7'"));
    CHECK_THROWS_WITH(trainTokenizer(o), Catch::Contains("tokenizer stage"));
    o.device = "cuda";
    if (!at::hasCUDA()) {
        CHECK_THROWS_WITH(trainDit(o), Catch::Contains("--device 'cuda'") && Catch::Contains("without CUDA"));
        CHECK_THROWS_WITH(trainVae(o), Catch::Contains("--device 'cuda'") && Catch::Contains("without CUDA"));
    } else {
        CHECK_THROWS_WITH(trainDit(o), Catch::Contains("--device cuda needs --latent-pool"));
    }
    o.device = "cpu";
    o.batchedSteps = true;
    CHECK_THROWS_WITH(trainDit(o), Catch::Contains("--batched needs --latent-pool"));
    o.batchedSteps = false;
    o.batch = 2;
    o.batchChunks = 2;
    CHECK_THROWS_WITH(trainDit(o), Catch::Contains("--batch-chunks needs --latent-pool"));
    o.batchChunks = o.batch + 1;
    CHECK_THROWS_WITH(trainDit(o), Catch::Contains("--batch-chunks must be from 0 to the batch size"));
    o.batchChunks = 0;
    o.batchedSteps = true;
    CHECK_FALSE(fs::exists(dir.path() / "dit.safetensors"));
    o.sampledLatents = 0.5;
    CHECK_THROWS_WITH(trainVaeDecoder(o),
                      Catch::Contains("--sampled-latents") && Catch::Contains("--batched"));
    CHECK_FALSE(fs::exists(dir.path() / "vae_decoder.safetensors"));
}

TEST_CASE("trainer: batched VAE and VAE decoder steps make the per-sample steps' losses and updates",
          "[trainer]") {
    kinema::test::TempDir perSampleDir, batchedDir;
    auto o = test::tinyOptions(perSampleDir.path());
    o.batch = 3;
    o.threads = 2;
    o.steps = 3;
    o.vaeFrames = 9; // a random window of the timeline per sample
    o.vaeCrop = 16;  // and a random crop
    o.chromaWeight = 10.0;
    o.objectWeight = 20.0;
    o.temporalWeight = 1.0;
    o.edgeWeight = 2.0;
    {
        INFO("vae");
        checkBatchedMatchesPerSample(o, trainVae, perSampleDir.path(), batchedDir.path(), "vae.safetensors");
    }
    // The decoder stage starts from the same VAE in both directories; three in four clips get a held key.
    fs::copy_file(perSampleDir.path() / "vae.safetensors", batchedDir.path() / "vae.safetensors",
                  fs::copy_options::overwrite_existing);
    o.frames = 9;
    o.keyChunks = 0.75;
    INFO("vae-decoder");
    checkBatchedMatchesPerSample(o, trainVaeDecoder, perSampleDir.path(), batchedDir.path(),
                                 "vae_decoder.safetensors");
}
