// SPDX-License-Identifier: Apache-2.0
#include "kinema/color/ColorTransform.h"
#include "kinema/color/ColorError.h"

#include <charconv>
#include <cstdio>
#include <vector>

namespace kinema::color {

namespace {

const char* kindToken(ColorTransform::Kind kind) {
    switch (kind) {
    case ColorTransform::Kind::Identity:
        return "identity";
    case ColorTransform::Kind::ColorSpace:
        return "colorspace";
    case ColorTransform::Kind::DisplayView:
        return "displayview";
    case ColorTransform::Kind::Look:
        return "look";
    case ColorTransform::Kind::Exponent:
        return "exponent";
    }
    return "unknown";
}

std::string formatNumber(double value) {
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%.17g", value);
    return buffer;
}

void appendField(std::string& out, const std::string& field) {
    out += ';';
    out += std::to_string(field.size());
    out += ':';
    out += field;
}

void requireKind(const ColorTransform& t, ColorTransform::Kind kind, const char* what) {
    if (t.kind() != kind)
        throw ColorError(std::string("colour: ") + what + " applies only to " + kindToken(kind) +
                         " transforms, not " + kindToken(t.kind()));
}

} // namespace

const char* toString(ColorTransform::Kind kind) {
    return kindToken(kind);
}

ColorTransform ColorTransform::colorSpace(std::string source, std::string destination) {
    ColorTransform t;
    t.m_kind = Kind::ColorSpace;
    t.m_source = std::move(source);
    t.m_destination = std::move(destination);
    return t;
}

ColorTransform ColorTransform::displayView(std::string source, std::string display, std::string view,
                                           Direction direction) {
    ColorTransform t;
    t.m_kind = Kind::DisplayView;
    t.m_direction = direction;
    t.m_source = std::move(source);
    t.m_display = std::move(display);
    t.m_view = std::move(view);
    return t;
}

ColorTransform ColorTransform::look(std::string source, std::string destination, std::string looks,
                                    Direction direction) {
    ColorTransform t;
    t.m_kind = Kind::Look;
    t.m_direction = direction;
    t.m_source = std::move(source);
    t.m_destination = std::move(destination);
    t.m_looks = std::move(looks);
    return t;
}

ColorTransform ColorTransform::exponent(std::array<double, 4> values, Direction direction) {
    ColorTransform t;
    t.m_kind = Kind::Exponent;
    t.m_direction = direction;
    t.m_exponent = values;
    return t;
}

ColorTransform ColorTransform::withLooks(std::string looks) const {
    requireKind(*this, Kind::DisplayView, "withLooks");
    ColorTransform t = *this;
    t.m_looks = std::move(looks);
    return t;
}

ColorTransform ColorTransform::withExposure(double stops) const {
    requireKind(*this, Kind::DisplayView, "withExposure");
    ColorTransform t = *this;
    t.m_exposure = stops;
    return t;
}

ColorTransform ColorTransform::withGamma(double gamma) const {
    requireKind(*this, Kind::DisplayView, "withGamma");
    if (!(gamma > 0.0))
        throw ColorError("colour: display gamma must be positive, got " + formatNumber(gamma));
    ColorTransform t = *this;
    t.m_gamma = gamma;
    return t;
}

ColorTransform ColorTransform::inverted() const {
    ColorTransform t = *this;
    if (m_kind == Kind::ColorSpace)
        std::swap(t.m_source, t.m_destination);
    else if (m_kind != Kind::Identity)
        t.m_direction = m_direction == Direction::Forward ? Direction::Inverse : Direction::Forward;
    return t;
}

std::string ColorTransform::key() const {
    std::string out = kindToken(m_kind);
    out += m_direction == Direction::Forward ? ":fwd" : ":inv";
    switch (m_kind) {
    case Kind::Identity:
        break;
    case Kind::ColorSpace:
        appendField(out, m_source);
        appendField(out, m_destination);
        break;
    case Kind::DisplayView:
        appendField(out, m_source);
        appendField(out, m_display);
        appendField(out, m_view);
        appendField(out, m_looks);
        appendField(out, formatNumber(m_exposure));
        appendField(out, formatNumber(m_gamma));
        break;
    case Kind::Look:
        appendField(out, m_source);
        appendField(out, m_destination);
        appendField(out, m_looks);
        break;
    case Kind::Exponent:
        for (double v : m_exponent)
            appendField(out, formatNumber(v));
        break;
    }
    return out;
}

ColorTransform ColorTransform::fromKey(std::string_view key) {
    auto fail = [&](const std::string& why) -> ColorError {
        return ColorError("colour: malformed transform key '" + std::string(key) + "': " + why);
    };
    const size_t colon = key.find(':');
    if (colon == std::string_view::npos)
        throw fail("missing ':' after the kind");
    const std::string_view kindText = key.substr(0, colon);
    if (key.size() < colon + 4)
        throw fail("missing direction");
    const std::string_view dirText = key.substr(colon + 1, 3);
    Direction direction;
    if (dirText == "fwd")
        direction = Direction::Forward;
    else if (dirText == "inv")
        direction = Direction::Inverse;
    else
        throw fail("direction must be 'fwd' or 'inv'");

    std::vector<std::string> fields;
    size_t pos = colon + 4;
    while (pos < key.size()) {
        if (key[pos] != ';')
            throw fail("expected ';' at offset " + std::to_string(pos));
        ++pos;
        const size_t lenEnd = key.find(':', pos);
        if (lenEnd == std::string_view::npos)
            throw fail("field length without ':'");
        size_t length = 0;
        auto [ptr, ec] = std::from_chars(key.data() + pos, key.data() + lenEnd, length);
        if (ec != std::errc() || ptr != key.data() + lenEnd)
            throw fail("bad field length at offset " + std::to_string(pos));
        pos = lenEnd + 1;
        if (length > key.size() - pos)
            throw fail("field runs past the end");
        fields.emplace_back(key.substr(pos, length));
        pos += length;
    }

    auto number = [&](const std::string& text) {
        double value = 0.0;
        auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
        if (ec != std::errc() || ptr != text.data() + text.size())
            throw fail("'" + text + "' is not a number");
        return value;
    };
    auto expectFields = [&](size_t n) {
        if (fields.size() != n)
            throw fail("expected " + std::to_string(n) + " fields, found " + std::to_string(fields.size()));
    };

    if (kindText == "identity") {
        expectFields(0);
        ColorTransform t;
        t.m_direction = direction;
        return t;
    }
    if (kindText == "colorspace") {
        expectFields(2);
        // Canonical form: an inverse colour space conversion is the forward one with swapped spaces.
        if (direction == Direction::Inverse)
            return colorSpace(fields[1], fields[0]);
        return colorSpace(fields[0], fields[1]);
    }
    if (kindText == "displayview") {
        expectFields(6);
        ColorTransform t = displayView(fields[0], fields[1], fields[2], direction);
        t.m_looks = fields[3];
        t.m_exposure = number(fields[4]);
        t.m_gamma = number(fields[5]);
        if (!(t.m_gamma > 0.0))
            throw fail("gamma must be positive");
        return t;
    }
    if (kindText == "look") {
        expectFields(3);
        return look(fields[0], fields[1], fields[2], direction);
    }
    if (kindText == "exponent") {
        expectFields(4);
        return exponent({number(fields[0]), number(fields[1]), number(fields[2]), number(fields[3])},
                        direction);
    }
    throw fail("unknown kind '" + std::string(kindText) + "'");
}

std::size_t ColorTransform::hash() const {
    return std::hash<std::string>()(key());
}

std::string ColorTransform::describe() const {
    const std::string inv = m_direction == Direction::Inverse ? " (inverse)" : "";
    switch (m_kind) {
    case Kind::Identity:
        return "identity";
    case Kind::ColorSpace:
        return "colour space '" + m_source + "' → '" + m_destination + "'";
    case Kind::DisplayView: {
        std::string s = "display/view '" + m_source + "' → '" + m_display + "' / '" + m_view + "'";
        if (!m_looks.empty())
            s += " with looks '" + m_looks + "'";
        if (m_exposure != 0.0)
            s += ", exposure " + formatNumber(m_exposure);
        if (m_gamma != 1.0)
            s += ", gamma " + formatNumber(m_gamma);
        return s + inv;
    }
    case Kind::Look:
        return "look '" + m_looks + "' from '" + m_source + "' to '" + m_destination + "'" + inv;
    case Kind::Exponent:
        return "exponent " + formatNumber(m_exponent[0]) + "," + formatNumber(m_exponent[1]) + "," +
               formatNumber(m_exponent[2]) + "," + formatNumber(m_exponent[3]) + inv;
    }
    return "unknown";
}

} // namespace kinema::color
