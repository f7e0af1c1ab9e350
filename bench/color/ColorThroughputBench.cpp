// SPDX-License-Identifier: Apache-2.0
// Throughput of an ACEScg → sRGB display (ACES 1.0 SDR-video) transform on a 1920×1080 RGBA
// float image, in Mpixel/s. Baseline: OpenColorIO's CPUProcessor::apply on the packed image in one
// call on one thread (and, for reference, its per-pixel applyRGBA). Then Kinema's planar and packed
// apply with 1 and N threads.
//
// Usage: kinema_color_bench [config.ocio] [rounds]   (default: the shipped config, 9 rounds)
#include "kinema/color/Color.h"

#include <OpenColorIO/OpenColorIO.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace OCIO = OCIO_NAMESPACE;
using namespace kinema::color;

namespace {

constexpr int kWidth = 1920;
constexpr int kHeight = 1080;
constexpr double kMegapixels = kWidth * double(kHeight) / 1e6;

struct Variant {
    Variant(std::string n, std::function<void()> r, std::function<void()> w)
        : name(std::move(n))
        , reset(std::move(r))
        , work(std::move(w)) {}
    std::string name;
    std::function<void()> reset; ///< restores the input; not timed
    std::function<void()> work;
    std::vector<double> rates;
};

/// Runs every variant once per round, round after round, so that load from other processes hits
/// all variants alike; returns after `rounds` rounds (plus one untimed warm-up round).
void runRounds(std::vector<Variant>& variants, int rounds) {
    for (int round = -1; round < rounds; ++round)
        for (auto& v : variants) {
            v.reset();
            const auto start = std::chrono::steady_clock::now();
            v.work();
            const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
            if (round >= 0)
                v.rates.push_back(kMegapixels / elapsed.count());
        }
}

double median(std::vector<double> values) {
    std::sort(values.begin(), values.end());
    return values[values.size() / 2];
}

} // namespace

int main(int argc, char** argv) {
    try {
        const ConfigHandle config = argc > 1 ? ConfigHandle::fromFile(argv[1]) : loadConfig();
        const int repetitions = argc > 2 ? std::max(1, std::atoi(argv[2])) : 9;
        const auto transform = ColorTransform::displayView("ACEScg", "sRGB", "ACES 1.0 SDR-video");
        const auto processor = processorFor(config, transform);

        // HDR-ish scene-linear content: log-uniform values from 2^-8 to 2^6, a few negatives.
        const size_t pixels = size_t(kWidth) * kHeight;
        std::vector<float> sourcePlanar(pixels * 4);
        std::mt19937 rng(2024);
        std::uniform_real_distribution<float> stops(-8.0f, 6.0f);
        for (size_t i = 0; i < pixels * 3; ++i)
            sourcePlanar[i] = std::exp2(stops(rng)) - 0.004f;
        std::fill(sourcePlanar.begin() + pixels * 3, sourcePlanar.end(), 1.0f);
        std::vector<float> sourcePacked(pixels * 4);
        for (size_t i = 0; i < pixels; ++i)
            for (int c = 0; c < 4; ++c)
                sourcePacked[i * 4 + c] = sourcePlanar[c * pixels + i];

        std::vector<float> planar(sourcePlanar.size()), packed(sourcePacked.size());
        auto resetPlanar = [&] {
            std::memcpy(planar.data(), sourcePlanar.data(), planar.size() * sizeof(float));
        };
        auto resetPacked = [&] {
            std::memcpy(packed.data(), sourcePacked.data(), packed.size() * sizeof(float));
        };

        // Baseline: OpenColorIO alone, same config and transform, default CPU optimisation.
        auto ocioConfig = OCIO::Config::CreateFromFile(config.path().c_str());
        auto ocioCpu =
            ocioConfig->getProcessor("ACEScg", "sRGB", "ACES 1.0 SDR-video", OCIO::TRANSFORM_DIR_FORWARD)
                ->getDefaultCPUProcessor();
        std::vector<Variant> variants;
        variants.emplace_back("baseline: OCIO CPUProcessor::apply packed, 1 thread", resetPacked, [&] {
            OCIO::PackedImageDesc desc(packed.data(), kWidth, kHeight, 4);
            ocioCpu->apply(desc);
        });
        variants.emplace_back("OCIO applyRGBA per pixel, 1 thread", resetPacked, [&] {
            for (size_t i = 0; i < pixels; ++i)
                ocioCpu->applyRGBA(packed.data() + i * 4);
        });
        const int hardware = int(std::max(1u, std::thread::hardware_concurrency()));
        std::vector<int> threadCounts = {1};
        for (int t = 2; t < hardware; t *= 2)
            threadCounts.push_back(t);
        if (hardware > 1)
            threadCounts.push_back(hardware);
        for (int threads : threadCounts)
            variants.emplace_back("kinema planar RGBA, " + std::to_string(threads) + " thread(s)",
                                  resetPlanar, [&, threads] {
                                      float* p = planar.data();
                                      processor->apply(PlanarImageView{p, p + pixels, p + 2 * pixels,
                                                                       p + 3 * pixels, kWidth, kHeight, 0},
                                                       threads);
                                  });
        for (int threads : {1, hardware}) {
            variants.emplace_back(
                "kinema packed RGBA, " + std::to_string(threads) + " thread(s)", resetPacked, [&, threads] {
                    processor->apply(PackedImageView{packed.data(), kWidth, kHeight, 4, 0}, threads);
                });
            if (hardware == 1)
                break;
        }
        runRounds(variants, repetitions);

        std::printf("OCIO CPU throughput, ACEScg -> sRGB / ACES 1.0 SDR-video, %dx%d RGBA float32, "
                    "median of %d interleaved rounds, %d hardware threads\n",
                    kWidth, kHeight, repetitions, hardware);
        std::printf("%-52s %9s %8s\n", "variant", "Mpixel/s", "vs base");
        const double baseline = median(variants[0].rates);
        for (const auto& v : variants) {
            const double rate = median(v.rates);
            std::printf("%-52s %9.1f %7.2fx\n", v.name.c_str(), rate, rate / baseline);
        }

        // Cost of a cache hit (key construction, context-variable walk, lookup).
        constexpr int kLookups = 20000;
        const auto start = std::chrono::steady_clock::now();
        for (int i = 0; i < kLookups; ++i)
            processorFor(config, transform);
        const std::chrono::duration<double, std::micro> lookup = std::chrono::steady_clock::now() - start;
        std::printf("processorFor cache hit: %.2f us\n", lookup.count() / kLookups);
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "kinema_color_bench: %s\n", e.what());
        return 1;
    }
}
