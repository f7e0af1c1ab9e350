// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Nodes that route or blend whole inputs: Dot, Switch and Dissolve. Where they output an input unchanged
/// they return that input's hash unchanged, so cache entries are shared with the upstream node.
#include "kinema/render/ImageNode.h"

namespace kinema::nodes {

/// A pure pass-through used to tidy connections: output and hash are its input's.
class Dot : public render::ImageNode {
public:
    Dot();
    render::Hash128 hash(const render::EvalContext& ec) const override;
    render::ImagePtr compute(const render::EvalContext& ec) const override;
};

/// Outputs one of its inputs, chosen by `which` (clamped to the inputs that exist).
class Switch : public render::ImageNode {
public:
    static constexpr int kInputs = 4;
    Switch();
    render::Hash128 hash(const render::EvalContext& ec) const override;
    render::ImagePtr compute(const render::EvalContext& ec) const override;
    std::optional<render::FrameRange> frameRange(const render::Evaluator& evaluator) const override;

private:
    int chosenInput(double frame) const;
};

/// Cross-fades input 0 to input 1: out = (1 − which)·in0 + which·in1 over the union of both windows.
/// which ≤ 0 passes input 0 through, which ≥ 1 passes input 1 through.
class Dissolve : public render::ImageNode {
public:
    Dissolve();
    render::Hash128 hash(const render::EvalContext& ec) const override;
    render::ImagePtr compute(const render::EvalContext& ec) const override;
};

} // namespace kinema::nodes
