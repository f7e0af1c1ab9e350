// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Nodes: a type (name + version), a unique name inside a graph, parameters and typed input plugs.
///
/// This class knows nothing about pixels or computation: render::ImageNode adds hash()/compute(). Nodes
/// declare their parameters and inputs in their constructor and never change that layout afterwards.
/// Connections, renames and enable/disable go through the owning Graph, which checks plug types, rejects
/// cycles, keeps names unique and emits change signals.
#include <memory>
#include <string>
#include <vector>

#include "kinema/graph/Param.h"

namespace kinema::graph {

class Graph;

/// What flows along a connection. An output connects only to inputs of the same type.
enum class PlugType { Image };

struct InputSpec {
    std::string name;
    PlugType type = PlugType::Image;
    /// Optional inputs may stay unconnected (a Merge's mask); required ones make compute fail clearly.
    bool optional = false;
    std::string label;
};

/// Static description of a node type, shared by every instance.
struct NodeTypeInfo {
    std::string typeName;
    int version = 1;
    std::string category; ///< menu path in the GUI ("Comp", "Color", "Generative", ...)
    std::string description;
};

struct NodePosition {
    double x = 0.0;
    double y = 0.0;
    bool operator==(const NodePosition&) const = default;
};

class Node {
public:
    explicit Node(NodeTypeInfo info);
    virtual ~Node();
    Node(const Node&) = delete;
    Node& operator=(const Node&) = delete;

    const NodeTypeInfo& typeInfo() const { return m_info; }
    const std::string& typeName() const { return m_info.typeName; }
    int version() const { return m_info.version; }

    const std::string& name() const { return m_name; }
    Graph* graph() const { return m_graph; }

    // Parameters ---------------------------------------------------------------------------------------
    const std::vector<std::unique_ptr<Param>>& params() const { return m_params; }
    Param* findParam(const std::string& name) const;
    /// Like findParam but throws ParamError("<node>.<param>: no such parameter").
    Param& param(const std::string& name) const;

    // Inputs ----------------------------------------------------------------------------------------------
    int inputCount() const { return static_cast<int>(m_inputs.size()); }
    const InputSpec& inputSpec(int index) const { return m_inputs.at(static_cast<std::size_t>(index)).spec; }
    /// The node connected to input `index`, or nullptr.
    Node* input(int index) const { return m_inputs.at(static_cast<std::size_t>(index)).source; }
    /// Index of the input called `name`, or -1.
    int inputIndex(const std::string& name) const;
    virtual PlugType outputType() const { return PlugType::Image; }

    // State -----------------------------------------------------------------------------------------------
    bool enabled() const { return m_enabled; }
    const NodePosition& position() const { return m_position; }

    /// True for placeholders standing in for node types this build does not know.
    virtual bool isPlaceholder() const { return false; }

    /// Parameter name → path "Node.param" for messages.
    std::string paramPath(const std::string& paramName) const { return m_name + "." + paramName; }

protected:
    /// Declares a parameter. Only call from constructors.
    Param& addParam(ParamSpec spec);
    /// Declares an input plug and returns its index. Only call from constructors.
    int addInput(InputSpec spec);

private:
    friend class Graph;
    struct InputSlot {
        InputSpec spec;
        Node* source = nullptr;
    };

    NodeTypeInfo m_info;
    std::string m_name;
    Graph* m_graph = nullptr;
    std::vector<std::unique_ptr<Param>> m_params;
    std::vector<InputSlot> m_inputs;
    bool m_enabled = true;
    NodePosition m_position;
};

} // namespace kinema::graph
