// SPDX-License-Identifier: Apache-2.0
// Pixel checks of the viewer under a real GL context (Xvfb + Mesa llvmpipe): what the widget draws is
// read back with grabFramebuffer() and compared with the colour module's CPU processor.
#include <catch2/catch.hpp>

#include <QApplication>
#include <QImage>
#include <QMenu>
#include <QMouseEvent>
#include <QSignalSpy>
#include <QTest>

#include <array>
#include <cmath>

#include "GuiTestSupport.h"
#include "TestSupport.h"
#include "kinema/color/Color.h"
#include "kinema/viewer/DebugOverlay.h"
#include "kinema/viewer/ImagePacking.h"
#include "kinema/viewer/ViewerWidget.h"

using namespace kinema;
using viewer::ChannelMode;
using viewer::CompareMode;
using viewer::ViewerWidget;

namespace {

constexpr int kCell = 16;     // widget pixels per image pixel in these tests
constexpr int kTolerance = 2; // 8-bit code values allowed between the GPU and CPU paths

color::ConfigHandle shippedConfig() {
    return color::ConfigHandle::fromFile(test::resourcesDir() / "ocio" / "config.ocio");
}

// An image whose pixels are the given RGBA values, laid out row by row, `columns` per row.
render::ImagePtr makeImage(const std::vector<std::array<float, 4>>& values, int columns,
                           graph::Box2i dataWindow = {}) {
    const int rows = static_cast<int>((values.size() + columns - 1) / columns);
    if (dataWindow.empty())
        dataWindow = {0, 0, columns, rows};
    graph::Format format{columns, rows, 1.0, "test"};
    auto image = std::make_shared<render::Image>(format, dataWindow, render::Image::rgba());
    for (std::size_t i = 0; i < values.size(); ++i) {
        const int x = static_cast<int>(i % columns), y = static_cast<int>(i / columns);
        for (int c = 0; c < 4; ++c)
            image->channel(render::Image::rgba()[c])[y * dataWindow.width() + x] = values[i][c];
    }
    return image;
}

// A shown viewer where image pixel (x, y) covers widget pixels [16x, 16x+16) × [16y, 16y+16).
struct Fixture : test::GuiApp {
    ViewerWidget viewer;
    Fixture() {
        viewer.setConfig(shippedConfig());
        viewer.setShowStatusLine(false);
        viewer.setShowOutlines(false);
        viewer.resize(320, 240);
        viewer.show();
        REQUIRE(QTest::qWaitForWindowExposed(&viewer, test::kWindowTimeoutMs));
    }
    QImage grab(const render::ImagePtr& image) {
        viewer.setImage(image);
        viewer.setZoom(kCell);
        viewer.setPan(QPointF(0, 0));
        QImage frame = viewer.grabFramebuffer();
        REQUIRE(viewer.lastError().isEmpty());
        return frame;
    }
    static QColor cell(const QImage& frame, int x, int y) {
        return frame.pixelColor(x * kCell + kCell / 2, y * kCell + kCell / 2);
    }
};

std::array<int, 3> cpuCodeValues(const color::ConfigHandle& config, const color::ColorTransform& transform,
                                 std::array<float, 4> rgba, double gamma = 1.0) {
    color::processorFor(config, transform)->applyPixel(rgba);
    std::array<int, 3> out{};
    for (int c = 0; c < 3; ++c) {
        float v = rgba[c];
        if (gamma != 1.0)
            v = std::pow(std::max(v, 0.0f), static_cast<float>(1.0 / gamma));
        out[c] = static_cast<int>(std::lround(std::clamp(v, 0.0f, 1.0f) * 255.0f));
    }
    return out;
}

void checkClose(const QColor& gpu, const std::array<int, 3>& cpu, const std::string& what) {
    INFO(what << ": GPU " << gpu.red() << " " << gpu.green() << " " << gpu.blue() << ", CPU " << cpu[0] << " "
              << cpu[1] << " " << cpu[2]);
    CHECK(std::abs(gpu.red() - cpu[0]) <= kTolerance);
    CHECK(std::abs(gpu.green() - cpu[1]) <= kTolerance);
    CHECK(std::abs(gpu.blue() - cpu[2]) <= kTolerance);
}

// HDR test values: black, mid grey, diffuse white, highlights up to 100, a negative, saturated colours.
const std::vector<std::array<float, 4>> kHdrValues = {
    {0.0f, 0.0f, 0.0f, 1.0f},   {0.18f, 0.18f, 0.18f, 1.0f}, {1.0f, 1.0f, 1.0f, 1.0f},
    {4.0f, 4.0f, 4.0f, 1.0f},   {16.0f, 16.0f, 16.0f, 1.0f}, {100.0f, 100.0f, 100.0f, 1.0f},
    {-0.05f, 0.1f, 0.3f, 1.0f}, {2.0f, 0.5f, 0.1f, 0.5f},    {0.02f, 0.6f, 0.05f, 0.25f},
    {0.05f, 0.07f, 3.5f, 1.0f}, {0.9f, 0.01f, 0.6f, 0.0f},   {0.0045f, 0.004f, 0.002f, 1.0f},
    {12.0f, 6.0f, 0.5f, 1.0f},  {0.5f, 0.5f, 0.5f, 0.75f},   {7.5f, 0.0f, 0.0f, 1.0f},
    {0.25f, 1.5f, 40.0f, 1.0f},
};

} // namespace

TEST_CASE("viewer: GPU display transform matches the CPU processor for HDR pixels", "[viewer][gui]") {
    Fixture f;
    const auto config = shippedConfig();
    const auto image = makeImage(kHdrValues, 4);
    for (const auto& [display, view] :
         std::vector<std::pair<QString, QString>>{{"sRGB", "ACES 1.0 SDR-video"},
                                                  {"Rec.1886", "ACES 1.0 SDR-video"},
                                                  {"P3-D65", "Un-tone-mapped"},
                                                  {"sRGB", "Raw"}}) {
        f.viewer.setDisplay(display);
        f.viewer.setView(view);
        const QImage frame = f.grab(image);
        const auto transform =
            color::ColorTransform::displayView("ACEScg", display.toStdString(), view.toStdString());
        for (std::size_t i = 0; i < kHdrValues.size(); ++i)
            checkClose(Fixture::cell(frame, int(i % 4), int(i / 4)),
                       cpuCodeValues(config, transform, kHdrValues[i]),
                       (display + " / " + view).toStdString() + " pixel " + std::to_string(i));
    }
}

TEST_CASE("viewer: looks with LUT textures match the CPU processor", "[viewer][gui]") {
    Fixture f;
    const auto studio = color::ConfigHandle::fromFile(test::sourceDir() / "tests" / "color" / "data" /
                                                      "studio" / "config.ocio");
    f.viewer.setConfig(studio);
    REQUIRE(f.viewer.looks().contains("Shot Grade"));
    f.viewer.setLook("Shot Grade");
    const QImage frame = f.grab(makeImage(kHdrValues, 4));
    const auto transform =
        color::ColorTransform::displayView(studio.workingSpace(), f.viewer.display().toStdString(),
                                           f.viewer.view().toStdString())
            .withLooks("Shot Grade");
    for (std::size_t i = 0; i < kHdrValues.size(); ++i)
        checkClose(Fixture::cell(frame, int(i % 4), int(i / 4)),
                   cpuCodeValues(studio, transform, kHdrValues[i]), "Shot Grade pixel " + std::to_string(i));
    // The look changes the picture.
    f.viewer.setLook("");
    const QImage plain = f.grab(makeImage(kHdrValues, 4));
    int differing = 0;
    for (std::size_t i = 0; i < kHdrValues.size(); ++i)
        differing +=
            Fixture::cell(plain, int(i % 4), int(i / 4)) != Fixture::cell(frame, int(i % 4), int(i / 4));
    CHECK(differing > 4);
}

TEST_CASE("viewer: exposure and gamma are applied around the display transform", "[viewer][gui]") {
    Fixture f;
    const auto config = shippedConfig();
    const auto transform = color::ColorTransform::displayView("ACEScg", "sRGB", "ACES 1.0 SDR-video");
    f.viewer.setExposure(2.0);
    f.viewer.setGamma(1.8);
    const QImage frame = f.grab(makeImage(kHdrValues, 4));
    for (std::size_t i = 0; i < kHdrValues.size(); ++i) {
        auto v = kHdrValues[i];
        for (int c = 0; c < 3; ++c)
            v[c] *= 4.0f;
        checkClose(Fixture::cell(frame, int(i % 4), int(i / 4)), cpuCodeValues(config, transform, v, 1.8),
                   "exposure +2, gamma 1.8, pixel " + std::to_string(i));
    }
    // The CPU path of the probe agrees with the same arithmetic.
    auto expected = kHdrValues[1];
    for (int c = 0; c < 3; ++c)
        expected[c] *= 4.0f;
    color::processorFor(config, transform)->applyPixel(expected);
    const auto shown = f.viewer.displayedValue(kHdrValues[1]);
    CHECK(shown[0] == Approx(std::pow(expected[0], 1.0f / 1.8f)).margin(1e-5));
}

TEST_CASE("viewer: channel isolation shows one channel as grey", "[viewer][gui]") {
    Fixture f;
    const auto config = shippedConfig();
    const auto transform = color::ColorTransform::displayView("ACEScg", "sRGB", "ACES 1.0 SDR-video");
    const auto image = makeImage(kHdrValues, 4);
    const std::array<float, 3> luma{0.2722287f, 0.6740818f, 0.0536895f};
    for (auto mode : {ChannelMode::Red, ChannelMode::Green, ChannelMode::Blue, ChannelMode::Alpha,
                      ChannelMode::Luminance}) {
        f.viewer.setChannelMode(mode);
        const QImage frame = f.grab(image);
        for (std::size_t i = 0; i < kHdrValues.size(); ++i) {
            const auto& p = kHdrValues[i];
            float grey = 0.0f;
            switch (mode) {
            case ChannelMode::Red:
                grey = p[0];
                break;
            case ChannelMode::Green:
                grey = p[1];
                break;
            case ChannelMode::Blue:
                grey = p[2];
                break;
            case ChannelMode::Alpha:
                grey = p[3];
                break;
            default:
                grey = p[0] * luma[0] + p[1] * luma[1] + p[2] * luma[2];
                break;
            }
            const QColor gpu = Fixture::cell(frame, int(i % 4), int(i / 4));
            checkClose(gpu, cpuCodeValues(config, transform, {grey, grey, grey, p[3]}),
                       "channel mode " + std::to_string(int(mode)) + " pixel " + std::to_string(i));
            CHECK(std::abs(gpu.red() - gpu.green()) <= 1);
            CHECK(std::abs(gpu.green() - gpu.blue()) <= 1);
        }
    }
}

TEST_CASE("viewer: proxy reduces the image by box filtering before upload", "[viewer][gui]") {
    // 4×4 pixels in 2×2 blocks whose means are known.
    std::vector<std::array<float, 4>> values(16);
    for (int y = 0; y < 4; ++y)
        for (int x = 0; x < 4; ++x) {
            const float v = ((x + y) % 2 == 0) ? 0.05f : 0.45f; // checkerboard: every 2×2 block averages 0.25
            values[y * 4 + x] = {v, v * (x < 2 ? 1.0f : 2.0f), 0.1f, 1.0f};
        }
    const auto image = makeImage(values, 4);
    const auto packed = viewer::packRgba(*image, "", 2);
    REQUIRE(packed.width == 2);
    REQUIRE(packed.height == 2);
    CHECK(packed.pixels[0] == Approx(0.25f));
    CHECK(packed.pixels[4 + 1] == Approx(0.5f));
    CHECK_THROWS_AS(viewer::packRgba(*image, "", 3), std::invalid_argument);

    Fixture f;
    const auto config = shippedConfig();
    const auto transform = color::ColorTransform::displayView("ACEScg", "sRGB", "ACES 1.0 SDR-video");
    f.viewer.setProxy(2);
    const QImage frame = f.grab(image);
    CHECK(f.viewer.effectiveProxy() == 2);
    // Both pixels of a block show the block's mean.
    checkClose(Fixture::cell(frame, 0, 0), cpuCodeValues(config, transform, {0.25f, 0.25f, 0.1f, 1.0f}),
               "block 0");
    checkClose(Fixture::cell(frame, 1, 1), cpuCodeValues(config, transform, {0.25f, 0.25f, 0.1f, 1.0f}),
               "block 0");
    checkClose(Fixture::cell(frame, 3, 0), cpuCodeValues(config, transform, {0.25f, 0.5f, 0.1f, 1.0f}),
               "block 1");
    // The probe still reads full-resolution values.
    const auto probe = f.viewer.probeAt(QPointF(1 * kCell + 4, 0 * kCell + 4));
    REQUIRE(probe.valid);
    CHECK(probe.scene[0] == Approx(0.45f));
}

TEST_CASE("viewer: pixel probe reports scene-linear and displayed values", "[viewer][gui]") {
    Fixture f;
    const auto config = shippedConfig();
    const auto transform = color::ColorTransform::displayView("ACEScg", "sRGB", "ACES 1.0 SDR-video");
    // Data window offset from the origin: absolute coordinates must come back.
    const auto image = makeImage(kHdrValues, 4, graph::Box2i{2, 1, 6, 5});
    f.viewer.setImage(image);
    f.viewer.setZoom(kCell);
    f.viewer.setPan(QPointF(0, 0));
    QSignalSpy spy(&f.viewer, &ViewerWidget::pixelProbed);
    // Deliver the move to the widget directly: GUI tests run in parallel on one X display, so the shared
    // pointer must not be relied upon.
    const QPointF local(3 * kCell + 5, 2 * kCell + 9);
    QMouseEvent move(QEvent::MouseMove, local, f.viewer.mapToGlobal(local), Qt::NoButton, Qt::NoButton,
                     Qt::NoModifier);
    QApplication::sendEvent(&f.viewer, &move);
    REQUIRE(spy.count() >= 1);
    const auto probe = spy.last().at(0).value<viewer::PixelProbe>();
    REQUIRE(probe.valid);
    CHECK(probe.x == 3);
    CHECK(probe.y == 2);
    const auto& expectedScene = kHdrValues[(2 - 1) * 4 + (3 - 2)];
    for (int c = 0; c < 4; ++c)
        CHECK(probe.scene[c] == expectedScene[c]);
    auto expectedDisplay = expectedScene;
    color::processorFor(config, transform)->applyPixel(expectedDisplay);
    for (int c = 0; c < 3; ++c)
        CHECK(probe.display[c] == Approx(expectedDisplay[c]).margin(1e-6));
    // Outside the data window the probe is invalid.
    CHECK_FALSE(f.viewer.probeAt(QPointF(0.5 * kCell, 0.5 * kCell)).valid);
    // The status line shows the probe.
    f.viewer.setShowStatusLine(true);
    const QImage withStatus = f.viewer.grabFramebuffer();
    f.viewer.setShowStatusLine(false);
    const QImage without = f.viewer.grabFramebuffer();
    CHECK(withStatus.copy(0, 220, 320, 20) != without.copy(0, 220, 320, 20));
}

TEST_CASE("viewer: A/B wipe and side by side show both images", "[viewer][gui]") {
    Fixture f;
    const auto config = shippedConfig();
    const auto transform = color::ColorTransform::displayView("ACEScg", "sRGB", "ACES 1.0 SDR-video");
    const std::array<float, 4> red{0.8f, 0.02f, 0.02f, 1.0f}, green{0.02f, 0.8f, 0.02f, 1.0f};
    const auto a = makeImage(std::vector<std::array<float, 4>>(20 * 10, red), 20);
    const auto b = makeImage(std::vector<std::array<float, 4>>(20 * 10, green), 20);
    f.viewer.setImageB(b);
    f.viewer.setCompareMode(CompareMode::Wipe);
    f.viewer.setWipePosition(0.5);
    QImage frame = f.grab(a);
    checkClose(frame.pixelColor(40, 80), cpuCodeValues(config, transform, red), "wipe left");
    checkClose(frame.pixelColor(280, 80), cpuCodeValues(config, transform, green), "wipe right");
    CHECK(f.viewer.probeAt(QPointF(280, 80)).imageB);
    CHECK_FALSE(f.viewer.probeAt(QPointF(40, 80)).imageB);

    f.viewer.setCompareMode(CompareMode::SideBySide);
    f.viewer.setZoom(4);
    f.viewer.setPan(QPointF(0, 0));
    frame = f.viewer.grabFramebuffer();
    checkClose(frame.pixelColor(40, 20), cpuCodeValues(config, transform, red), "side by side A");
    checkClose(frame.pixelColor(20 * 4 + 40, 20), cpuCodeValues(config, transform, green), "side by side B");
    const auto probe = f.viewer.probeAt(QPointF(20 * 4 + 6, 6));
    REQUIRE(probe.valid);
    CHECK(probe.imageB);
    CHECK(probe.x == 1);

    f.viewer.setCompareMode(CompareMode::Off);
    frame = f.viewer.grabFramebuffer();
    checkClose(frame.pixelColor(20 * 4 + 40, 20), {41, 41, 41}, "B hidden: background");
}

TEST_CASE("viewer: warning overlay marks values above 1 and below 0", "[viewer][gui]") {
    Fixture f;
    const auto image =
        makeImage({{0.5f, 0.5f, 0.5f, 1.0f}, {3.0f, 3.0f, 3.0f, 1.0f}, {-0.5f, 0.2f, 0.2f, 1.0f}}, 3);
    const QImage plain = f.grab(image);
    f.viewer.setShowWarnings(true);
    const QImage warned = f.grab(image);
    auto countColour = [](const QImage& img, int cx, QColor colour) {
        int n = 0;
        for (int y = 0; y < kCell; ++y)
            for (int x = cx * kCell; x < (cx + 1) * kCell; ++x)
                n += img.pixelColor(x, y) == colour;
        return n;
    };
    const QColor magenta(255, 0, 255), cyan(0, 204, 255);
    CHECK(countColour(warned, 0, magenta) == 0);
    CHECK(countColour(warned, 0, cyan) == 0);
    CHECK(countColour(warned, 1, magenta) > kCell * kCell / 4);
    CHECK(countColour(warned, 2, cyan) > kCell * kCell / 4);
    CHECK(countColour(plain, 1, magenta) == 0);
    CHECK(Fixture::cell(plain, 0, 0) == Fixture::cell(warned, 0, 0));
}

TEST_CASE("viewer: zoom, pan, fit and 1:1 keep image and widget coordinates consistent", "[viewer][gui]") {
    Fixture f;
    auto image = std::make_shared<render::Image>(graph::Format{640, 360, 1.0, "small"},
                                                 graph::Box2i{0, 0, 640, 360}, render::Image::rgba());
    f.viewer.setImage(image);
    f.viewer.fitToWindow();
    CHECK(f.viewer.zoom() == Approx(0.5));
    const QPointF centre = f.viewer.imageToWidget(QPointF(320, 180));
    CHECK(centre.x() == Approx(160.0));
    f.viewer.setZoom(2.0, QPointF(100, 50));
    const QPointF anchorImage = f.viewer.widgetToImage(QPointF(100, 50));
    f.viewer.setZoom(8.0, QPointF(100, 50));
    CHECK(f.viewer.widgetToImage(QPointF(100, 50)).x() == Approx(anchorImage.x()));
    f.viewer.zoomOneToOne();
    CHECK(f.viewer.zoom() == 1.0);
    QTest::keyClick(&f.viewer, Qt::Key_F);
    CHECK(f.viewer.zoom() == Approx(0.5));
    // Middle-drag pans.
    const QPointF before = f.viewer.pan();
    QTest::mousePress(&f.viewer, Qt::MiddleButton, Qt::NoModifier, QPoint(100, 100));
    QMouseEvent move(QEvent::MouseMove, QPointF(130, 90), QPointF(130, 90), Qt::NoButton, Qt::MiddleButton,
                     Qt::NoModifier);
    QApplication::sendEvent(&f.viewer, &move);
    QTest::mouseRelease(&f.viewer, Qt::MiddleButton, Qt::NoModifier, QPoint(130, 90));
    CHECK(f.viewer.pan().x() == Approx(before.x() + 30));
    CHECK(f.viewer.pan().y() == Approx(before.y() - 10));
}

TEST_CASE("viewer: display, view and look menus follow the config", "[viewer][gui]") {
    Fixture f;
    const auto config = shippedConfig();
    QStringList menuDisplays;
    for (auto* action : f.viewer.displayMenu()->actions())
        menuDisplays << action->text();
    CHECK(menuDisplays.size() == static_cast<int>(config.displays().size()));
    CHECK(menuDisplays.contains("P3-D65"));
    for (auto* action : f.viewer.displayMenu()->actions())
        if (action->text() == "Rec.1886")
            action->trigger();
    CHECK(f.viewer.display() == "Rec.1886");
    for (auto* action : f.viewer.viewMenu()->actions())
        if (action->text() == "Raw")
            action->trigger();
    CHECK(f.viewer.view() == "Raw");
    CHECK_THROWS_AS(f.viewer.setDisplay("No such display"), color::ColorError);
    CHECK_THROWS_AS(f.viewer.setView("No such view"), color::ColorError);
    CHECK_THROWS_AS(f.viewer.setConfig(QString("/nonexistent/config.ocio")), color::ColorError);
    CHECK_THROWS_AS(f.viewer.setProxy(3), std::invalid_argument);
    CHECK(f.viewer.display() == "Rec.1886");
    // A studio config with different names replaces the menus and picks its defaults.
    f.viewer.setConfig(QString::fromStdString(
        (test::sourceDir() / "tests" / "color" / "data" / "studio" / "config.ocio").string()));
    CHECK(f.viewer.display() == "sRGB - Display");
    CHECK(f.viewer.displayMenu()->actions().size() == 2);
    CHECK(f.viewer.lookMenu()->actions().size() == 3); // None + two looks
}
