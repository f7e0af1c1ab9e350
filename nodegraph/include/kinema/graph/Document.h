// SPDX-License-Identifier: Apache-2.0
#pragma once
/// A document: a graph, its undo stack, its file and its dirty state.
///
/// The GUI and scripted editors change the graph only through Document's edit methods, each of which pushes
/// an undoable command. Direct Graph calls stay available to loaders and tests but bypass undo.
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "kinema/graph/Graph.h"
#include "kinema/graph/NodeRegistry.h"
#include "kinema/graph/UndoStack.h"

namespace kinema::graph {

class Document {
public:
    explicit Document(const NodeRegistry& registry = NodeRegistry::global());

    Graph& graph() { return *m_graph; }
    const Graph& graph() const { return *m_graph; }
    UndoStack& undoStack() { return m_undo; }
    const NodeRegistry& registry() const { return m_registry; }

    const std::filesystem::path& path() const { return m_path; }
    bool isDirty() const { return !m_undo.isClean(); }

    /// Replaces the graph with the file's content (clears undo). Throws GraphFileError.
    void open(const std::filesystem::path& path);
    /// Saves atomically (keeping a backup of the previous file) and marks the document clean.
    void save(const std::filesystem::path& path);
    void save() { save(m_path); }

    // Undoable edits -------------------------------------------------------------------------------------
    Node& addNode(const std::string& typeName, const std::string& name = {}, NodePosition position = {});
    void removeNodes(const std::vector<Node*>& nodes);
    void renameNode(Node& node, const std::string& newName);
    void connect(Node& source, Node& destination, int input);
    void disconnect(Node& destination, int input);
    void setEnabled(Node& node, bool enabled);
    void moveNodes(const std::vector<Node*>& nodes, double dx, double dy);
    /// Sets a parameter's static value. Calls with the same `mergeKey` (non-zero) merge into one undo step
    /// until UndoStack::closeMergeWindow() (the GUI passes one key per slider drag).
    void setParam(Node& node, const std::string& param, const ParamValue& value, std::uint64_t mergeKey = 0);
    void setKey(Node& node, const std::string& param, double frame, const ParamValue& value,
                Interpolation interpolation = Interpolation::Smooth);
    void removeKey(Node& node, const std::string& param, double frame);
    void setBackdrops(std::vector<Backdrop> backdrops);
    void setSettings(const ProjectSettings& settings);
    /// Copies nodes (and connections among them) as graph JSON text, for the clipboard.
    std::string copy(const std::vector<Node*>& nodes) const;
    /// Pastes clipboard JSON, renaming clashes, offsetting positions; returns the new nodes.
    std::vector<Node*> paste(const std::string& json, double dx = 20.0, double dy = 20.0);

private:
    const NodeRegistry& m_registry;
    std::unique_ptr<Graph> m_graph;
    UndoStack m_undo;
    std::filesystem::path m_path;
};

} // namespace kinema::graph
