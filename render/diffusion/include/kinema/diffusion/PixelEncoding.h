// SPDX-License-Identifier: Apache-2.0
#pragma once
/// The pixel encodings a model's VAE RGB in [-1, 1] can have (ModelInfo::pixelEncoding), and the ACEScct
/// curve of the native-HDR encoding. Torch-free, header-only: the generative nodes, the trainer and the
/// evaluation tools share one definition.
///   rec709-video           v = 2 * code - 1 of display-referred Rec.709 video (Wan 2.1 and most models)
///   acescct-linear-rec709  v = 2 * ACEScct(x) - 1 of scene-linear x with Rec.709 primaries (ACEScct's
///                          curve, S-2016-001, applied per channel; the primaries are not converted)
#include <cmath>
#include <string_view>

namespace kinema::diffusion {

inline constexpr std::string_view kPixelEncodingVideo = "rec709-video";
inline constexpr std::string_view kPixelEncodingAcesCct = "acescct-linear-rec709";

/// ACEScct code value of a scene-linear value (linear toe below 0.0078125).
/// NaN counts as 0 and values are capped at the half-float maximum, as the trainer encodes its data.
inline float acesCctFromLinear(float x) {
    if (std::isnan(x))
        x = 0.0f;
    x = x < 65504.0f ? x : 65504.0f;
    if (x <= 0.0078125f)
        return 10.5402377416545f * x + 0.0729055341958355f;
    return (std::log2(x) + 9.72f) / 17.52f;
}

/// Scene-linear value of an ACEScct code value.
inline float linearFromAcesCct(float code) {
    if (code <= 0.155251141552511f)
        return (code - 0.0729055341958355f) / 10.5402377416545f;
    return std::exp2(code * 17.52f - 9.72f);
}

} // namespace kinema::diffusion
