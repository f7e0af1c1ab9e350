// SPDX-License-Identifier: Apache-2.0
#include "kinema/graph/Document.h"

#include <algorithm>
#include <map>

#include "kinema/graph/GraphFile.h"

namespace kinema::graph {
namespace {

// Commands refer to nodes by name: names are what stays meaningful across removal and re-insertion, and
// the undo order guarantees each name resolves to the node it meant when the command was recorded.

class AddNodeCommand : public Command {
public:
    AddNodeCommand(Graph& g, std::unique_ptr<Node> node, std::string name, NodePosition pos)
        : m_graph(g)
        , m_node(std::move(node))
        , m_name(std::move(name))
        , m_position(pos) {}
    void redo() override {
        Node& n = m_graph.addNode(std::move(m_node), m_name);
        m_name = n.name();
        m_graph.setPosition(n, m_position);
    }
    void undo() override { m_node = m_graph.removeNode(m_graph.node(m_name)); }
    std::string text() const override { return "Add " + m_name; }
    const std::string& name() const { return m_name; }

private:
    Graph& m_graph;
    std::unique_ptr<Node> m_node;
    std::string m_name;
    NodePosition m_position;
};

struct SavedConnection {
    std::string source, destination;
    int input;
};

class RemoveNodesCommand : public Command {
public:
    RemoveNodesCommand(Graph& g, std::vector<std::string> names)
        : m_graph(g)
        , m_names(std::move(names)) {}
    void redo() override {
        m_connections.clear();
        std::vector<Node*> targets;
        for (auto& name : m_names)
            targets.push_back(&m_graph.node(name));
        for (auto& c : m_graph.connections()) {
            bool involved = false;
            for (auto* t : targets)
                involved = involved || c.source == t || c.destination == t;
            if (involved)
                m_connections.push_back({c.source->name(), c.destination->name(), c.input});
        }
        m_removed.clear();
        m_indices.clear();
        for (auto* t : targets)
            m_indices.push_back(m_graph.indexOf(*t));
        for (auto* t : targets)
            m_removed.push_back(m_graph.removeNode(*t));
    }
    void undo() override {
        // Re-insert in ascending original position so every index is valid when used.
        std::vector<std::size_t> order(m_removed.size());
        for (std::size_t i = 0; i < order.size(); ++i)
            order[i] = i;
        std::sort(order.begin(), order.end(), [&](auto a, auto b) { return m_indices[a] < m_indices[b]; });
        for (auto i : order)
            m_graph.addNode(std::move(m_removed[i]), m_names[i], m_indices[i]);
        m_removed.clear();
        for (auto& c : m_connections)
            m_graph.connect(m_graph.node(c.source), m_graph.node(c.destination), c.input);
    }
    std::string text() const override {
        return m_names.size() == 1 ? "Delete " + m_names[0]
                                   : "Delete " + std::to_string(m_names.size()) + " nodes";
    }

private:
    Graph& m_graph;
    std::vector<std::string> m_names;
    std::vector<std::unique_ptr<Node>> m_removed;
    std::vector<int> m_indices;
    std::vector<SavedConnection> m_connections;
};

class RenameCommand : public Command {
public:
    RenameCommand(Graph& g, std::string from, std::string to)
        : m_graph(g)
        , m_from(std::move(from))
        , m_to(std::move(to)) {}
    void redo() override { m_graph.renameNode(m_graph.node(m_from), m_to); }
    void undo() override { m_graph.renameNode(m_graph.node(m_to), m_from); }
    std::string text() const override { return "Rename " + m_from + " to " + m_to; }

private:
    Graph& m_graph;
    std::string m_from, m_to;
};

class ConnectCommand : public Command {
public:
    ConnectCommand(Graph& g, std::string source, std::string destination, int input)
        : m_graph(g)
        , m_source(std::move(source))
        , m_destination(std::move(destination))
        , m_input(input) {}
    void redo() override {
        Node& dst = m_graph.node(m_destination);
        Node* previous = dst.input(m_input);
        m_previous = previous ? previous->name() : std::string();
        if (m_source.empty())
            m_graph.disconnect(dst, m_input);
        else
            m_graph.connect(m_graph.node(m_source), dst, m_input);
    }
    void undo() override {
        Node& dst = m_graph.node(m_destination);
        if (m_previous.empty())
            m_graph.disconnect(dst, m_input);
        else
            m_graph.connect(m_graph.node(m_previous), dst, m_input);
    }
    std::string text() const override {
        return m_source.empty() ? "Disconnect " + m_destination
                                : "Connect " + m_source + " to " + m_destination;
    }

private:
    Graph& m_graph;
    std::string m_source; // empty = disconnect
    std::string m_destination;
    int m_input;
    std::string m_previous;
};

class SetEnabledCommand : public Command {
public:
    SetEnabledCommand(Graph& g, std::string name, bool enabled)
        : m_graph(g)
        , m_name(std::move(name))
        , m_enabled(enabled) {}
    void redo() override { m_graph.setEnabled(m_graph.node(m_name), m_enabled); }
    void undo() override { m_graph.setEnabled(m_graph.node(m_name), !m_enabled); }
    std::string text() const override { return (m_enabled ? "Enable " : "Disable ") + m_name; }

private:
    Graph& m_graph;
    std::string m_name;
    bool m_enabled;
};

class MoveCommand : public Command {
public:
    MoveCommand(Graph& g, std::vector<std::string> names, double dx, double dy)
        : m_graph(g)
        , m_names(std::move(names))
        , m_dx(dx)
        , m_dy(dy) {}
    void redo() override { apply(m_dx, m_dy); }
    void undo() override { apply(-m_dx, -m_dy); }
    std::string text() const override { return "Move nodes"; }

private:
    void apply(double dx, double dy) {
        for (auto& n : m_names) {
            Node& node = m_graph.node(n);
            m_graph.setPosition(node, {node.position().x + dx, node.position().y + dy});
        }
    }
    Graph& m_graph;
    std::vector<std::string> m_names;
    double m_dx, m_dy;
};

/// The complete state of one parameter: its static value and its curves.
struct ParamState {
    ParamValue value;
    std::vector<AnimationCurve> curves;
};

ParamState captureState(const Param& p) {
    return {p.value(), p.curves()};
}

void restoreState(Param& p, const ParamState& s) {
    p.setValue(s.value);
    for (std::size_t i = 0; i < s.curves.size(); ++i)
        p.setCurve(static_cast<int>(i), s.curves[i]);
}

class ParamStateCommand : public Command {
public:
    ParamStateCommand(Graph& g, std::string node, std::string param, ParamState before, ParamState after,
                      std::string text, std::uint64_t mergeKey)
        : m_graph(g)
        , m_node(std::move(node))
        , m_param(std::move(param))
        , m_before(std::move(before))
        , m_after(std::move(after))
        , m_text(std::move(text))
        , m_mergeKey(mergeKey) {}
    void redo() override { restoreState(m_graph.node(m_node).param(m_param), m_after); }
    void undo() override { restoreState(m_graph.node(m_node).param(m_param), m_before); }
    std::string text() const override { return m_text; }
    std::uint64_t mergeId() const override { return m_mergeKey; }
    bool mergeWith(const Command& next) override {
        auto* other = dynamic_cast<const ParamStateCommand*>(&next);
        if (!other || other->m_node != m_node || other->m_param != m_param)
            return false;
        m_after = other->m_after;
        return true;
    }

private:
    Graph& m_graph;
    std::string m_node, m_param;
    ParamState m_before, m_after;
    std::string m_text;
    std::uint64_t m_mergeKey;
};

class BackdropsCommand : public Command {
public:
    BackdropsCommand(Graph& g, std::vector<Backdrop> after)
        : m_graph(g)
        , m_before(g.backdrops())
        , m_after(std::move(after)) {}
    void redo() override { m_graph.setBackdrops(m_after); }
    void undo() override { m_graph.setBackdrops(m_before); }
    std::string text() const override { return "Edit backdrops"; }

private:
    Graph& m_graph;
    std::vector<Backdrop> m_before, m_after;
};

class SettingsCommand : public Command {
public:
    SettingsCommand(Graph& g, ProjectSettings after)
        : m_graph(g)
        , m_before(g.settings())
        , m_after(std::move(after)) {}
    void redo() override { m_graph.setSettings(m_after); }
    void undo() override { m_graph.setSettings(m_before); }
    std::string text() const override { return "Project settings"; }

private:
    Graph& m_graph;
    ProjectSettings m_before, m_after;
};

std::vector<std::string> namesOf(const std::vector<Node*>& nodes) {
    std::vector<std::string> names;
    for (auto* n : nodes)
        names.push_back(n->name());
    return names;
}

} // namespace

Document::Document(const NodeRegistry& registry)
    : m_registry(registry)
    , m_graph(std::make_unique<Graph>()) {}

void Document::open(const std::filesystem::path& path) {
    auto fresh = std::make_unique<Graph>();
    loadGraphFile(*fresh, path, m_registry);
    m_graph = std::move(fresh);
    m_undo.clear();
    m_undo.setClean();
    m_path = path;
}

void Document::save(const std::filesystem::path& path) {
    if (path.empty())
        throw GraphFileError("cannot save: the document has no file name yet");
    saveGraphFile(*m_graph, path);
    m_path = path;
    m_undo.setClean();
}

Node& Document::addNode(const std::string& typeName, const std::string& name, NodePosition position) {
    auto node = m_registry.create(typeName);
    auto cmd = std::make_unique<AddNodeCommand>(*m_graph, std::move(node), name, position);
    auto* raw = cmd.get();
    m_undo.push(std::move(cmd));
    return m_graph->node(raw->name());
}

void Document::removeNodes(const std::vector<Node*>& nodes) {
    if (nodes.empty())
        return;
    m_undo.push(std::make_unique<RemoveNodesCommand>(*m_graph, namesOf(nodes)));
}

void Document::renameNode(Node& node, const std::string& newName) {
    if (node.name() == newName)
        return;
    m_undo.push(std::make_unique<RenameCommand>(*m_graph, node.name(), newName));
}

void Document::connect(Node& source, Node& destination, int input) {
    m_undo.push(std::make_unique<ConnectCommand>(*m_graph, source.name(), destination.name(), input));
}

void Document::disconnect(Node& destination, int input) {
    m_undo.push(std::make_unique<ConnectCommand>(*m_graph, std::string(), destination.name(), input));
}

void Document::setEnabled(Node& node, bool enabled) {
    if (node.enabled() == enabled)
        return;
    m_undo.push(std::make_unique<SetEnabledCommand>(*m_graph, node.name(), enabled));
}

void Document::moveNodes(const std::vector<Node*>& nodes, double dx, double dy) {
    if (nodes.empty() || (dx == 0.0 && dy == 0.0))
        return;
    m_undo.push(std::make_unique<MoveCommand>(*m_graph, namesOf(nodes), dx, dy));
}

void Document::setParam(Node& node, const std::string& paramName, const ParamValue& value,
                        std::uint64_t mergeKey) {
    Param& p = node.param(paramName);
    p.validate(value);
    ParamState before = captureState(p);
    ParamState after{value, p.curves()};
    m_undo.push(std::make_unique<ParamStateCommand>(*m_graph, node.name(), paramName, std::move(before),
                                                    std::move(after), "Set " + node.paramPath(paramName),
                                                    mergeKey));
}

void Document::setKey(Node& node, const std::string& paramName, double frame, const ParamValue& value,
                      Interpolation interpolation) {
    Param& p = node.param(paramName);
    ParamState before = captureState(p);
    p.setKeyAt(frame, value, interpolation); // validates
    ParamState after = captureState(p);
    restoreState(p, before);
    m_undo.push(std::make_unique<ParamStateCommand>(*m_graph, node.name(), paramName, std::move(before),
                                                    std::move(after), "Key " + node.paramPath(paramName), 0));
}

void Document::removeKey(Node& node, const std::string& paramName, double frame) {
    Param& p = node.param(paramName);
    ParamState before = captureState(p);
    if (!p.removeKeysAt(frame))
        return;
    ParamState after = captureState(p);
    restoreState(p, before);
    m_undo.push(std::make_unique<ParamStateCommand>(*m_graph, node.name(), paramName, std::move(before),
                                                    std::move(after),
                                                    "Remove key " + node.paramPath(paramName), 0));
}

void Document::setBackdrops(std::vector<Backdrop> backdrops) {
    m_undo.push(std::make_unique<BackdropsCommand>(*m_graph, std::move(backdrops)));
}

void Document::setSettings(const ProjectSettings& settings) {
    m_undo.push(std::make_unique<SettingsCommand>(*m_graph, settings));
}

std::string Document::copy(const std::vector<Node*>& nodes) const {
    nlohmann::json out;
    out["kinema"] = "clipboard";
    out["schema"] = kGraphSchemaVersion;
    out["nodes"] = nlohmann::json::array();
    out["connections"] = nlohmann::json::array();
    for (auto* n : nodes)
        out["nodes"].push_back(nodeToJson(*n));
    for (auto& c : m_graph->connections()) {
        bool inside = std::find(nodes.begin(), nodes.end(), c.source) != nodes.end() &&
                      std::find(nodes.begin(), nodes.end(), c.destination) != nodes.end();
        if (inside)
            out["connections"].push_back({{"from", c.source->name()},
                                          {"to", c.destination->name()},
                                          {"input", c.destination->inputSpec(c.input).name}});
    }
    return out.dump(2);
}

std::vector<Node*> Document::paste(const std::string& text, double dx, double dy) {
    nlohmann::json clip = parseJsonStrict(text, "clipboard");
    if (!clip.is_object() || clip.value("kinema", "") != "clipboard")
        throw GraphFileError("clipboard: not Kinema nodes");
    // Load into a scratch graph first: this validates everything before the document changes.
    nlohmann::json asGraph = {{"kinema", "graph"},
                              {"schema", clip.value("schema", kGraphSchemaVersion)},
                              {"nodes", clip.value("nodes", nlohmann::json::array())},
                              {"connections", clip.value("connections", nlohmann::json::array())}};
    Graph scratch;
    graphFromJson(scratch, asGraph, "clipboard", m_registry);

    std::map<std::string, std::string> renamed;
    std::vector<std::string> created;
    const std::size_t indexBefore = m_undo.index();
    m_undo.beginMacro("Paste");
    try {
        for (Node* n : scratch.nodes()) {
            std::string original = n->name();
            NodePosition pos{n->position().x + dx, n->position().y + dy};
            auto owned = scratch.removeNode(*n);
            std::string name = m_graph->findNode(original) ? m_graph->uniqueName(original) : original;
            auto cmd = std::make_unique<AddNodeCommand>(*m_graph, std::move(owned), name, pos);
            auto* raw = cmd.get();
            m_undo.push(std::move(cmd));
            renamed[original] = raw->name();
            created.push_back(raw->name());
        }
        for (auto& c : asGraph["connections"]) {
            Node& dst = m_graph->node(renamed.at(c.at("to").get<std::string>()));
            int input = dst.inputIndex(c.at("input").get<std::string>());
            m_undo.push(std::make_unique<ConnectCommand>(
                *m_graph, renamed.at(c.at("from").get<std::string>()), dst.name(), input));
        }
    } catch (...) {
        m_undo.endMacro();
        if (m_undo.index() != indexBefore)
            m_undo.undo();
        throw;
    }
    m_undo.endMacro();
    std::vector<Node*> out;
    for (auto& name : created)
        out.push_back(&m_graph->node(name));
    return out;
}

} // namespace kinema::graph
