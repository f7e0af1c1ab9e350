// SPDX-License-Identifier: Apache-2.0
#include <catch2/catch.hpp>

#include "kinema/graph/Graph.h"
#include "kinema/graph/PluginLoader.h"
#include "kinema/nodes/Builtins.h"
#include "kinema/render/Evaluator.h"

using namespace kinema;

TEST_CASE("the example plugin registers a node that computes", "[plugins]") {
    graph::NodeRegistry registry;
    nodes::registerBuiltinNodes(registry);
    auto report = graph::loadPluginsFromPath(KINEMA_PLUGIN_DIR, registry);
    INFO((report.errors.empty() ? "" : report.errors[0]));
    REQUIRE(report.loaded.size() == 1);
    REQUIRE(registry.contains("ExampleInvert"));
    CHECK(registry.find("ExampleInvert")->origin.find("kinema_example_invert.so") != std::string::npos);

    graph::Graph g;
    graph::ProjectSettings s;
    s.format = {4, 2};
    g.setSettings(s);
    auto& c = g.addNode(registry.create("Constant"));
    c.param("color").setValue(std::array<double, 4>{0.25, 0.5, 1.0, 1.0});
    auto& inv = g.addNode(registry.create("ExampleInvert"));
    g.connect(c, inv, 0);
    render::ComputeCache cache(1 << 20);
    render::Evaluator eval(cache);
    graph::Context ctx;
    auto img = eval.evaluate(inv, ctx);
    CHECK(img->sample("R", 1, 1) == Approx(0.75f));
    CHECK(img->sample("B", 3, 0) == Approx(0.0f));
}

TEST_CASE("plugins with another ABI version are refused with a clear message", "[plugins]") {
    graph::NodeRegistry registry;
    auto report = graph::loadPluginsFromPath(KINEMA_BAD_PLUGIN_DIR, registry);
    CHECK(report.loaded.empty());
    REQUIRE(report.errors.size() == 1);
    CHECK_THAT(report.errors[0], Catch::Contains("plugin ABI version 999 does not match"));
    CHECK_FALSE(registry.contains("ExampleInvert"));
    auto missing = graph::loadPluginsFromPath("/nonexistent-kinema-dir", registry);
    CHECK(missing.errors.size() == 1);
}
