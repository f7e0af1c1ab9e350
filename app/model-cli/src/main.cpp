// SPDX-License-Identifier: Apache-2.0
// kinema-model: check parity fixtures, describe a model folder, convert .pth checkpoints, generate a clip
// to EXR frames.
// Exit status: 0 success, 1 failure (bad input, failed fixture, generation error), 2 usage error,
// 130 cancelled by SIGINT.
#include "ExrFrameWriter.h"
#include "VideoPreview.h"

#include <kinema/diffusion/PixelEncoding.h>
#include <kinema/diffusion/SafetensorsWriter.h>

#include <kinema/diffusion/Errors.h>
#include <kinema/diffusion/Fixtures.h>
#include <kinema/diffusion/Session.h>

#include <CLI/CLI.hpp>

#if __has_include(<kinema/diffusion/TorchCheckpoint.h>)
#include <kinema/diffusion/TorchCheckpoint.h>
#define KINEMA_HAS_TORCH_CHECKPOINT 1
#endif

#include <atomic>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <regex>

namespace fs = std::filesystem;
using namespace kinema::diffusion;

namespace {

std::atomic<bool> g_cancel{false};

void onInterrupt(int) {
    g_cancel = true;
}

bool parseSize(const std::string& text, int& width, int& height) {
    static const std::regex pattern(R"(^\s*(\d{1,5})\s*[xX*]\s*(\d{1,5})\s*$)");
    std::smatch m;
    if (!std::regex_match(text, m, pattern))
        return false;
    width = std::stoi(m[1]);
    height = std::stoi(m[2]);
    return true;
}

int runCheck(const std::vector<std::string>& dirs, bool bf16) {
    int passed = 0, failed = 0;
    for (const auto& dir : dirs) {
        std::error_code ec;
        if (!fs::is_directory(dir, ec)) {
            std::cerr << "kinema-model check: '" << dir << "' is not a folder\n";
            ++failed;
            continue;
        }
        const auto fixtures = findFixtures(dir);
        if (fixtures.empty()) {
            std::cerr << "kinema-model check: no fixture (folder with fixture.json) in '" << dir << "'\n";
            ++failed;
            continue;
        }
        for (const auto& f : fixtures) {
            FixtureOptions options;
            options.bf16 = bf16;
            const auto r = runFixture(f, options);
            char line[512];
            std::snprintf(line, sizeof line, "%-28s rel_l2 %.3e  max_abs %.3e  %s", r.name.c_str(), r.relL2,
                          r.maxAbs, r.passed ? "PASS" : "FAIL");
            std::cout << line;
            if (!r.error.empty())
                std::cout << "  (" << r.error << ")";
            else if (!r.passed)
                std::cout << "  (tolerance rel_l2 " << r.tolRelL2 << ", max_abs " << r.tolMaxAbs << ")";
            std::cout << '\n';
            (r.passed ? passed : failed)++;
        }
    }
    std::cout << passed << " passed, " << failed << " failed\n";
    return failed == 0 && passed > 0 ? 0 : 1;
}

std::string humanBytes(double bytes) {
    const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    int u = 0;
    while (bytes >= 1024 && u < 4) {
        bytes /= 1024;
        ++u;
    }
    char text[64];
    std::snprintf(text, sizeof text, "%.2f %s", bytes, units[u]);
    return text;
}

int runInfo(const std::string& dir, const std::string& size, int frames) {
    int width = 0, height = 0;
    if (!parseSize(size, width, height) || width % 16 || height % 16 || width == 0 || height == 0) {
        std::cerr << "kinema-model info: --size '" << size << "' must be WxH with multiples of 16\n";
        return 2;
    }
    if (frames < 1 || (frames - 1) % 4 != 0) {
        std::cerr << "kinema-model info: --frames " << frames << " must be 4k + 1\n";
        return 2;
    }
    const auto info = inspectModel(dir);
    std::cout << "family      " << info.family << " (" << info.modelType << ")\n";
    std::cout << "config      " << info.description << '\n';
    std::int64_t total = 0;
    for (const auto& c : info.components) {
        char line[1024];
        if (c.parameters > 0)
            std::snprintf(line, sizeof line, "%-12s %-8s %14lld params  %s", c.name.c_str(), c.dtype.c_str(),
                          static_cast<long long>(c.parameters), c.file.c_str());
        else
            std::snprintf(line, sizeof line, "%-12s %s", c.name.c_str(), c.file.c_str());
        std::cout << line << '\n';
        total += c.parameters;
    }
    std::cout << "parameters  " << total << '\n';
    std::cout << "memory      about "
              << humanBytes(static_cast<double>(estimateMemoryBytes(info, width, height, frames))) << " for "
              << frames << " frames at " << width << "x" << height << " (fp32, CPU)\n";
    std::cout << "GPU memory  about";
    for (const auto mode : {Offload::None, Offload::Model, Offload::Blocks})
        std::cout << (mode == Offload::None ? " " : ", ")
                  << humanBytes(static_cast<double>(
                         estimateDeviceMemoryBytes(info, width, height, frames, ComputeType::BF16, mode)))
                  << " (offload " << offloadName(mode) << ")";
    std::cout << " with the DiT in bf16\n";
    return 0;
}

/// Saves sampled latents (as GenerateResult holds them) to a safetensors file.
void saveLatents(const fs::path& path, const GenerateResult& sampled) {
    RawTensor t;
    t.name = "latents";
    t.dtype = DType::F32;
    t.shape = {sampled.latentChannels, sampled.latentFrames, sampled.latentHeight, sampled.latentWidth};
    t.data = reinterpret_cast<const std::byte*>(sampled.latents.data());
    t.nbytes = sampled.latents.size() * sizeof(float);
    writeSafetensors(path, {t}, {{"producer", "kinema-model generate"}});
}

struct DeviceChoice {
    std::string device = "cpu", dtype = "auto", offload = "auto";
};

int runGenerate(const std::string& modelDir, GenerateRequest request, const std::string& size,
                const std::string& outDir, int threads, bool video, int fps, const DeviceChoice& choice) {
    if (!parseSize(size, request.width, request.height)) {
        std::cerr << "kinema-model generate: --size '" << size << "' must be WxH, e.g. 832x480\n";
        return 2;
    }
    std::error_code ec;
    fs::create_directories(outDir, ec);
    if (!fs::is_directory(outDir, ec)) {
        std::cerr << "kinema-model generate: cannot create the output folder '" << outDir << "'\n";
        return 1;
    }
    SessionOptions options;
    options.threads = threads;
    if (!parseDeviceName(choice.device, options.device, options.deviceIndex)) {
        std::cerr << "kinema-model generate: --device '" << choice.device
                  << "' must be cpu, cuda or cuda:N\n";
        return 2;
    }
    request.device = options.device;
    // The reference runs the DiT in bf16 mixed precision on a GPU; the CPU path is fp32.
    request.computeType = choice.dtype == "bf16" || (choice.dtype == "auto" && options.device == Device::Cuda)
                              ? ComputeType::BF16
                              : ComputeType::F32;
    for (const auto mode : {Offload::Auto, Offload::None, Offload::Model, Offload::Blocks})
        if (choice.offload == offloadName(mode))
            options.offload = mode;
    auto session = Session::open(modelDir, options);
    std::cerr << "device " << choice.device << ", "
              << (request.computeType == ComputeType::BF16 ? "bf16" : "fp32") << " DiT, offload "
              << offloadName(session->offload()) << '\n';
    const std::string encoding = session->info().pixelEncoding;
    request.cancel = &g_cancel;
    std::signal(SIGINT, onInterrupt);
    GenerateResult result;
    try {
        result = session->generate(request, [](const Progress& p) {
            std::cerr << "step " << p.step << "/" << p.total << '\n';
            return true;
        });
    } catch (const DecodeOutOfMemoryError& e) {
        const auto path = fs::path(outDir) / "latents.safetensors";
        saveLatents(path, e.sampled);
        std::cerr << "kinema-model generate: " << e.what() << "; the latents are saved in " << path.string()
                  << '\n';
        return 1;
    }
    saveLatents(fs::path(outDir) / "latents.safetensors", result);
    for (std::size_t i = 0; i < result.frames.size(); ++i) {
        char name[64];
        std::snprintf(name, sizeof name, "frame.%04zu.exr", i + 1);
        kinema::modelcli::writeExrFrame(fs::path(outDir) / name, result.frames[i], encoding);
    }
    std::cout << "wrote " << result.frames.size() << " frames (" << request.width << "x" << request.height
              << ", " << (encoding == kPixelEncodingAcesCct ? "scene-linear" : "display-referred")
              << ") and latents.safetensors to " << outDir << '\n';
    if (video) {
        const auto mp4 = fs::path(outDir) / "clip.mp4";
        kinema::modelcli::writePreviewVideo(
            (fs::path(outDir) / "frame.####.exr").string(), static_cast<int>(result.frames.size()),
            encoding == kPixelEncodingAcesCct ? "Linear Rec.709" : "Rec.1886 Rec.709 - Display", fps, mp4);
        std::cout << "wrote " << mp4.string() << '\n';
    }
    return 0;
}

int runConvert(const std::string& input, const std::string& output) {
#ifdef KINEMA_HAS_TORCH_CHECKPOINT
    const auto count = convertCheckpointToSafetensors(input, output);
    std::cout << "wrote " << count << " tensors to " << output << '\n';
    return 0;
#else
    std::cerr << "kinema-model convert: reading '" << input
              << "' needs the PyTorch checkpoint reader, which is not part of this build\n";
    return 1;
#endif
}

} // namespace

int main(int argc, char** argv) {
    CLI::App app{"kinema-model: Kinema's diffusion core from the command line"};
    app.require_subcommand(1);

    std::vector<std::string> fixtureDirs;
    auto* check =
        app.add_subcommand("check", "run numeric parity fixtures and compare with their tolerances");
    check->add_option("FIXTURE_DIR", fixtureDirs, "fixture folders, or folders of fixtures")->required();
    bool checkBf16 = false;
    check->add_flag("--bf16", checkBf16,
                    "run DiT and sampling fixtures in bf16 mixed precision (judged by rel_l2 <= 0.02)");

    std::string infoDir, infoSize = "832x480";
    int infoFrames = 81;
    auto* info =
        app.add_subcommand("info", "describe a model folder: components, dtypes, parameters, memory");
    info->add_option("DIR", infoDir, "model folder")->required();
    info->add_option("--size", infoSize, "resolution for the memory estimate, WxH");
    info->add_option("--frames", infoFrames, "frame count for the memory estimate");

    std::string modelDir, size = "832x480", outDir;
    int threads = 0;
    GenerateRequest request;
    auto* gen = app.add_subcommand("generate", "generate a clip and write EXR frames");
    gen->add_option("--model", modelDir, "model folder")->required();
    gen->add_option("--prompt", request.prompt, "text prompt")->required();
    gen->add_option("--negative-prompt", request.negativePrompt, "negative prompt (default: the model's)");
    gen->add_option("--frames", request.frames, "frame count, 4k + 1");
    gen->add_option("--size", size, "WxH, multiples of 16");
    gen->add_option("--steps", request.steps, "sampling steps");
    gen->add_option("--seed", request.seed, "noise seed");
    gen->add_option("--guidance", request.guidance, "classifier-free guidance scale");
    gen->add_option("--shift", request.shift, "sigma shift");
    gen->add_option("--solver", request.solver, "unipc, dpm++ or euler");
    gen->add_option("--threads", threads, "CPU threads (0 = all)");
    DeviceChoice choice;
    gen->add_option("--device", choice.device, "cpu, cuda or cuda:N");
    gen->add_option("--dtype", choice.dtype, "DiT precision: auto (bf16 on a GPU, f32 on the CPU), f32, bf16")
        ->check(CLI::IsMember({"auto", "f32", "bf16"}));
    gen->add_option("--offload", choice.offload,
                    "auto, none, model (DiT and VAE take turns, text encoder on the CPU) or blocks")
        ->check(CLI::IsMember({"auto", "none", "model", "blocks"}));
    gen->add_option("--out", outDir, "output folder for frame.NNNN.exr, latents.safetensors and clip.mp4")
        ->required();
    bool noVideo = false;
    int fps = 16;
    gen->add_flag("--no-video", noVideo, "do not write the clip.mp4 preview");
    gen->add_option("--fps", fps, "frame rate of the MP4 preview")->check(CLI::Range(1, 240));

    std::string convertIn, convertOut;
    auto* convert = app.add_subcommand(
        "convert", "convert a PyTorch .pth checkpoint to safetensors (no pickle code runs)");
    convert->add_option("IN", convertIn, "input .pth file")->required();
    convert->add_option("OUT", convertOut, "output .safetensors file")->required();

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e) == 0 ? 0 : 2;
    }
    try {
        if (*check)
            return runCheck(fixtureDirs, checkBf16);
        if (*info)
            return runInfo(infoDir, infoSize, infoFrames);
        if (*gen)
            return runGenerate(modelDir, request, size, outDir, threads, !noVideo, fps, choice);
        if (*convert)
            return runConvert(convertIn, convertOut);
    } catch (const CancelledError& e) {
        std::cerr << "kinema-model: " << e.what() << '\n';
        return 130;
    } catch (const std::exception& e) {
        std::cerr << "kinema-model: error: " << e.what() << '\n';
        return 1;
    }
    return 2;
}
