// SPDX-License-Identifier: Apache-2.0
#include <catch2/catch.hpp>

#include "TestNodes.h"
#include "kinema/graph/Graph.h"

using namespace kinema::graph;
using kinema::test::ProbeNode;

TEST_CASE("node names are unique identifiers", "[graph]") {
    Graph g;
    Node& a = g.addNode(std::make_unique<ProbeNode>());
    Node& b = g.addNode(std::make_unique<ProbeNode>());
    CHECK(a.name() == "Probe1");
    CHECK(b.name() == "Probe2");
    Node& c = g.addNode(std::make_unique<ProbeNode>(), "Probe1");
    CHECK(c.name() == "Probe3");
    CHECK_THROWS_AS(g.renameNode(a, "Probe2"), GraphError);
    CHECK_THROWS_AS(g.renameNode(a, "1bad"), GraphError);
    CHECK_THROWS_AS(g.renameNode(a, "has space"), GraphError);
    g.renameNode(a, "Key_Light");
    CHECK(g.findNode("Key_Light") == &a);
}

TEST_CASE("connections reject cycles and keep the graph acyclic", "[graph]") {
    Graph g;
    Node& a = g.addNode(std::make_unique<ProbeNode>(), "A");
    Node& b = g.addNode(std::make_unique<ProbeNode>(), "B");
    Node& c = g.addNode(std::make_unique<ProbeNode>(), "C");
    g.connect(a, b, "in");
    g.connect(b, c, "in");
    CHECK_THROWS_AS(g.connect(c, a, "in"), GraphError);
    CHECK_THROWS_AS(g.connect(a, a, "mask"), GraphError);
    CHECK_THROWS_AS(g.connect(a, b, "nope"), GraphError);
    CHECK(a.input(0) == nullptr);
    g.connect(a, c, "mask");
    CHECK(g.connections().size() == 3);
    CHECK(g.outputsOf(a).size() == 2);
}

TEST_CASE("removing a node disconnects it and every change is signalled", "[graph]") {
    Graph g;
    int added = 0, inputs = 0, params = 0;
    g.nodeAdded.connect([&](Node&) { ++added; });
    g.inputChanged.connect([&](Node&, int) { ++inputs; });
    g.paramChanged.connect([&](Node&, Param&) { ++params; });
    Node& a = g.addNode(std::make_unique<ProbeNode>(), "A");
    Node& b = g.addNode(std::make_unique<ProbeNode>(), "B");
    g.connect(a, b, 0);
    auto before = g.changeCount();
    a.param("gain").setValue(2.0);
    CHECK(params == 1);
    CHECK(g.changeCount() > before);
    auto removed = g.removeNode(a);
    CHECK(b.input(0) == nullptr);
    CHECK(added == 2);
    CHECK(inputs == 2);
    CHECK(removed->graph() == nullptr);
}

TEST_CASE("signals disconnect", "[graph][signal]") {
    Signal<int> s;
    int sum = 0;
    auto c = s.connect([&](int v) { sum += v; });
    s.emit(2);
    c.disconnect();
    s.emit(5);
    CHECK(sum == 2);
    {
        ScopedConnection scoped = s.connect([&](int v) { sum += v; });
        s.emit(1);
    }
    s.emit(1);
    CHECK(sum == 3);
}
