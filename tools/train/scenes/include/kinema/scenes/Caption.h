// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Captions of scene specs and their inverse. Captions are built from one phrase table, in three styles:
/// Short ("a red circle moving left"), Long (one or two sentences that also state the other objects, the
/// background, the lighting and the camera) and Keywords ("red, circle, left, night sky, warm light").
/// A seed picks among synonyms and sentence shapes, deterministically. parseCaption() reads back every
/// field a caption states, from captions of any of the three styles and from hand-written held-out
/// captions that use the same vocabulary.
#include "kinema/scenes/SceneSpec.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kinema::scenes {

enum class CaptionStyle { Short, Long, Keywords };
inline constexpr std::array kAllCaptionStyles{CaptionStyle::Short, CaptionStyle::Long,
                                              CaptionStyle::Keywords};
std::string_view toString(CaptionStyle style);

/// What a caption says about one object; fields a caption does not state stay empty.
struct ObjectFacts {
    std::optional<Colour> colour;
    std::optional<Shape> shape;
    std::optional<Size> size;
    std::optional<Motion> motion;
    bool emissive = false;
};

/// What a caption says about a scene. objects[0] is the subject (the first object named).
struct CaptionFacts {
    std::vector<ObjectFacts> objects;
    std::optional<Background> background;
    std::optional<Camera> camera;
    std::optional<LightDirection> light;
    std::optional<Temperature> temperature;
    std::optional<Intensity> intensity;
};

/// Every field of a spec, as a caption stating all of them would.
CaptionFacts factsOf(const SceneSpec& spec);

/// A caption of the spec in a style; the same (spec, style, seed) always gives the same text.
std::string caption(const SceneSpec& spec, CaptionStyle style, std::uint64_t seed);

/// The fields a caption states. Unknown words are ignored; an empty or unrelated text gives empty facts.
CaptionFacts parseCaption(std::string_view text);

} // namespace kinema::scenes
