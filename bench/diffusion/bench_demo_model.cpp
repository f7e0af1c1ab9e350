// SPDX-License-Identifier: Apache-2.0
// Benchmark: one clip of the embedded demo model at its default settings (the model card's: 64x64, 17
// frames, 20 UniPC steps, guidance 5, batched guidance) on the CPU (or a GPU with the bf16 DiT), end to end
// through Session::generate (text encoding, sampling, VAE decode). Baseline: the 10 s per clip target of the
// demo model on a 2-core CPU machine. Prints figures only.
//   bench_demo_model [MODEL_DIR] [CLIPS] [THREADS] [cpu|cuda]
#include <kinema/diffusion/Session.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

using namespace kinema::diffusion;

int main(int argc, char** argv) {
    const std::string model = argc > 1 ? argv[1] : KINEMA_RESOURCES_DIR "/models/kinema-demo";
    const int clips = argc > 2 ? std::max(1, std::atoi(argv[2])) : 5;
    const int threads = argc > 3 ? std::atoi(argv[3]) : 0;
    const bool cuda = argc > 4 && std::string(argv[4]) == "cuda";
    SessionOptions options;
    options.threads = threads;
    options.device = cuda ? Device::Cuda : Device::Cpu;
    const auto t0 = std::chrono::steady_clock::now();
    auto session = Session::open(model, options);
    const double load = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const char* prompts[] = {"a large glowing orange star moving right against a starry night sky",
                             "a red square moving left against a blue sky",
                             "a small blue circle heading towards the bottom right against a sunset sky",
                             "a green ring spinning on a wooden floor under warm light from the left",
                             "a purple triangle bouncing against a night sky"};
    std::printf("demo model: %s\ndevice: %s, threads: %d (hardware %u), load %.2f s\n", model.c_str(),
                cuda ? "cuda (bf16 DiT)" : "cpu (fp32)", threads, std::thread::hardware_concurrency(), load);
    std::vector<double> seconds;
    for (int i = 0; i < clips; ++i) {
        GenerateRequest r;
        r.prompt = prompts[i % 5];
        r.seed = static_cast<std::uint64_t>(i + 1);
        r.frames = 17;
        r.width = r.height = 64;
        r.steps = 20;
        r.guidance = 5.0;
        r.shift = 3.0;
        r.device = options.device;
        r.computeType = cuda ? ComputeType::BF16 : ComputeType::F32;
        const auto s = std::chrono::steady_clock::now();
        session->generate(r);
        seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - s).count());
        std::printf("clip %d: %.2f s\n", i + 1, seconds.back());
    }
    double mean = 0.0;
    for (double s : seconds)
        mean += s / static_cast<double>(seconds.size());
    std::sort(seconds.begin(), seconds.end());
    std::printf("per clip (64x64, 17 frames, 20 steps, CFG): mean %.2f s, min %.2f s, max %.2f s\n", mean,
                seconds.front(), seconds.back());
    std::printf("baseline: 10 s per clip target -> %.1fx faster than the target (%s)\n", 10.0 / mean,
                mean <= 10.0 ? "met" : "missed");
    return 0;
}
