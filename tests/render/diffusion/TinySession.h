// SPDX-License-Identifier: Apache-2.0
#pragma once
// A session on a tiny random-weight model in a temporary folder, a small request for it, and a latent
// comparison: shared by the session, placement and image-to-video tests.
#include "TinyWanModel.h"

#include <kinema/diffusion/Session.h>

#include <TestSupport.h>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <memory>
#include <string>
#include <vector>

namespace kinema::test {

struct TinySession {
    TempDir dir{"kinema-tiny-wan"};
    std::unique_ptr<diffusion::Session> session;
    explicit TinySession(const std::string& modelType = "t2v",
                         diffusion::Offload offload = diffusion::Offload::Auto) {
        writeTinyWanModel(dir.path(), 7, modelType);
        diffusion::SessionOptions options;
        options.threads = 1;
        options.offload = offload;
        session = diffusion::Session::open(dir.path(), options);
    }
};

/// 5 frames of 32x32 in 3 guided steps.
inline diffusion::GenerateRequest smallRequest() {
    diffusion::GenerateRequest r;
    r.prompt = "a red fox in the snow";
    r.seed = 42;
    r.frames = 5;
    r.width = 32;
    r.height = 32;
    r.steps = 3;
    r.guidance = 4.0;
    r.shift = 3.0;
    return r;
}

inline double maxDifference(const std::vector<float>& a, const std::vector<float>& b) {
    REQUIRE(a.size() == b.size());
    double m = 0;
    for (std::size_t i = 0; i < a.size(); ++i)
        m = std::max(m, static_cast<double>(std::abs(a[i] - b[i])));
    return m;
}

} // namespace kinema::test
