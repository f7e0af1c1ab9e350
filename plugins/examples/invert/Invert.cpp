// SPDX-License-Identifier: Apache-2.0
/// Example plugin: "ExampleInvert" inverts the colour of premultiplied RGB (1 - c, scaled by alpha).
#include "kinema/plugin/PluginSDK.h"

namespace {

using namespace kinema;

class ExampleInvert : public render::ImageNode {
public:
    ExampleInvert()
        : ImageNode({"ExampleInvert", 1, "Plugins", "Inverts RGB (example plugin)."}) {
        addInput({"in"});
        graph::ParamSpec mix{"mix", graph::ParamType::Float, 1.0};
        mix.metadata.minimum = 0.0;
        mix.metadata.maximum = 1.0;
        addParam(mix);
    }
    render::ImagePtr compute(const render::EvalContext& ec) const override {
        auto in = ec.pullInput(0);
        auto out = std::make_shared<render::Image>(*in);
        const float mix = static_cast<float>(param("mix").getDouble(ec.frame()));
        const float* alpha = out->findChannel("A");
        for (const char* c : {"R", "G", "B"}) {
            float* p = out->findChannel(c);
            if (!p)
                continue;
            render::parallelFor(0, static_cast<std::int64_t>(out->pixelCount()), 4096,
                                [&](std::int64_t b, std::int64_t e) {
                                    for (auto i = b; i < e; ++i) {
                                        float a = alpha ? alpha[i] : 1.0f;
                                        p[i] = p[i] + mix * ((a - p[i]) - p[i]);
                                    }
                                });
        }
        return out;
    }
};

void registerTypes(graph::NodeRegistry& registry, const char* origin) {
    registry.registerType(
        {"ExampleInvert", 1, "Plugins", "Inverts RGB (example plugin)."},
        [] { return std::make_unique<ExampleInvert>(); }, {}, origin);
}

} // namespace

KINEMA_PLUGIN("Kinema example: invert", "1.0", registerTypes)
