// SPDX-License-Identifier: Apache-2.0
#include "TestNodes.h"

#include <nlohmann/json.hpp>

namespace kinema::test {

using namespace graph;

ProbeNode::ProbeNode(int version)
    : Node({"Probe", version, "Test", "test node"}) {
    addInput({"in", PlugType::Image, true});
    addInput({"mask", PlugType::Image, true});
    ParamSpec gain{"gain", ParamType::Float, 1.0};
    gain.metadata.minimum = -100;
    gain.metadata.maximum = 100;
    addParam(gain);
    addParam({"count", ParamType::Int, std::int64_t{3}});
    addParam({"on", ParamType::Bool, true});
    addParam({"offset", ParamType::Float2, std::array<double, 2>{0, 0}});
    addParam({"tint", ParamType::Color, std::array<double, 4>{1, 1, 1, 1}});
    ParamSpec mode{"mode", ParamType::Enum, std::int64_t{0}};
    mode.enumItems = {"over", "plus", "multiply"};
    addParam(mode);
    addParam({"prompt", ParamType::Text, std::string("a red ball")});
    addParam({"file", ParamType::FilePath, std::string()});
    addParam({"seed", ParamType::Seed, std::uint64_t{42}});
}

NodeRegistry& testRegistry() {
    static NodeRegistry registry;
    static bool once = [] {
        registry.registerType(
            {"Probe", 2, "Test", ""}, [] { return std::make_unique<ProbeNode>(); },
            [](int from, nlohmann::json& node) {
                if (from == 1 && node.contains("params") && node["params"].contains("amount")) {
                    node["params"]["gain"] = node["params"]["amount"];
                    node["params"].erase("amount");
                }
            });
        return true;
    }();
    (void)once;
    return registry;
}

} // namespace kinema::test
