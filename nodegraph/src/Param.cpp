// SPDX-License-Identifier: Apache-2.0
#include "kinema/graph/Param.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <sstream>

namespace kinema::graph {

Param::Param(ParamSpec spec)
    : m_spec(std::move(spec)) {
    if (!valueMatchesType(m_spec.defaultValue, m_spec.type))
        throw ParamError("parameter '" + m_spec.name + "': default value does not match type " +
                         std::string(paramTypeName(m_spec.type)));
    if (m_spec.type == ParamType::Enum && m_spec.enumItems.empty())
        throw ParamError("parameter '" + m_spec.name + "': an enum needs at least one item");
    m_value = m_spec.defaultValue;
    m_curves.resize(static_cast<std::size_t>(componentCount(m_spec.type)));
}

void Param::checkComponent(double v) const {
    if (!std::isfinite(v))
        throw ParamError("parameter '" + m_spec.name + "': value must be a finite number");
    const auto& md = m_spec.metadata;
    if (v < md.minimum || v > md.maximum) {
        std::ostringstream msg;
        msg << "parameter '" << m_spec.name << "': value " << v << " is outside the allowed range ["
            << md.minimum << ", " << md.maximum << "]";
        throw ParamError(msg.str());
    }
}

void Param::validate(const ParamValue& value) const {
    if (!valueMatchesType(value, m_spec.type))
        throw ParamError("parameter '" + m_spec.name + "': expected a value of type " +
                         std::string(paramTypeName(m_spec.type)));
    if (m_spec.type == ParamType::Enum) {
        auto index = std::get<std::int64_t>(value);
        if (index < 0 || index >= static_cast<std::int64_t>(m_spec.enumItems.size()))
            throw ParamError("parameter '" + m_spec.name + "': enum index " + std::to_string(index) +
                             " is out of range");
        return;
    }
    if (isNumeric(m_spec.type))
        for (double c : componentsOf(value))
            checkComponent(c);
    if (isTextual(m_spec.type) && std::get<std::string>(value).find('\0') != std::string::npos)
        throw ParamError("parameter '" + m_spec.name + "': text must not contain NUL characters");
}

ParamValue Param::parse(const std::string& text) const {
    auto fail = [&](const std::string& why) {
        return ParamError("parameter '" + m_spec.name + "': cannot use '" + text + "': " + why);
    };
    auto number = [&](const std::string& s) {
        std::size_t pos = 0;
        double v = 0;
        try {
            v = std::stod(s, &pos);
        } catch (...) {
            throw fail("not a number");
        }
        if (pos != s.size())
            throw fail("not a number");
        return v;
    };
    ParamValue value;
    switch (m_spec.type) {
    case ParamType::Bool: {
        std::string t = text;
        std::transform(t.begin(), t.end(), t.begin(), [](unsigned char c) { return std::tolower(c); });
        if (t == "1" || t == "true" || t == "on" || t == "yes")
            value = true;
        else if (t == "0" || t == "false" || t == "off" || t == "no")
            value = false;
        else
            throw fail("expected true or false");
        break;
    }
    case ParamType::Int: {
        double v = number(text);
        if (v != std::floor(v) || std::fabs(v) > 9e15)
            throw fail("expected an integer");
        value = static_cast<std::int64_t>(v);
        break;
    }
    case ParamType::Enum:
        value = enumIndex(text);
        break;
    case ParamType::String:
    case ParamType::Text:
    case ParamType::FilePath:
        value = text;
        break;
    case ParamType::Seed: {
        if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos || text.size() > 20)
            throw fail("expected a non-negative integer seed");
        try {
            value = static_cast<std::uint64_t>(std::stoull(text));
        } catch (...) {
            throw fail("seed out of range");
        }
        break;
    }
    default: {
        std::vector<double> components;
        std::string token;
        for (char c : text + ",") {
            if (c == ',' || c == ' ') {
                if (!token.empty())
                    components.push_back(number(token));
                token.clear();
            } else {
                token += c;
            }
        }
        const auto n = static_cast<std::size_t>(componentCount(m_spec.type));
        if (components.size() == 1 && n > 1)
            components.assign(n, components[0]);
        if (m_spec.type == ParamType::Color && components.size() == 3)
            components.push_back(1.0);
        if (components.size() != n)
            throw fail("expected " + std::to_string(n) + " numbers");
        value = valueFromComponents(m_spec.type, components);
    }
    }
    validate(value);
    return value;
}

void Param::setValue(const ParamValue& value) {
    validate(value);
    if (value == m_value)
        return;
    m_value = value;
    notify();
}

ParamValue Param::valueAt(double frame) const {
    if (!isAnimated())
        return m_value;
    auto components = componentsOf(m_value);
    for (std::size_t i = 0; i < m_curves.size() && i < components.size(); ++i)
        if (!m_curves[i].empty())
            components[i] = m_curves[i].evaluate(frame);
    return valueFromComponents(m_spec.type, components);
}

bool Param::isAnimated() const {
    return std::any_of(m_curves.begin(), m_curves.end(), [](const AnimationCurve& c) { return !c.empty(); });
}

void Param::setCurve(int component, const AnimationCurve& curve) {
    if (!canAnimate())
        throw ParamError("parameter '" + m_spec.name + "' cannot be animated");
    if (component < 0 || component >= static_cast<int>(m_curves.size()))
        throw ParamError("parameter '" + m_spec.name + "': no component " + std::to_string(component));
    for (auto& k : curve.keys()) {
        if (!std::isfinite(k.frame))
            throw ParamError("parameter '" + m_spec.name + "': key frames must be finite");
        checkComponent(k.value);
    }
    if (m_curves[static_cast<std::size_t>(component)] == curve)
        return;
    m_curves[static_cast<std::size_t>(component)] = curve;
    notify();
}

void Param::setKeyAt(double frame, const ParamValue& value, Interpolation interp) {
    if (!canAnimate())
        throw ParamError("parameter '" + m_spec.name + "' cannot be animated");
    validate(value);
    auto components = componentsOf(value);
    for (std::size_t i = 0; i < m_curves.size(); ++i)
        m_curves[i].setKey({frame, components[i], interp});
    notify();
}

bool Param::removeKeysAt(double frame) {
    bool removed = false;
    for (auto& c : m_curves)
        removed = c.removeKey(frame) || removed;
    if (removed)
        notify();
    return removed;
}

std::vector<double> Param::keyFrames() const {
    std::set<double> frames;
    for (auto& c : m_curves)
        for (auto& k : c.keys())
            frames.insert(k.frame);
    return {frames.begin(), frames.end()};
}

double Param::getDouble(double frame) const {
    auto c = componentsOf(valueAt(frame));
    if (c.empty())
        throw ParamError("parameter '" + m_spec.name + "' is not numeric");
    return c[0];
}

std::int64_t Param::getInt(double frame) const {
    return static_cast<std::int64_t>(std::llround(getDouble(frame)));
}

bool Param::getBool(double frame) const {
    return getDouble(frame) != 0.0;
}

std::string Param::getString() const {
    if (!isTextual(m_spec.type))
        throw ParamError("parameter '" + m_spec.name + "' is not text");
    return std::get<std::string>(m_value);
}

std::uint64_t Param::getSeed() const {
    if (m_spec.type != ParamType::Seed)
        throw ParamError("parameter '" + m_spec.name + "' is not a seed");
    return std::get<std::uint64_t>(m_value);
}

std::array<double, 4> Param::getVec(double frame) const {
    auto c = componentsOf(valueAt(frame));
    std::array<double, 4> out{0.0, 0.0, 0.0, m_spec.type == ParamType::Color ? 1.0 : 0.0};
    for (std::size_t i = 0; i < c.size() && i < 4; ++i)
        out[i] = c[i];
    return out;
}

const std::string& Param::enumItem(double frame) const {
    if (m_spec.type != ParamType::Enum)
        throw ParamError("parameter '" + m_spec.name + "' is not an enum");
    auto index = std::get<std::int64_t>(m_value);
    return m_spec.enumItems.at(static_cast<std::size_t>(index));
}

std::int64_t Param::enumIndex(const std::string& item) const {
    for (std::size_t i = 0; i < m_spec.enumItems.size(); ++i)
        if (m_spec.enumItems[i] == item)
            return static_cast<std::int64_t>(i);
    std::string choices;
    for (auto& e : m_spec.enumItems)
        choices += (choices.empty() ? "" : ", ") + e;
    throw ParamError("parameter '" + m_spec.name + "': unknown item '" + item +
                     "' (expected one of: " + choices + ")");
}

void Param::hashAt(Hasher& h, double frame) const {
    h.append(m_spec.name);
    hashValue(h, valueAt(frame));
}

void Param::notify() {
    if (m_changed)
        m_changed(*this);
}

} // namespace kinema::graph
