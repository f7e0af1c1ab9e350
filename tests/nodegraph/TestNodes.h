// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Small node types used by the nodegraph tests (no pixels involved).
#include "kinema/graph/Node.h"
#include "kinema/graph/NodeRegistry.h"

namespace kinema::test {

/// One input, one of each parameter type.
class ProbeNode : public graph::Node {
public:
    explicit ProbeNode(int version = 2);
};

/// A registry with "Probe" (version 2, migrating "gain" from version 1's "amount").
graph::NodeRegistry& testRegistry();

} // namespace kinema::test
