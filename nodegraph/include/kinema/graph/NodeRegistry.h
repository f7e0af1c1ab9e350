// SPDX-License-Identifier: Apache-2.0
#pragma once
/// The node registry: type name → (current version, factory, migration of older saved versions).
///
/// The GUI's Tab menu, the CLI, graph files and plugins all create nodes by type name through a registry.
/// When a node type's version increases, its registration provides a migration that rewrites the JSON of
/// a node saved by an older version (parameter renames, new defaults) before the node is loaded.
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "kinema/graph/Node.h"

namespace kinema::graph {

using NodeFactory = std::function<std::unique_ptr<Node>()>;
/// Rewrites a saved node object (keys "type", "version", "params", ...) from `fromVersion` to the
/// registered version. Called once with the saved version; it must handle every older version.
using NodeMigration = std::function<void(int fromVersion, nlohmann::json& node)>;

struct NodeRegistration {
    NodeTypeInfo info;
    NodeFactory factory;
    NodeMigration migration;
    std::string origin; ///< "builtin" or the plugin file that registered it
};

class NodeRegistry {
public:
    /// The process-wide registry used by the applications.
    static NodeRegistry& global();

    /// Registers a type. Throws GraphError if the name is already registered.
    void registerType(NodeTypeInfo info, NodeFactory factory, NodeMigration migration = {},
                      std::string origin = "builtin");
    template <typename T>
    void registerType(std::string origin = "builtin") {
        registerType<T>(NodeMigration{}, std::move(origin));
    }
    /// The same with the migration of older saved versions of T.
    template <typename T>
    void registerType(NodeMigration migration, std::string origin = "builtin") {
        T probe;
        NodeTypeInfo info = probe.typeInfo();
        registerType(
            info, [] { return std::make_unique<T>(); }, std::move(migration), std::move(origin));
    }
    bool contains(const std::string& typeName) const;
    /// Creates a node of the type; throws GraphError("unknown node type ...").
    std::unique_ptr<Node> create(const std::string& typeName) const;
    const NodeRegistration* find(const std::string& typeName) const;
    std::vector<NodeTypeInfo> types() const;

private:
    mutable std::mutex m_mutex;
    std::map<std::string, NodeRegistration> m_types;
};

} // namespace kinema::graph
