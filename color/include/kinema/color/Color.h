// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Colour management for Kinema, built on OpenColorIO 2.1 (a private dependency: no OCIO type
/// appears in these headers).
///
/// Design note
/// - A ConfigHandle is an immutable, shared, loaded config. Resolution order: $OCIO, the project
///   setting, the shipped resources/ocio/config.ocio. identity() is a content hash (OCIO cache id
///   + path) that colour nodes fold into their hashes together with ColorTransform::key().
/// - A ColorTransform is a plain value (kind, names, direction); processorFor() turns it into a
///   CPU Processor through a process-wide cache keyed by config identity, the context variables
///   the transform actually reads, and the transform key. Processors are immutable and shared.
/// - Images are float32, planar (one array per channel, Kinema's image layout) or packed RGBA;
///   apply() splits rows across threads and calls OCIO's CPU renderer on each band.
/// - gpuShaderFor() gives the viewer GLSL text, uniforms and LUT textures as plain structs, either
///   OCIO's exact shader or a shaper + baked 3D LUT fast path.
/// - The module depends on no other Kinema module.
#include "kinema/color/ColorError.h"
#include "kinema/color/ColorTransform.h"
#include "kinema/color/Config.h"
#include "kinema/color/GpuShader.h"
#include "kinema/color/Processor.h"
