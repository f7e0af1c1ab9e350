// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Colour-management plumbing shared by Read, Write, ColorSpace and OCIODisplay.
///
/// Nodes resolve the OCIO config from the project setting the way the colour module does ($OCIO, the
/// project's path, the shipped config) and load each resolved file once: the loaded handle is kept until
/// the file's modification time changes. Nodes fold ConfigHandle::identity() into their hashes.
/// Chromaticities of colour spaces come from a table of the well-known spaces (matched by canonical name
/// or the ACES config aliases) and, for other spaces, from the space's conversion to CIE XYZ D65.
#include <array>
#include <optional>
#include <string>

#include "kinema/color/Color.h"
#include "kinema/graph/Graph.h"
#include "kinema/render/Image.h"
#include "kinema/render/ImageNode.h"

namespace kinema::nodes {

/// The config for a project's setting (cached per resolved file). Throws color::ColorError.
color::ConfigHandle configForProject(const graph::ProjectSettings& project);
/// The config of the graph the evaluated node belongs to.
color::ConfigHandle configFor(const render::EvalContext& ec);

/// The compositing working space: the project's workingSpace when the config knows it, else the config's
/// scene_linear role. Returned as the config's canonical name.
std::string workingSpaceOf(const color::ConfigHandle& config, const graph::ProjectSettings& project);

/// CIE xy chromaticities: red, green, blue primaries then the white point (x, y pairs).
using Chromaticities = std::array<double, 8>;

/// ACES AP0 (ACES2065-1) and AP1 (ACEScg, ACEScct) chromaticities.
const Chromaticities& ap0Chromaticities();
const Chromaticities& ap1Chromaticities();

/// Chromaticities of a colour space: from the table of well-known spaces when the canonical name (or a
/// known alias) matches, else derived through the config's CIE-XYZ-D65 interchange role. nullopt for
/// data spaces and spaces that cannot be converted to XYZ.
std::optional<Chromaticities> chromaticitiesOf(const color::ConfigHandle& config,
                                               const std::string& colorSpace);

/// A colour space of `config` whose chromaticities match `chroma` within 1e-3 and that is scene-linear
/// (from the table: ACES2065-1, ACEScg, Linear Rec.709, Linear Rec.2020, Linear P3-D65); empty if none.
std::string linearSpaceWithChromaticities(const color::ConfigHandle& config, const Chromaticities& chroma);

/// Applies a colour processor in place to the R, G, B planes of `image` (missing ones are added as zero
/// when at least one exists; images without any of them are left alone). Alpha is not touched.
void applyToRgb(const render::EvalContext* ec, const color::Processor& processor, render::Image& image);

/// Divides R, G, B by A where A > 0 (and multiplies back with premultiply()).
void unpremultiply(render::Image& image);
void premultiply(render::Image& image);

/// The hash contribution of an OCIO transform node: config identity, the transform's key and the context
/// variables the processor actually reads (shared by ColorSpace and OCIODisplay).
void hashColorTransform(graph::Hasher& h, const render::EvalContext& ec,
                        const color::ColorTransform& transform);
/// Applies `transform` to a copy of input 0's RGB (optionally unpremultiplied around it); a no-op transform
/// returns the input unchanged.
render::ImagePtr applyColorTransform(const render::EvalContext& ec, const color::ColorTransform& transform,
                                     bool unpremultiplyAround);

} // namespace kinema::nodes
