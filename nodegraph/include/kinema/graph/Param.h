// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Parameters: typed values with optional per-component animation, described by a ParamSpec.
///
/// The spec (name, type, default and UI metadata) lives apart from compute code: nodes declare specs in
/// their constructor, the GUI builds widgets from the metadata, the file loader validates against the hard
/// range. Values are changed through Param::setValue / setCurve, which validate and then notify the owner.
#include <functional>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "kinema/graph/Animation.h"
#include "kinema/graph/Value.h"

namespace kinema::graph {

/// Thrown when a value does not fit a parameter (wrong type, out of range, unknown enum item).
class ParamError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// UI and validation metadata. Nothing here is read by compute code.
struct ParamMetadata {
    std::string label;
    std::string tooltip;
    std::string group;
    /// Free-form hint for the GUI ("slider", "angle", "prompt", "save" for output files, "exr" filter...).
    std::string uiHint;
    /// Hard range: values outside are rejected (applies to every numeric component).
    double minimum = -std::numeric_limits<double>::infinity();
    double maximum = std::numeric_limits<double>::infinity();
    /// Soft range: the slider's extent; typing beyond it is allowed within the hard range.
    double softMinimum = 0.0;
    double softMaximum = 1.0;
    double step = 0.0;
    bool animatable = true;
    bool hidden = false;
};

struct ParamSpec {
    std::string name;
    ParamType type = ParamType::Float;
    ParamValue defaultValue = 0.0;
    ParamMetadata metadata;
    /// Enum items, in menu order. The stored value is the index.
    std::vector<std::string> enumItems;
};

class Param {
public:
    explicit Param(ParamSpec spec);

    const ParamSpec& spec() const { return m_spec; }
    const std::string& name() const { return m_spec.name; }
    ParamType type() const { return m_spec.type; }

    /// The static value (used wherever a component has no animation).
    const ParamValue& value() const { return m_value; }
    /// The value at a (fractional) frame: animated components are evaluated, others come from value().
    ParamValue valueAt(double frame) const;

    /// Validates (type, hard range, enum index) and stores. Throws ParamError naming the parameter.
    void setValue(const ParamValue& value);
    /// Parses text as typed on a command line (`--set`) or in a field: "true"/"1", "42", "0.5",
    /// "1,2,3" or "1 2 3" for vectors, an enum item name, raw text. Throws ParamError naming the parameter.
    ParamValue parse(const std::string& text) const;
    /// Checks a value without storing it.
    void validate(const ParamValue& value) const;

    bool isAnimated() const;
    bool canAnimate() const { return isNumeric(m_spec.type) && m_spec.metadata.animatable; }
    const std::vector<AnimationCurve>& curves() const { return m_curves; }
    /// Replaces one component's curve (an empty curve removes the animation). Keys are range-checked.
    void setCurve(int component, const AnimationCurve& curve);
    /// Sets or replaces a key on every component from a full value (what "set key" does in the GUI).
    void setKeyAt(double frame, const ParamValue& value, Interpolation interp = Interpolation::Smooth);
    bool removeKeysAt(double frame);
    /// Frames that carry a key on any component, sorted and unique.
    std::vector<double> keyFrames() const;

    /// Typed accessors for compute code, at a frame.
    double getDouble(double frame) const;
    std::int64_t getInt(double frame) const;
    bool getBool(double frame) const;
    std::string getString() const;
    std::uint64_t getSeed() const;
    std::array<double, 4> getVec(double frame) const; ///< components padded with 0 (alpha 1 for colours)
    /// The enum item name currently selected.
    const std::string& enumItem(double frame = 0.0) const;
    /// Index of an enum item by name; throws ParamError if unknown.
    std::int64_t enumIndex(const std::string& item) const;

    /// Hashes the value at a frame (not the curve: identical values at that frame hash alike).
    void hashAt(Hasher& h, double frame) const;

    /// Called after every successful change; the owning node forwards it to the graph.
    void setChangedCallback(std::function<void(Param&)> callback) { m_changed = std::move(callback); }

private:
    void notify();
    void checkComponent(double v) const;

    ParamSpec m_spec;
    ParamValue m_value;
    std::vector<AnimationCurve> m_curves;
    std::function<void(Param&)> m_changed;
};

} // namespace kinema::graph
