// SPDX-License-Identifier: Apache-2.0
#include "kinema/graph/GraphFile.h"

#include <cmath>
#include <limits>
#include <set>

#include "kinema/graph/AtomicFile.h"

namespace kinema::graph {

using nlohmann::json;

namespace {

// [SECTION] Strict parsing --------------------------------------------------------------------------------

/// Tracks where the parser is, to reject duplicate keys and name the JSON path in errors.
struct PathTracker {
    struct Frame {
        bool isArray = false;
        std::size_t count = 0;
        std::string key;
        std::set<std::string> keys;
    };
    std::vector<Frame> frames;

    std::string path() const {
        std::string out;
        for (auto& f : frames)
            out += "/" + (f.isArray ? std::to_string(f.count == 0 ? 0 : f.count - 1) : f.key);
        return out.empty() ? "/" : out;
    }
    void enterValue() {
        if (!frames.empty() && frames.back().isArray)
            ++frames.back().count;
    }
};

std::string describe(const json& v) {
    switch (v.type()) {
    case json::value_t::null:
        return "null";
    case json::value_t::boolean:
        return "a boolean";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
        return "an integer";
    case json::value_t::number_float:
        return "a number";
    case json::value_t::string:
        return "a string";
    case json::value_t::array:
        return "an array";
    case json::value_t::object:
        return "an object";
    default:
        return "a value";
    }
}

// [SECTION] Validation helpers ----------------------------------------------------------------------------

class Reader {
public:
    Reader(std::string source, const GraphFileLimits& limits)
        : m_source(std::move(source))
        , m_limits(limits) {}

    [[noreturn]] void fail(const std::string& path, const std::string& message) const {
        throw GraphFileError(m_source + ": " + path + ": " + message);
    }

    const json& member(const json& obj, const std::string& path, const char* key) const {
        auto it = obj.find(key);
        if (it == obj.end())
            fail(path, std::string("missing required key '") + key + "'");
        return *it;
    }
    void expectObject(const json& v, const std::string& path) const {
        if (!v.is_object())
            fail(path, "expected an object, got " + describe(v));
    }
    void expectArray(const json& v, const std::string& path) const {
        if (!v.is_array())
            fail(path, "expected an array, got " + describe(v));
    }
    void onlyKeys(const json& obj, const std::string& path,
                  std::initializer_list<const char*> allowed) const {
        for (auto it = obj.begin(); it != obj.end(); ++it) {
            bool ok = false;
            for (auto a : allowed)
                ok = ok || it.key() == a;
            if (!ok)
                fail(path + "/" + it.key(), "unknown key");
        }
    }
    std::string string(const json& v, const std::string& path) const {
        if (!v.is_string())
            fail(path, "expected a string, got " + describe(v));
        return v.get<std::string>();
    }
    double number(const json& v, const std::string& path) const {
        if (!v.is_number())
            fail(path, "expected a number, got " + describe(v));
        double d = v.get<double>();
        if (!std::isfinite(d))
            fail(path, "number is not finite");
        return d;
    }
    std::int64_t integer(const json& v, const std::string& path, std::int64_t lo, std::int64_t hi) const {
        std::int64_t value = 0;
        if (v.is_number_unsigned()) {
            auto u = v.get<std::uint64_t>();
            if (u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
                fail(path, "integer is too large");
            value = static_cast<std::int64_t>(u);
        } else if (v.is_number_integer()) {
            value = v.get<std::int64_t>();
        } else {
            fail(path, "expected an integer, got " + describe(v));
        }
        if (value < lo || value > hi)
            fail(path, "integer " + std::to_string(value) + " is outside [" + std::to_string(lo) + ", " +
                           std::to_string(hi) + "]");
        return value;
    }
    bool boolean(const json& v, const std::string& path) const {
        if (!v.is_boolean())
            fail(path, "expected a boolean, got " + describe(v));
        return v.get<bool>();
    }

    const GraphFileLimits& limits() const { return m_limits; }

private:
    std::string m_source;
    GraphFileLimits m_limits;
};

// [SECTION] Parameter values -----------------------------------------------------------------------------

json valueToJson(const Param& p, const ParamValue& v) {
    switch (p.type()) {
    case ParamType::Bool:
        return std::get<bool>(v);
    case ParamType::Int:
        return std::get<std::int64_t>(v);
    case ParamType::Float:
        return std::get<double>(v);
    case ParamType::Enum:
        return p.spec().enumItems.at(static_cast<std::size_t>(std::get<std::int64_t>(v)));
    case ParamType::String:
    case ParamType::Text:
    case ParamType::FilePath:
        return std::get<std::string>(v);
    case ParamType::Seed:
        return std::get<std::uint64_t>(v);
    default: {
        json arr = json::array();
        for (double c : componentsOf(v))
            arr.push_back(c);
        return arr;
    }
    }
}

ParamValue valueFromJson(const Reader& r, const Param& p, const json& v, const std::string& path) {
    switch (p.type()) {
    case ParamType::Bool:
        return r.boolean(v, path);
    case ParamType::Int:
        return r.integer(v, path, std::numeric_limits<std::int64_t>::min(),
                         std::numeric_limits<std::int64_t>::max());
    case ParamType::Float:
        return r.number(v, path);
    case ParamType::Enum: {
        std::string item = r.string(v, path);
        try {
            return p.enumIndex(item);
        } catch (const ParamError& e) {
            r.fail(path, e.what());
        }
    }
    case ParamType::String:
    case ParamType::Text:
    case ParamType::FilePath:
        return r.string(v, path);
    case ParamType::Seed:
        if (!v.is_number_unsigned() && !(v.is_number_integer() && v.get<std::int64_t>() >= 0))
            r.fail(path, "expected a non-negative integer seed, got " + describe(v));
        return v.get<std::uint64_t>();
    default: {
        r.expectArray(v, path);
        const std::size_t n = static_cast<std::size_t>(componentCount(p.type()));
        if (v.size() != n)
            r.fail(path, "expected " + std::to_string(n) + " numbers, got " + std::to_string(v.size()));
        std::vector<double> c;
        for (std::size_t i = 0; i < n; ++i)
            c.push_back(r.number(v[i], path + "/" + std::to_string(i)));
        return valueFromComponents(p.type(), c);
    }
    }
}

json paramToJson(const Param& p) {
    json value = valueToJson(p, p.value());
    if (!p.isAnimated())
        return value;
    json curves = json::array();
    for (auto& curve : p.curves()) {
        if (curve.empty()) {
            curves.push_back(nullptr);
            continue;
        }
        json keys = json::array();
        for (auto& k : curve.keys())
            keys.push_back({k.frame, k.value, std::string(interpolationName(k.interpolation))});
        curves.push_back(keys);
    }
    return {{"value", value}, {"curves", curves}};
}

void paramFromJson(const Reader& r, Param& p, const json& v, const std::string& path) {
    const json* value = &v;
    const json* curves = nullptr;
    if (v.is_object()) {
        r.onlyKeys(v, path, {"value", "curves"});
        value = &r.member(v, path, "value");
        curves = &r.member(v, path, "curves");
    }
    ParamValue parsed = valueFromJson(r, p, *value, v.is_object() ? path + "/value" : path);
    try {
        p.setValue(parsed);
    } catch (const ParamError& e) {
        r.fail(v.is_object() ? path + "/value" : path, e.what());
    }
    if (!curves)
        return;
    const std::string cpath = path + "/curves";
    r.expectArray(*curves, cpath);
    if (!p.canAnimate())
        r.fail(cpath, "parameter cannot be animated");
    if (curves->size() != static_cast<std::size_t>(componentCount(p.type())))
        r.fail(cpath, "expected one curve per component (" + std::to_string(componentCount(p.type())) + ")");
    for (std::size_t c = 0; c < curves->size(); ++c) {
        const json& keys = (*curves)[c];
        const std::string kpath = cpath + "/" + std::to_string(c);
        if (keys.is_null())
            continue;
        r.expectArray(keys, kpath);
        AnimationCurve curve;
        for (std::size_t i = 0; i < keys.size(); ++i) {
            const std::string ipath = kpath + "/" + std::to_string(i);
            const json& k = keys[i];
            r.expectArray(k, ipath);
            if (k.size() != 3)
                r.fail(ipath, "a key is [frame, value, interpolation]");
            Keyframe key;
            key.frame = r.number(k[0], ipath + "/0");
            key.value = r.number(k[1], ipath + "/1");
            try {
                key.interpolation = interpolationFromName(r.string(k[2], ipath + "/2"));
            } catch (const std::invalid_argument& e) {
                r.fail(ipath + "/2", e.what());
            }
            if (curve.keyAt(key.frame))
                r.fail(ipath, "two keys at frame " + std::to_string(key.frame));
            curve.setKey(key);
        }
        try {
            p.setCurve(static_cast<int>(c), curve);
        } catch (const ParamError& e) {
            r.fail(kpath, e.what());
        }
    }
}

// [SECTION] Graph -----------------------------------------------------------------------------------------

void settingsFromJson(const Reader& r, const json& v, ProjectSettings& s) {
    const std::string path = "/project";
    r.expectObject(v, path);
    r.onlyKeys(v, path, {"frameRange", "fps", "format", "workingSpace", "ocioConfig"});
    if (v.contains("frameRange")) {
        const json& fr = v["frameRange"];
        r.expectArray(fr, path + "/frameRange");
        if (fr.size() != 2)
            r.fail(path + "/frameRange", "expected [first, last]");
        s.frameStart = static_cast<int>(r.integer(fr[0], path + "/frameRange/0", -1000000, 10000000));
        s.frameEnd = static_cast<int>(r.integer(fr[1], path + "/frameRange/1", -1000000, 10000000));
        if (s.frameEnd < s.frameStart)
            r.fail(path + "/frameRange", "last frame is before first frame");
    }
    if (v.contains("fps")) {
        s.fps = r.number(v["fps"], path + "/fps");
        if (s.fps <= 0.0 || s.fps > 1000.0)
            r.fail(path + "/fps", "fps must be in (0, 1000]");
    }
    if (v.contains("format")) {
        const json& f = v["format"];
        const std::string fpath = path + "/format";
        r.expectObject(f, fpath);
        r.onlyKeys(f, fpath, {"width", "height", "pixelAspect", "name"});
        s.format.width = static_cast<int>(r.integer(r.member(f, fpath, "width"), fpath + "/width", 1, 65536));
        s.format.height =
            static_cast<int>(r.integer(r.member(f, fpath, "height"), fpath + "/height", 1, 65536));
        if (f.contains("pixelAspect")) {
            s.format.pixelAspect = r.number(f["pixelAspect"], fpath + "/pixelAspect");
            if (s.format.pixelAspect <= 0.0 || s.format.pixelAspect > 100.0)
                r.fail(fpath + "/pixelAspect", "pixel aspect must be in (0, 100]");
        }
        if (f.contains("name"))
            s.format.name = r.string(f["name"], fpath + "/name");
    }
    if (v.contains("workingSpace"))
        s.workingSpace = r.string(v["workingSpace"], path + "/workingSpace");
    if (v.contains("ocioConfig"))
        s.ocioConfig = r.string(v["ocioConfig"], path + "/ocioConfig");
}

json settingsToJson(const ProjectSettings& s) {
    return {{"frameRange", {s.frameStart, s.frameEnd}},
            {"fps", s.fps},
            {"format",
             {{"width", s.format.width},
              {"height", s.format.height},
              {"pixelAspect", s.format.pixelAspect},
              {"name", s.format.name}}},
            {"workingSpace", s.workingSpace},
            {"ocioConfig", s.ocioConfig}};
}

std::vector<Backdrop> backdropsFromJson(const Reader& r, const json& v) {
    std::vector<Backdrop> out;
    r.expectArray(v, "/backdrops");
    for (std::size_t i = 0; i < v.size(); ++i) {
        const std::string path = "/backdrops/" + std::to_string(i);
        const json& b = v[i];
        r.expectObject(b, path);
        r.onlyKeys(b, path, {"name", "label", "rect", "color"});
        Backdrop bd;
        bd.name = r.string(r.member(b, path, "name"), path + "/name");
        if (b.contains("label"))
            bd.label = r.string(b["label"], path + "/label");
        const json& rect = r.member(b, path, "rect");
        r.expectArray(rect, path + "/rect");
        if (rect.size() != 4)
            r.fail(path + "/rect", "expected [x, y, width, height]");
        bd.x = r.number(rect[0], path + "/rect/0");
        bd.y = r.number(rect[1], path + "/rect/1");
        bd.width = r.number(rect[2], path + "/rect/2");
        bd.height = r.number(rect[3], path + "/rect/3");
        if (bd.width < 0 || bd.height < 0)
            r.fail(path + "/rect", "width and height must not be negative");
        if (b.contains("color")) {
            const json& c = b["color"];
            r.expectArray(c, path + "/color");
            if (c.size() != 3)
                r.fail(path + "/color", "expected [r, g, b]");
            for (std::size_t k = 0; k < 3; ++k)
                bd.color[k] = r.number(c[k], path + "/color/" + std::to_string(k));
        }
        out.push_back(bd);
    }
    return out;
}

} // namespace

// [SECTION] Public API ------------------------------------------------------------------------------------

json parseJsonStrict(std::string_view text, const std::string& source, const GraphFileLimits& limits) {
    if (text.size() > limits.maxFileBytes)
        throw GraphFileError(source + ": file is larger than the " +
                             std::to_string(limits.maxFileBytes >> 20) + " MiB limit");
    PathTracker tracker;
    auto callback = [&](int depth, json::parse_event_t event, json& parsed) -> bool {
        if (depth > limits.maxDepth)
            throw GraphFileError(source + ": " + tracker.path() + ": nesting deeper than " +
                                 std::to_string(limits.maxDepth) + " levels");
        switch (event) {
        case json::parse_event_t::object_start:
            tracker.enterValue();
            tracker.frames.push_back({});
            break;
        case json::parse_event_t::array_start:
            tracker.enterValue();
            tracker.frames.push_back(PathTracker::Frame{true, 0, {}, {}});
            break;
        case json::parse_event_t::key: {
            auto& top = tracker.frames.back();
            std::string key = parsed.get<std::string>();
            top.key = key;
            if (!top.keys.insert(key).second)
                throw GraphFileError(source + ": " + tracker.path() + ": duplicate key '" + key + "'");
            if (key.size() > limits.maxStringBytes)
                throw GraphFileError(source + ": " + tracker.path() + ": key too long");
            break;
        }
        case json::parse_event_t::value:
            tracker.enterValue();
            if (parsed.is_string() && parsed.get_ref<const std::string&>().size() > limits.maxStringBytes)
                throw GraphFileError(source + ": " + tracker.path() + ": string longer than " +
                                     std::to_string(limits.maxStringBytes) + " bytes");
            break;
        case json::parse_event_t::array_end:
            if (tracker.frames.back().count > limits.maxArrayLength)
                throw GraphFileError(source + ": " + tracker.path() + ": array longer than " +
                                     std::to_string(limits.maxArrayLength) + " elements");
            tracker.frames.pop_back();
            break;
        case json::parse_event_t::object_end:
            if (tracker.frames.back().keys.size() > limits.maxArrayLength)
                throw GraphFileError(source + ": " + tracker.path() + ": object has too many keys");
            tracker.frames.pop_back();
            break;
        }
        return true;
    };
    try {
        return json::parse(text.begin(), text.end(), callback, /*allow_exceptions=*/true,
                           /*ignore_comments=*/false);
    } catch (const json::parse_error& e) {
        std::string what = e.what();
        auto pos = what.find("parse error");
        throw GraphFileError(source + ": invalid JSON (" +
                             (pos == std::string::npos ? what : what.substr(pos)) + ")");
    } catch (const json::exception& e) {
        throw GraphFileError(source + ": invalid JSON (" + std::string(e.what()) + ")");
    }
}

json nodeToJson(const Node& node) {
    if (node.isPlaceholder()) {
        json saved = static_cast<const PlaceholderNode&>(node).saved();
        saved["name"] = node.name();
        saved["position"] = {node.position().x, node.position().y};
        saved["enabled"] = node.enabled();
        return saved;
    }
    json params = json::object();
    for (auto& p : node.params())
        params[p->name()] = paramToJson(*p);
    return {{"type", node.typeName()},   {"version", node.version()},
            {"name", node.name()},       {"position", {node.position().x, node.position().y}},
            {"enabled", node.enabled()}, {"params", params}};
}

json graphToJson(const Graph& graph) {
    json nodes = json::array();
    for (auto* n : graph.nodes())
        nodes.push_back(nodeToJson(*n));
    json connections = json::array();
    for (auto& c : graph.connections())
        connections.push_back({{"from", c.source->name()},
                               {"to", c.destination->name()},
                               {"input", c.destination->inputSpec(c.input).name}});
    json backdrops = json::array();
    for (auto& b : graph.backdrops())
        backdrops.push_back({{"name", b.name},
                             {"label", b.label},
                             {"rect", {b.x, b.y, b.width, b.height}},
                             {"color", {b.color[0], b.color[1], b.color[2]}}});
    return {
        {"kinema", "graph"}, {"schema", kGraphSchemaVersion}, {"project", settingsToJson(graph.settings())},
        {"nodes", nodes},    {"connections", connections},    {"backdrops", backdrops}};
}

PlaceholderNode::PlaceholderNode(const std::string& typeName, int version, json saved,
                                 const std::vector<std::string>& inputNames)
    : Node({typeName, version, "Missing", "A node of a type this build does not know; its data is kept."})
    , m_saved(std::move(saved)) {
    for (auto& name : inputNames)
        addInput({name, PlugType::Image, true, name});
}

void graphFromJson(Graph& graph, const json& doc, const std::string& source, const NodeRegistry& registry,
                   const GraphFileLimits& limits) {
    if (graph.nodeCount() != 0)
        throw GraphFileError(source + ": internal error: loading into a graph that is not empty");
    Reader r(source, limits);
    r.expectObject(doc, "/");
    r.onlyKeys(doc, "", {"kinema", "schema", "project", "nodes", "connections", "backdrops"});
    if (r.string(r.member(doc, "/", "kinema"), "/kinema") != "graph")
        r.fail("/kinema", "this is not a Kinema graph (expected \"graph\")");
    auto schema = r.integer(r.member(doc, "/", "schema"), "/schema", 1, std::numeric_limits<int>::max());
    if (schema > kGraphSchemaVersion)
        r.fail("/schema", "the file uses graph schema " + std::to_string(schema) +
                              ", this build reads up to " + std::to_string(kGraphSchemaVersion) +
                              ": it was saved by a newer Kinema");

    static const json kEmptyArray = json::array();
    const json& nodes = doc.contains("nodes") ? doc["nodes"] : kEmptyArray;
    const json& connections = doc.contains("connections") ? doc["connections"] : kEmptyArray;
    r.expectArray(nodes, "/nodes");
    r.expectArray(connections, "/connections");
    if (nodes.size() > limits.maxNodes)
        r.fail("/nodes", "more than " + std::to_string(limits.maxNodes) + " nodes");
    if (connections.size() > limits.maxConnections)
        r.fail("/connections", "more than " + std::to_string(limits.maxConnections) + " connections");

    try {
        ProjectSettings settings;
        if (doc.contains("project"))
            settingsFromJson(r, doc["project"], settings);
        std::vector<Backdrop> backdrops;
        if (doc.contains("backdrops"))
            backdrops = backdropsFromJson(r, doc["backdrops"]);

        // Input names that connections use on each node, for placeholders.
        std::map<std::string, std::vector<std::string>> inputsUsed;
        for (std::size_t i = 0; i < connections.size(); ++i) {
            const std::string path = "/connections/" + std::to_string(i);
            const json& c = connections[i];
            r.expectObject(c, path);
            r.onlyKeys(c, path, {"from", "to", "input"});
            std::string to = r.string(r.member(c, path, "to"), path + "/to");
            std::string input = r.string(r.member(c, path, "input"), path + "/input");
            r.string(r.member(c, path, "from"), path + "/from");
            auto& list = inputsUsed[to];
            if (std::find(list.begin(), list.end(), input) == list.end())
                list.push_back(input);
        }

        std::set<std::string> names;
        for (std::size_t i = 0; i < nodes.size(); ++i) {
            const std::string path = "/nodes/" + std::to_string(i);
            json n = nodes[i];
            r.expectObject(n, path);
            r.onlyKeys(n, path, {"type", "version", "name", "position", "enabled", "params"});
            std::string type = r.string(r.member(n, path, "type"), path + "/type");
            if (!Graph::isValidName(type))
                r.fail(path + "/type", "invalid node type name '" + type + "'");
            int version =
                static_cast<int>(r.integer(r.member(n, path, "version"), path + "/version", 1, 1000000));
            std::string name = r.string(r.member(n, path, "name"), path + "/name");
            if (!Graph::isValidName(name))
                r.fail(path + "/name", "invalid node name '" + name + "'");
            if (!names.insert(name).second)
                r.fail(path + "/name", "two nodes are named '" + name + "'");
            NodePosition pos;
            if (n.contains("position")) {
                const json& p = n["position"];
                r.expectArray(p, path + "/position");
                if (p.size() != 2)
                    r.fail(path + "/position", "expected [x, y]");
                pos = {r.number(p[0], path + "/position/0"), r.number(p[1], path + "/position/1")};
            }
            bool enabled = n.contains("enabled") ? r.boolean(n["enabled"], path + "/enabled") : true;
            if (n.contains("params"))
                r.expectObject(n["params"], path + "/params");

            const NodeRegistration* reg = registry.find(type);
            std::unique_ptr<Node> node;
            if (!reg) {
                node = std::make_unique<PlaceholderNode>(type, version, n, inputsUsed[name]);
            } else {
                if (version > reg->info.version)
                    r.fail(path + "/version", "node type " + type + " version " + std::to_string(version) +
                                                  " is newer than this build's version " +
                                                  std::to_string(reg->info.version));
                if (version < reg->info.version) {
                    if (!reg->migration)
                        r.fail(path + "/version", "node type " + type + " cannot be migrated from version " +
                                                      std::to_string(version));
                    try {
                        reg->migration(version, n);
                    } catch (const std::exception& e) {
                        r.fail(path, std::string("migration from version ") + std::to_string(version) +
                                         " failed: " + e.what());
                    }
                }
                node = reg->factory();
                if (n.contains("params")) {
                    const json& params = n["params"];
                    if (!params.is_object())
                        r.fail(path + "/params", "expected an object after migration");
                    for (auto it = params.begin(); it != params.end(); ++it) {
                        Param* p = node->findParam(it.key());
                        if (!p)
                            r.fail(path + "/params/" + it.key(),
                                   "node type " + type + " has no such parameter");
                        paramFromJson(r, *p, it.value(), path + "/params/" + it.key());
                    }
                }
            }
            Node& added = graph.addNode(std::move(node), name);
            graph.setEnabled(added, enabled);
            graph.setPosition(added, pos);
        }

        for (std::size_t i = 0; i < connections.size(); ++i) {
            const std::string path = "/connections/" + std::to_string(i);
            const json& c = connections[i];
            std::string from = c["from"].get<std::string>(), to = c["to"].get<std::string>();
            Node* src = graph.findNode(from);
            Node* dst = graph.findNode(to);
            if (!src)
                r.fail(path + "/from", "no node named '" + from + "'");
            if (!dst)
                r.fail(path + "/to", "no node named '" + to + "'");
            std::string input = c["input"].get<std::string>();
            int index = dst->inputIndex(input);
            if (index < 0)
                r.fail(path + "/input", to + " (" + dst->typeName() + ") has no input named '" + input + "'");
            if (dst->input(index))
                r.fail(path + "/input", to + "." + input + " is connected twice");
            try {
                graph.connect(*src, *dst, index);
            } catch (const GraphError& e) {
                r.fail(path, e.what());
            }
        }
        graph.setSettings(settings);
        graph.setBackdrops(std::move(backdrops));
    } catch (...) {
        for (auto* n : graph.nodes())
            graph.removeNode(*n);
        throw;
    }
}

void loadGraphFile(Graph& graph, const std::filesystem::path& path, const NodeRegistry& registry,
                   const GraphFileLimits& limits) {
    std::string text;
    try {
        text = readFile(path, limits.maxFileBytes);
    } catch (const std::exception& e) {
        throw GraphFileError(e.what());
    }
    const std::string source = path.string();
    json doc = parseJsonStrict(text, source, limits);
    graphFromJson(graph, doc, source, registry, limits);
}

void saveGraphFile(const Graph& graph, const std::filesystem::path& path) {
    try {
        writeFileAtomically(path, graphToJson(graph).dump(2) + "\n", ".bak");
    } catch (const std::exception& e) {
        throw GraphFileError(std::string("cannot save ") + path.string() + ": " + e.what());
    }
}

} // namespace kinema::graph
