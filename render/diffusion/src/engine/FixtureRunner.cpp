// SPDX-License-Identifier: Apache-2.0
#include "families/wan21/WanDit.h"
#include "families/wan21/WanKeys.h"
#include "families/wan21/WanSampler.h"
#include "families/wan21/WanT5.h"
#include "families/wan21/WanVae.h"
#include "io/StrictJson.h"
#include <c10/core/GradMode.h>

#include <kinema/diffusion/Errors.h>
#include <kinema/diffusion/Fixtures.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>

namespace kinema::diffusion {

namespace {

std::string readSmallFile(const std::filesystem::path& path) {
    std::error_code ec;
    const auto size = std::filesystem::file_size(path, ec);
    if (ec)
        throw ModelError("'" + path.string() + "': cannot read: " + ec.message());
    if (size > (16u << 20))
        throw ModelError("'" + path.string() + "': too large for a JSON file");
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

using TensorMap = std::map<std::string, at::Tensor>;

TensorMap loadAll(const std::filesystem::path& path) {
    const auto ckpt = SafetensorsCheckpoint::open(path);
    TensorMap out;
    for (const auto& name : ckpt.names())
        out[name] = toTensor(*ckpt.find(name));
    return out;
}

const at::Tensor& need(const TensorMap& map, const std::string& name, const std::filesystem::path& file) {
    auto it = map.find(name);
    if (it == map.end())
        throw ModelError("'" + file.string() + "': tensor '" + name + "' missing");
    return it->second;
}

std::string configText(const nlohmann::json& fixture) {
    return fixture.at("config").dump();
}

TensorMap runComponent(const nlohmann::json& fixture, const std::filesystem::path& dir, const TensorMap& in,
                       const std::filesystem::path& inputsPath, bool bf16) {
    const auto component = fixture.at("component").get<std::string>();
    const auto label = (dir / "fixture.json").string();
    TensorMap out;
    if (component == "schedule") {
        const auto& cfg = fixture.at("config");
        const auto kind = parseSolverKind(cfg.at("solver").get<std::string>());
        const auto schedule =
            makeFlowSchedule(kind, cfg.at("num_steps").get<int>(), cfg.at("shift").get<double>(),
                             cfg.value("num_train_timesteps", 1000));
        out["sigmas"] = at::tensor(schedule.sigmas, at::kFloat);
        out["timesteps"] = at::tensor(schedule.timesteps, at::kLong);
        return out;
    }
    const auto weightsPath = dir / fixture.at("weights").get<std::string>();
    const auto ckpt = SafetensorsCheckpoint::open(weightsPath);
    KeyMapper mapper;
    if (fixture.value("weights_format", "original") == "diffusers")
        mapper = wan21::ditDiffusersKey;
    WeightMap wm(ckpt, weightsPath.string(), mapper);

    if (component == "dit" || component == "sample") {
        const auto config = wan21::parseDitConfig(configText(fixture), label);
        wan21::WanDit dit(config, wm);
        wm.requireAllUsed();
        if (bf16)
            dit.setMatmulType(at::kBFloat16);
        if (component == "dit") {
            const auto ctx = dit.embedContext(need(in, "context", inputsPath));
            const auto t = need(in, "t", inputsPath).item<std::int64_t>();
            out["out"] = dit.forward(need(in, "x", inputsPath), t, ctx);
            return out;
        }
        const auto& cfg = fixture.at("config");
        wan21::SampleOptions options;
        options.solver = parseSolverKind(cfg.at("solver").get<std::string>());
        options.steps = cfg.at("num_steps").get<int>();
        options.shift = cfg.at("shift").get<double>();
        options.guidance = cfg.at("guidance_scale").get<double>();
        const auto result = wan21::sample(dit, need(in, "noise", inputsPath),
                                          dit.embedContext(need(in, "context", inputsPath)),
                                          dit.embedContext(need(in, "context_null", inputsPath)), options);
        out["latent"] = result.latent;
        out["first_step_velocity"] = result.firstStepVelocity;
        return out;
    }
    if (component == "vae_encode" || component == "vae_decode") {
        const auto config = wan21::parseVaeConfig(configText(fixture), label);
        const bool encode = component == "vae_encode";
        const wan21::WanVae vae(config, wm, encode, !encode);
        wm.requireAllUsed();
        if (encode) {
            const auto mu = vae.encode(need(in, "video", inputsPath));
            out["mu"] = mu;
            out["z_norm"] = vae.normalize(mu);
        } else {
            out["video"] = vae.decode(need(in, "z", inputsPath));
        }
        return out;
    }
    if (component == "text_encoder") {
        const auto config = wan21::parseT5Config(configText(fixture), label);
        const wan21::WanT5 t5(config, wm);
        wm.requireAllUsed();
        out["hidden"] = t5.forward(need(in, "ids", inputsPath), need(in, "mask", inputsPath));
        return out;
    }
    throw ModelError("'" + label + "': unknown component \"" + component + "\"");
}

} // namespace

FixtureResult runFixture(const std::filesystem::path& dir, const FixtureOptions& options) {
    FixtureResult result;
    result.name = dir.filename().string();
    if (result.name.empty())
        result.name = dir.parent_path().filename().string();
    try {
        const auto fixture = parseStrictJson(readSmallFile(dir / "fixture.json"), 16);
        result.component = fixture.at("component").get<std::string>();
        const auto family = fixture.value("family", "");
        if (family != "wan2.1")
            throw ModelError("'" + (dir / "fixture.json").string() + "': unknown family \"" + family + "\"");
        result.tolRelL2 = fixture.at("tolerance").at("rel_l2").get<double>();
        result.tolMaxAbs = fixture.at("tolerance").at("max_abs").get<double>();
        const auto inputsPath = dir / fixture.at("inputs").get<std::string>();
        const auto expectedPath = dir / fixture.at("expected").get<std::string>();
        const auto inputs = loadAll(inputsPath);
        const auto expected = loadAll(expectedPath);
        c10::NoGradGuard noGrad;
        const bool bf16 = options.bf16 && (result.component == "dit" || result.component == "sample");
        const auto got = runComponent(fixture, dir, inputs, inputsPath, bf16);
        if (bf16) {
            result.tolRelL2 = kBf16FixtureRelL2;
            result.tolMaxAbs = std::numeric_limits<double>::infinity();
        }

        result.passed = !expected.empty();
        for (const auto& [name, want] : expected) {
            TensorComparison cmp;
            cmp.name = name;
            auto it = got.find(name);
            if (it == got.end())
                throw ModelError("'" + expectedPath.string() + "': no output named '" + name +
                                 "' was produced");
            const auto value = it->second.to(at::kCPU);
            if (value.sizes() != want.sizes()) {
                cmp.relL2 = cmp.maxAbs = std::numeric_limits<double>::infinity();
            } else if (want.scalar_type() == at::kLong) {
                const bool same = at::equal(value.to(at::kLong), want);
                cmp.relL2 = same ? 0.0 : 1.0;
                cmp.maxAbs = (value.to(at::kDouble) - want.to(at::kDouble)).abs().max().item<double>();
                cmp.passed = same;
            } else {
                const auto diff = value.to(at::kDouble) - want.to(at::kDouble);
                const double norm = want.to(at::kDouble).norm().item<double>();
                cmp.relL2 = diff.norm().item<double>() / (norm > 0 ? norm : 1.0);
                cmp.maxAbs = diff.numel() ? diff.abs().max().item<double>() : 0.0;
                cmp.passed = cmp.relL2 <= result.tolRelL2 && cmp.maxAbs <= result.tolMaxAbs;
            }
            result.relL2 = std::max(result.relL2, cmp.relL2);
            result.maxAbs = std::max(result.maxAbs, cmp.maxAbs);
            result.passed = result.passed && cmp.passed;
            result.tensors.push_back(cmp);
        }
    } catch (const std::exception& e) {
        result.passed = false;
        result.error = e.what();
    }
    return result;
}

std::vector<std::filesystem::path> findFixtures(const std::filesystem::path& path) {
    std::vector<std::filesystem::path> out;
    std::error_code ec;
    if (std::filesystem::is_regular_file(path / "fixture.json", ec))
        return {path};
    for (const auto& entry : std::filesystem::directory_iterator(path, ec))
        if (entry.is_directory() && std::filesystem::is_regular_file(entry.path() / "fixture.json", ec))
            out.push_back(entry.path());
    std::sort(out.begin(), out.end());
    return out;
}

} // namespace kinema::diffusion
