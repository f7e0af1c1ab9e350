// SPDX-License-Identifier: Apache-2.0
#include <catch2/catch.hpp>

#include "TestNodes.h"
#include "kinema/graph/Document.h"
#include "kinema/graph/GraphFile.h"

using namespace kinema::graph;

namespace {
std::string snapshot(const Graph& g) {
    return graphToJson(g).dump();
}
} // namespace

TEST_CASE("every edit undoes and redoes to identical graphs", "[undo]") {
    Document doc(kinema::test::testRegistry());
    std::vector<std::string> states{snapshot(doc.graph())};
    Node& a = doc.addNode("Probe", "A");
    states.push_back(snapshot(doc.graph()));
    Node& b = doc.addNode("Probe", "B", {100, 0});
    states.push_back(snapshot(doc.graph()));
    doc.connect(a, b, 0);
    states.push_back(snapshot(doc.graph()));
    doc.setParam(b, "gain", 3.0);
    states.push_back(snapshot(doc.graph()));
    doc.setKey(b, "offset", 10, std::array<double, 2>{1, 2});
    states.push_back(snapshot(doc.graph()));
    doc.renameNode(a, "Source");
    states.push_back(snapshot(doc.graph()));
    doc.setEnabled(b, false);
    states.push_back(snapshot(doc.graph()));
    doc.removeNodes({&doc.graph().node("Source")});
    states.push_back(snapshot(doc.graph()));
    CHECK(doc.graph().node("B").input(0) == nullptr);

    for (std::size_t i = states.size() - 1; i > 0; --i) {
        doc.undoStack().undo();
        CHECK(snapshot(doc.graph()) == states[i - 1]);
    }
    CHECK_FALSE(doc.undoStack().canUndo());
    for (std::size_t i = 1; i < states.size(); ++i) {
        doc.undoStack().redo();
        CHECK(snapshot(doc.graph()) == states[i]);
    }
}

TEST_CASE("consecutive drags of one parameter merge into one undo step", "[undo]") {
    Document doc(kinema::test::testRegistry());
    Node& a = doc.addNode("Probe", "A");
    const auto steps = doc.undoStack().count();
    for (int i = 1; i <= 20; ++i)
        doc.setParam(a, "gain", i * 0.5, /*mergeKey=*/77);
    CHECK(doc.undoStack().count() == steps + 1);
    doc.undoStack().closeMergeWindow();
    doc.setParam(a, "gain", 50.0, 77);
    CHECK(doc.undoStack().count() == steps + 2);
    doc.undoStack().undo();
    CHECK(a.param("gain").getDouble(0) == 10.0);
    doc.undoStack().undo();
    CHECK(a.param("gain").getDouble(0) == 1.0);
}

TEST_CASE("dirty state follows the clean index", "[undo]") {
    Document doc(kinema::test::testRegistry());
    CHECK_FALSE(doc.isDirty());
    Node& a = doc.addNode("Probe");
    CHECK(doc.isDirty());
    doc.undoStack().setClean();
    doc.setParam(a, "gain", 2.0);
    CHECK(doc.isDirty());
    doc.undoStack().undo();
    CHECK_FALSE(doc.isDirty());
}

TEST_CASE("copy and paste recreate nodes and inner connections", "[undo][clipboard]") {
    Document doc(kinema::test::testRegistry());
    Node& a = doc.addNode("Probe", "A");
    Node& b = doc.addNode("Probe", "B");
    doc.connect(a, b, 0);
    doc.setParam(b, "prompt", std::string("a blue cube"));
    std::string clip = doc.copy({&a, &b});
    auto pasted = doc.paste(clip);
    REQUIRE(pasted.size() == 2);
    CHECK(doc.graph().nodeCount() == 4);
    CHECK(pasted[1]->input(0) == pasted[0]);
    CHECK(pasted[1]->param("prompt").getString() == "a blue cube");
    doc.undoStack().undo(); // one step removes the whole paste
    CHECK(doc.graph().nodeCount() == 2);
    CHECK_THROWS_AS(doc.paste("{\"kinema\":\"clipboard\",\"nodes\":[{\"type\":\"Probe\"}]}"), GraphFileError);
    CHECK(doc.graph().nodeCount() == 2);
}
