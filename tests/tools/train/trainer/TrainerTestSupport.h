// SPDX-License-Identifier: Apache-2.0
#pragma once
// Small work directories shared by the trainer's tests.
#include <kinema/trainer/Trainer.h>

#include <filesystem>
#include <vector>

namespace kinema::trainer::test {

namespace fs = std::filesystem;

/// A tiny configuration: seconds per step on one CPU core.
inline TrainOptions tinyOptions(const fs::path& work) {
    TrainOptions o;
    o.workDir = work;
    o.width = 32;
    o.height = 32;
    o.frames = 5;
    o.vaeFrames = 5;
    o.batch = 1;
    o.learningRate = 3e-3;
    o.threads = 1;
    o.checkpointEvery = 1;
    o.supersampling = 1;
    o.tokenizerCaptions = 200;
    o.quiet = true;
    auto& s = o.shape;
    s.vaeDim = 8;
    s.zDim = 4;
    s.ditDim = 32;
    s.ditLayers = 2;
    s.ditHeads = 2;
    s.ditFfn = 64;
    s.freqDim = 32;
    s.textDim = 32;
    s.textLayers = 1;
    s.textHeads = 2;
    s.textFfn = 64;
    s.textLen = 16;
    s.vocab = 150;
    return o;
}

/// Copies the files of a prepared work directory into `to`, so that two runs start from the same state.
inline void copyWork(const fs::path& from, const fs::path& to) {
    for (const auto& entry : fs::directory_iterator(from))
        fs::copy_file(entry.path(), to / entry.path().filename());
}

/// Tokenizer and a briefly trained VAE in `work`.
inline TrainOptions preparedWork(const fs::path& work) {
    auto o = tinyOptions(work);
    trainTokenizer(o);
    o.steps = 2;
    trainVae(o);
    return o;
}

inline double mean(const std::vector<StepLoss>& v, std::size_t from, std::size_t to) {
    double s = 0.0;
    for (std::size_t i = from; i < to; ++i)
        s += v[i].loss;
    return s / static_cast<double>(to - from);
}

} // namespace kinema::trainer::test
