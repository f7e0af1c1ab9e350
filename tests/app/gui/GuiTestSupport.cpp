// SPDX-License-Identifier: Apache-2.0
#include "GuiTestSupport.h"

#include <chrono>
#include <thread>

#include <QElapsedTimer>

#include "kinema/nodes/Builtins.h"
#include "kinema/render/ImageNode.h"

namespace kinema::test {

std::atomic<int> g_slowStarted{0};
std::atomic<int> g_slowCancelled{0};

namespace {

using namespace graph;

/// A source node whose computation takes `seconds` (cancellable every millisecond): what a generative
/// node looks like to the UI.
class SlowTest : public render::ImageNode {
public:
    SlowTest()
        : ImageNode({"SlowTest", 1, "Test", "Takes a while."}) {
        ParamSpec seconds{"seconds", ParamType::Float, 0.0};
        seconds.metadata.minimum = 0.0;
        seconds.metadata.softMaximum = 60.0;
        addParam(seconds);
        ParamSpec value{"value", ParamType::Float, 0.5};
        addParam(value);
    }
    render::ImagePtr compute(const render::EvalContext& ec) const override {
        ++g_slowStarted;
        // Report like a generation does: a step and a small latent preview.
        ec.context().reportProgress("SlowTest", 0.5, "step 1/2");
        ec.context().reportPreview("SlowTest", 2, 2, std::vector<float>(12, 0.5f));
        const auto until = std::chrono::steady_clock::now() +
                           std::chrono::duration<double>(param("seconds").getDouble(ec.frame()));
        try {
            while (std::chrono::steady_clock::now() < until) {
                ec.checkCancelled();
                std::this_thread::sleep_for(std::chrono::milliseconds(1));
            }
        } catch (const Cancelled&) {
            ++g_slowCancelled;
            throw;
        }
        Format f{8, 4, 1.0, ""};
        auto image = std::make_shared<render::Image>(f, f.displayWindow(), render::Image::rgba());
        const float v = static_cast<float>(param("value").getDouble(ec.frame()));
        for (auto& c : {"R", "G", "B", "A"})
            std::fill_n(image->channel(c), image->pixelCount(), v);
        return image;
    }
};

/// A node with one parameter of every kind the properties panel knows.
class KnobsTest : public render::ImageNode {
public:
    KnobsTest()
        : ImageNode({"KnobsTest", 1, "Test", "Every parameter type."}) {
        addInput({"input", PlugType::Image, true, "Input"});
        ParamSpec gain{"gain", ParamType::Float, 1.0};
        gain.metadata.minimum = 0.0;
        gain.metadata.maximum = 100.0;
        gain.metadata.softMinimum = 0.0;
        gain.metadata.softMaximum = 4.0;
        addParam(gain);
        ParamSpec steps{"steps", ParamType::Int, std::int64_t{10}};
        steps.metadata.minimum = 1;
        steps.metadata.maximum = 100;
        steps.metadata.softMinimum = 1;
        steps.metadata.softMaximum = 50;
        addParam(steps);
        addParam({"invert", ParamType::Bool, false});
        ParamSpec mode{"mode", ParamType::Enum, std::int64_t{0}};
        mode.enumItems = {"fast", "balanced", "best"};
        addParam(mode);
        ParamSpec prompt{"prompt", ParamType::Text, std::string()};
        prompt.metadata.uiHint = "prompt";
        addParam(prompt);
        addParam({"seed", ParamType::Seed, std::uint64_t{42}});
        addParam({"tint", ParamType::Color, std::array<double, 4>{1, 1, 1, 1}});
        addParam({"file", ParamType::FilePath, std::string("in.exr")});
    }
    render::ImagePtr compute(const render::EvalContext& ec) const override { return ec.pullInput(0); }
};

} // namespace

QApplication& guiApp() {
    static int argc = 1;
    static char name[] = "test_gui_shell";
    static char* argv[] = {name, nullptr};
    static QApplication* app = [] {
        auto* a = new QApplication(argc, argv);
        auto& registry = NodeRegistry::global();
        nodes::registerBuiltinNodes(registry);
        registry.registerType<SlowTest>("test");
        registry.registerType<KnobsTest>("test");
        return a;
    }();
    return *app;
}

bool waitFor(const std::function<bool()>& done, int timeoutMs) {
    QElapsedTimer clock;
    clock.start();
    while (!done() && clock.elapsed() < timeoutMs)
        QApplication::processEvents(QEventLoop::AllEvents, 20);
    return done();
}

app::MainWindowOptions windowOptions(const TempDir& dir) {
    app::MainWindowOptions o;
    o.settingsFile = QString::fromStdString((dir.path() / "settings.ini").string());
    o.recoveryDir = dir.path() / "recovery";
    o.interactive = false;
    return o;
}

} // namespace kinema::test
