// SPDX-License-Identifier: Apache-2.0
#pragma once
#include <functional>

namespace kinema::color {

/// Calls body(firstRow, rowCount) over [0, height) in bands, on up to `threads` threads (the calling
/// thread included). Bands are handed out dynamically so uneven rows balance. The first exception
/// thrown by a band is rethrown on the calling thread after every band has finished.
void parallelForRows(int height, int threads, const std::function<void(int, int)>& body);

} // namespace kinema::color
