// SPDX-License-Identifier: Apache-2.0
#pragma once
/// The viewer area of the main window: a toolbar, the OCIO-managed HDR ViewerWidget and the timeline.
///
/// Design note: the panel only arranges and synchronises widgets; it never evaluates. The toolbar drives
/// the ViewerWidget (display/view/look menus from the active config, exposure, gamma, channel isolation,
/// proxy, A/B compare) and follows it back through displaySettingsChanged, so keyboard shortcuts inside
/// the viewer and the toolbar never disagree. The TimelineWidget owns the current frame and the play
/// state; the main window binds it to the evaluation service through a PlaybackController.
#include <QString>
#include <QWidget>

#include "kinema/render/Image.h"

class QButtonGroup;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QToolButton;

namespace kinema::viewer {
class TimelineWidget;
class ViewerWidget;
} // namespace kinema::viewer

namespace kinema::app {

class ViewerPanel : public QWidget {
    Q_OBJECT
public:
    explicit ViewerPanel(QWidget* parent = nullptr);

    /// Shows image A (the viewed node) with a caption.
    void setImage(render::ImagePtr image, const QString& caption);
    /// Image B of the A/B comparison (null clears it).
    void setImageB(render::ImagePtr image);
    /// Clears image A and shows a message (nothing viewed, an error, computing...).
    void showMessage(const QString& text);
    const render::ImagePtr& image() const;
    const render::ImagePtr& imageB() const;
    QString caption() const;
    /// The names of viewer inputs A and B ("" = none), shown after the caption while B is set.
    void setInputNames(const QString& a, const QString& b);

    void setFrameRange(int first, int last);
    void setFrame(int frame);
    int frame() const;
    void setFps(double fps);
    bool isPlaying() const;
    void setPlaying(bool playing);

    viewer::ViewerWidget* viewerWidget() const { return m_viewer; }
    viewer::TimelineWidget* timeline() const { return m_timeline; }

    /// Updates the toolbar from the viewer (after changing the viewer's settings directly).
    void syncControls();

Q_SIGNALS:
    void frameChanged(int frame);
    void playingChanged(bool playing);

private:
    void updateCaption();

    viewer::ViewerWidget* m_viewer;
    viewer::TimelineWidget* m_timeline;
    QLabel* m_caption;
    QString m_captionText;
    QString m_inputsText;
    QToolButton* m_displayButton;
    QToolButton* m_viewButton;
    QToolButton* m_lookButton;
    QDoubleSpinBox* m_exposure;
    QDoubleSpinBox* m_gamma;
    QButtonGroup* m_channels;
    QComboBox* m_proxy;
    QComboBox* m_compare;
};

} // namespace kinema::app
