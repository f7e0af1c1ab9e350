// SPDX-License-Identifier: Apache-2.0
#include "FFmpegCommon.h"

#include <mutex>

extern "C" {
#include <libavutil/log.h>
}

namespace kinema::nodes::ffmpeg {

void quietLogging() {
    static std::once_flag once;
    std::call_once(once, [] { av_log_set_level(AV_LOG_QUIET); });
}

} // namespace kinema::nodes::ffmpeg
