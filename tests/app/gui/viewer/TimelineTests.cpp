// SPDX-License-Identifier: Apache-2.0
// Timeline scrubbing and playback, the frame cache and the playback controller's read-ahead.
#include <catch2/catch.hpp>

#include <QMouseEvent>
#include <QSignalSpy>
#include <QTest>

#include <atomic>
#include <mutex>
#include <set>
#include <stdexcept>
#include <vector>

#include "GuiTestSupport.h"
#include "kinema/viewer/PlaybackController.h"
#include "kinema/viewer/TimelineWidget.h"

using namespace kinema;
using viewer::PlaybackController;
using viewer::TimelineWidget;

namespace {

struct TimelineFixture : test::GuiApp {
    TimelineWidget timeline;
    TimelineFixture() {
        timeline.resize(800, 80);
        timeline.setFrameRange(1, 100);
        timeline.show();
        REQUIRE(QTest::qWaitForWindowExposed(&timeline, test::kWindowTimeoutMs));
    }
};

void dragTo(QWidget* widget, QPoint pos) {
    QMouseEvent move(QEvent::MouseMove, QPointF(pos), widget->mapToGlobal(QPointF(pos)), Qt::NoButton,
                     Qt::LeftButton, Qt::NoModifier);
    QApplication::sendEvent(widget, &move);
}

// A frame source that records what it is asked for and returns a 4×4 image whose R is the frame.
struct RecordingSource {
    std::mutex mutex;
    std::vector<int> requests;
    std::set<int> failing;
    render::ImagePtr operator()(int frame) {
        {
            std::lock_guard lock(mutex);
            requests.push_back(frame);
            if (failing.count(frame))
                throw std::runtime_error("frame " + std::to_string(frame) + " cannot be decoded");
        }
        auto image = std::make_shared<render::Image>(graph::Format{4, 4}, graph::Box2i{0, 0, 4, 4},
                                                     render::Image::rgba());
        image->channel("R")[0] = static_cast<float>(frame);
        return image;
    }
    std::set<int> requested() {
        std::lock_guard lock(mutex);
        return {requests.begin(), requests.end()};
    }
};

} // namespace

TEST_CASE("timeline: mouse scrubbing changes the frame", "[timeline][gui]") {
    TimelineFixture f;
    QSignalSpy spy(&f.timeline, &TimelineWidget::frameChanged);
    QWidget* ruler = f.timeline.ruler();
    const int y = ruler->height() / 2;
    QTest::mousePress(ruler, Qt::LeftButton, Qt::NoModifier, QPoint(int(f.timeline.positionOfFrame(37)), y));
    CHECK(f.timeline.frame() == 37);
    REQUIRE(spy.count() == 1);
    CHECK(spy.at(0).at(0).toInt() == 37);
    dragTo(ruler, QPoint(int(f.timeline.positionOfFrame(60)), y));
    CHECK(f.timeline.frame() == 60);
    dragTo(ruler, QPoint(ruler->width() + 50, y)); // past the end clamps
    CHECK(f.timeline.frame() == 100);
    QTest::mouseRelease(ruler, Qt::LeftButton, Qt::NoModifier, QPoint(ruler->width() - 1, y));
    CHECK(spy.count() == 3);
    // Frame/position mapping is consistent at every frame.
    for (int frame = 1; frame <= 100; ++frame)
        CHECK(f.timeline.frameAtPosition(f.timeline.positionOfFrame(frame)) == frame);
    // Keys step.
    QTest::keyClick(&f.timeline, Qt::Key_Left);
    CHECK(f.timeline.frame() == 99);
}

TEST_CASE("timeline: playback advances, loops over in/out and stops without loop", "[timeline][gui]") {
    TimelineFixture f;
    f.timeline.setFps(200.0);
    QSignalSpy playing(&f.timeline, &TimelineWidget::playingChanged);
    f.timeline.play();
    CHECK(f.timeline.isPlaying());
    REQUIRE(QTest::qWaitFor([&] { return f.timeline.frame() >= 6; }, 10000));
    f.timeline.pause();
    const int stopped = f.timeline.frame();
    QTest::qWait(50);
    CHECK(f.timeline.frame() == stopped);
    CHECK(playing.count() == 2);

    f.timeline.setInOut(10, 12);
    f.timeline.setLoop(true);
    std::vector<int> seen;
    QObject::connect(&f.timeline, &TimelineWidget::frameChanged, [&](int frame) { seen.push_back(frame); });
    f.timeline.play();
    REQUIRE(QTest::qWaitFor([&] { return seen.size() >= 12; }, 10000));
    f.timeline.pause();
    for (int frame : seen)
        CHECK((frame >= 10 && frame <= 12));
    CHECK(std::count(seen.begin(), seen.end(), 10) >= 2); // wrapped around

    f.timeline.setLoop(false);
    f.timeline.setFrame(10);
    f.timeline.play();
    REQUIRE(QTest::qWaitFor([&] { return !f.timeline.isPlaying(); }, 10000));
    CHECK(f.timeline.frame() == 12);
}

TEST_CASE("timeline: dropped-frame readout, cache bar and keyframes", "[timeline][gui]") {
    TimelineFixture f;
    f.timeline.reportDroppedFrames(3);
    CHECK(f.timeline.droppedFrames() == 3);
    CHECK(f.timeline.readoutText().contains("dropped 3"));
    const QImage before = f.timeline.ruler()->grab().toImage();
    f.timeline.setCachedFrames({1, 2, 3, 4, 5, 6, 7, 8});
    f.timeline.setComputingFrames({9, 10});
    f.timeline.setKeyframes({20, 50});
    CHECK(f.timeline.cachedFrames().size() == 8);
    CHECK(f.timeline.keyframes().contains(50));
    const QImage after = f.timeline.ruler()->grab().toImage();
    CHECK(before != after);
    // The cache bar is green under cached frames and amber under computing ones.
    const int barY = f.timeline.ruler()->height() - 3;
    const QColor cached = after.pixelColor(int(f.timeline.positionOfFrame(4)), barY);
    const QColor computing = after.pixelColor(int(f.timeline.positionOfFrame(10)), barY);
    CHECK(cached.green() > cached.red());
    CHECK(computing.red() > computing.blue());
    CHECK_THROWS_AS(f.timeline.setFrameRange(10, 5), std::invalid_argument);
    CHECK_THROWS_AS(f.timeline.setFps(0.0), std::invalid_argument);
}

TEST_CASE("frame cache: bounded in bytes, least recently used evicted", "[timeline][gui]") {
    RecordingSource source;
    const auto one = source(1);
    viewer::FrameCache cache(one->memoryBytes() * 3);
    for (int frame = 1; frame <= 3; ++frame)
        cache.insert(frame, source(frame));
    CHECK(cache.size() == 3);
    CHECK(cache.find(1) != nullptr); // 1 becomes most recent
    cache.insert(4, source(4));
    CHECK(cache.size() == 3);
    CHECK(cache.contains(1));
    CHECK_FALSE(cache.contains(2));
    CHECK(cache.bytes() <= cache.budget());
}

TEST_CASE("playback controller: reads ahead of the playhead while playing", "[timeline][gui]") {
    test::guiApp();
    RecordingSource source;
    PlaybackController controller([&](int frame) { return source(frame); }, 2);
    controller.setReadAhead(5);
    controller.setPlayRange(1, 100);
    QSignalSpy ready(&controller, &PlaybackController::frameReady);

    // Paused: only the current frame is requested.
    controller.setFrame(10);
    REQUIRE(QTest::qWaitFor([&] { return ready.count() == 1; }, 10000));
    CHECK(ready.at(0).at(0).toInt() == 10);
    CHECK(source.requested() == std::set<int>{10});

    controller.setPlaying(true);
    controller.setFrame(10);
    REQUIRE(QTest::qWaitFor([&] { return controller.cachedFrames().size() == 6; }, 10000));
    CHECK(source.requested() == std::set<int>{10, 11, 12, 13, 14, 15});
    // A cached frame is delivered at once; moving on extends the window by one frame.
    ready.clear();
    controller.setFrame(11);
    REQUIRE(ready.count() == 1);
    CHECK(ready.at(0).at(1).value<render::ImagePtr>()->channel("R")[0] == 11.0f);
    REQUIRE(QTest::qWaitFor([&] { return source.requested().count(16) == 1; }, 10000));
    CHECK(controller.missedFrames() == 0);

    // Looping wraps the read-ahead window over the play range.
    controller.setPlayRange(1, 20);
    controller.setLoop(true);
    controller.setFrame(19);
    // Frames of the window are requested from worker threads, in no fixed order: wait for both ends.
    REQUIRE(QTest::qWaitFor(
        [&] { return source.requested().count(3) == 1 && source.requested().count(1) == 1; }, 10000));
    CHECK(source.requested().count(1) == 1);
    CHECK(source.requested().count(21) == 0);
    // A frame shown before it is decoded is a missed frame.
    const int missedBefore = controller.missedFrames();
    controller.setFrame(40);
    CHECK(controller.missedFrames() == missedBefore + 1);
}

TEST_CASE("playback controller: invalidation, failures and a timeline attached", "[timeline][gui]") {
    test::guiApp();
    RecordingSource source;
    source.failing.insert(7);
    PlaybackController controller([&](int frame) { return source(frame); });
    QSignalSpy failed(&controller, &PlaybackController::frameFailed);
    controller.setFrame(7);
    REQUIRE(QTest::qWaitFor([&] { return failed.count() == 1; }, 10000));
    CHECK(failed.at(0).at(1).toString().contains("frame 7"));
    CHECK_FALSE(controller.cache().contains(7));

    controller.setFrame(3);
    REQUIRE(QTest::qWaitFor([&] { return controller.cache().contains(3); }, 10000));
    controller.invalidate();
    CHECK(controller.cache().size() == 0);
    REQUIRE(QTest::qWaitFor([&] { return controller.cache().contains(3); }, 10000)); // recomputed

    TimelineWidget timeline;
    timeline.setFrameRange(1, 30);
    timeline.setFps(100.0);
    controller.setReadAhead(4);
    controller.attach(&timeline);
    timeline.play();
    REQUIRE(QTest::qWaitFor([&] { return timeline.frame() >= 10; }, 10000));
    timeline.pause();
    REQUIRE(QTest::qWaitFor([&] { return !timeline.cachedFrames().isEmpty(); }, 10000));
    CHECK(timeline.cachedFrames().size() == controller.cachedFrames().size());
    // Every frame the timeline passed through was asked for.
    const auto requested = source.requested();
    for (int frame = 2; frame <= 9; ++frame)
        CHECK(requested.count(frame) == 1);
    CHECK(timeline.droppedFrames() >= controller.missedFrames());
}

TEST_CASE("playback controller: paused frames left to the host, inserted frames are cached",
          "[timeline][gui]") {
    test::guiApp();
    RecordingSource source;
    PlaybackController controller([&](int frame) { return source(frame); });
    controller.setFetchWhilePaused(false);
    controller.setReadAhead(3);
    controller.setPlayRange(1, 50);
    QSignalSpy ready(&controller, &PlaybackController::frameReady);

    // Paused and not cached: nothing is computed.
    controller.setFrame(5);
    QTest::qWait(100);
    CHECK(source.requested().empty());
    CHECK(controller.pendingFrames().isEmpty());

    // A frame computed by the host lands in the cache and is delivered when shown.
    auto image =
        std::make_shared<render::Image>(graph::Format{4, 4}, graph::Box2i{0, 0, 4, 4}, render::Image::rgba());
    image->channel("R")[0] = 500.0f;
    controller.insertFrame(5, image);
    CHECK(controller.cachedFrames() == QList<int>{5});
    controller.setFrame(6);
    controller.setFrame(5);
    REQUIRE(ready.count() == 1);
    CHECK(ready.at(0).at(1).value<render::ImagePtr>()->channel("R")[0] == 500.0f);
    CHECK(source.requested().empty());
    controller.insertFrame(9, nullptr); // ignored
    CHECK_FALSE(controller.cache().contains(9));

    // Playing: the current frame's successors are read ahead as usual.
    controller.setPlaying(true);
    controller.setFrame(5);
    REQUIRE(QTest::qWaitFor([&] { return controller.cachedFrames().size() == 4; }, 10000));
    CHECK(source.requested() == std::set<int>{6, 7, 8});
}
