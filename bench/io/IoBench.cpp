// SPDX-License-Identifier: Apache-2.0
// kinema_io_bench [frames] [width] [height] [work dir]
//
// 1. Generates `frames` RGBA half PIZ EXR frames (default 100 of 1920x1080).
// 2. Read -> Grade (multiply 1.2, offset 0.01) -> Write (half PIZ) through the node graph, frame by frame,
//    and oiiotool doing the same work (--mulc/--addc, half PIZ) as a child process, twice each,
//    interleaved. Prints frames/s.
// 3. EXR write and read time per compression for one frame.
// Prints figures only; nothing is asserted.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "io/ExrFile.h"
#include "kinema/color/Config.h"
#include "kinema/graph/Graph.h"
#include "kinema/graph/NodeRegistry.h"
#include "kinema/nodes/Builtins.h"
#include "kinema/render/ComputeCache.h"
#include "kinema/render/Evaluator.h"

namespace fs = std::filesystem;
using namespace kinema;
using Clock = std::chrono::steady_clock;

namespace {

double seconds(Clock::time_point a, Clock::time_point b) {
    return std::chrono::duration<double>(b - a).count();
}

render::Image makeFrame(int w, int h, int frame) {
    render::Image image({w, h, 1.0, ""}, {0, 0, w, h}, render::Image::rgba());
    float* r = image.channel("R");
    float* g = image.channel("G");
    float* b = image.channel("B");
    float* a = image.channel("A");
    std::uint32_t state = 12345u + static_cast<std::uint32_t>(frame);
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) {
            const std::size_t i = static_cast<std::size_t>(y) * w + x;
            state = state * 1664525u + 1013904223u;
            const float noise = static_cast<float>(state >> 8) / 16777216.0f * 0.02f;
            r[i] = static_cast<float>(x) / w * 2.0f + noise;
            g[i] = static_cast<float>(y) / h + noise * 0.5f;
            b[i] = 0.25f + 0.5f * std::sin(static_cast<float>(x + y + frame) * 0.01f) + noise;
            a[i] = 1.0f;
        }
    return image;
}

void setText(graph::Node& node, const std::string& param, const std::string& text) {
    node.param(param).setValue(node.param(param).parse(text));
}

double runKinema(const fs::path& dir, int frames, int w, int h) {
    graph::NodeRegistry registry;
    nodes::registerBuiltinNodes(registry);
    graph::Graph g;
    graph::ProjectSettings settings = g.settings();
    settings.frameStart = 1;
    settings.frameEnd = frames;
    settings.format = {w, h, 1.0, ""};
    g.setSettings(settings);
    auto& read = g.addNode(registry.create("Read"));
    auto& grade = g.addNode(registry.create("Grade"));
    auto& write = g.addNode(registry.create("Write"));
    g.connect(read, grade, 0);
    g.connect(grade, write, 0);
    setText(read, "file", (dir / "in.####.exr").string());
    setText(grade, "multiply", "1.2,1.2,1.2,1");
    setText(grade, "offset", "0.01,0.01,0.01,0");
    setText(grade, "blackClamp", "false");
    setText(write, "file", (dir / "kinema.####.exr").string());
    setText(write, "compression", "piz");
    render::ComputeCache cache(std::size_t(512) << 20);
    render::Evaluator evaluator(cache);
    auto& out = dynamic_cast<render::OutputNode&>(write);
    const auto start = Clock::now();
    for (int f = 1; f <= frames; ++f) {
        graph::Context ctx;
        ctx.frame = f;
        render::EvalContext ec(evaluator, out, ctx);
        out.execute(ec);
        cache.clear();
    }
    const double total = seconds(start, Clock::now());
    // computeSeconds is inclusive of upstream work: Grade's includes Read's.
    const auto stats = evaluator.stats();
    const double readS = stats.count(read.name()) ? stats.at(read.name()).computeSeconds : 0.0;
    const double gradeS = stats.count(grade.name()) ? stats.at(grade.name()).computeSeconds : 0.0;
    std::printf("  %-28s read %.0f ms, grade %.0f ms, write %.0f ms per frame\n", "  kinema breakdown",
                readS * 1000.0 / frames, (gradeS - readS) * 1000.0 / frames,
                (total - gradeS) * 1000.0 / frames);
    return total;
}

double runOiiotool(const fs::path& dir, int frames) {
    const std::string cmd = std::string("'") + KINEMA_OIIOTOOL + "' --frames 1-" + std::to_string(frames) +
                            " '" + (dir / "in.%04d.exr").string() +
                            "' --mulc 1.2,1.2,1.2,1 --addc 0.01,0.01,0.01,0 -d half --compression piz -o '" +
                            (dir / "oiio.%04d.exr").string() + "'";
    const auto start = Clock::now();
    const int rc = std::system(cmd.c_str());
    const double s = seconds(start, Clock::now());
    if (rc != 0)
        std::printf("  oiiotool failed (exit %d): %s\n", rc, cmd.c_str());
    return s;
}

} // namespace

int main(int argc, char** argv) {
    const int frames = argc > 1 ? std::max(1, std::atoi(argv[1])) : 100;
    const int width = argc > 2 ? std::max(16, std::atoi(argv[2])) : 1920;
    const int height = argc > 3 ? std::max(16, std::atoi(argv[3])) : 1080;
    const fs::path dir = argc > 4 ? fs::path(argv[4]) : fs::temp_directory_path() / "kinema_io_bench";
    fs::create_directories(dir);
    std::setvbuf(stdout, nullptr, _IOLBF, 0); // lines appear as they are measured, also through a pipe
    if (!std::getenv("OCIO"))
        color::setShippedConfigPath(KINEMA_OCIO_CONFIG);

    std::printf("kinema_io_bench: %d frames of %dx%d RGBA half, %u hardware threads, work dir %s\n", frames,
                width, height, std::thread::hardware_concurrency(), dir.string().c_str());

    // [SECTION] Source frames ---------------------------------------------------------------------------
    nodes::ExrWriteOptions piz;
    piz.compression = nodes::ExrCompression::Piz;
    auto t0 = Clock::now();
    for (int f = 1; f <= frames; ++f) {
        char name[64];
        std::snprintf(name, sizeof name, "in.%04d.exr", f);
        nodes::writeExr(makeFrame(width, height, f), dir / name, piz, name);
    }
    std::printf("generated %d source frames in %.2f s\n\n", frames, seconds(t0, Clock::now()));

    // [SECTION] Read -> Grade -> Write ------------------------------------------------------------------
    std::printf("Read -> Grade -> Write, half PIZ in and out\n");
    std::printf("  %-28s %10s %10s\n", "run", "seconds", "frames/s");
    const bool haveOiiotool = std::string(KINEMA_OIIOTOOL).size() > 0;
    for (int round = 1; round <= 2; ++round) {
        const double k = runKinema(dir, frames, width, height);
        std::printf("  %-28s %10.2f %10.2f\n", ("kinema (round " + std::to_string(round) + ")").c_str(), k,
                    frames / k);
        if (haveOiiotool) {
            const double o = runOiiotool(dir, frames);
            std::printf("  %-28s %10.2f %10.2f\n", ("oiiotool (round " + std::to_string(round) + ")").c_str(),
                        o, frames / o);
        }
    }
    if (!haveOiiotool)
        std::printf("  oiiotool not found: no baseline\n");

    // [SECTION] EXR write/read per compression ----------------------------------------------------------
    std::printf("\nEXR write and read of one %dx%d RGBA half frame (median of 5)\n", width, height);
    std::printf("  %-8s %12s %12s %12s\n", "codec", "write ms", "read ms", "size MiB");
    const render::Image frame = makeFrame(width, height, 1);
    for (const char* codec :
         {"none", "rle", "zip1", "zip16", "piz", "pxr24", "b44", "b44a", "dwaa", "dwab"}) {
        nodes::ExrWriteOptions options;
        options.compression = nodes::exrCompressionFromName(codec);
        const fs::path file = dir / (std::string("codec_") + codec + ".exr");
        std::vector<double> writes, reads;
        for (int i = 0; i < 5; ++i) {
            auto a = Clock::now();
            nodes::writeExr(frame, file, options, file.string());
            auto b = Clock::now();
            auto back = nodes::readExr(file);
            auto c = Clock::now();
            writes.push_back(seconds(a, b) * 1000.0);
            reads.push_back(seconds(b, c) * 1000.0);
        }
        std::sort(writes.begin(), writes.end());
        std::sort(reads.begin(), reads.end());
        std::printf("  %-8s %12.1f %12.1f %12.2f\n", codec, writes[2], reads[2],
                    static_cast<double>(fs::file_size(file)) / (1024.0 * 1024.0));
    }
    fs::remove_all(dir);
    return 0;
}
