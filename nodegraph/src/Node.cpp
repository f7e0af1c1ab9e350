// SPDX-License-Identifier: Apache-2.0
#include "kinema/graph/Node.h"

#include "kinema/graph/Graph.h"

namespace kinema::graph {

Node::Node(NodeTypeInfo info)
    : m_info(std::move(info)) {}

Node::~Node() = default;

Param* Node::findParam(const std::string& name) const {
    for (auto& p : m_params)
        if (p->name() == name)
            return p.get();
    return nullptr;
}

Param& Node::param(const std::string& name) const {
    if (auto p = findParam(name))
        return *p;
    throw ParamError(paramPath(name) + ": node type " + m_info.typeName + " has no such parameter");
}

int Node::inputIndex(const std::string& name) const {
    for (std::size_t i = 0; i < m_inputs.size(); ++i)
        if (m_inputs[i].spec.name == name)
            return static_cast<int>(i);
    return -1;
}

Param& Node::addParam(ParamSpec spec) {
    if (findParam(spec.name))
        throw ParamError(m_info.typeName + ": parameter '" + spec.name + "' declared twice");
    if (spec.metadata.label.empty())
        spec.metadata.label = spec.name;
    m_params.push_back(std::make_unique<Param>(std::move(spec)));
    Param& p = *m_params.back();
    p.setChangedCallback([this](Param& changed) {
        if (m_graph)
            m_graph->paramChanged.emit(*this, changed);
    });
    return p;
}

int Node::addInput(InputSpec spec) {
    if (inputIndex(spec.name) >= 0)
        throw ParamError(m_info.typeName + ": input '" + spec.name + "' declared twice");
    if (spec.label.empty())
        spec.label = spec.name;
    m_inputs.push_back({std::move(spec), nullptr});
    return static_cast<int>(m_inputs.size()) - 1;
}

} // namespace kinema::graph
