// SPDX-License-Identifier: Apache-2.0
#include <catch2/catch.hpp>

#include <atomic>

#include "kinema/graph/Graph.h"
#include "kinema/render/Evaluator.h"

using namespace kinema;
using namespace kinema::render;
using graph::ParamSpec;
using graph::ParamType;

namespace {

std::atomic<int> g_sourceComputes{0};

/// A 2×1 image whose R channel holds `value` (animatable); fails when value is negative.
class Source : public ImageNode {
public:
    Source()
        : ImageNode({"Source", 1}) {
        ParamSpec v{"value", ParamType::Float, 1.0};
        addParam(v);
        addParam({"label", ParamType::String, std::string("x")});
    }
    ImagePtr compute(const EvalContext& ec) const override {
        ++g_sourceComputes;
        double v = param("value").getDouble(ec.frame());
        if (v < 0)
            throw std::runtime_error("value must not be negative");
        auto img = std::make_shared<Image>(graph::Format{2, 1}, graph::Box2i{0, 0, 2, 1}, Image::rgba());
        img->channel("R")[0] = img->channel("R")[1] = static_cast<float>(v);
        return img;
    }
};

/// Adds `amount` to R of its input.
class Add : public ImageNode {
public:
    Add()
        : ImageNode({"Add", 1}) {
        addInput({"in"});
        addParam({"amount", ParamType::Float, 1.0});
    }
    ImagePtr compute(const EvalContext& ec) const override {
        auto in = ec.pullInput(0);
        auto out = std::make_shared<Image>(*in);
        float* r = out->channel("R");
        for (std::size_t i = 0; i < out->pixelCount(); ++i)
            r[i] += static_cast<float>(param("amount").getDouble(ec.frame()));
        return out;
    }
};

/// Reads its input `offset` frames later: hashes the input at the frame it pulls.
class Offset : public ImageNode {
public:
    Offset()
        : ImageNode({"Offset", 1}) {
        addInput({"in"});
        addParam({"offset", ParamType::Float, 1.0});
    }
    Hash128 hash(const EvalContext& ec) const override { return ec.inputHash(0, shifted(ec)); }
    ImagePtr compute(const EvalContext& ec) const override { return ec.pullInput(0, shifted(ec)); }

private:
    Context shifted(const EvalContext& ec) const {
        return ec.context().withFrame(ec.frame() + param("offset").getDouble(ec.frame()));
    }
};

struct Fixture {
    graph::Graph g;
    ComputeCache cache{64 << 20};
    Evaluator eval{cache};
    Context at(double f) const {
        Context c;
        c.frame = f;
        return c;
    }
};

} // namespace

TEST_CASE("every parameter change alters the hash, equal values share it", "[evaluator][hash]") {
    Fixture fx;
    auto& src = static_cast<Source&>(fx.g.addNode(std::make_unique<Source>()));
    auto h0 = fx.eval.hash(src, fx.at(1));
    src.param("value").setValue(2.0);
    auto h1 = fx.eval.hash(src, fx.at(1));
    src.param("label").setValue(std::string("y"));
    auto h2 = fx.eval.hash(src, fx.at(1));
    CHECK(h0 != h1);
    CHECK(h1 != h2);
    src.param("label").setValue(std::string("x"));
    src.param("value").setValue(1.0);
    CHECK(fx.eval.hash(src, fx.at(1)) == h0);
    // A static node looks at no frame: one hash for every frame.
    CHECK(fx.eval.hash(src, fx.at(5)) == h0);
}

TEST_CASE("animated values hash per frame", "[evaluator][hash]") {
    Fixture fx;
    auto& src = fx.g.addNode(std::make_unique<Source>());
    src.param("value").setKeyAt(1, 0.0, graph::Interpolation::Linear);
    src.param("value").setKeyAt(11, 10.0, graph::Interpolation::Linear);
    CHECK(fx.eval.hash(src, fx.at(2)) != fx.eval.hash(src, fx.at(3)));
    CHECK(fx.eval.hash(src, fx.at(11)) == fx.eval.hash(src, fx.at(20))); // held after the last key
    CHECK(fx.eval.evaluate(src, fx.at(6))->sample("R", 0, 0) == Approx(5.0f));
}

TEST_CASE("disabled nodes pass the upstream hash and image through", "[evaluator][hash]") {
    Fixture fx;
    auto& src = fx.g.addNode(std::make_unique<Source>());
    auto& add = fx.g.addNode(std::make_unique<Add>());
    fx.g.connect(src, add, 0);
    CHECK(fx.eval.hash(add, fx.at(1)) != fx.eval.hash(src, fx.at(1)));
    CHECK(fx.eval.evaluate(add, fx.at(1))->sample("R", 0, 0) == 2.0f);
    fx.g.setEnabled(add, false);
    CHECK(fx.eval.hash(add, fx.at(1)) == fx.eval.hash(src, fx.at(1)));
    CHECK(fx.eval.evaluate(add, fx.at(1)) == fx.eval.evaluate(src, fx.at(1)));
}

TEST_CASE("time offsets hash the input at the frame they read", "[evaluator][hash]") {
    Fixture fx;
    auto& src = fx.g.addNode(std::make_unique<Source>());
    src.param("value").setKeyAt(1, 1.0, graph::Interpolation::Linear);
    src.param("value").setKeyAt(10, 10.0, graph::Interpolation::Linear);
    auto& off = fx.g.addNode(std::make_unique<Offset>());
    fx.g.connect(src, off, 0);
    off.param("offset").setValue(3.0);
    CHECK(fx.eval.hash(off, fx.at(2)) == fx.eval.hash(src, fx.at(5)));
    CHECK(fx.eval.evaluate(off, fx.at(2))->sample("R", 1, 0) == Approx(5.0f));
}

TEST_CASE("identical nodes share cache entries and undo brings back hits", "[evaluator][cache]") {
    Fixture fx;
    auto& a = fx.g.addNode(std::make_unique<Source>());
    auto& b = fx.g.addNode(std::make_unique<Source>());
    g_sourceComputes = 0;
    fx.eval.evaluate(a, fx.at(1));
    fx.eval.evaluate(b, fx.at(1));
    fx.eval.evaluate(a, fx.at(7));
    CHECK(g_sourceComputes == 1);
    a.param("value").setValue(3.0);
    fx.eval.evaluate(a, fx.at(1));
    CHECK(g_sourceComputes == 2);
    a.param("value").setValue(1.0); // what undo does
    fx.eval.evaluate(a, fx.at(1));
    CHECK(g_sourceComputes == 2);
}

TEST_CASE("errors name the node and frame and are not cached", "[evaluator][errors]") {
    Fixture fx;
    auto& src = fx.g.addNode(std::make_unique<Source>(), "Plate");
    auto& add = fx.g.addNode(std::make_unique<Add>(), "Grade1");
    fx.g.connect(src, add, 0);
    src.param("value").setValue(-1.0);
    g_sourceComputes = 0;
    CHECK_THROWS_WITH(fx.eval.evaluate(add, fx.at(1001)), "Plate (frame 1001): value must not be negative");
    CHECK_THROWS_AS(fx.eval.evaluate(add, fx.at(1001)), EvaluationError);
    CHECK(g_sourceComputes == 2);
    fx.g.disconnect(add, 0);
    CHECK_THROWS_WITH(fx.eval.evaluate(add, fx.at(3)), "Grade1 (frame 3): input 'in' is not connected");
}

TEST_CASE("a cancelled evaluation keeps what is cached", "[evaluator][cancel]") {
    Fixture fx;
    auto& src = fx.g.addNode(std::make_unique<Source>());
    auto& add = fx.g.addNode(std::make_unique<Add>());
    fx.g.connect(src, add, 0);
    fx.eval.evaluate(src, fx.at(1));
    Context c = fx.at(1);
    c.canceller = std::make_shared<graph::Canceller>();
    c.canceller->cancel();
    CHECK_THROWS_AS(fx.eval.evaluate(add, c), graph::Cancelled);
    g_sourceComputes = 0;
    fx.eval.evaluate(add, fx.at(1));
    CHECK(g_sourceComputes == 0);
    CHECK(fx.cache.stats().entries == 2);
}
