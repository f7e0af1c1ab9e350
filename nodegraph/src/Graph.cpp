// SPDX-License-Identifier: Apache-2.0
#include "kinema/graph/Graph.h"

#include <algorithm>
#include <cctype>
#include <unordered_set>

namespace kinema::graph {

Graph::Graph() {
    // Parameter edits count as changes too, so caches and dirty flags see them.
    paramChanged.connect([this](Node&, Param&) { touched(); });
}

Graph::~Graph() {
    for (auto& n : m_nodes)
        n->m_graph = nullptr;
}

bool Graph::isValidName(const std::string& name) {
    if (name.empty() || name.size() > 128)
        return false;
    if (!(std::isalpha(static_cast<unsigned char>(name[0])) || name[0] == '_'))
        return false;
    return std::all_of(name.begin(), name.end(),
                       [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
}

std::string Graph::uniqueName(const std::string& base) const {
    std::string stem = base;
    while (!stem.empty() && std::isdigit(static_cast<unsigned char>(stem.back())))
        stem.pop_back();
    if (stem.empty())
        stem = "Node";
    if (!findNode(base) && isValidName(base) && base != stem)
        return base;
    for (int i = 1;; ++i) {
        std::string candidate = stem + std::to_string(i);
        if (!findNode(candidate))
            return candidate;
    }
}

int Graph::indexOf(const Node& node) const {
    for (std::size_t i = 0; i < m_nodes.size(); ++i)
        if (m_nodes[i].get() == &node)
            return static_cast<int>(i);
    return -1;
}

Node& Graph::addNode(std::unique_ptr<Node> node, const std::string& name, int index) {
    if (!node)
        throw GraphError("cannot add a null node");
    if (node->m_graph)
        throw GraphError("node '" + node->name() + "' already belongs to a graph");
    std::string wanted = name.empty() ? node->typeName() + "1" : name;
    if (!isValidName(wanted)) {
        if (!name.empty())
            throw GraphError("invalid node name '" + name +
                             "': use letters, digits and underscores, starting with a letter");
        wanted = "Node1";
    }
    node->m_name = findNode(wanted) ? uniqueName(wanted) : wanted;
    Node* raw = node.get();
    if (index >= 0 && index < static_cast<int>(m_nodes.size()))
        m_nodes.insert(m_nodes.begin() + index, std::move(node));
    else
        m_nodes.push_back(std::move(node));
    Node& added = *raw;
    m_byName[added.m_name] = &added;
    attach(added);
    touched();
    nodeAdded.emit(added);
    return added;
}

void Graph::attach(Node& node) {
    node.m_graph = this;
}

std::unique_ptr<Node> Graph::removeNode(Node& node) {
    auto it = std::find_if(m_nodes.begin(), m_nodes.end(), [&](auto& n) { return n.get() == &node; });
    if (it == m_nodes.end())
        throw GraphError("node '" + node.name() + "' is not in this graph");
    nodeAboutToBeRemoved.emit(node);
    for (auto& c : outputsOf(node))
        disconnect(*c.destination, c.input);
    for (int i = 0; i < node.inputCount(); ++i)
        if (node.input(i))
            disconnect(node, i);
    std::unique_ptr<Node> owned = std::move(*it);
    m_nodes.erase(it);
    m_byName.erase(owned->m_name);
    owned->m_graph = nullptr;
    touched();
    return owned;
}

void Graph::renameNode(Node& node, const std::string& newName) {
    if (!owns(node))
        throw GraphError("node '" + node.name() + "' is not in this graph");
    if (newName == node.name())
        return;
    if (!isValidName(newName))
        throw GraphError("invalid node name '" + newName +
                         "': use letters, digits and underscores, starting with a letter");
    if (findNode(newName))
        throw GraphError("a node named '" + newName + "' already exists");
    std::string old = node.m_name;
    m_byName.erase(old);
    node.m_name = newName;
    m_byName[newName] = &node;
    touched();
    nodeRenamed.emit(node, old);
}

void Graph::setEnabled(Node& node, bool enabled) {
    if (node.m_enabled == enabled)
        return;
    node.m_enabled = enabled;
    touched();
    nodeStateChanged.emit(node);
}

void Graph::setPosition(Node& node, const NodePosition& position) {
    if (node.m_position == position)
        return;
    node.m_position = position;
    nodeStateChanged.emit(node); // a move does not change any result: no touched()
}

Node* Graph::findNode(const std::string& name) const {
    auto it = m_byName.find(name);
    return it == m_byName.end() ? nullptr : it->second;
}

Node& Graph::node(const std::string& name) const {
    if (auto n = findNode(name))
        return *n;
    throw GraphError("no node named '" + name + "'");
}

std::vector<Node*> Graph::nodes() const {
    std::vector<Node*> out;
    out.reserve(m_nodes.size());
    for (auto& n : m_nodes)
        out.push_back(n.get());
    return out;
}

bool Graph::owns(const Node& node) const {
    return node.m_graph == this;
}

bool Graph::wouldCreateCycle(const Node& source, const Node& destination) const {
    // A cycle appears if `destination` is upstream of (or is) `source`.
    std::vector<const Node*> stack{&source};
    std::unordered_set<const Node*> seen;
    while (!stack.empty()) {
        const Node* n = stack.back();
        stack.pop_back();
        if (n == &destination)
            return true;
        if (!seen.insert(n).second)
            continue;
        for (int i = 0; i < n->inputCount(); ++i)
            if (auto in = n->input(i))
                stack.push_back(in);
    }
    return false;
}

void Graph::connect(Node& source, Node& destination, int input) {
    if (!owns(source) || !owns(destination))
        throw GraphError("cannot connect nodes that are not in this graph");
    if (input < 0 || input >= destination.inputCount())
        throw GraphError(destination.name() + " has no input #" + std::to_string(input));
    const InputSpec& spec = destination.inputSpec(input);
    if (spec.type != source.outputType())
        throw GraphError("cannot connect " + source.name() + " to " + destination.name() + "." + spec.name +
                         ": plug types differ");
    if (wouldCreateCycle(source, destination))
        throw GraphError("connecting " + source.name() + " to " + destination.name() + "." + spec.name +
                         " would create a cycle");
    auto& slot = destination.m_inputs[static_cast<std::size_t>(input)];
    if (slot.source == &source)
        return;
    slot.source = &source;
    touched();
    inputChanged.emit(destination, input);
}

void Graph::connect(Node& source, Node& destination, const std::string& inputName) {
    int index = destination.inputIndex(inputName);
    if (index < 0)
        throw GraphError(destination.name() + " has no input named '" + inputName + "'");
    connect(source, destination, index);
}

void Graph::disconnect(Node& destination, int input) {
    if (input < 0 || input >= destination.inputCount())
        throw GraphError(destination.name() + " has no input #" + std::to_string(input));
    auto& slot = destination.m_inputs[static_cast<std::size_t>(input)];
    if (!slot.source)
        return;
    slot.source = nullptr;
    touched();
    inputChanged.emit(destination, input);
}

std::vector<ConnectionInfo> Graph::connections() const {
    std::vector<ConnectionInfo> out;
    for (auto& n : m_nodes)
        for (int i = 0; i < n->inputCount(); ++i)
            if (auto src = n->input(i))
                out.push_back({src, n.get(), i});
    return out;
}

std::vector<ConnectionInfo> Graph::outputsOf(const Node& node) const {
    std::vector<ConnectionInfo> out;
    for (auto& n : m_nodes)
        for (int i = 0; i < n->inputCount(); ++i)
            if (n->input(i) == &node)
                out.push_back({const_cast<Node*>(&node), n.get(), i});
    return out;
}

void Graph::setBackdrops(std::vector<Backdrop> backdrops) {
    if (backdrops == m_backdrops)
        return;
    m_backdrops = std::move(backdrops);
    backdropsChanged.emit();
}

void Graph::setSettings(const ProjectSettings& settings) {
    if (settings == m_settings)
        return;
    m_settings = settings;
    touched();
    settingsChanged.emit();
}

} // namespace kinema::graph
