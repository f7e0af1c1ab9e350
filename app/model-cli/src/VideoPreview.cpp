// SPDX-License-Identifier: Apache-2.0
#include "VideoPreview.h"

#include "BatchRender.h"
#include "kinema/graph/NodeRegistry.h"
#include "kinema/nodes/Builtins.h"

#include <sstream>
#include <stdexcept>

namespace kinema::modelcli {

void writePreviewVideo(const std::string& exrPattern, int frames, const std::string& colorSpace, int fps,
                       const std::filesystem::path& mp4) {
    graph::NodeRegistry registry;
    nodes::registerBuiltinNodes(registry);
    graph::Graph g;
    auto settings = g.settings();
    settings.frameStart = 1;
    settings.frameEnd = frames;
    settings.fps = fps;
    g.setSettings(settings);
    auto& read = g.addNode(registry.create("Read"));
    read.param("file").setValue(exrPattern);
    read.param("colorspace").setValue(colorSpace);
    auto& write = g.addNode(registry.create("WriteVideo"));
    write.param("file").setValue(mp4.string());
    write.param("codec").setValue(write.param("codec").enumIndex("h264"));
    g.connect(read, write, 0);

    app::BatchOptions options;
    std::ostringstream out, err;
    const auto result = app::runBatch(g, options, std::make_shared<graph::Canceller>(), out, err);
    if (result.framesFailed > 0 || result.framesDone == 0)
        throw std::runtime_error("'" + mp4.string() +
                                 "': the preview video could not be written: " + err.str());
}

} // namespace kinema::modelcli
