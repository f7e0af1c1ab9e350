// SPDX-License-Identifier: Apache-2.0
#pragma once
#include <array>
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace kinema::color {

/// A colour transformation described by value, independent of any config: which colour spaces,
/// display, view and looks it names, and its direction. Equal values describe the same
/// transformation; key() is a canonical, parseable string used in processor-cache keys and node
/// hashes (fromKey(key()) == *this).
class ColorTransform {
public:
    enum class Kind {
        Identity,    ///< no change
        ColorSpace,  ///< source colour space → destination colour space
        DisplayView, ///< source → display/view (+ extra looks, exposure before, gamma after)
        Look,        ///< looks applied between source and destination colour spaces
        Exponent,    ///< per-channel power (RGBA), negative values clamped to 0
    };
    enum class Direction { Forward, Inverse };

    ColorTransform() = default;

    static ColorTransform colorSpace(std::string source, std::string destination);
    static ColorTransform displayView(std::string source, std::string display, std::string view,
                                      Direction direction = Direction::Forward);
    static ColorTransform look(std::string source, std::string destination, std::string looks,
                               Direction direction = Direction::Forward);
    static ColorTransform exponent(std::array<double, 4> values, Direction direction = Direction::Forward);

    /// DisplayView only: looks (OCIO look syntax, e.g. "+grade, -shot") applied to the source
    /// before the view, in addition to the view's own looks.
    ColorTransform withLooks(std::string looks) const;
    /// DisplayView only: exposure in stops applied in the scene_linear role before the view.
    ColorTransform withExposure(double stops) const;
    /// DisplayView only: display gamma applied after the view (out = in^(1/gamma)).
    ColorTransform withGamma(double gamma) const;
    /// The same transformation in the opposite direction (ColorSpace swaps its spaces).
    ColorTransform inverted() const;

    Kind kind() const { return m_kind; }
    Direction direction() const { return m_direction; }
    const std::string& source() const { return m_source; }
    const std::string& destination() const { return m_destination; }
    const std::string& display() const { return m_display; }
    const std::string& view() const { return m_view; }
    const std::string& looks() const { return m_looks; }
    double exposure() const { return m_exposure; }
    double gamma() const { return m_gamma; }
    const std::array<double, 4>& exponentValues() const { return m_exponent; }

    /// Canonical serialisation, e.g. "displayview:fwd;6:ACEScg;4:sRGB;18:ACES 1.0 SDR-video;0:;0;1".
    std::string key() const;
    /// Parses a key() string; throws ColorError naming the key and the fault when malformed.
    static ColorTransform fromKey(std::string_view key);
    std::size_t hash() const;
    /// Human-readable description for messages, e.g. "ACEScg → sRGB / ACES 1.0 SDR-video".
    std::string describe() const;

    bool operator==(const ColorTransform&) const = default;

private:
    Kind m_kind = Kind::Identity;
    Direction m_direction = Direction::Forward;
    std::string m_source, m_destination, m_display, m_view, m_looks;
    double m_exposure = 0.0;
    double m_gamma = 1.0;
    std::array<double, 4> m_exponent{1.0, 1.0, 1.0, 1.0};
};

const char* toString(ColorTransform::Kind kind);

} // namespace kinema::color

template <>
struct std::hash<kinema::color::ColorTransform> {
    std::size_t operator()(const kinema::color::ColorTransform& t) const { return t.hash(); }
};
