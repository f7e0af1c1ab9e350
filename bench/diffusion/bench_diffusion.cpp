// SPDX-License-Identifier: Apache-2.0
// Wan 2.1 T2V-1.3B with random weights on the CPU or a GPU: DiT forward/step time, tokens/s, analytic FLOPs,
// achieved GFLOP/s (and the fraction of a given peak), peak memory, VAE decode time per frame. The DiT is
// built with the exact 1.3B shapes but a reduced number of blocks (default 2); the full 30-block time is
// extrapolated from the measured per-block time. Prints figures; asserts nothing.
//
// Usage: bench_diffusion [--threads N] [--size WxH] [--frames N] [--blocks N] [--reps N] [--skip-vae]
//                        [--device cpu|cuda] [--dtype f32|bf16] [--stream-blocks] [--peak-tflops X]
#include "engine/Placement.h"
#include "families/wan21/WanDit.h"
#include "families/wan21/WanVae.h"
#include "nn/Ops.h"

#include <ATen/Parallel.h>
#include <c10/core/GradMode.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>

using namespace kinema::diffusion;
using Clock = std::chrono::steady_clock;

namespace {

double seconds(Clock::time_point a, Clock::time_point b) {
    return std::chrono::duration<double>(b - a).count();
}

double peakRssGiB() {
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("VmHWM:", 0) == 0)
            return std::stod(line.substr(6)) / (1024.0 * 1024.0);
    return 0.0;
}

/// Multiply-adds x 2 of one DiT forward (T2V) at `tokens` image tokens and `ctx` text rows.
double ditFlops(double tokens, double ctx, double dim, double ffn, double blocks, double textDim) {
    const double selfAttn = 4 * 2 * tokens * dim * dim + 2 * 2 * tokens * tokens * dim;
    const double crossAttn =
        2 * 2 * tokens * dim * dim + 2 * 2 * ctx * dim * dim + 2 * 2 * tokens * ctx * dim;
    const double mlp = 2 * 2 * tokens * dim * ffn;
    const double text = 2 * ctx * (textDim * dim + dim * dim);
    return blocks * (selfAttn + crossAttn + mlp) + text + 2 * tokens * dim * 64 + 2 * tokens * 64 * dim;
}

struct Args {
    int threads = 0, width = 256, height = 256, frames = 5, blocks = 2, reps = 3;
    bool vae = true, cuda = false, bf16 = false, streamBlocks = false;
    double peakTflops = 0; ///< the device's dense peak for the fraction printed (e.g. 989 for an H100 bf16)
};

Args parse(int argc, char** argv) {
    Args a;
    for (int i = 1; i < argc; ++i) {
        const std::string k = argv[i];
        auto next = [&]() -> const char* { return i + 1 < argc ? argv[++i] : "0"; };
        if (k == "--threads")
            a.threads = std::atoi(next());
        else if (k == "--size")
            std::sscanf(next(), "%dx%d", &a.width, &a.height);
        else if (k == "--frames")
            a.frames = std::atoi(next());
        else if (k == "--blocks")
            a.blocks = std::max(1, std::atoi(next()));
        else if (k == "--reps")
            a.reps = std::max(1, std::atoi(next()));
        else if (k == "--skip-vae")
            a.vae = false;
        else if (k == "--device")
            a.cuda = std::string(next()).rfind("cuda", 0) == 0;
        else if (k == "--dtype")
            a.bf16 = std::string(next()) == "bf16";
        else if (k == "--stream-blocks")
            a.streamBlocks = true;
        else if (k == "--peak-tflops")
            a.peakTflops = std::atof(next());
    }
    return a;
}

} // namespace

int main(int argc, char** argv) {
    const auto args = parse(argc, argv);
    if (args.width % 16 || args.height % 16 || args.width <= 0 || args.height <= 0 || (args.frames - 1) % 4) {
        std::fprintf(stderr, "size must be multiples of 16 and frames 4k + 1\n");
        return 2;
    }
    nn::setComputeThreads(args.threads > 0 ? args.threads
                                           : static_cast<int>(std::thread::hardware_concurrency()));
    c10::NoGradGuard noGrad;
    if (args.cuda && !at::hasCUDA()) {
        std::fprintf(stderr, "--device cuda: this libtorch has no CUDA support\n");
        return 2;
    }
    const at::Device device = args.cuda ? at::Device(at::kCUDA, 0) : at::Device(at::kCPU);
    const std::int64_t lf = (args.frames - 1) / 4 + 1, lh = args.height / 8, lw = args.width / 8;
    const double tokens = static_cast<double>(lf * (lh / 2) * (lw / 2));
    std::printf(
        "Wan2.1 T2V-1.3B shapes, %s %s%s, %d threads, %d frames at %dx%d -> latent 16x%lldx%lldx%lld, "
        "%.0f tokens\n",
        args.cuda ? "CUDA" : "CPU", args.bf16 ? "bf16 mixed precision" : "fp32",
        args.streamBlocks ? ", blocks streamed from CPU memory" : "", at::get_num_threads(), args.frames,
        args.width, args.height, static_cast<long long>(lf), static_cast<long long>(lh),
        static_cast<long long>(lw), tokens);

    wan21::DitConfig cfg; // 1.3B defaults
    auto timeForward = [&](std::int64_t blocks, double& embedSeconds) {
        cfg.numLayers = blocks;
        auto wm = WeightMap::random(1);
        wan21::WanDit dit(cfg, wm);
        dit.setStreamBlocks(args.streamBlocks);
        dit.to(device);
        if (args.bf16)
            dit.setMatmulType(at::kBFloat16);
        auto gen = at::detail::createCPUGenerator(3);
        const auto text = at::randn({40, cfg.textDim}, gen);
        const auto x = at::randn({16, lf, lh, lw}, gen).to(device);
        // Reading one value back waits for the device to finish (a no-op wait on the CPU).
        auto run = [&](const at::Tensor& ctx) { return dit.forward(x, 999, ctx).sum().item<float>(); };
        auto t0 = Clock::now();
        const auto ctx = dit.embedContext(text);
        ctx.sum().item<float>();
        embedSeconds = seconds(t0, Clock::now());
        run(ctx); // warm-up
        double best = 1e30;
        for (int r = 0; r < args.reps; ++r) {
            t0 = Clock::now();
            run(ctx);
            best = std::min(best, seconds(t0, Clock::now()));
        }
        return best;
    };
    double embed = 0;
    const double t1 = timeForward(1, embed);
    const double tn = timeForward(args.blocks, embed);
    const double perBlock = args.blocks > 1 ? (tn - t1) / (args.blocks - 1) : t1;
    const double overhead = std::max(0.0, t1 - perBlock);
    const double full = overhead + 30 * perBlock;
    const double flopsForward =
        ditFlops(tokens, 512, 1536, 8960, 30, 4096) - 2 * 512 * (4096.0 * 1536 + 1536.0 * 1536);
    std::printf("DiT forward, %d blocks measured: %.3f s; per block %.3f s; other %.3f s\n", args.blocks, tn,
                perBlock, overhead);
    std::printf("DiT forward, 30 blocks (extrapolated): %.2f s; sampling step (CFG, 2 forwards): %.2f s\n",
                full, 2 * full);
    std::printf("tokens/s per forward: %.1f\n", tokens / full);
    std::printf("analytic FLOPs per step (2 forwards): %.3f TFLOP -> achieved %.1f GFLOP/s\n",
                2 * flopsForward / 1e12, flopsForward / full / 1e9);
    if (args.peakTflops > 0)
        std::printf("fraction of the given peak (%.0f TFLOP/s): %.1f %%\n", args.peakTflops,
                    100.0 * flopsForward / full / 1e12 / args.peakTflops);
    std::printf("text embedding (once per prompt): %.3f s\n", embed);
    const double tokens480 = 21.0 * 30 * 52;
    const double flops480 = ditFlops(tokens480, 512, 1536, 8960, 30, 4096);
    std::printf("832x480x81 (32760 tokens): %.1f TFLOP per step, %.1f PFLOP for 50 steps; at the rate above: "
                "%.0f s per step\n",
                2 * flops480 / 1e12, 100 * flops480 / 1e15, 2 * flops480 / (flopsForward / full));
    std::printf("peak RSS after DiT: %.2f GiB\n", peakRssGiB());
    if (args.cuda)
        if (const auto used = cudaMemoryInUseBytes())
            std::printf(
                "GPU memory in use after the DiT (driver view, with the caching allocator's reserve): "
                "%.2f GiB\n",
                static_cast<double>(*used) / (1u << 30));

    if (args.vae) {
        wan21::VaeConfig vc;
        vc.latentsMean = wan21::VaeConfig::defaultMean();
        vc.latentsStd = wan21::VaeConfig::defaultStd();
        auto wm = WeightMap::random(2);
        wan21::WanVae vae(vc, wm, false, true);
        vae.to(device);
        auto gen = at::detail::createCPUGenerator(4);
        const auto z = at::randn({1, 16, lf, lh, lw}, gen);
        auto t0 = Clock::now();
        const auto video = vae.decode(z);
        video.sum().item<float>();
        const double dt = seconds(t0, Clock::now());
        std::printf("VAE decode (126.9M params): %lld frames at %dx%d in %.2f s -> %.3f s per frame; peak "
                    "RSS %.2f GiB\n",
                    static_cast<long long>(video.size(2)), args.width, args.height, dt, dt / video.size(2),
                    peakRssGiB());
    }
    return 0;
}
