// SPDX-License-Identifier: Apache-2.0
#include <catch2/catch.hpp>

#include <fstream>

#include "TestNodes.h"
#include "TestSupport.h"
#include "kinema/graph/GraphFile.h"

using namespace kinema::graph;
using kinema::test::testRegistry;

namespace {

std::string minimalNode(const std::string& params) {
    return R"({"kinema":"graph","schema":1,"nodes":[{"type":"Probe","version":2,"name":"P","params":)" +
           params + "}]}";
}

std::string loadError(const std::string& text) {
    Graph g;
    try {
        graphFromJson(g, parseJsonStrict(text, "bad.kgraph"), "bad.kgraph", testRegistry());
    } catch (const GraphFileError& e) {
        CHECK(g.nodeCount() == 0);
        return e.what();
    }
    return "no error";
}

} // namespace

TEST_CASE("graphs round-trip through files, animation and backdrops included", "[graphfile]") {
    kinema::test::TempDir dir;
    Graph g;
    Node& a = g.addNode(testRegistry().create("Probe"), "A");
    Node& b = g.addNode(testRegistry().create("Probe"), "B");
    g.connect(a, b, "mask");
    b.param("prompt").setValue(std::string("line one\nline two \"quoted\" 日本語"));
    b.param("seed").setValue(std::uint64_t{18446744073709551615ull});
    b.param("mode").setValue(std::int64_t{2});
    b.param("offset").setKeyAt(1001, std::array<double, 2>{0, 1}, Interpolation::Linear);
    b.param("offset").setKeyAt(1010.5, std::array<double, 2>{5, -1}, Interpolation::Smooth);
    g.setEnabled(a, false);
    g.setPosition(b, {12.5, -3});
    g.setBackdrops({{"BD", "Plates", 0, 0, 200, 100, {0.1, 0.2, 0.3}}});
    ProjectSettings s;
    s.frameStart = 1;
    s.frameEnd = 48;
    s.fps = 23.976;
    s.format = {2048, 858, 1.0, "2K_239"};
    g.setSettings(s);

    saveGraphFile(g, dir / "shot.kgraph");
    Graph loaded;
    loadGraphFile(loaded, dir / "shot.kgraph", testRegistry());
    CHECK(graphToJson(loaded) == graphToJson(g));
    CHECK(loaded.node("B").param("offset").getVec(1005.75)[0] == Approx(2.5));

    // Saving again keeps the previous file as a backup.
    g.setPosition(a, {1, 1});
    saveGraphFile(g, dir / "shot.kgraph");
    CHECK(std::filesystem::exists(dir / "shot.kgraph.bak"));
}

TEST_CASE("unknown node types load as placeholders and save back unchanged", "[graphfile]") {
    const std::string text = R"({"kinema":"graph","schema":1,"nodes":[
        {"type":"FancyPluginNode","version":7,"name":"F","params":{"secret":{"deep":[1,2,3]},"x":"y"}},
        {"type":"Probe","version":2,"name":"P"}],
        "connections":[{"from":"P","to":"F","input":"source"}]})";
    Graph g;
    graphFromJson(g, parseJsonStrict(text, "t"), "t", testRegistry());
    Node& f = g.node("F");
    CHECK(f.isPlaceholder());
    CHECK(f.input(f.inputIndex("source")) == &g.node("P"));
    auto saved = graphToJson(g);
    CHECK(saved["nodes"][0]["params"]["secret"]["deep"] == nlohmann::json({1, 2, 3}));
    CHECK(saved["nodes"][0]["version"] == 7);
    CHECK(saved["connections"][0]["input"] == "source");
}

TEST_CASE("older node versions migrate on load", "[graphfile][migration]") {
    Graph g;
    const std::string text = R"({"kinema":"graph","schema":1,"nodes":[
        {"type":"Probe","version":1,"name":"Old","params":{"amount":4.5}}]})";
    graphFromJson(g, parseJsonStrict(text, "old.kgraph"), "old.kgraph", testRegistry());
    CHECK(g.node("Old").param("gain").getDouble(0) == 4.5);
    CHECK(g.node("Old").version() == 2);
}

TEST_CASE("corrupted graph files give clear errors naming file and JSON path", "[graphfile][corrupt]") {
    struct Case {
        std::string name, text, expected;
    };
    std::string deep;
    for (int i = 0; i < 200; ++i)
        deep += "[";
    std::vector<Case> cases{
        {"truncated", R"({"kinema":"graph","schema":1,"nodes":[{"type":"Pro)", "bad.kgraph: invalid JSON"},
        {"not json", "hello", "invalid JSON"},
        {"duplicate key", R"({"kinema":"graph","schema":1,"schema":2})", "/schema: duplicate key 'schema'"},
        {"duplicate nested key", minimalNode(R"({"gain":1,"gain":2})"),
         "/nodes/0/params/gain: duplicate key"},
        {"deep nesting", R"({"kinema":)" + deep, "nesting deeper than"},
        {"wrong type", minimalNode(R"({"gain":"loud"})"),
         "/nodes/0/params/gain: expected a number, got a string"},
        {"huge number", minimalNode(R"({"gain":1e300})"), "/nodes/0/params/gain: parameter 'gain': value"},
        {"out of range int", minimalNode(R"({"count":99999999999999999999})"), "/nodes/0/params/count"},
        {"bad enum", minimalNode(R"({"mode":"explode"})"),
         "/nodes/0/params/mode: parameter 'mode': unknown item"},
        {"unknown param", minimalNode(R"({"nope":1})"),
         "/nodes/0/params/nope: node type Probe has no such parameter"},
        {"negative seed", minimalNode(R"({"seed":-3})"),
         "/nodes/0/params/seed: expected a non-negative integer"},
        {"vector size", minimalNode(R"({"offset":[1]})"), "/nodes/0/params/offset: expected 2 numbers"},
        {"not a graph", R"({"kinema":"movie","schema":1})", "/kinema: this is not a Kinema graph"},
        {"newer schema", R"({"kinema":"graph","schema":99})", "/schema: the file uses graph schema 99"},
        {"newer node version",
         R"({"kinema":"graph","schema":1,"nodes":[{"type":"Probe","version":3,"name":"P"}]})",
         "/nodes/0/version: node type Probe version 3 is newer"},
        {"unknown top-level key", R"({"kinema":"graph","schema":1,"onLoad":"rm -rf /"})",
         "/onLoad: unknown key"},
        {"unknown node key",
         R"({"kinema":"graph","schema":1,"nodes":[{"type":"Probe","version":2,"name":"P","script":"x"}]})",
         "/nodes/0/script: unknown key"},
        {"duplicate names",
         R"({"kinema":"graph","schema":1,"nodes":[{"type":"Probe","version":2,"name":"P"},{"type":"Probe","version":2,"name":"P"}]})",
         "/nodes/1/name: two nodes are named 'P'"},
        {"bad name",
         R"({"kinema":"graph","schema":1,"nodes":[{"type":"Probe","version":2,"name":"../etc"}]})",
         "/nodes/0/name: invalid node name"},
        {"dangling connection",
         R"({"kinema":"graph","schema":1,"nodes":[{"type":"Probe","version":2,"name":"P"}],"connections":[{"from":"Q","to":"P","input":"in"}]})",
         "/connections/0/from: no node named 'Q'"},
        {"cycle",
         R"({"kinema":"graph","schema":1,"nodes":[{"type":"Probe","version":2,"name":"P"},{"type":"Probe","version":2,"name":"Q"}],"connections":[{"from":"P","to":"Q","input":"in"},{"from":"Q","to":"P","input":"in"}]})",
         "/connections/1: connecting Q to P.in would create a cycle"},
        {"bad key", minimalNode(R"({"gain":{"value":1,"curves":[[[1,2,"bouncy"]]]}})"),
         "unknown interpolation 'bouncy'"},
        {"bad fps", R"({"kinema":"graph","schema":1,"project":{"fps":-24}})", "/project/fps: fps must be in"},
    };
    for (auto& c : cases) {
        INFO(c.name);
        std::string err = loadError(c.text);
        CHECK_THAT(err, Catch::Contains(c.expected));
        CHECK_THAT(err, Catch::StartsWith("bad.kgraph"));
    }
}

TEST_CASE("size limits are enforced before parsing", "[graphfile][corrupt]") {
    GraphFileLimits limits;
    limits.maxFileBytes = 100;
    CHECK_THROWS_WITH(parseJsonStrict(std::string(200, ' '), "big.kgraph", limits),
                      Catch::Contains("big.kgraph: file is larger than"));
    limits = {};
    limits.maxArrayLength = 10;
    CHECK_THROWS_WITH(parseJsonStrict("[1,2,3,4,5,6,7,8,9,10,11,12]", "a", limits),
                      Catch::Contains("array longer"));
    limits = {};
    limits.maxStringBytes = 4;
    CHECK_THROWS_WITH(parseJsonStrict(R"(["abcdefgh"])", "s", limits), Catch::Contains("string longer"));
    kinema::test::TempDir dir;
    Graph g;
    CHECK_THROWS_WITH(loadGraphFile(g, dir / "missing.kgraph"),
                      Catch::Contains("missing.kgraph: no such file"));
}
