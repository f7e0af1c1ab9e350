// SPDX-License-Identifier: Apache-2.0
#include "kinema/nodes/Builtins.h"

#include <mutex>

#include <nlohmann/json.hpp>

#include "color/ColorCorrect.h"
#include "color/ColorSpace.h"
#include "color/OCIODisplay.h"
#include "comp/Blur.h"
#include "comp/Channels.h"
#include "comp/Constant.h"
#include "comp/Merge.h"
#include "comp/Routing.h"
#include "comp/Time.h"
#include "comp/Transform.h"
#include "generative/Extend.h"
#include "generative/GenerativeNodes.h"
#include "generative/Relight.h"
#include "io/Read.h"
#include "io/VideoRead.h"
#include "io/VideoWrite.h"
#include "io/Write.h"

namespace kinema::nodes {

namespace {

/// A parameter a saved node did not write gets the value it rendered with when it was saved (a default that
/// has changed since).
void keepOldDefault(nlohmann::json& node, const char* param, const nlohmann::json& oldDefault) {
    if (!node.contains("params"))
        node["params"] = nlohmann::json::object();
    auto& params = node["params"];
    if (params.is_object() && !params.contains(param))
        params[param] = oldDefault;
}

/// Loop and Extend version 2 added the seam blend ("seamBlend", 8 frames by default). A graph saved by
/// version 1 keeps rendering what it rendered then: no seam blend.
void migrateSeamBlend(int fromVersion, nlohmann::json& node) {
    if (fromVersion < 2)
        keepOldDefault(node, "seamBlend", 0);
}

/// Extend version 3 conditions on the source's last 5 frames by default ("overlap", two whole latent frames
/// of a Wan VAE) instead of 1; a version-2 graph that left the overlap at its default keeps 1.
/// Extend version 4 conditions on 4 frames by default and keeps the seam off latent-frame boundaries
/// ("alignSeam"); a version-3 graph keeps the overlap it had by default (5) and no alignment.
void migrateExtend(int fromVersion, nlohmann::json& node) {
    migrateSeamBlend(fromVersion, node);
    if (fromVersion < 3)
        keepOldDefault(node, "overlap", 1);
    if (fromVersion < 4) {
        keepOldDefault(node, "overlap", 5);
        keepOldDefault(node, "alignSeam", false);
    }
}

} // namespace

void registerBuiltinNodes(graph::NodeRegistry& registry) {
    if (registry.contains("Constant"))
        return;
    registry.registerType<Constant>();
    registry.registerType<Read>();
    registry.registerType<Write>();
    registry.registerType<Merge>();
    registry.registerType<Grade>();
    registry.registerType<Saturation>();
    registry.registerType<Exposure>();
    registry.registerType<Premult>();
    registry.registerType<Unpremult>();
    registry.registerType<Dot>();
    registry.registerType<Switch>();
    registry.registerType<Dissolve>();
    registry.registerType<Crop>();
    registry.registerType<Shuffle>();
    registry.registerType<Copy>();
    registry.registerType<FrameHold>();
    registry.registerType<TimeOffset>();
    registry.registerType<FrameRangeNode>();
    registry.registerType<Retime>();
    registry.registerType<Blur>();
    registry.registerType<Transform>();
    registry.registerType<Reformat>();
    registry.registerType<ReadVideo>();
    registry.registerType<WriteVideo>();
    registry.registerType<ColorSpace>();
    registry.registerType<OCIODisplay>();
    registry.registerType<generative::TextToVideo>();
    registry.registerType<generative::ImageToVideo>();
    registry.registerType<generative::KeyframeInterpolate>();
    registry.registerType<generative::VideoToVideo>();
    registry.registerType<generative::Loop>(migrateSeamBlend);
    registry.registerType<generative::Upscale>();
    registry.registerType<generative::Extend>(migrateExtend);
    registry.registerType<generative::Relight>();
}

} // namespace kinema::nodes
