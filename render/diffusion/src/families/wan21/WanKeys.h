// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Translation of Wan 2.1 reference parameter names to the diffusers names (torch-free).
#include <string>

namespace kinema::diffusion::wan21 {

/// The diffusers `WanTransformer3DModel` name of an original `WanModel` parameter name. Note the swapped
/// norm names: original `blocks.N.norm3` (affine, before cross-attention) is diffusers `blocks.N.norm2`.
std::string ditDiffusersKey(const std::string& original);

} // namespace kinema::diffusion::wan21
