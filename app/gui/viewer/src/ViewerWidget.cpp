// SPDX-License-Identifier: Apache-2.0
#include "kinema/viewer/ViewerWidget.h"

#include <QActionGroup>
#include <QContextMenuEvent>
#include <QElapsedTimer>
#include <QKeyEvent>
#include <QMenu>
#include <QMouseEvent>
#include <QOpenGLContext>
#include <QOpenGLFunctions>
#include <QPainter>
#include <QSurfaceFormat>
#include <QWheelEvent>

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "ViewerRenderer.h"
#include "kinema/color/ColorError.h"
#include "kinema/color/GpuShader.h"
#include "kinema/color/Processor.h"
#include "kinema/viewer/DebugOverlay.h"
#include "kinema/viewer/ImagePacking.h"

namespace kinema::viewer {
namespace {

constexpr double kMinZoom = 1.0 / 64.0;
constexpr double kMaxZoom = 256.0;

QStringList toQt(const std::vector<std::string>& list) {
    QStringList out;
    for (const auto& s : list)
        out << QString::fromStdString(s);
    return out;
}

color::ColorTransform displayTransform(const QString& input, const QString& display, const QString& view,
                                       const QString& look) {
    auto t =
        color::ColorTransform::displayView(input.toStdString(), display.toStdString(), view.toStdString());
    if (!look.isEmpty())
        t = t.withLooks(look.toStdString());
    return t;
}

} // namespace

ViewerWidget::ViewerWidget(QWidget* parent)
    : QOpenGLWidget(parent)
    , m_renderer(std::make_unique<ViewerRenderer>())
    , m_overlay(std::make_unique<DebugOverlay>()) {
    qRegisterMetaType<kinema::viewer::PixelProbe>();
    QSurfaceFormat fmt = format();
    fmt.setVersion(4, 1);
    fmt.setProfile(QSurfaceFormat::CoreProfile);
    setFormat(fmt);
    setMouseTracking(true);
    setFocusPolicy(Qt::StrongFocus);
    setMinimumSize(64, 64);
    m_overlay->setRepaintCallback([this] { update(); });

    m_displayMenu = new QMenu(tr("Display"), this);
    m_viewMenu = new QMenu(tr("View"), this);
    m_lookMenu = new QMenu(tr("Look"), this);
    m_optionsMenu = new QMenu(tr("Viewer"), this);
    m_displayGroup = new QActionGroup(this);
    m_viewGroup = new QActionGroup(this);
    m_lookGroup = new QActionGroup(this);

    // Options menu: channels, proxy, compare, toggles.
    auto* channels = m_optionsMenu->addMenu(tr("Channels"));
    auto* channelGroup = new QActionGroup(this);
    const std::pair<const char*, ChannelMode> channelItems[] = {
        {"RGB", ChannelMode::RGB},   {"Red", ChannelMode::Red},     {"Green", ChannelMode::Green},
        {"Blue", ChannelMode::Blue}, {"Alpha", ChannelMode::Alpha}, {"Luminance", ChannelMode::Luminance}};
    for (const auto& [label, mode] : channelItems) {
        auto* action = channels->addAction(tr(label));
        action->setCheckable(true);
        action->setChecked(mode == m_channelMode);
        channelGroup->addAction(action);
        connect(action, &QAction::triggered, this, [this, mode = mode] { setChannelMode(mode); });
        connect(this, &ViewerWidget::displaySettingsChanged, action,
                [this, action, mode = mode] { action->setChecked(m_channelMode == mode); });
    }
    auto* proxyMenu = m_optionsMenu->addMenu(tr("Proxy"));
    auto* proxyGroup = new QActionGroup(this);
    for (int factor : {1, 2, 4}) {
        auto* action = proxyMenu->addAction(factor == 1 ? tr("Full") : tr("1/%1").arg(factor));
        action->setCheckable(true);
        action->setChecked(factor == m_proxy);
        proxyGroup->addAction(action);
        connect(action, &QAction::triggered, this, [this, factor] { setProxy(factor); });
    }
    auto* compareMenu = m_optionsMenu->addMenu(tr("Compare A/B"));
    auto* compareGroup = new QActionGroup(this);
    const std::pair<const char*, CompareMode> compareItems[] = {
        {"Off", CompareMode::Off}, {"Wipe", CompareMode::Wipe}, {"Side by side", CompareMode::SideBySide}};
    for (const auto& [label, mode] : compareItems) {
        auto* action = compareMenu->addAction(tr(label));
        action->setCheckable(true);
        action->setChecked(mode == m_compareMode);
        compareGroup->addAction(action);
        connect(action, &QAction::triggered, this, [this, mode = mode] { setCompareMode(mode); });
    }
    auto addToggle = [this](const QString& label, bool initial, auto setter) {
        auto* action = m_optionsMenu->addAction(label);
        action->setCheckable(true);
        action->setChecked(initial);
        connect(action, &QAction::toggled, this, setter);
    };
    addToggle(tr("Out-of-range warning"), m_showWarnings, [this](bool on) { setShowWarnings(on); });
    addToggle(tr("Format and data window outlines"), m_showOutlines,
              [this](bool on) { setShowOutlines(on); });
    addToggle(tr("Status line"), m_showStatusLine, [this](bool on) { setShowStatusLine(on); });
    addToggle(tr("Debug overlay"), false, [this](bool on) { setDebugOverlayVisible(on); });
    m_optionsMenu->addSeparator();
    connect(m_optionsMenu->addAction(tr("Fit")), &QAction::triggered, this, [this] { fitToWindow(); });
    connect(m_optionsMenu->addAction(tr("1:1")), &QAction::triggered, this, [this] { zoomOneToOne(); });

    try {
        setConfig(color::loadConfig());
    } catch (const std::exception& e) {
        m_configError = m_lastError = QString::fromUtf8(e.what());
        rebuildMenus();
    }
}

ViewerWidget::~ViewerWidget() {
    releaseGl();
    // QOpenGLWidget destroys the context after our members are gone: do not get called back then.
    if (auto* ctx = context())
        disconnect(ctx, nullptr, this, nullptr);
}

void ViewerWidget::releaseGl() {
    if (!context())
        return;
    makeCurrent();
    m_overlay->releaseGl();
    m_renderer->release();
    doneCurrent();
}

// Images -------------------------------------------------------------------------------------------

void ViewerWidget::setImage(render::ImagePtr image) {
    const bool formatChanged = !m_imageA || !image || !(m_imageA->format() == image->format());
    m_imageA = std::move(image);
    m_textureDirtyA = true;
    if (m_autoFit && formatChanged)
        fitToWindow(), m_autoFit = true;
    if (m_probeShown)
        updateProbe(imageToWidget(QPointF(m_probe.x + 0.5, m_probe.y + 0.5)));
    update();
}

void ViewerWidget::setImageB(render::ImagePtr image) {
    m_imageB = std::move(image);
    m_textureDirtyB = true;
    if (m_autoFit && m_compareMode == CompareMode::SideBySide)
        fitToWindow(), m_autoFit = true;
    update();
}

void ViewerWidget::setLayer(const QString& layer) {
    if (layer == m_layer)
        return;
    m_layer = layer;
    m_textureDirtyA = m_textureDirtyB = true;
    update();
}

// Colour -------------------------------------------------------------------------------------------

void ViewerWidget::setConfig(const color::ConfigHandle& config) {
    if (!config.valid())
        throw color::ColorError("viewer: cannot use an empty colour config handle");
    m_config = config;
    const auto displays = m_config.displays();
    if (std::find(displays.begin(), displays.end(), m_display.toStdString()) == displays.end())
        m_display = QString::fromStdString(m_config.defaultDisplay());
    const auto views = m_config.views(m_display.toStdString());
    if (std::find(views.begin(), views.end(), m_view.toStdString()) == views.end())
        m_view = QString::fromStdString(m_config.defaultView(m_display.toStdString()));
    if (!m_look.isEmpty() && !m_config.hasLook(m_look.toStdString()))
        m_look.clear();
    m_inputColorSpace = QString::fromStdString(m_config.workingSpace());
    m_lastError.clear();
    m_colorDirty = true;
    rebuildMenus();
    Q_EMIT displaySettingsChanged();
    update();
}

void ViewerWidget::setConfig(const QString& path) {
    setConfig(color::ConfigHandle::fromFile(path.toStdString()));
}

void ViewerWidget::setInputColorSpace(const QString& colorSpace) {
    if (!m_config.valid() || !m_config.hasColorSpace(colorSpace.toStdString()))
        throw color::ColorError("viewer: unknown input colour space '" + colorSpace.toStdString() + "'");
    m_inputColorSpace = colorSpace;
    m_colorDirty = true;
    Q_EMIT displaySettingsChanged();
    update();
}

QStringList ViewerWidget::displays() const {
    return m_config.valid() ? toQt(m_config.displays()) : QStringList();
}

QStringList ViewerWidget::views() const {
    return m_config.valid() && !m_display.isEmpty() ? toQt(m_config.views(m_display.toStdString()))
                                                    : QStringList();
}

QStringList ViewerWidget::looks() const {
    return m_config.valid() ? toQt(m_config.looks()) : QStringList();
}

void ViewerWidget::setDisplay(const QString& display) {
    if (!displays().contains(display))
        throw color::ColorError("viewer: unknown display '" + display.toStdString() + "'");
    m_display = display;
    if (!views().contains(m_view))
        m_view = QString::fromStdString(m_config.defaultView(display.toStdString()));
    m_colorDirty = true;
    rebuildViewMenu();
    syncMenuChecks();
    Q_EMIT displaySettingsChanged();
    update();
}

void ViewerWidget::setView(const QString& view) {
    if (!views().contains(view))
        throw color::ColorError("viewer: display '" + m_display.toStdString() + "' has no view '" +
                                view.toStdString() + "'");
    m_view = view;
    m_colorDirty = true;
    syncMenuChecks();
    Q_EMIT displaySettingsChanged();
    update();
}

void ViewerWidget::setLook(const QString& look) {
    if (!look.isEmpty()) {
        // Validate by building the CPU processor (accepts OCIO look syntax with +/- and lists).
        if (!m_config.valid())
            throw color::ColorError("viewer: no colour config for look '" + look.toStdString() + "'");
        color::processorFor(m_config, displayTransform(m_inputColorSpace, m_display, m_view, look));
    }
    m_look = look;
    m_colorDirty = true;
    syncMenuChecks();
    Q_EMIT displaySettingsChanged();
    update();
}

void ViewerWidget::setExposure(double stops) {
    if (!std::isfinite(stops))
        throw std::invalid_argument("viewer: exposure must be finite");
    m_exposure = stops;
    Q_EMIT displaySettingsChanged();
    update();
}

void ViewerWidget::setGamma(double gamma) {
    if (!(gamma > 0.0) || !std::isfinite(gamma))
        throw std::invalid_argument("viewer: gamma must be a positive number, got " + std::to_string(gamma));
    m_gamma = gamma;
    Q_EMIT displaySettingsChanged();
    update();
}

void ViewerWidget::setChannelMode(ChannelMode mode) {
    m_channelMode = mode;
    Q_EMIT displaySettingsChanged();
    update();
}

void ViewerWidget::setLuminanceWeights(const std::array<float, 3>& weights) {
    m_lumaWeights = weights;
    update();
}

void ViewerWidget::setProxy(int factor) {
    if (factor != 1 && factor != 2 && factor != 4)
        throw std::invalid_argument("viewer: proxy factor " + std::to_string(factor) + " is not 1, 2 or 4");
    if (factor == m_proxy)
        return;
    m_proxy = factor;
    m_textureDirtyA = m_textureDirtyB = true;
    update();
}

void ViewerWidget::setShowWarnings(bool on) {
    m_showWarnings = on;
    update();
}

void ViewerWidget::setShowOutlines(bool on) {
    m_showOutlines = on;
    update();
}

void ViewerWidget::setShowStatusLine(bool on) {
    m_showStatusLine = on;
    update();
}

void ViewerWidget::setCompareMode(CompareMode mode) {
    m_compareMode = mode;
    if (m_autoFit)
        fitToWindow(), m_autoFit = true;
    update();
}

void ViewerWidget::setWipePosition(double fraction) {
    m_wipe = std::clamp(fraction, 0.0, 1.0);
    update();
}

void ViewerWidget::setDebugOverlayVisible(bool on) {
    m_overlay->setVisible(on);
    update();
}

bool ViewerWidget::debugOverlayVisible() const {
    return m_overlay->isVisible();
}

// View ---------------------------------------------------------------------------------------------

double ViewerWidget::pixelAspect() const {
    const double par = m_imageA ? m_imageA->format().pixelAspect : 1.0;
    return par > 0.0 && std::isfinite(par) ? par : 1.0;
}

double ViewerWidget::imageBOffsetX() const {
    return m_imageA ? m_imageA->format().width : (m_imageB ? m_imageB->format().width : 0);
}

double ViewerWidget::statusLineHeight() const {
    return m_showStatusLine ? fontMetrics().height() + 6 : 0;
}

void ViewerWidget::setZoom(double zoom, std::optional<QPointF> anchor) {
    const QPointF a = anchor.value_or(QPointF(width() / 2.0, height() / 2.0));
    const QPointF imagePoint = widgetToImage(a);
    m_zoom = std::clamp(zoom, kMinZoom, kMaxZoom);
    m_pan = a - QPointF(imagePoint.x() * m_zoom * pixelAspect(), imagePoint.y() * m_zoom);
    m_autoFit = false;
    Q_EMIT viewTransformChanged();
    update();
}

void ViewerWidget::setPan(const QPointF& pan) {
    m_pan = pan;
    m_autoFit = false;
    Q_EMIT viewTransformChanged();
    update();
}

void ViewerWidget::fitToWindow() {
    const render::Image* ref = m_imageA ? m_imageA.get() : m_imageB.get();
    double fw = ref ? ref->format().width : 1920.0;
    const double fh = ref ? ref->format().height : 1080.0;
    if (m_compareMode == CompareMode::SideBySide && m_imageB)
        fw += m_imageB->format().width;
    const double par = pixelAspect();
    const double availW = std::max(1.0, double(width()));
    const double availH = std::max(1.0, double(height()) - statusLineHeight());
    m_zoom = std::clamp(std::min(availW / (std::max(1.0, fw) * par), availH / std::max(1.0, fh)), kMinZoom,
                        kMaxZoom);
    m_pan = QPointF((availW - fw * par * m_zoom) / 2.0, (availH - fh * m_zoom) / 2.0);
    m_autoFit = true;
    Q_EMIT viewTransformChanged();
    update();
}

void ViewerWidget::zoomOneToOne() {
    setZoom(1.0);
    // Snap the pan to whole pixels so that texels land on pixel centres.
    m_pan = QPointF(std::round(m_pan.x()), std::round(m_pan.y()));
    update();
}

QPointF ViewerWidget::imageToWidget(const QPointF& p) const {
    return QPointF(p.x() * m_zoom * pixelAspect() + m_pan.x(), p.y() * m_zoom + m_pan.y());
}

QPointF ViewerWidget::widgetToImage(const QPointF& p) const {
    return QPointF((p.x() - m_pan.x()) / (m_zoom * pixelAspect()), (p.y() - m_pan.y()) / m_zoom);
}

std::array<float, 4> ViewerWidget::displayedValue(const std::array<float, 4>& scene) const {
    std::array<float, 4> v = scene;
    switch (m_channelMode) {
    case ChannelMode::RGB:
        break;
    case ChannelMode::Red:
        v[1] = v[2] = v[0];
        break;
    case ChannelMode::Green:
        v[0] = v[2] = v[1];
        break;
    case ChannelMode::Blue:
        v[0] = v[1] = v[2];
        break;
    case ChannelMode::Alpha:
        v[0] = v[1] = v[2] = v[3];
        break;
    case ChannelMode::Luminance:
        v[0] = v[1] = v[2] =
            scene[0] * m_lumaWeights[0] + scene[1] * m_lumaWeights[1] + scene[2] * m_lumaWeights[2];
        break;
    }
    const float gain = static_cast<float>(std::exp2(m_exposure));
    for (int c = 0; c < 3; ++c)
        v[c] *= gain;
    if (m_config.valid()) {
        try {
            color::processorFor(m_config, displayTransform(m_inputColorSpace, m_display, m_view, m_look))
                ->applyPixel(v);
        } catch (const std::exception&) {
            // Shown raw, like the GPU path falls back.
        }
    }
    if (m_gamma != 1.0) {
        const float inv = static_cast<float>(1.0 / m_gamma);
        for (int c = 0; c < 3; ++c)
            v[c] = std::pow(std::max(v[c], 0.0f), inv);
    }
    return v;
}

PixelProbe ViewerWidget::probeAt(const QPointF& widgetPos) const {
    PixelProbe probe;
    QPointF ip = widgetToImage(widgetPos);
    const render::Image* img = m_imageA.get();
    if (m_imageB) {
        if (m_compareMode == CompareMode::Wipe && widgetPos.x() >= m_wipe * width()) {
            img = m_imageB.get();
            probe.imageB = true;
        } else if (m_compareMode == CompareMode::SideBySide && ip.x() >= imageBOffsetX()) {
            img = m_imageB.get();
            probe.imageB = true;
            ip.rx() -= imageBOffsetX();
        }
    }
    if (!img)
        return probe;
    probe.x = static_cast<int>(std::floor(ip.x()));
    probe.y = static_cast<int>(std::floor(ip.y()));
    if (!img->dataWindow().contains(probe.x, probe.y))
        return probe;
    const auto names = displayChannels(*img, m_layer.toStdString());
    for (int c = 0; c < 4; ++c)
        probe.scene[c] = names[c].empty() ? (c == 3 ? 1.0f : 0.0f) : img->sample(names[c], probe.x, probe.y);
    probe.display = displayedValue(probe.scene);
    probe.valid = true;
    return probe;
}

void ViewerWidget::updateProbe(const QPointF& widgetPos) {
    m_probe = probeAt(widgetPos);
    m_probeShown = true;
    Q_EMIT pixelProbed(m_probe);
    update();
}

void ViewerWidget::reportError(const QString& message) {
    if (message == m_lastError)
        return;
    m_lastError = message;
    QMetaObject::invokeMethod(
        this, [this, message] { Q_EMIT errorOccurred(message); }, Qt::QueuedConnection);
}

// Menus --------------------------------------------------------------------------------------------

void ViewerWidget::rebuildMenus() {
    m_displayMenu->clear();
    for (auto* a : m_displayGroup->actions())
        m_displayGroup->removeAction(a);
    for (const auto& name : displays()) {
        auto* action = m_displayMenu->addAction(name);
        action->setCheckable(true);
        m_displayGroup->addAction(action);
        connect(action, &QAction::triggered, this, [this, name] { setDisplay(name); });
    }
    m_lookMenu->clear();
    for (auto* a : m_lookGroup->actions())
        m_lookGroup->removeAction(a);
    QStringList lookChoices = looks();
    lookChoices.prepend(QString());
    for (const auto& name : lookChoices) {
        auto* action = m_lookMenu->addAction(name.isEmpty() ? tr("None") : name);
        action->setCheckable(true);
        action->setData(name);
        m_lookGroup->addAction(action);
        connect(action, &QAction::triggered, this, [this, name] { setLook(name); });
    }
    rebuildViewMenu();
    syncMenuChecks();
}

void ViewerWidget::rebuildViewMenu() {
    m_viewMenu->clear();
    for (auto* a : m_viewGroup->actions())
        m_viewGroup->removeAction(a);
    for (const auto& name : views()) {
        auto* action = m_viewMenu->addAction(name);
        action->setCheckable(true);
        m_viewGroup->addAction(action);
        connect(action, &QAction::triggered, this, [this, name] { setView(name); });
    }
}

void ViewerWidget::syncMenuChecks() {
    for (auto* a : m_displayGroup->actions())
        a->setChecked(a->text() == m_display);
    for (auto* a : m_viewGroup->actions())
        a->setChecked(a->text() == m_view);
    for (auto* a : m_lookGroup->actions())
        a->setChecked(a->data().toString() == m_look);
}

// GL -----------------------------------------------------------------------------------------------

void ViewerWidget::initializeGL() {
    // A reparented widget gets a new context: free the old objects first (no-op the first time).
    connect(context(), &QOpenGLContext::aboutToBeDestroyed, this, &ViewerWidget::releaseGl,
            Qt::UniqueConnection);
    try {
        m_renderer->initialize();
        m_overlay->initializeGl();
    } catch (const std::exception& e) {
        reportError(QString::fromUtf8(e.what()));
    }
    m_textureDirtyA = m_textureDirtyB = m_colorDirty = true;
}

void ViewerWidget::resizeGL(int, int) {
    if (m_autoFit)
        fitToWindow();
}

void ViewerWidget::paintGL() {
    auto& gl = *context()->functions();
    const double dpr = devicePixelRatioF();
    const int fbW = static_cast<int>(std::lround(width() * dpr));
    const int fbH = static_cast<int>(std::lround(height() * dpr));
    gl.glViewport(0, 0, fbW, fbH);
    gl.glClearColor(0.16f, 0.16f, 0.16f, 1.0f);
    gl.glClear(GL_COLOR_BUFFER_BIT);

    QString error;
    if (m_colorDirty) {
        m_colorDirty = false;
        std::shared_ptr<const color::GpuShaderProgram> program;
        try {
            if (m_config.valid())
                program = color::gpuShaderFor(m_config,
                                              displayTransform(m_inputColorSpace, m_display, m_view, m_look));
            m_renderer->setColorProgram(program);
        } catch (const std::exception& e) {
            error = QString::fromUtf8(e.what());
            try {
                m_renderer->setColorProgram(nullptr);
            } catch (const std::exception&) {
            }
        }
    }
    auto upload = [&](int slot, const render::ImagePtr& img, bool& dirty, int& effective) {
        if (!dirty)
            return;
        dirty = false;
        PackedRgba packed;
        effective = m_proxy;
        if (img && img->pixelCount() > 0) {
            const int maxSize = std::max(1, m_renderer->maxTextureSize());
            while (effective < 4 && (img->width() + effective - 1) / effective > maxSize)
                effective *= 2;
            while (effective < 4 && (img->height() + effective - 1) / effective > maxSize)
                effective *= 2;
            packed = packRgba(*img, m_layer.toStdString(), effective);
            if (packed.width > maxSize || packed.height > maxSize) {
                error = tr("image of %1×%2 pixels is too large for the GL texture limit %3")
                            .arg(img->width())
                            .arg(img->height())
                            .arg(maxSize);
                packed = {};
            }
        }
        m_renderer->uploadImage(slot, packed);
    };
    upload(0, m_imageA, m_textureDirtyA, m_effectiveProxyA);
    upload(1, m_imageB, m_textureDirtyB, m_effectiveProxyB);

    ViewerRenderer::DrawParams params;
    const double par = pixelAspect();
    params.scale[0] = static_cast<float>(2.0 * m_zoom * par / width());
    params.scale[1] = static_cast<float>(-2.0 * m_zoom / height());
    params.offset[0] = static_cast<float>(2.0 * m_pan.x() / width() - 1.0);
    params.offset[1] = static_cast<float>(1.0 - 2.0 * m_pan.y() / height());
    params.gain = static_cast<float>(std::exp2(m_exposure));
    params.invGamma = static_cast<float>(1.0 / m_gamma);
    params.channel = static_cast<int>(m_channelMode);
    params.luma = m_lumaWeights;
    params.warnings = m_showWarnings;
    auto setRect = [&](const render::Image& img, double dx) {
        const auto& dw = img.dataWindow();
        params.rect[0] = static_cast<float>(dw.x0 + dx);
        params.rect[1] = static_cast<float>(dw.y0);
        params.rect[2] = static_cast<float>(dw.x1 + dx);
        params.rect[3] = static_cast<float>(dw.y1);
    };
    const bool showB = m_imageB && m_compareMode != CompareMode::Off;
    const int wipeFb = static_cast<int>(std::lround(m_wipe * width() * dpr));
    if (m_imageA) {
        setRect(*m_imageA, 0.0);
        params.scissor = showB && m_compareMode == CompareMode::Wipe;
        params.scissorBox[0] = 0;
        params.scissorBox[1] = 0;
        params.scissorBox[2] = wipeFb;
        params.scissorBox[3] = fbH;
        m_renderer->drawImage(0, params);
    }
    if (showB) {
        const bool wipe = m_compareMode == CompareMode::Wipe;
        setRect(*m_imageB, wipe ? 0.0 : imageBOffsetX());
        params.scissor = wipe;
        params.scissorBox[0] = wipeFb;
        params.scissorBox[1] = 0;
        params.scissorBox[2] = std::max(0, fbW - wipeFb);
        params.scissorBox[3] = fbH;
        m_renderer->drawImage(1, params);
    }

    paintOverlays();

    if (m_overlay->isVisible()) {
        const double dt =
            m_frameClock.isValid() ? std::max(1e-4, m_frameClock.restart() / 1000.0) : 1.0 / 60.0;
        if (!m_frameClock.isValid())
            m_frameClock.start();
        gl.glBindFramebuffer(GL_FRAMEBUFFER, defaultFramebufferObject());
        gl.glViewport(0, 0, fbW, fbH);
        try {
            m_overlay->render(width(), height(), dpr, dt);
        } catch (const std::exception& e) {
            error = QString::fromUtf8(e.what());
        }
    }
    if (error.isEmpty() && !m_config.valid())
        error = tr("no colour config (values shown raw): %1").arg(m_configError);
    if (!error.isEmpty())
        reportError(error);
    else
        m_lastError.clear();
}

void ViewerWidget::paintOverlays() {
    QPainter painter(this);
    painter.setRenderHint(QPainter::Antialiasing, false);
    if (m_showOutlines) {
        auto outline = [&](const graph::Box2i& box, double dx, const QColor& colour, Qt::PenStyle style) {
            if (box.empty())
                return;
            const QPointF a = imageToWidget(QPointF(box.x0 + dx, box.y0));
            const QPointF b = imageToWidget(QPointF(box.x1 + dx, box.y1));
            QPen pen(colour, 1.0, style);
            pen.setCosmetic(true);
            painter.setPen(pen);
            painter.setBrush(Qt::NoBrush);
            painter.drawRect(QRectF(a, b).adjusted(-0.5, -0.5, 0.5, 0.5));
        };
        auto outlines = [&](const render::Image& img, double dx) {
            outline(img.format().displayWindow(), dx, QColor(200, 200, 200), Qt::SolidLine);
            if (!(img.dataWindow() == img.format().displayWindow()))
                outline(img.dataWindow(), dx, QColor(230, 190, 60), Qt::DashLine);
        };
        if (m_imageA)
            outlines(*m_imageA, 0.0);
        if (m_imageB && m_compareMode == CompareMode::SideBySide)
            outlines(*m_imageB, imageBOffsetX());
    }
    if (m_imageB && m_compareMode == CompareMode::Wipe) {
        const double x = m_wipe * width();
        painter.setPen(QPen(QColor(255, 255, 255, 200), 1.0));
        painter.drawLine(QPointF(x, 0), QPointF(x, height()));
        painter.drawText(QPointF(x - 18, 16), QStringLiteral("A"));
        painter.drawText(QPointF(x + 8, 16), QStringLiteral("B"));
    }
    if (m_showStatusLine) {
        const double h = statusLineHeight();
        const QRectF bar(0, height() - h, width(), h);
        painter.fillRect(bar, QColor(24, 24, 24, 230));
        painter.setPen(QColor(210, 210, 210));
        QString text;
        if (!m_lastError.isEmpty()) {
            text = tr("Error: %1").arg(m_lastError);
            painter.setPen(QColor(255, 120, 100));
        } else if (m_probeShown && m_probe.valid) {
            const auto& s = m_probe.scene;
            const auto& d = m_probe.display;
            text = QStringLiteral("%1 x=%2 y=%3   scene %4 %5 %6 %7   display %8 %9 %10")
                       .arg(m_probe.imageB ? "B" : "A")
                       .arg(m_probe.x)
                       .arg(m_probe.y)
                       .arg(s[0], 0, 'f', 5)
                       .arg(s[1], 0, 'f', 5)
                       .arg(s[2], 0, 'f', 5)
                       .arg(s[3], 0, 'f', 5)
                       .arg(d[0], 0, 'f', 4)
                       .arg(d[1], 0, 'f', 4)
                       .arg(d[2], 0, 'f', 4);
        } else if (m_imageA) {
            const auto& f = m_imageA->format();
            const auto& dw = m_imageA->dataWindow();
            text = tr("%1×%2  data %3,%4 – %5,%6")
                       .arg(f.width)
                       .arg(f.height)
                       .arg(dw.x0)
                       .arg(dw.y0)
                       .arg(dw.x1)
                       .arg(dw.y1);
        }
        QString right =
            QStringLiteral("%1 / %2%3  %4%  exp %5  γ %6")
                .arg(m_display, m_view, m_look.isEmpty() ? QString() : QStringLiteral(" + ") + m_look)
                .arg(std::lround(m_zoom * 100.0))
                .arg(m_exposure, 0, 'f', 1)
                .arg(m_gamma, 0, 'f', 2);
        if (m_effectiveProxyA > 1)
            right += QStringLiteral("  proxy 1/%1").arg(m_effectiveProxyA);
        painter.drawText(bar.adjusted(6, 0, -6, 0), Qt::AlignVCenter | Qt::AlignLeft, text);
        painter.drawText(bar.adjusted(6, 0, -6, 0), Qt::AlignVCenter | Qt::AlignRight, right);
    }
    painter.end();
}

// Input --------------------------------------------------------------------------------------------

void ViewerWidget::mousePressEvent(QMouseEvent* event) {
    const QPointF pos = event->position();
    if (m_overlay->isVisible()) {
        m_overlay->mouseMove(float(pos.x()), float(pos.y()));
        const int button = event->button() == Qt::LeftButton ? 0 : event->button() == Qt::RightButton ? 1 : 2;
        m_overlay->mouseButton(button, true);
        if (m_overlay->wantsMouse()) {
            update();
            return;
        }
    }
    m_dragStart = pos;
    m_panStart = m_pan;
    if (event->button() == Qt::MiddleButton ||
        (event->button() == Qt::LeftButton && (event->modifiers() & Qt::AltModifier))) {
        m_drag = Drag::Pan;
    } else if (event->button() == Qt::LeftButton) {
        if (m_imageB && m_compareMode == CompareMode::Wipe && std::abs(pos.x() - m_wipe * width()) < 6.0) {
            m_drag = Drag::Wipe;
        } else {
            m_drag = Drag::Probe;
            updateProbe(pos);
        }
    }
}

void ViewerWidget::mouseMoveEvent(QMouseEvent* event) {
    const QPointF pos = event->position();
    if (m_overlay->isVisible()) {
        m_overlay->mouseMove(float(pos.x()), float(pos.y()));
        if (m_overlay->wantsMouse() && m_drag == Drag::None) {
            update();
            return;
        }
    }
    switch (m_drag) {
    case Drag::Pan:
        setPan(m_panStart + (pos - m_dragStart));
        break;
    case Drag::Wipe:
        setWipePosition(pos.x() / std::max(1, width()));
        break;
    case Drag::Probe:
    case Drag::None:
        updateProbe(pos);
        break;
    }
}

void ViewerWidget::mouseReleaseEvent(QMouseEvent* event) {
    if (m_overlay->isVisible()) {
        const int button = event->button() == Qt::LeftButton ? 0 : event->button() == Qt::RightButton ? 1 : 2;
        m_overlay->mouseButton(button, false);
        update();
    }
    m_drag = Drag::None;
}

void ViewerWidget::wheelEvent(QWheelEvent* event) {
    if (m_overlay->isVisible() && m_overlay->wantsMouse()) {
        m_overlay->mouseWheel(event->angleDelta().y() / 120.0f);
        update();
        return;
    }
    const double steps = event->angleDelta().y() / 120.0;
    if (steps != 0.0)
        setZoom(m_zoom * std::pow(2.0, steps / 2.0), event->position());
}

void ViewerWidget::keyPressEvent(QKeyEvent* event) {
    auto toggleChannel = [this](ChannelMode mode) {
        setChannelMode(m_channelMode == mode ? ChannelMode::RGB : mode);
    };
    switch (event->key()) {
    case Qt::Key_F:
        fitToWindow();
        break;
    case Qt::Key_1:
        zoomOneToOne();
        break;
    case Qt::Key_Plus:
    case Qt::Key_Equal:
        setZoom(m_zoom * 2.0);
        break;
    case Qt::Key_Minus:
        setZoom(m_zoom / 2.0);
        break;
    case Qt::Key_R:
        toggleChannel(ChannelMode::Red);
        break;
    case Qt::Key_G:
        toggleChannel(ChannelMode::Green);
        break;
    case Qt::Key_B:
        toggleChannel(ChannelMode::Blue);
        break;
    case Qt::Key_A:
        toggleChannel(ChannelMode::Alpha);
        break;
    case Qt::Key_L:
        toggleChannel(ChannelMode::Luminance);
        break;
    case Qt::Key_W:
        setCompareMode(static_cast<CompareMode>((static_cast<int>(m_compareMode) + 1) % 3));
        break;
    case Qt::Key_QuoteLeft:
        setDebugOverlayVisible(!debugOverlayVisible());
        break;
    default:
        QOpenGLWidget::keyPressEvent(event);
    }
}

void ViewerWidget::contextMenuEvent(QContextMenuEvent* event) {
    QMenu menu(this);
    menu.addMenu(m_displayMenu);
    menu.addMenu(m_viewMenu);
    menu.addMenu(m_lookMenu);
    menu.addSeparator();
    for (auto* action : m_optionsMenu->actions())
        menu.addAction(action);
    menu.exec(event->globalPos());
}

} // namespace kinema::viewer
