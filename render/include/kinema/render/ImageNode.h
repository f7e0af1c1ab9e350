// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Image-producing nodes: the hash()/compute() contract of pull evaluation.
///
/// A request for a node's output at a Context first asks hash(): the node's type and version, its
/// parameter values at the context's frame, the hashes of the inputs it reads (in the contexts it reads
/// them) and the context items it looks at. The Evaluator looks that hash up in the compute cache and only
/// on a miss calls compute(), which pulls inputs through the EvalContext (recursing through the same
/// steps). compute() must be a pure function of what hash() covered: that is what makes caching by content
/// correct, lets identical sub-graphs share results and lets undo bring back cache hits.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "kinema/graph/Context.h"
#include "kinema/graph/Graph.h"
#include "kinema/graph/Hash.h"
#include "kinema/graph/Node.h"
#include "kinema/render/Image.h"

namespace kinema::render {

using graph::Context;
using graph::Hash128;
using graph::Hasher;

class Evaluator;
class ImageNode;

/// An inclusive frame range.
struct FrameRange {
    int first = 1;
    int last = 1;
    bool contains(double f) const { return f >= first && f <= last; }
    bool operator==(const FrameRange&) const = default;
};

/// What hash() and compute() see: the request's context, the node, and access to inputs.
class EvalContext {
public:
    EvalContext(Evaluator& evaluator, const ImageNode& node, const Context& context)
        : m_evaluator(evaluator)
        , m_node(node)
        , m_context(context) {}

    const Context& context() const { return m_context; }
    double frame() const { return m_context.frame; }
    Evaluator& evaluator() const { return m_evaluator; }
    const ImageNode& node() const { return m_node; }
    /// The project settings of the node's graph (format, fps, frame range...).
    const graph::ProjectSettings& project() const;

    bool hasInput(int index) const;
    /// Hash of input `index` in this context (or `other`); a fixed marker hash when unconnected.
    Hash128 inputHash(int index) const { return inputHash(index, m_context); }
    Hash128 inputHash(int index, const Context& other) const;
    /// The input's image in this context (or `other`). Throws naming the node and input when a required
    /// input is not connected; returns nullptr for an unconnected optional input.
    ImagePtr pullInput(int index) const { return pullInput(index, m_context); }
    ImagePtr pullInput(int index, const Context& other) const;
    std::optional<FrameRange> inputFrameRange(int index) const;

    void checkCancelled() const { m_context.checkCancelled(); }

private:
    Evaluator& m_evaluator;
    const ImageNode& m_node;
    const Context& m_context;
};

class ImageNode : public graph::Node {
public:
    using graph::Node::Node;

    /// Returns the hash of this node's output in `ec`. Must cover every parameter, input and context item
    /// that compute() reads. The default hashes the type name and version, every parameter's value at the
    /// context frame and the hash of every connected input in the same context — enough for nodes that
    /// read inputs only at the current frame and do not look at other context items. A pure pass-through
    /// must return the upstream hash unchanged (so cache entries are shared).
    virtual Hash128 hash(const EvalContext& ec) const;

    /// Computes the output image in `ec`. Must read only what hash() covered. Long loops must call
    /// ec.checkCancelled(). Errors are thrown as exceptions; the Evaluator adds the node name and frame.
    virtual ImagePtr compute(const EvalContext& ec) const = 0;

    /// The input whose output passes through when the node is disabled; -1 when there is none (then the
    /// disabled node outputs an empty image in the project format).
    virtual int passThroughInput() const { return inputCount() > 0 ? 0 : -1; }

    /// Frames this node can produce: by default those of its first connected input, or none (unbounded).
    virtual std::optional<FrameRange> frameRange(const Evaluator& evaluator) const;

protected:
    /// Appends the default content (type, version, params at frame, input hashes) to `h`.
    void hashDefault(const EvalContext& ec, Hasher& h) const;
    /// Appends type, version and parameters only.
    void hashParams(const EvalContext& ec, Hasher& h) const;
};

/// Nodes that write files when a render executes them (Write). They pass their input through otherwise.
class OutputNode : public ImageNode {
public:
    using ImageNode::ImageNode;

    /// Writes the frame `ec.frame()` to its destination. Must write atomically (never leave a partial file
    /// under a final name) and throw on failure.
    virtual void execute(const EvalContext& ec) const = 0;
    /// The file that execute() writes for a frame (for --skip-existing and the task plan).
    virtual std::string outputPath(double frame) const = 0;
    /// Frames to render when the CLI is given none (default: the project range).
    virtual std::optional<FrameRange> defaultFrames() const { return std::nullopt; }

    /// Called by a batch render once before its first execute() of this node, with the frames it will
    /// execute in output order (they may then arrive concurrently and in any order). Nodes that write one
    /// file for many frames (video) prepare their session here. Must not throw. The default does nothing.
    virtual void beginSequence(const std::vector<std::int64_t>& frames) const { (void)frames; }
    /// Called once after the batch render's last execute() of this node, and early when one of its frames
    /// failed. `complete` is true when every frame given to beginSequence() was executed successfully: the
    /// node then finalises its output and throws if it cannot. Otherwise it discards unfinished output.
    /// Further calls are harmless. The default does nothing.
    virtual void endSequence(bool complete) const { (void)complete; }

    ImagePtr compute(const EvalContext& ec) const override { return ec.pullInput(0); }
    Hash128 hash(const EvalContext& ec) const override { return ec.inputHash(0); }
};

} // namespace kinema::render
