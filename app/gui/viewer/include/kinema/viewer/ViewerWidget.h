// SPDX-License-Identifier: Apache-2.0
#pragma once
/// The HDR image viewer.
///
/// Design note
/// - A QOpenGLWidget (OpenGL 4.1 core) that shows render::Image data as RGBA32F textures. The image
///   stays scene-linear on the GPU; one fragment shader does channel isolation, exposure (a gain of
///   2^stops), the colour module's exact OpenColorIO display/view/look shader (GLSL 4.0 text plus LUT
///   textures from color::gpuShaderFor), display gamma (out^(1/gamma)) and the out-of-range warning.
///   Keeping exposure and gamma out of the OCIO program means slider moves never rebuild shaders.
/// - Image coordinates are absolute pixels with y down (OpenEXR convention). The view maps them to
///   widget pixels with a zoom (widget pixels per image pixel, times the pixel aspect horizontally)
///   and a pan (the widget position of image pixel (0, 0)).
/// - Images are packed (and reduced for proxy ½ and ¼) on the CPU when first painted after a change;
///   the probe always reads the full-resolution image and computes the displayed value with the CPU
///   processor of the same transform.
/// - A second image (B) can be compared with a wipe or side by side.
/// - The Dear ImGui debug overlay (DebugOverlay) draws on top when visible.
/// - Bad input never crashes: an unknown display/view/look throws color::ColorError from the setter;
///   a GL or OCIO failure at paint time is reported through lastError() and errorOccurred(), and the
///   image is then shown without the display transform.
#include <QElapsedTimer>
#include <QOpenGLWidget>
#include <QPointF>
#include <QString>
#include <QStringList>

#include <array>
#include <memory>
#include <optional>

#include "kinema/color/Config.h"
#include "kinema/render/Image.h"
#include "kinema/viewer/ViewerTypes.h"

class QMenu;
class QActionGroup;

namespace kinema::viewer {

class DebugOverlay;
class ViewerRenderer;

class ViewerWidget : public QOpenGLWidget {
    Q_OBJECT
public:
    /// Loads the config with color::loadConfig() ($OCIO, else the shipped one); when that fails the
    /// viewer shows raw values until setConfig() succeeds (lastError() says why).
    explicit ViewerWidget(QWidget* parent = nullptr);
    ~ViewerWidget() override;

    // Images ---------------------------------------------------------------------------------------
    void setImage(render::ImagePtr image);
    void setImageB(render::ImagePtr image);
    const render::ImagePtr& image() const { return m_imageA; }
    const render::ImagePtr& imageB() const { return m_imageB; }
    /// The layer shown ("" = main RGBA, "diffuse" = diffuse.R/G/B/A).
    void setLayer(const QString& layer);
    QString layer() const { return m_layer; }

    // Colour ---------------------------------------------------------------------------------------
    /// Uses a loaded config; display, view and look fall back to the config's defaults when the
    /// current ones do not exist in it, and the input colour space becomes its scene_linear role.
    void setConfig(const color::ConfigHandle& config);
    /// Loads a config file; throws color::ColorError naming the file when it cannot be loaded.
    void setConfig(const QString& path);
    const color::ConfigHandle& config() const { return m_config; }
    /// The colour space of the images (default: the config's working space).
    void setInputColorSpace(const QString& colorSpace);
    QString inputColorSpace() const { return m_inputColorSpace; }

    QStringList displays() const;
    QStringList views() const; ///< views of the current display
    QStringList looks() const; ///< the config's looks (the "no look" choice is the empty string)
    QString display() const { return m_display; }
    QString view() const { return m_view; }
    QString look() const { return m_look; }
    /// Selects a display; keeps the view if the display has it, else takes the display's default.
    void setDisplay(const QString& display);
    void setView(const QString& view);
    /// "" for no look, otherwise OCIO look syntax ("grade" or "+a, -b").
    void setLook(const QString& look);

    void setExposure(double stops);
    double exposure() const { return m_exposure; }
    /// Display gamma (> 0): displayed = value^(1/gamma). 1 leaves values unchanged.
    void setGamma(double gamma);
    double gamma() const { return m_gamma; }

    void setChannelMode(ChannelMode mode);
    ChannelMode channelMode() const { return m_channelMode; }
    /// Weights for ChannelMode::Luminance (default: ACEScg / AP1 luminance).
    void setLuminanceWeights(const std::array<float, 3>& weights);
    const std::array<float, 3>& luminanceWeights() const { return m_lumaWeights; }

    /// Proxy factor 1, 2 or 4: the image is box-filtered down before upload. Others throw
    /// std::invalid_argument.
    void setProxy(int factor);
    int proxy() const { return m_proxy; }
    /// The proxy factor actually used for image A (higher than proxy() when the image does not fit
    /// the GL texture size limit).
    int effectiveProxy() const { return m_effectiveProxyA; }

    void setShowWarnings(bool on);
    bool showWarnings() const { return m_showWarnings; }
    void setShowOutlines(bool on);
    bool showOutlines() const { return m_showOutlines; }
    void setShowStatusLine(bool on);
    bool showStatusLine() const { return m_showStatusLine; }

    void setCompareMode(CompareMode mode);
    CompareMode compareMode() const { return m_compareMode; }
    /// Wipe line position as a fraction of the widget width, clamped to [0, 1].
    void setWipePosition(double fraction);
    double wipePosition() const { return m_wipe; }

    // View -----------------------------------------------------------------------------------------
    double zoom() const { return m_zoom; }
    /// Sets the zoom (clamped to [1/64, 256]) keeping the widget point `anchor` (default: the centre)
    /// over the same image point.
    void setZoom(double zoom, std::optional<QPointF> anchor = std::nullopt);
    QPointF pan() const { return m_pan; }
    void setPan(const QPointF& pan);
    /// Fits the format (both formats side by side in that mode) into the widget.
    void fitToWindow();
    /// One image pixel per widget pixel, keeping the centre.
    void zoomOneToOne();
    QPointF imageToWidget(const QPointF& imagePoint) const;
    QPointF widgetToImage(const QPointF& widgetPoint) const;

    /// The pixel under a widget position and its scene-linear and displayed values.
    PixelProbe probeAt(const QPointF& widgetPos) const;
    /// The displayed value for a scene-linear RGBA value under the current settings (CPU path).
    std::array<float, 4> displayedValue(const std::array<float, 4>& scene) const;
    const PixelProbe& lastProbe() const { return m_probe; }

    // Overlay and menus ----------------------------------------------------------------------------
    DebugOverlay& debugOverlay() { return *m_overlay; }
    void setDebugOverlayVisible(bool on);
    bool debugOverlayVisible() const;

    /// Menus filled from the active config; they stay in sync with the setters.
    QMenu* displayMenu() const { return m_displayMenu; }
    QMenu* viewMenu() const { return m_viewMenu; }
    QMenu* lookMenu() const { return m_lookMenu; }
    /// Channels, proxy, compare mode and toggles.
    QMenu* optionsMenu() const { return m_optionsMenu; }

    /// The last GL or colour error ("" when the last paint succeeded).
    QString lastError() const { return m_lastError; }

Q_SIGNALS:
    void pixelProbed(const kinema::viewer::PixelProbe& probe);
    /// Display, view, look, exposure, gamma, channel or input colour space changed.
    void displaySettingsChanged();
    void viewTransformChanged(); ///< zoom or pan changed
    void errorOccurred(const QString& message);

protected:
    void initializeGL() override;
    void resizeGL(int w, int h) override;
    void paintGL() override;
    void mousePressEvent(QMouseEvent* event) override;
    void mouseMoveEvent(QMouseEvent* event) override;
    void mouseReleaseEvent(QMouseEvent* event) override;
    void wheelEvent(QWheelEvent* event) override;
    void keyPressEvent(QKeyEvent* event) override;
    void contextMenuEvent(QContextMenuEvent* event) override;

private:
    void rebuildMenus();
    void rebuildViewMenu();
    void syncMenuChecks();
    void updateProbe(const QPointF& widgetPos);
    void reportError(const QString& message);
    void releaseGl();
    void paintOverlays(); // outlines and status line (QPainter)
    double statusLineHeight() const;
    double pixelAspect() const;
    double imageBOffsetX() const; // side-by-side shift of B in image pixels
    struct Fit;

    render::ImagePtr m_imageA, m_imageB;
    QString m_layer;
    bool m_textureDirtyA = true, m_textureDirtyB = true;
    int m_effectiveProxyA = 1, m_effectiveProxyB = 1;

    color::ConfigHandle m_config;
    QString m_inputColorSpace, m_display, m_view, m_look;
    bool m_colorDirty = true;
    double m_exposure = 0.0, m_gamma = 1.0;
    ChannelMode m_channelMode = ChannelMode::RGB;
    std::array<float, 3> m_lumaWeights{0.2722287f, 0.6740818f, 0.0536895f};
    int m_proxy = 1;
    bool m_showWarnings = false, m_showOutlines = true, m_showStatusLine = true;
    CompareMode m_compareMode = CompareMode::Off;
    double m_wipe = 0.5;

    double m_zoom = 1.0;
    QPointF m_pan;
    bool m_autoFit = true;

    enum class Drag { None, Pan, Wipe, Probe };
    Drag m_drag = Drag::None;
    QPointF m_dragStart, m_panStart;
    PixelProbe m_probe;
    bool m_probeShown = false;

    std::unique_ptr<ViewerRenderer> m_renderer;
    std::unique_ptr<DebugOverlay> m_overlay;
    QString m_lastError;
    QString m_configError;
    QElapsedTimer m_frameClock; // ImGui frame delta

    QMenu* m_displayMenu = nullptr;
    QMenu* m_viewMenu = nullptr;
    QMenu* m_lookMenu = nullptr;
    QMenu* m_optionsMenu = nullptr;
    QActionGroup* m_displayGroup = nullptr;
    QActionGroup* m_viewGroup = nullptr;
    QActionGroup* m_lookGroup = nullptr;
};

} // namespace kinema::viewer

Q_DECLARE_METATYPE(kinema::viewer::PixelProbe)
