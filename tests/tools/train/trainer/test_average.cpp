// SPDX-License-Identifier: Apache-2.0
// The moving average of the DiT's weights (kinema-train dit --average-decay): the update rule, its place
// in the checkpoint and across a resume, and which weights export and the measuring commands take.
#include "TrainerInternal.h"

#include "TestSupport.h"
#include "TrainerTestSupport.h"

#include <catch2/catch.hpp>

#include <ATen/ATen.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

using namespace kinema::trainer;
using namespace kinema::trainer::detail;
namespace fs = std::filesystem;

namespace {

ParamMap smallParams() {
    auto g = at::detail::createCPUGenerator(11);
    return ParamMap{{"a", at::randn({6, 4}, g).requires_grad_(true)},
                    {"b", at::randn({4}, g).requires_grad_(true)}};
}

/// Gives every parameter of `adam` the gradient drawn from `gen`.
void setGradients(Adam& adam, at::Generator& gen) {
    for (auto& [name, p] : adam.params())
        p.mutable_grad() = at::randn(p.sizes(), gen) * 0.1;
}

double largestDifference(const ParamMap& a, const ParamMap& b) {
    double largest = 0.0;
    for (const auto& [name, t] : a)
        largest = std::max(largest, (t.detach() - b.at(name).detach()).abs().max().item<double>());
    return largest;
}

} // namespace

TEST_CASE("trainer: the moving average follows the weights with the warm-up decay", "[trainer]") {
    constexpr double kDecay = 0.9;
    Adam adam(smallParams());
    adam.keepAverage(kDecay);
    REQUIRE(adam.average().size() == 2);
    CHECK(largestDifference(adam.average(), adam.params()) == 0.0);

    // The same rule written out: decay min(0.9, (1 + n) / (10 + n)) after n averaged steps.
    ParamMap expected;
    for (const auto& [name, p] : adam.params())
        expected[name] = p.detach().clone();
    auto gen = at::detail::createCPUGenerator(3);
    for (int n = 1; n <= 40; ++n) {
        setGradients(adam, gen);
        adam.step(1e-2);
        adam.zeroGrad();
        const double decay = std::min(kDecay, (1.0 + n) / (10.0 + n));
        for (auto& [name, e] : expected)
            e = decay * e + (1.0 - decay) * adam.params().at(name).detach();
    }
    CHECK(largestDifference(adam.average(), expected) < 1e-6);
    // The average lags the weights: it is not a copy of them.
    CHECK(largestDifference(adam.average(), adam.params()) > 1e-3);

    // The multi-tensor update (the GPU path) averages the same way.
    Adam plain(smallParams()), multi(smallParams());
    plain.keepAverage(kDecay);
    multi.keepAverage(kDecay);
    auto genPlain = at::detail::createCPUGenerator(4), genMulti = at::detail::createCPUGenerator(4);
    for (int step = 0; step < 5; ++step) {
        setGradients(plain, genPlain);
        setGradients(multi, genMulti);
        plain.step(1e-2);
        multi.stepMultiTensor(1e-2);
        plain.zeroGrad();
        multi.zeroGrad();
    }
    CHECK(largestDifference(plain.average(), multi.average()) < 1e-6);

    CHECK_THROWS_WITH(Adam(smallParams()).keepAverage(1.0), Catch::Contains("between 0 and 1"));
}

TEST_CASE("trainer: the average is saved, resumed, and started where a checkpoint has none", "[trainer]") {
    kinema::test::TempDir dir;
    const auto path = dir.path() / "ckpt.safetensors";
    auto gen = at::detail::createCPUGenerator(9);
    Adam first(smallParams());
    first.keepAverage(0.95);
    for (int step = 0; step < 6; ++step) {
        setGradients(first, gen);
        first.step(1e-2);
        first.zeroGrad();
    }
    first.save(path);

    Adam resumed(smallParams());
    resumed.keepAverage(0.95);
    REQUIRE(resumed.load(path));
    CHECK(resumed.steps() == 6);
    CHECK(largestDifference(resumed.average(), first.average()) == 0.0);
    // One more step from both gives the same average: the count of averaged steps came back too.
    auto genA = at::detail::createCPUGenerator(10), genB = at::detail::createCPUGenerator(10);
    setGradients(first, genA);
    setGradients(resumed, genB);
    first.step(1e-2);
    resumed.step(1e-2);
    CHECK(largestDifference(resumed.average(), first.average()) < 1e-7);

    // A checkpoint written without an average: the average starts at its weights.
    Adam plain(smallParams());
    setGradients(plain, gen);
    plain.step(1e-2);
    plain.save(path);
    Adam averaging(smallParams());
    averaging.keepAverage(0.95);
    REQUIRE(averaging.load(path));
    CHECK(largestDifference(averaging.average(), plain.params()) == 0.0);

    // loadTrainedParams takes the average from a checkpoint that has one, unless asked for the raw weights.
    first.save(path);
    auto loaded = smallParams();
    loadTrainedParams(path, loaded, /*raw=*/false);
    CHECK(largestDifference(loaded, first.average()) == 0.0);
    loadTrainedParams(path, loaded, /*raw=*/true);
    CHECK(largestDifference(loaded, first.params()) == 0.0);
}

TEST_CASE("trainer: the dit stage keeps the average and export takes it", "[trainer]") {
    kinema::test::TempDir work, averaged, raw;
    auto o = test::preparedWork(work.path());
    o.steps = 3;
    o.averageDecay = 0.99;
    trainDit(o);
    const auto checkpoint = SafetensorsCheckpoint::open(work.path() / "dit.safetensors");
    const auto& meta = checkpoint.files().front().metadata();
    REQUIRE(meta.count("average_decay"));
    CHECK(meta.at("average_decay") == "0.99");
    CHECK(meta.at("averaged_steps") == "3");

    REQUIRE(exportModel(o, averaged.path()) > 0);
    o.rawWeights = true;
    REQUIRE(exportModel(o, raw.path()) > 0);
    // Every exported DiT tensor is the checkpoint's average (or, with --raw-weights, its own weights).
    const auto fromAverage =
        SafetensorsCheckpoint::open(averaged.path() / "diffusion_pytorch_model.safetensors");
    const auto fromRaw = SafetensorsCheckpoint::open(raw.path() / "diffusion_pytorch_model.safetensors");
    int compared = 0, differing = 0;
    for (const auto& tensor : fromAverage.files().front().tensors()) {
        INFO(tensor.name);
        const auto* average = checkpoint.find("average/dit/" + tensor.name);
        const auto* own = checkpoint.find("param/dit/" + tensor.name);
        REQUIRE(average);
        REQUIRE(own);
        CHECK(at::equal(toTensor(tensor), toTensor(*average)));
        CHECK(at::equal(toTensor(*fromRaw.find(tensor.name)), toTensor(*own)));
        differing += at::equal(toTensor(*average), toTensor(*own)) ? 0 : 1;
        ++compared;
    }
    CHECK(compared > 20);
    CHECK(differing > compared / 2);

    // The model card says which weights it holds.
    std::ifstream cardFile(averaged.path() / "model.json");
    const std::string card((std::istreambuf_iterator<char>(cardFile)), std::istreambuf_iterator<char>());
    CHECK(card.find("exponential moving average, decay 0.99, over 3 steps") != std::string::npos);
}
