// SPDX-License-Identifier: Apache-2.0
#include "kinema/nodes/Builtins.h"

#include <mutex>

#include "comp/Constant.h"
#include "io/Read.h"
#include "io/Write.h"

namespace kinema::nodes {

void registerBuiltinNodes(graph::NodeRegistry& registry) {
    if (registry.contains("Constant"))
        return;
    registry.registerType<Constant>();
    registry.registerType<Read>();
    registry.registerType<Write>();
}

} // namespace kinema::nodes
