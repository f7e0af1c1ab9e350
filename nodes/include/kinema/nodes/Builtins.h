// SPDX-License-Identifier: Apache-2.0
#pragma once
/// The node library: registration of every built-in node type.
///
/// Node classes live in nodes/src/<family>/ (io, comp, color, generative) and are created by name through
/// the registry. Applications call registerBuiltinNodes() once at start-up, before loading plugins.
#include "kinema/graph/NodeRegistry.h"

namespace kinema::nodes {

/// Registers every built-in node type (idempotent: a second call does nothing).
void registerBuiltinNodes(graph::NodeRegistry& registry = graph::NodeRegistry::global());

} // namespace kinema::nodes
