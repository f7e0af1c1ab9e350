// SPDX-License-Identifier: Apache-2.0
// Properties panel sessions: widgets generated from parameter metadata edit the core through Document.
#include <catch2/catch.hpp>

#include <QCheckBox>
#include <QComboBox>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSlider>
#include <QTest>
#include <QToolButton>

#include "GuiTestSupport.h"
#include "kinema/app/NodeEditor.h"
#include "kinema/app/PropertiesPanel.h"

using namespace kinema;

namespace {

struct Session {
    test::TempDir dir{"kinema-gui"};
    app::MainWindow window;
    graph::Node* knobs = nullptr;
    Session()
        : window((test::guiApp(), test::windowOptions(dir))) {
        window.show();
        REQUIRE(QTest::qWaitForWindowExposed(&window, test::kWindowTimeoutMs));
        knobs = &doc().addNode("KnobsTest", "K", {0, 0});
        REQUIRE(window.viewNode(QStringLiteral("K")));
        REQUIRE(panel()->node() == knobs);
    }
    graph::Document& doc() { return window.model().document(); }
    app::PropertiesPanel* panel() { return window.properties(); }
    template <typename W>
    W* widget(const char* param, const char* name) {
        QWidget* row = panel()->rowFor(QString::fromLatin1(param));
        REQUIRE(row);
        auto* w = row->findChild<W*>(QString::fromLatin1(name));
        REQUIRE(w);
        return w;
    }
    void type(QLineEdit* entry, const QString& text) {
        entry->setFocus();
        entry->selectAll();
        QTest::keyClicks(entry, text);
        QTest::keyClick(entry, Qt::Key_Return);
    }
};

} // namespace

TEST_CASE("properties: a slider drag is one undo step, typed entry goes beyond the soft range", "[gui]") {
    Session s;
    auto* slider = s.widget<QSlider>("gain", "slider");
    const auto steps = s.doc().undoStack().count();
    slider->setSliderDown(true); // what a mouse press on the handle does
    for (int v : {100, 300, 500, 750})
        slider->setValue(v);
    slider->setSliderDown(false);
    CHECK(s.knobs->param("gain").getDouble(0) == Approx(3.0)); // 750/1000 of the soft range 0..4
    CHECK(s.doc().undoStack().count() == steps + 1);
    CHECK(s.widget<QLineEdit>("gain", "entry")->text() == QStringLiteral("3"));

    // A typed value beyond the soft range but inside the hard range is accepted.
    s.type(s.widget<QLineEdit>("gain", "entry"), QStringLiteral("12.5"));
    CHECK(s.knobs->param("gain").getDouble(0) == 12.5);
    CHECK(s.doc().undoStack().count() == steps + 2);
    // Outside the hard range the core refuses, the message is shown and the field shows the stored value.
    s.type(s.widget<QLineEdit>("gain", "entry"), QStringLiteral("500"));
    CHECK(s.knobs->param("gain").getDouble(0) == 12.5);
    CHECK(s.window.lastError().contains(QStringLiteral("gain")));
    CHECK(s.widget<QLineEdit>("gain", "entry")->text() == QStringLiteral("12.5"));

    s.window.action(QStringLiteral("undo"))->trigger();
    CHECK(s.knobs->param("gain").getDouble(0) == Approx(3.0));
    s.window.action(QStringLiteral("undo"))->trigger();
    CHECK(s.knobs->param("gain").getDouble(0) == 1.0);
    CHECK(slider->value() == 250); // the widget follows undo
}

TEST_CASE("properties: enum, bool, prompt, seed, colour and file editors", "[gui]") {
    Session s;
    s.widget<QComboBox>("mode", "combo")->setCurrentIndex(2);
    CHECK(s.knobs->param("mode").enumItem() == "best");

    QTest::mouseClick(s.widget<QCheckBox>("invert", "check"), Qt::LeftButton);
    CHECK(s.knobs->param("invert").getBool(0));

    auto* prompt = s.widget<QPlainTextEdit>("prompt", "text");
    prompt->setFocus();
    QTest::keyClicks(prompt, QStringLiteral("a red fox at dawn"));
    CHECK(s.knobs->param("prompt").getString().empty()); // nothing applied while typing
    QTest::keyClick(prompt, Qt::Key_Return, Qt::ControlModifier);
    CHECK(s.knobs->param("prompt").getString() == "a red fox at dawn");

    const auto seed = s.knobs->param("seed").getSeed();
    QTest::mouseClick(s.widget<QPushButton>("seed", "randomise"), Qt::LeftButton);
    CHECK(s.knobs->param("seed").getSeed() != seed);
    CHECK(s.widget<QLineEdit>("seed", "entry")->text() ==
          QString::number(static_cast<qulonglong>(s.knobs->param("seed").getSeed())));
    s.type(s.widget<QLineEdit>("seed", "entry"), QStringLiteral("1234"));
    CHECK(s.knobs->param("seed").getSeed() == 1234u);

    s.type(s.widget<QLineEdit>("tint", "entry0"), QStringLiteral("2.5")); // HDR values are typed
    CHECK(s.knobs->param("tint").getVec(0)[0] == 2.5);
    CHECK(s.widget<QPushButton>("tint", "swatch") != nullptr);

    s.type(s.widget<QLineEdit>("file", "entry"), QStringLiteral("plates/shot.####.exr"));
    CHECK(s.knobs->param("file").getString() == "plates/shot.####.exr");
    CHECK(s.widget<QToolButton>("file", "browse") != nullptr);

    // Editing the node elsewhere (here: undo) refreshes the widgets.
    s.window.action(QStringLiteral("undo"))->trigger();
    CHECK(s.widget<QLineEdit>("file", "entry")->text() == QStringLiteral("in.exr"));
}

TEST_CASE("properties: keyframe toggles and interpolation choice", "[gui]") {
    Session s;
    s.window.setFrame(1010);
    REQUIRE(s.window.frame() == 1010);
    auto* key = s.widget<QToolButton>("gain", "key");
    QTest::mouseClick(key, Qt::LeftButton);
    REQUIRE(s.knobs->param("gain").keyFrames() == std::vector<double>{1010.0});
    CHECK(key->isChecked());

    // On another frame, editing an animated parameter sets a key there with the chosen interpolation.
    s.window.setFrame(1020);
    CHECK_FALSE(key->isChecked());
    s.widget<QComboBox>("gain", "interp")->setCurrentIndex(1); // linear
    s.type(s.widget<QLineEdit>("gain", "entry"), QStringLiteral("3"));
    REQUIRE(s.knobs->param("gain").keyFrames() == std::vector<double>{1010.0, 1020.0});
    CHECK(s.knobs->param("gain").curves()[0].keyAt(1020.0)->interpolation == graph::Interpolation::Linear);
    CHECK(s.knobs->param("gain").getDouble(1015.0) > 1.0);
    CHECK(key->isChecked());

    // Changing the interpolation on a keyed frame re-keys it.
    s.window.setFrame(1010);
    s.widget<QComboBox>("gain", "interp")->setCurrentIndex(0); // constant
    CHECK(s.knobs->param("gain").curves()[0].keyAt(1010.0)->interpolation == graph::Interpolation::Constant);
    CHECK(s.knobs->param("gain").getDouble(1015.0) == 1.0);

    // Toggling off removes the key; every step is undoable.
    QTest::mouseClick(key, Qt::LeftButton);
    CHECK(s.knobs->param("gain").keyFrames() == std::vector<double>{1020.0});
    s.window.action(QStringLiteral("undo"))->trigger();
    CHECK(s.knobs->param("gain").keyFrames() == std::vector<double>{1010.0, 1020.0});
}

TEST_CASE("properties: renaming and enabling from the header", "[gui]") {
    Session s;
    s.type(s.panel()->nameField(), QStringLiteral("Knobs"));
    CHECK(s.knobs->name() == "Knobs");
    s.type(s.panel()->nameField(), QStringLiteral("not a name!"));
    CHECK(s.knobs->name() == "Knobs");
    CHECK(s.panel()->nameField()->text() == QStringLiteral("Knobs"));
    QTest::mouseClick(s.panel()->enabledBox(), Qt::LeftButton);
    CHECK_FALSE(s.knobs->enabled());
}
