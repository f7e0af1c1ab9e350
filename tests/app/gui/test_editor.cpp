// SPDX-License-Identifier: Apache-2.0
// Node editor sessions driven through QTest: Tab search, connecting by dragging, moving, clipboard,
// disable, delete, backdrops and framing, each checked against the core graph and its undo stack.
#include <catch2/catch.hpp>

#include <QClipboard>
#include <QLineEdit>
#include <QListWidget>
#include <QTest>

#include "GuiTestSupport.h"
#include "kinema/app/NodeEditor.h"
#include "kinema/app/NodeItems.h"
#include "kinema/app/NodeSearchPopup.h"
#include "kinema/app/PropertiesPanel.h"

using namespace kinema;
using kinema::app::NodeEditor;
using kinema::app::NodeItem;

namespace {

struct Session {
    test::TempDir dir{"kinema-gui"};
    app::MainWindow window;
    Session()
        : window((test::guiApp(), test::windowOptions(dir))) {
        window.show();
        REQUIRE(QTest::qWaitForWindowExposed(&window, test::kWindowTimeoutMs));
    }
    NodeEditor* editor() { return window.editor(); }
    graph::Document& doc() { return window.model().document(); }
    QPoint at(const QPointF& scenePos) { return editor()->mapFromScene(scenePos); }
    /// Drags with the left button in the editor's viewport, in a few steps.
    void drag(QPoint from, QPoint to) {
        QWidget* vp = editor()->viewport();
        QTest::mousePress(vp, Qt::LeftButton, {}, from);
        for (int i = 1; i <= 4; ++i)
            QTest::mouseMove(vp, from + (to - from) * i / 4);
        QTest::mouseRelease(vp, Qt::LeftButton, {}, to);
    }
};

graph::Node* createBySearch(Session& s, const QString& text) {
    s.editor()->setFocus();
    QTest::keyClick(s.editor(), Qt::Key_Tab);
    auto* popup = s.editor()->searchPopup();
    REQUIRE(popup->isVisible());
    QTest::keyClicks(popup->searchField(), text);
    const std::size_t before = s.doc().graph().nodeCount();
    QTest::keyClick(popup->searchField(), Qt::Key_Return);
    REQUIRE(s.doc().graph().nodeCount() == before + 1);
    return s.doc().graph().nodes().back();
}

} // namespace

TEST_CASE("editor: Tab search creates nodes and chains them to the selection", "[gui]") {
    Session s;
    graph::Node* constant = createBySearch(s, QStringLiteral("Constant"));
    CHECK(constant->typeName() == "Constant");
    CHECK(s.editor()->itemFor(constant) != nullptr);
    CHECK(s.editor()->currentNode() == constant);

    // With the Constant selected, a new Grade is connected below it.
    graph::Node* grade = createBySearch(s, QStringLiteral("gra"));
    CHECK(grade->typeName() == "Grade");
    CHECK(grade->input(0) == constant);
    CHECK(s.editor()->edgeFor(grade, 0) != nullptr);
    CHECK(grade->position().y > constant->position().y);

    // Creating and connecting is one undo step.
    s.window.action(QStringLiteral("undo"))->trigger();
    CHECK(s.doc().graph().nodeCount() == 1);
    CHECK(s.editor()->edgeCount() == 0);
    s.window.action(QStringLiteral("redo"))->trigger();
    REQUIRE(s.doc().graph().nodeCount() == 2);
    CHECK(s.doc().graph().node("Grade1").input(0) == &s.doc().graph().node("Constant1"));
    CHECK(s.editor()->edgeCount() == 1);
}

TEST_CASE("editor: dragging connects output to input and refuses cycles", "[gui]") {
    Session s;
    auto& a = s.doc().addNode("Constant", "A", {0, 0});
    auto& b = s.doc().addNode("Grade", "B", {0, 150});
    auto& c = s.doc().addNode("Grade", "C", {0, 300});
    s.editor()->frameAll();
    QApplication::processEvents();

    s.drag(s.at(s.editor()->itemFor(&a)->outputPortPos()), s.at(s.editor()->itemFor(&b)->inputPortPos(0)));
    CHECK(b.input(0) == &a);
    // Dropping on a node's body connects its first free input.
    s.drag(s.at(s.editor()->itemFor(&b)->outputPortPos()),
           s.at(s.editor()->itemFor(&c)->sceneBoundingRect().center() + QPointF(0, 10)));
    CHECK(c.input(0) == &b);
    CHECK(s.editor()->edgeCount() == 2);

    // C's output into B's input would close a loop: the core refuses and the message is shown.
    const auto steps = s.doc().undoStack().count();
    s.drag(s.at(s.editor()->itemFor(&c)->outputPortPos()), s.at(s.editor()->itemFor(&b)->inputPortPos(0)));
    CHECK(b.input(0) == &a);
    CHECK(s.window.lastError().contains(QStringLiteral("cycle"), Qt::CaseInsensitive));
    CHECK(s.doc().undoStack().count() == steps);

    // Picking a connection up by its input and dropping it on empty space disconnects.
    s.drag(s.at(s.editor()->itemFor(&c)->inputPortPos(0)), s.at(QPointF(400, 600)));
    CHECK(c.input(0) == nullptr);
    CHECK(s.editor()->edgeCount() == 1);
    s.window.action(QStringLiteral("undo"))->trigger();
    CHECK(c.input(0) == &b);
}

TEST_CASE("editor: a drag moves the selection as one undo step", "[gui]") {
    Session s;
    auto& a = s.doc().addNode("Constant", "A", {0, 0});
    auto& b = s.doc().addNode("Grade", "B", {200, 0});
    s.doc().connect(a, b, 0);
    s.editor()->frameAll();
    s.editor()->selectNodes({&a, &b});
    const auto steps = s.doc().undoStack().count();
    const QPointF start = s.editor()->itemFor(&a)->sceneBoundingRect().center() + QPointF(0, 6);
    const QPoint from = s.at(start);
    s.drag(from, from + QPoint(60, 90));
    CHECK(s.doc().undoStack().count() == steps + 1);
    CHECK(a.position().x != 0.0);
    CHECK(a.position().y > 0.0);
    CHECK(b.position().x - a.position().x == 200.0); // moved together
    CHECK(s.editor()->itemFor(&a)->pos() == QPointF(a.position().x, a.position().y));
    s.window.action(QStringLiteral("undo"))->trigger();
    CHECK(a.position() == graph::NodePosition{0, 0});
    CHECK(b.position() == graph::NodePosition{200, 0});
    CHECK(s.editor()->itemFor(&b)->pos() == QPointF(200, 0));
}

TEST_CASE("editor: copy, paste, duplicate, disable, delete and backdrops", "[gui]") {
    Session s;
    auto& a = s.doc().addNode("Constant", "A", {0, 0});
    auto& b = s.doc().addNode("Grade", "B", {0, 120});
    s.doc().connect(a, b, 0);
    s.editor()->selectNodes({&a, &b});

    s.window.action(QStringLiteral("copy"))->trigger();
    CHECK(QApplication::clipboard()->text().contains(QStringLiteral("\"clipboard\"")));
    s.window.action(QStringLiteral("paste"))->trigger();
    REQUIRE(s.doc().graph().nodeCount() == 4);
    CHECK(s.editor()->edgeCount() == 2);
    auto pasted = s.editor()->selectedNodes();
    REQUIRE(pasted.size() == 2);
    CHECK(pasted[1]->input(0) == pasted[0]); // the connection inside the copy came along

    s.window.action(QStringLiteral("duplicate"))->trigger();
    CHECK(s.doc().graph().nodeCount() == 6);

    // D toggles the selection's enabled state, Delete removes it; both are single undo steps.
    s.editor()->selectNodes({&a, &b});
    s.editor()->setFocus();
    QTest::keyClick(s.editor(), Qt::Key_D);
    CHECK(!a.enabled());
    CHECK(!b.enabled());
    s.window.action(QStringLiteral("undo"))->trigger();
    CHECK(a.enabled());
    CHECK(b.enabled());

    QTest::keyClick(s.editor(), Qt::Key_B);
    REQUIRE(s.doc().graph().backdrops().size() == 1);
    CHECK(s.editor()->backdropItems().size() == 1);
    const auto& bd = s.doc().graph().backdrops().front();
    CHECK(bd.x < 0.0);
    CHECK(bd.y + bd.height > 120.0); // surrounds both nodes

    s.editor()->selectNodes({&a, &b});
    QTest::keyClick(s.editor(), Qt::Key_Delete);
    CHECK(s.doc().graph().nodeCount() == 4);
    CHECK(s.doc().graph().findNode("A") == nullptr);
    CHECK(s.window.properties()->node() == nullptr);
    s.window.action(QStringLiteral("undo"))->trigger();
    REQUIRE(s.doc().graph().findNode("B") != nullptr);
    CHECK(s.doc().graph().node("B").input(0) == s.doc().graph().findNode("A"));
    CHECK(s.editor()->edgeCount() == 3);
}

TEST_CASE("editor: frame all shows every node and zoom changes the scale", "[gui]") {
    Session s;
    std::vector<graph::Node*> nodes;
    for (int i = 0; i < 5; ++i)
        nodes.push_back(&s.doc().addNode("Constant", {}, {i * 900.0, i * 700.0}));
    QTest::keyClick(s.editor(), Qt::Key_F);
    const QRectF visible = s.editor()->mapToScene(s.editor()->viewport()->rect()).boundingRect();
    for (auto* n : nodes)
        CHECK(visible.contains(s.editor()->itemFor(n)->sceneBoundingRect()));
    const double scale = s.editor()->transform().m11();
    s.window.action(QStringLiteral("zoomIn"))->trigger();
    CHECK(s.editor()->transform().m11() > scale);
}
