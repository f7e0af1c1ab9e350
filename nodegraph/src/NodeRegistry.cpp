// SPDX-License-Identifier: Apache-2.0
#include "kinema/graph/NodeRegistry.h"

#include "kinema/graph/Graph.h"

namespace kinema::graph {

NodeRegistry& NodeRegistry::global() {
    static NodeRegistry registry;
    return registry;
}

void NodeRegistry::registerType(NodeTypeInfo info, NodeFactory factory, NodeMigration migration,
                                std::string origin) {
    if (!Graph::isValidName(info.typeName))
        throw GraphError("cannot register node type '" + info.typeName + "': invalid type name");
    if (info.version < 1)
        throw GraphError("cannot register node type '" + info.typeName + "': version must be >= 1");
    std::lock_guard lock(m_mutex);
    if (m_types.count(info.typeName))
        throw GraphError("node type '" + info.typeName + "' is already registered (by " +
                         m_types.at(info.typeName).origin + ")");
    std::string name = info.typeName;
    m_types.emplace(
        name, NodeRegistration{std::move(info), std::move(factory), std::move(migration), std::move(origin)});
}

bool NodeRegistry::contains(const std::string& typeName) const {
    std::lock_guard lock(m_mutex);
    return m_types.count(typeName) != 0;
}

const NodeRegistration* NodeRegistry::find(const std::string& typeName) const {
    std::lock_guard lock(m_mutex);
    auto it = m_types.find(typeName);
    return it == m_types.end() ? nullptr : &it->second;
}

std::unique_ptr<Node> NodeRegistry::create(const std::string& typeName) const {
    const NodeRegistration* reg = find(typeName);
    if (!reg)
        throw GraphError("unknown node type '" + typeName + "'");
    auto node = reg->factory();
    if (!node || node->typeName() != typeName)
        throw GraphError("the factory of node type '" + typeName + "' returned a node of another type");
    return node;
}

std::vector<NodeTypeInfo> NodeRegistry::types() const {
    std::lock_guard lock(m_mutex);
    std::vector<NodeTypeInfo> out;
    for (auto& [name, reg] : m_types)
        out.push_back(reg.info);
    return out;
}

} // namespace kinema::graph
