// SPDX-License-Identifier: Apache-2.0
// Translation of ColorTransform values into OCIO transforms, and the context-variable walk that
// decides which variables belong in a processor-cache key.
#include "OcioInternal.h"

#include <cmath>
#include <set>

namespace kinema::color {

namespace {

OCIO::TransformDirection toOcio(ColorTransform::Direction direction) {
    return direction == ColorTransform::Direction::Forward ? OCIO::TRANSFORM_DIR_FORWARD
                                                           : OCIO::TRANSFORM_DIR_INVERSE;
}

void requireColorSpace(const ConfigHandle& config, const std::string& name, const ColorTransform& t) {
    // Names with context variables are resolved by OCIO at processor creation.
    if (name.find('$') != std::string::npos || name.find('%') != std::string::npos)
        return;
    const auto& ocio = *config.impl().config;
    if (!ocio.getColorSpace(name.c_str()) && !ocio.getNamedTransform(name.c_str()))
        throw ColorError("colour: " + describeConfig(config) +
                         " has no colour space, role or named transform '" + name + "' (needed by " +
                         t.describe() + ")");
}

void requireLooks(const ConfigHandle& config, const std::string& looks, const ColorTransform& t) {
    for (const auto& look : lookNamesOf(looks))
        if (!config.impl().config->getLook(look.c_str()))
            throw ColorError("colour: " + describeConfig(config) + " has no look named '" + look +
                             "' (needed by " + t.describe() + ")");
}

} // namespace

OcioTransform toOcioTransform(const ConfigHandle& config, const ColorTransform& t) {
    const auto& ocio = *config.impl().config;
    OcioTransform result;
    result.direction = toOcio(t.direction());
    switch (t.kind()) {
    case ColorTransform::Kind::Identity: {
        auto matrix = OCIO::MatrixTransform::Create();
        result.transform = matrix;
        break;
    }
    case ColorTransform::Kind::ColorSpace: {
        requireColorSpace(config, t.source(), t);
        requireColorSpace(config, t.destination(), t);
        auto cs = OCIO::ColorSpaceTransform::Create();
        cs->setSrc(t.source().c_str());
        cs->setDst(t.destination().c_str());
        result.transform = cs;
        break;
    }
    case ColorTransform::Kind::Look: {
        requireColorSpace(config, t.source(), t);
        requireColorSpace(config, t.destination(), t);
        requireLooks(config, t.looks(), t);
        auto look = OCIO::LookTransform::Create();
        look->setSrc(t.source().c_str());
        look->setDst(t.destination().c_str());
        look->setLooks(t.looks().c_str());
        result.transform = look;
        break;
    }
    case ColorTransform::Kind::Exponent: {
        auto exponent = OCIO::ExponentTransform::Create();
        const auto& v = t.exponentValues();
        const double values[4] = {v[0], v[1], v[2], v[3]};
        exponent->setValue(values);
        result.transform = exponent;
        break;
    }
    case ColorTransform::Kind::DisplayView: {
        requireColorSpace(config, t.source(), t);
        bool displayFound = false;
        for (int i = 0; i < ocio.getNumDisplays() && !displayFound; ++i)
            displayFound = t.display() == ocio.getDisplay(i);
        if (!displayFound && ocio.getDisplayAllByName(t.display().c_str()) < 0)
            throw ColorError("colour: " + describeConfig(config) + " has no display named '" + t.display() +
                             "' (needed by " + t.describe() + ")");
        bool viewFound = false;
        for (int i = 0; i < ocio.getNumViews(OCIO::VIEW_DISPLAY_DEFINED, t.display().c_str()) && !viewFound;
             ++i)
            viewFound = t.view() == ocio.getView(OCIO::VIEW_DISPLAY_DEFINED, t.display().c_str(), i);
        for (int i = 0; i < ocio.getNumViews(OCIO::VIEW_SHARED, t.display().c_str()) && !viewFound; ++i)
            viewFound = t.view() == ocio.getView(OCIO::VIEW_SHARED, t.display().c_str(), i);
        if (!viewFound)
            throw ColorError("colour: " + describeConfig(config) + " display '" + t.display() +
                             "' has no view '" + t.view() + "' (needed by " + t.describe() + ")");
        requireLooks(config, t.looks(), t);

        auto group = OCIO::GroupTransform::Create();
        std::string viewSource = t.source();
        if (t.exposure() != 0.0) {
            // Exposure is a multiplication by 2^stops in the scene-linear working space.
            const std::string linear = config.workingSpace().empty() ? t.source() : config.workingSpace();
            auto toLinear = OCIO::ColorSpaceTransform::Create();
            toLinear->setSrc(t.source().c_str());
            toLinear->setDst(linear.c_str());
            group->appendTransform(toLinear);
            auto gain = OCIO::MatrixTransform::Create();
            const double m = std::pow(2.0, t.exposure());
            const double matrix[16] = {m, 0, 0, 0, 0, m, 0, 0, 0, 0, m, 0, 0, 0, 0, 1};
            gain->setMatrix(matrix);
            group->appendTransform(gain);
            viewSource = linear;
        }
        if (!t.looks().empty()) {
            auto look = OCIO::LookTransform::Create();
            look->setSrc(viewSource.c_str());
            look->setDst(viewSource.c_str());
            look->setLooks(t.looks().c_str());
            group->appendTransform(look);
        }
        auto dv = OCIO::DisplayViewTransform::Create();
        dv->setSrc(viewSource.c_str());
        dv->setDisplay(t.display().c_str());
        dv->setView(t.view().c_str());
        group->appendTransform(dv);
        if (t.gamma() != 1.0) {
            auto exponent = OCIO::ExponentTransform::Create();
            const double g = 1.0 / t.gamma();
            const double values[4] = {g, g, g, 1.0};
            exponent->setValue(values);
            exponent->setNegativeStyle(OCIO::NEGATIVE_PASS_THRU);
            group->appendTransform(exponent);
        }
        result.transform = group;
        break;
    }
    }
    return result;
}

OCIO::ConstContextRcPtr makeContext(const ConfigHandle& config, const ContextVariables& overrides) {
    auto current = config.impl().config->getCurrentContext();
    if (overrides.empty())
        return current;
    auto context = current->createEditableCopy();
    for (const auto& [name, value] : overrides)
        context->setStringVar(name.c_str(), value.c_str());
    return context;
}

namespace {

class ContextVariableWalker {
public:
    ContextVariableWalker(const OCIO::Config& config, const OCIO::Context& context)
        : m_config(config)
        , m_context(context)
        , m_used(OCIO::Context::Create()) {}

    void transform(const OCIO::ConstTransformRcPtr& t, int depth) {
        if (!t || depth > kMaxDepth)
            return;
        if (auto group = OCIO::DynamicPtrCast<const OCIO::GroupTransform>(t)) {
            for (int i = 0; i < group->getNumTransforms(); ++i)
                transform(group->getTransform(i), depth + 1);
        } else if (auto cs = OCIO::DynamicPtrCast<const OCIO::ColorSpaceTransform>(t)) {
            colorSpace(resolve(cs->getSrc()), depth + 1);
            colorSpace(resolve(cs->getDst()), depth + 1);
        } else if (auto look = OCIO::DynamicPtrCast<const OCIO::LookTransform>(t)) {
            colorSpace(resolve(look->getSrc()), depth + 1);
            colorSpace(resolve(look->getDst()), depth + 1);
            looks(look->getLooks(), depth + 1);
        } else if (auto dv = OCIO::DynamicPtrCast<const OCIO::DisplayViewTransform>(t)) {
            displayView(*dv, depth + 1);
        } else if (auto file = OCIO::DynamicPtrCast<const OCIO::FileTransform>(t)) {
            resolve(file->getSrc());
            resolve(file->getCCCId());
            // A relative LUT path is searched through the (possibly variable) search path.
            for (int i = 0; i < m_context.getNumSearchPaths(); ++i)
                resolve(m_context.getSearchPath(i));
        }
    }

    std::map<std::string, std::string> result() const {
        std::map<std::string, std::string> vars;
        for (int i = 0; i < m_used->getNumStringVars(); ++i)
            vars[m_used->getStringVarNameByIndex(i)] = m_used->getStringVarByIndex(i);
        return vars;
    }

private:
    static constexpr int kMaxDepth = 64;

    std::string resolve(const char* text) {
        if (!text || !*text)
            return {};
        auto used = OCIO::Context::Create();
        std::string resolved = m_context.resolveStringVar(text, used);
        m_used->addStringVars(used);
        return resolved;
    }

    void colorSpace(const std::string& name, int depth) {
        if (name.empty() || !m_visitedSpaces.insert(name).second)
            return;
        if (auto cs = m_config.getColorSpace(name.c_str())) {
            transform(cs->getTransform(OCIO::COLORSPACE_DIR_TO_REFERENCE), depth + 1);
            transform(cs->getTransform(OCIO::COLORSPACE_DIR_FROM_REFERENCE), depth + 1);
        } else if (auto named = m_config.getNamedTransform(name.c_str())) {
            transform(named->getTransform(OCIO::TRANSFORM_DIR_FORWARD), depth + 1);
            transform(named->getTransform(OCIO::TRANSFORM_DIR_INVERSE), depth + 1);
        }
    }

    void looks(const char* lookString, int depth) {
        for (const auto& name : lookNamesOf(resolve(lookString))) {
            if (!m_visitedLooks.insert(name).second)
                continue;
            auto look = m_config.getLook(name.c_str());
            if (!look)
                continue;
            colorSpace(resolve(look->getProcessSpace()), depth + 1);
            transform(look->getTransform(), depth + 1);
            transform(look->getInverseTransform(), depth + 1);
        }
    }

    void viewTransform(const char* name, int depth) {
        if (!name || !*name)
            return;
        if (auto vt = m_config.getViewTransform(name)) {
            transform(vt->getTransform(OCIO::VIEWTRANSFORM_DIR_TO_REFERENCE), depth + 1);
            transform(vt->getTransform(OCIO::VIEWTRANSFORM_DIR_FROM_REFERENCE), depth + 1);
        }
    }

    void displayView(const OCIO::DisplayViewTransform& dv, int depth) {
        colorSpace(resolve(dv.getSrc()), depth);
        const char* display = dv.getDisplay();
        const char* view = dv.getView();
        std::string displaySpace = m_config.getDisplayViewColorSpaceName(display, view);
        if (displaySpace == OCIO::OCIO_VIEW_USE_DISPLAY_NAME)
            displaySpace = display;
        colorSpace(resolve(displaySpace.c_str()), depth);
        viewTransform(m_config.getDisplayViewTransformName(display, view), depth);
        // Conversions between the two reference spaces go through the default view transform.
        viewTransform(m_config.getDefaultViewTransformName(), depth);
        if (!dv.getLooksBypass())
            looks(m_config.getDisplayViewLooks(display, view), depth);
    }

    const OCIO::Config& m_config;
    const OCIO::Context& m_context;
    OCIO::ContextRcPtr m_used;
    std::set<std::string> m_visitedSpaces;
    std::set<std::string> m_visitedLooks;
};

} // namespace

std::map<std::string, std::string> collectUsedContextVariables(const OCIO::Config& config,
                                                               const OCIO::Context& context,
                                                               const OCIO::ConstTransformRcPtr& transform) {
    ContextVariableWalker walker(config, context);
    walker.transform(transform, 0);
    return walker.result();
}

} // namespace kinema::color
