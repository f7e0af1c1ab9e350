// SPDX-License-Identifier: Apache-2.0
#include "kinema/render/ImageNode.h"

#include "kinema/render/Evaluator.h"

namespace kinema::render {

const graph::ProjectSettings& EvalContext::project() const {
    static const graph::ProjectSettings kDefaults;
    return m_node.graph() ? m_node.graph()->settings() : kDefaults;
}

bool EvalContext::hasInput(int index) const {
    return index >= 0 && index < m_node.inputCount() && m_node.input(index) != nullptr;
}

Hash128 EvalContext::inputHash(int index, const Context& other) const {
    if (!hasInput(index)) {
        Hasher h;
        h.append("unconnected").append(index);
        return h.finish();
    }
    return m_evaluator.hash(*m_node.input(index), other);
}

ImagePtr EvalContext::pullInput(int index, const Context& other) const {
    if (!hasInput(index)) {
        if (index >= 0 && index < m_node.inputCount() && m_node.inputSpec(index).optional)
            return nullptr;
        std::string name = index >= 0 && index < m_node.inputCount() ? m_node.inputSpec(index).name
                                                                     : "#" + std::to_string(index);
        throw std::runtime_error("input '" + name + "' is not connected");
    }
    return m_evaluator.evaluate(*m_node.input(index), other);
}

std::optional<FrameRange> EvalContext::inputFrameRange(int index) const {
    if (!hasInput(index))
        return std::nullopt;
    return m_evaluator.frameRange(*m_node.input(index));
}

void ImageNode::hashParams(const EvalContext& ec, Hasher& h) const {
    h.append(typeName()).append(version());
    for (auto& p : params())
        p->hashAt(h, ec.frame());
}

void ImageNode::hashDefault(const EvalContext& ec, Hasher& h) const {
    hashParams(ec, h);
    for (int i = 0; i < inputCount(); ++i)
        h.append(ec.inputHash(i));
}

Hash128 ImageNode::hash(const EvalContext& ec) const {
    Hasher h;
    hashDefault(ec, h);
    return h.finish();
}

std::optional<FrameRange> ImageNode::frameRange(const Evaluator& evaluator) const {
    for (int i = 0; i < inputCount(); ++i)
        if (auto in = input(i))
            return evaluator.frameRange(*in);
    return std::nullopt;
}

} // namespace kinema::render
