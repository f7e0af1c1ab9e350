// SPDX-License-Identifier: Apache-2.0
#pragma once
/// The node graph: owns nodes, their connections, backdrops and the project settings.
///
/// All structural edits go through this class so that invariants always hold: names are unique
/// identifiers, connections join plugs of the same type, the graph stays acyclic. Every change increments
/// changeCount() and emits a signal; the undo stack (Document) and the GUI observe those signals. The
/// graph must not be edited while an evaluation of it runs on another thread: the GUI cancels background
/// work before editing (or evaluates a copy).
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "kinema/graph/Geometry.h"
#include "kinema/graph/Node.h"
#include "kinema/graph/Signal.h"

namespace kinema::graph {

/// Thrown for invalid graph edits (unknown node, duplicate name, type mismatch, cycle...).
class GraphError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// A coloured labelled rectangle behind nodes. Pure data; it does not own nodes.
struct Backdrop {
    std::string name;
    std::string label;
    double x = 0, y = 0, width = 400, height = 300;
    std::array<double, 3> color{0.3, 0.3, 0.35};
    bool operator==(const Backdrop&) const = default;
};

struct ProjectSettings {
    int frameStart = 1001;
    int frameEnd = 1100;
    double fps = 24.0;
    Format format;
    std::string workingSpace = "ACEScg";
    /// Path of the project's OCIO config; empty = $OCIO or the shipped config.
    std::string ocioConfig;
    bool operator==(const ProjectSettings&) const = default;
};

/// One connection: `source`'s output feeds input `input` of `destination`.
struct ConnectionInfo {
    Node* source = nullptr;
    Node* destination = nullptr;
    int input = 0;
};

class Graph {
public:
    Graph();
    ~Graph();
    Graph(const Graph&) = delete;
    Graph& operator=(const Graph&) = delete;

    // Nodes -----------------------------------------------------------------------------------------------
    /// Adds a node, naming it `name` (or "<Type>1", "<Type>2"... when empty). A taken name gets a numeric
    /// suffix. Returns the node, now owned by the graph.
    /// `index` places the node in the graph's order (undo of a removal restores it); -1 appends.
    Node& addNode(std::unique_ptr<Node> node, const std::string& name = {}, int index = -1);
    /// Position of the node in the graph's order, or -1.
    int indexOf(const Node& node) const;
    /// Disconnects the node from everything and hands it back to the caller.
    std::unique_ptr<Node> removeNode(Node& node);
    void renameNode(Node& node, const std::string& newName);
    void setEnabled(Node& node, bool enabled);
    void setPosition(Node& node, const NodePosition& position);

    Node* findNode(const std::string& name) const;
    /// Like findNode but throws GraphError("no node named ...").
    Node& node(const std::string& name) const;
    /// Nodes in insertion order.
    std::vector<Node*> nodes() const;
    std::size_t nodeCount() const { return m_nodes.size(); }
    bool owns(const Node& node) const;

    /// A name not used yet, derived from `base` (trailing digits replaced by a counter).
    std::string uniqueName(const std::string& base) const;
    static bool isValidName(const std::string& name);

    // Connections -----------------------------------------------------------------------------------------
    /// Connects `source`'s output to `destination`'s input `input`, replacing what was there.
    /// Throws GraphError on a plug-type mismatch or if the connection would create a cycle.
    void connect(Node& source, Node& destination, int input);
    void connect(Node& source, Node& destination, const std::string& inputName);
    void disconnect(Node& destination, int input);
    bool wouldCreateCycle(const Node& source, const Node& destination) const;
    std::vector<ConnectionInfo> connections() const;
    /// Connections leaving `node`'s output.
    std::vector<ConnectionInfo> outputsOf(const Node& node) const;

    // Backdrops and settings ------------------------------------------------------------------------------
    const std::vector<Backdrop>& backdrops() const { return m_backdrops; }
    void setBackdrops(std::vector<Backdrop> backdrops);
    const ProjectSettings& settings() const { return m_settings; }
    void setSettings(const ProjectSettings& settings);

    /// Incremented by every change, including parameter edits.
    std::uint64_t changeCount() const { return m_changeCount; }

    // Signals ---------------------------------------------------------------------------------------------
    Signal<Node&> nodeAdded;
    Signal<Node&> nodeAboutToBeRemoved;
    Signal<Node&, const std::string&> nodeRenamed; ///< node, old name
    Signal<Node&, int> inputChanged;               ///< destination, input index
    Signal<Node&, Param&> paramChanged;
    Signal<Node&> nodeStateChanged; ///< enabled flag or position
    Signal<> backdropsChanged;
    Signal<> settingsChanged;

private:
    void attach(Node& node);
    void touched() { ++m_changeCount; }

    std::vector<std::unique_ptr<Node>> m_nodes;
    std::unordered_map<std::string, Node*> m_byName; // index of m_nodes by name
    std::vector<Backdrop> m_backdrops;
    ProjectSettings m_settings;
    std::uint64_t m_changeCount = 0;
};

} // namespace kinema::graph
