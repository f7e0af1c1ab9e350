// SPDX-License-Identifier: Apache-2.0
#pragma once
/// The viewer area of the main window: the image of the viewed node and a frame bar.
///
/// When the kinema_viewer library is built, the image goes to its OCIO-managed ViewerWidget. Otherwise a
/// plain preview stands in: the main RGB channels clamped to [0,1] with the sRGB transfer curve, which is
/// NOT a colour-managed display and only serves as a placeholder. The frame bar (slider, field, play)
/// drives the current frame of the window.
#include <QImage>
#include <QTimer>
#include <QWidget>

#include "kinema/render/Image.h"

class QLabel;
class QSlider;
class QSpinBox;
class QToolButton;

namespace kinema::app {

/// The placeholder's conversion: RGB (missing channels 0), clamped, sRGB-encoded, display window only.
QImage previewImage(const render::Image& image);

class ViewerPanel : public QWidget {
    Q_OBJECT
public:
    explicit ViewerPanel(QWidget* parent = nullptr);

    void setImage(render::ImagePtr image, const QString& caption);
    /// Clears the image and shows a message (nothing viewed, an error, computing...).
    void showMessage(const QString& text);
    const render::ImagePtr& image() const { return m_image; }
    QString caption() const;

    void setFrameRange(int first, int last);
    void setFrame(int frame);
    int frame() const;
    void setFps(double fps);
    bool isPlaying() const { return m_playTimer.isActive(); }
    void setPlaying(bool playing);

    QSlider* frameSlider() const { return m_slider; }
    QSpinBox* frameField() const { return m_field; }

Q_SIGNALS:
    void frameChanged(int frame);

protected:
    void resizeEvent(QResizeEvent* event) override;

private:
    void updatePixmap();

    render::ImagePtr m_image;
    QImage m_preview;
    QWidget* m_display = nullptr;
    QLabel* m_picture = nullptr;
    QLabel* m_caption;
    QSlider* m_slider;
    QSpinBox* m_field;
    QToolButton* m_play;
    QTimer m_playTimer;
};

} // namespace kinema::app
