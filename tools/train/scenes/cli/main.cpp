// SPDX-License-Identifier: Apache-2.0
/// kinema-scenes: renders sample clips of the demo model's training scenes for inspection.
///
/// Writes, for N consecutive seeds: half-float OpenEXR frames (scene-linear, optional), a JSONL manifest
/// (seed, spec, captions in every style) and a contact sheet PNG (frames across, clips down, with the
/// short caption under each row when a font is available). --bench times rendering and analysis instead.
///
/// Exit codes: 0 success, 1 an output could not be written, 2 usage error.
#include "ContactSheet.h"
#include "kinema/scenes/Analyser.h"
#include "kinema/scenes/Caption.h"
#include "kinema/scenes/Render.h"

#include <CLI/CLI.hpp>
#include <OpenImageIO/imageio.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <sstream>

namespace fs = std::filesystem;
namespace ks = kinema::scenes;
namespace OIIO = OIIO_NAMESPACE;

namespace {

constexpr int kExitOk = 0, kExitOutput = 1, kExitUsage = 2;

nlohmann::json specJson(const ks::SceneSpec& spec) {
    nlohmann::json objects = nlohmann::json::array();
    for (const auto& o : spec.objects)
        objects.push_back({{"shape", ks::toString(o.shape)},
                           {"colour", ks::toString(o.colour)},
                           {"size", ks::toString(o.size)},
                           {"motion", ks::toString(o.motion)},
                           {"emissive", o.emissive},
                           {"x", o.x},
                           {"y", o.y},
                           {"phase", o.phase},
                           {"clockwise", o.clockwise}});
    return {{"background", ks::toString(spec.background)},
            {"camera", ks::toString(spec.camera)},
            {"lighting",
             {{"direction", ks::toString(spec.lighting.direction)},
              {"temperature", ks::toString(spec.lighting.temperature)},
              {"intensity", ks::toString(spec.lighting.intensity)}}},
            {"texture_seed", spec.textureSeed},
            {"objects", objects}};
}

std::string numbered(const char* prefix, int value, int width) {
    std::ostringstream out;
    out << prefix << std::setw(width) << std::setfill('0') << value;
    return out.str();
}

void writeExr(const ks::Clip& clip, int frame, const fs::path& path) {
    auto out = OIIO::ImageOutput::create(path.string());
    if (!out)
        throw std::runtime_error(path.string() + ": no OpenEXR writer (" + OIIO::geterror() + ")");
    OIIO::ImageSpec spec(clip.width, clip.height, 3, OIIO::TypeDesc::HALF);
    spec.attribute("compression", "zip");
    spec.attribute("oiio:ColorSpace", "lin_rec709");
    spec.attribute("FramesPerSecond", OIIO::TypeRational, std::array<int, 2>{int(clip.fps), 1}.data());
    if (!out->open(path.string(), spec) || !out->write_image(OIIO::TypeDesc::FLOAT, clip.frame(frame)) ||
        !out->close())
        throw std::runtime_error(path.string() + ": cannot write (" + out->geterror() + ")");
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.empty() ? 0.0 : v[v.size() / 2];
}

int bench(std::uint64_t seed, int count, const ks::RenderSettings& settings) {
    std::vector<double> renderMs, analyseMs;
    const ks::SceneAnalyser analyser;
    for (int i = 0; i < count; ++i) {
        const ks::SceneSpec spec = ks::sample(seed + std::uint64_t(i));
        const auto t0 = std::chrono::steady_clock::now();
        const ks::Clip clip = ks::render(spec, settings);
        const auto t1 = std::chrono::steady_clock::now();
        const ks::ClipAnalysis analysis = analyser.analyse(clip);
        const auto t2 = std::chrono::steady_clock::now();
        renderMs.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
        analyseMs.push_back(std::chrono::duration<double, std::milli>(t2 - t1).count());
    }
    const auto report = [](const char* what, const std::vector<double>& v) {
        double mean = 0;
        for (double x : v)
            mean += x / double(v.size());
        std::cout << what << ": mean " << std::fixed << std::setprecision(1) << mean << " ms, median "
                  << median(v) << " ms, max " << *std::max_element(v.begin(), v.end()) << " ms per clip\n";
    };
    std::cout << count << " clips of " << settings.frames << " frames at " << settings.width << "x"
              << settings.height << ", one thread\n";
    report("render", renderMs);
    report("analyse", analyseMs);
    return kExitOk;
}

} // namespace

int main(int argc, char** argv) {
    CLI::App cli{"kinema-scenes: render sample training scenes of the demo model, with captions"};
    int count = 8, width = 128, height = 128, frames = 17, columns = 5;
    std::uint64_t seed = 0;
    std::string outDir, sheetPath, manifestPath;
    bool exr = false, benchmark = false;
    cli.add_option("-n,--count", count, "Number of clips (consecutive seeds)")->check(CLI::Range(1, 100000));
    cli.add_option("-s,--seed", seed, "First seed");
    cli.add_option("--width", width, "Frame width")->check(CLI::Range(8, 4096));
    cli.add_option("--height", height, "Frame height")->check(CLI::Range(8, 4096));
    cli.add_option("--frames", frames, "Frames per clip (16 fps)")->check(CLI::Range(1, 1024));
    cli.add_option("-o,--out", outDir, "Output folder for EXR frames and the manifest");
    cli.add_flag("--exr", exr, "Write half-float OpenEXR frames: OUT/clip_NNNNN/frame_NNNN.exr");
    cli.add_option("--manifest", manifestPath, "JSONL manifest path (default: OUT/manifest.jsonl)");
    cli.add_option("--sheet", sheetPath, "Contact sheet PNG: frames across, clips down");
    cli.add_option("--sheet-frames", columns, "Frames per contact sheet row")->check(CLI::Range(1, 64));
    cli.add_flag("--bench", benchmark, "Time rendering and analysis instead of writing files");
    CLI11_PARSE(cli, argc, argv);

    ks::RenderSettings settings;
    settings.width = width;
    settings.height = height;
    settings.frames = frames;
    try {
        if (benchmark)
            return bench(seed, count, settings);
        if (outDir.empty() && sheetPath.empty()) {
            std::cerr << "kinema-scenes: nothing to do: give --out (manifest, --exr) and/or --sheet\n";
            return kExitUsage;
        }
        if ((exr || !manifestPath.empty()) && outDir.empty() && manifestPath.empty()) {
            std::cerr << "kinema-scenes: --exr needs --out\n";
            return kExitUsage;
        }
        std::ofstream manifest;
        if (!outDir.empty()) {
            fs::create_directories(outDir);
            if (manifestPath.empty())
                manifestPath = (fs::path(outDir) / "manifest.jsonl").string();
        }
        if (!manifestPath.empty()) {
            manifest.open(manifestPath);
            if (!manifest)
                throw std::runtime_error(manifestPath + ": cannot open for writing");
        }
        std::vector<ks::SheetRow> rows;
        for (int i = 0; i < count; ++i) {
            const std::uint64_t s = seed + std::uint64_t(i);
            const ks::SceneSpec spec = ks::sample(s);
            const ks::Clip clip = ks::render(spec, settings);
            nlohmann::json line{
                {"seed", s}, {"width", width}, {"height", height}, {"frames", frames}, {"fps", 16}};
            line["spec"] = specJson(spec);
            nlohmann::json captions;
            for (auto style : ks::kAllCaptionStyles)
                captions[std::string(ks::toString(style))] = ks::caption(spec, style, s);
            line["captions"] = captions;
            if (exr) {
                const std::string clipDir = numbered("clip_", int(s), 5);
                fs::create_directories(fs::path(outDir) / clipDir);
                for (int f = 0; f < clip.frames; ++f)
                    writeExr(clip, f, fs::path(outDir) / clipDir / (numbered("frame_", f, 4) + ".exr"));
                line["frames_path"] = clipDir + "/frame_%04d.exr";
            }
            if (manifest.is_open())
                manifest << line.dump() << "\n";
            std::cout << s << ": " << captions["short"].get<std::string>() << "\n";
            if (!sheetPath.empty())
                rows.push_back({clip, captions["short"].get<std::string>()});
        }
        if (manifest.is_open() && !manifest.flush())
            throw std::runtime_error(manifestPath + ": write failed");
        if (!sheetPath.empty())
            ks::writeContactSheet(rows, columns, sheetPath);
    } catch (const ks::SceneError& e) {
        std::cerr << "kinema-scenes: " << e.what() << "\n";
        return kExitUsage;
    } catch (const std::exception& e) {
        std::cerr << "kinema-scenes: " << e.what() << "\n";
        return kExitOutput;
    }
    return kExitOk;
}
