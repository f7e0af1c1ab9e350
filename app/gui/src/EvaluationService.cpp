// SPDX-License-Identifier: Apache-2.0
#include "kinema/app/EvaluationService.h"

#include <optional>
#include <variant>

#include <QStringList>

#include <chrono>

#include "kinema/graph/GraphFile.h"
#include "kinema/render/Evaluator.h"

namespace kinema::app {

namespace {
/// The measures of a generative node's output worth showing on the node (from its metadata).
QString nodeInfoText(const render::Image& image) {
    const auto& md = image.metadata();
    auto number = [&](const char* key) -> std::optional<double> {
        const auto it = md.find(key);
        if (it == md.end())
            return std::nullopt;
        if (const auto* d = std::get_if<double>(&it->second))
            return *d;
        return std::nullopt;
    };
    QStringList parts;
    if (const auto seam = number("kinema/gen/loopSeam"))
        parts << QStringLiteral("seam %1").arg(*seam, 0, 'f', 2);
    if (const auto gain = number("kinema/gen/colorMatchGain"))
        parts << QStringLiteral("match x%1").arg(*gain, 0, 'f', 2);
    return parts.join(QStringLiteral(", "));
}
} // namespace
namespace {

/// Forwards progress of one request to the service's (queued) progress signal.
class RequestProgress : public graph::ProgressSink {
public:
    using PreviewFn = std::function<void(int, int, const std::vector<float>&)>;
    RequestProgress(std::function<void(double, std::string_view)> forward, PreviewFn preview)
        : m_forward(std::move(forward))
        , m_preview(std::move(preview)) {}
    void progress(std::string_view, double fraction, std::string_view detail) override {
        m_forward(fraction, detail);
    }
    void preview(std::string_view, int width, int height, const std::vector<float>& rgb) override {
        m_preview(width, height, rgb);
    }

private:
    std::function<void(double, std::string_view)> m_forward;
    PreviewFn m_preview;
};

} // namespace

EvaluationService::EvaluationService(const graph::NodeRegistry& registry, QObject* parent)
    : QObject(parent)
    , m_registry(registry)
    , m_cache(std::min<std::size_t>(render::defaultCacheBytes(), std::size_t{2} << 30)) {
    qRegisterMetaType<kinema::app::EvaluationResult>();
    m_thread = std::thread([this] { run(); });
}

EvaluationService::~EvaluationService() {
    {
        std::lock_guard lock(m_mutex);
        m_stop = true;
        m_pending.reset();
        if (m_running)
            m_running->cancel();
    }
    m_wake.notify_all();
    m_thread.join();
}

quint64 EvaluationService::request(const graph::Graph& graph, const QString& node, double frame,
                                   const QString& compareNode) {
    Request r;
    r.graphJson = graph::graphToJson(graph).dump();
    r.node = node.toStdString();
    r.compareNode = compareNode.toStdString();
    r.frame = frame;
    r.canceller = std::make_shared<graph::Canceller>();
    bool becameBusy = false;
    {
        std::lock_guard lock(m_mutex);
        r.id = m_nextId++;
        r.device = m_device;
        if (m_running)
            m_running->cancel();
        if (m_pending)
            m_pending->canceller->cancel();
        m_pending = std::move(r);
        becameBusy = !m_busy;
        m_busy = true;
    }
    m_wake.notify_all();
    if (becameBusy)
        Q_EMIT busyChanged(true);
    return m_nextId - 1;
}

void EvaluationService::cancel() {
    bool idle = false;
    {
        std::lock_guard lock(m_mutex);
        if (m_running)
            m_running->cancel();
        m_pending.reset();
        if (!m_running && m_busy) {
            m_busy = false;
            idle = true;
        }
    }
    if (idle)
        Q_EMIT busyChanged(false);
}

bool EvaluationService::isBusy() const {
    std::lock_guard lock(m_mutex);
    return m_busy;
}

quint64 EvaluationService::latestRequest() const {
    std::lock_guard lock(m_mutex);
    return m_nextId - 1;
}

void EvaluationService::setCacheBytes(std::size_t bytes) {
    m_cache.setBudget(bytes);
}

void EvaluationService::setDevice(const std::string& device) {
    std::lock_guard lock(m_mutex);
    m_device = device;
}

void EvaluationService::run() {
    for (;;) {
        Request r;
        {
            std::unique_lock lock(m_mutex);
            m_wake.wait(lock, [this] { return m_stop || m_pending.has_value(); });
            if (m_stop)
                return;
            r = std::move(*m_pending);
            m_pending.reset();
            m_running = r.canceller;
        }
        Q_EMIT started(r.id, QString::fromStdString(r.node));
        EvaluationResult result = evaluate(r);
        bool idle = false;
        {
            std::lock_guard lock(m_mutex);
            m_running.reset();
            if (!m_pending) {
                m_busy = false;
                idle = true;
            }
        }
        Q_EMIT finished(result);
        if (idle)
            Q_EMIT busyChanged(false);
    }
}

EvaluationResult EvaluationService::evaluate(const Request& r) {
    EvaluationResult result;
    result.id = r.id;
    result.node = QString::fromStdString(r.node);
    result.frame = r.frame;
    const auto start = std::chrono::steady_clock::now();
    graph::Graph snapshot;
    render::Evaluator evaluator(m_cache); // per request: its hash memo is tied to one graph
    graph::Context ctx;
    ctx.frame = r.frame;
    ctx.canceller = r.canceller;
    ctx.device = r.device;
    ctx.progress = std::make_shared<RequestProgress>(
        [this, &r](double fraction, std::string_view detail) {
            Q_EMIT progress(r.id, QString::fromStdString(r.node), fraction,
                            QString::fromUtf8(detail.data(), static_cast<qsizetype>(detail.size())));
        },
        [this, &r](int width, int height, const std::vector<float>& rgb) {
            Q_EMIT preview(r.id, QString::fromStdString(r.node), width, height,
                           QList<float>(rgb.begin(), rgb.end()));
        });
    try {
        graph::graphFromJson(snapshot, nlohmann::json::parse(r.graphJson), "snapshot", m_registry);
        ctx.fps = snapshot.settings().fps;
        const graph::Node& node = snapshot.node(r.node);
        result.image = evaluator.evaluate(node, ctx);
        if (!r.compareNode.empty()) {
            result.compareNode = QString::fromStdString(r.compareNode);
            try {
                result.imageB = evaluator.evaluate(snapshot.node(r.compareNode), ctx);
            } catch (const graph::Cancelled&) {
                throw;
            } catch (const std::exception& e) {
                result.errorB = QString::fromStdString(e.what());
            }
        }
    } catch (const graph::Cancelled&) {
        result.cancelled = true;
    } catch (const render::EvaluationError& e) {
        result.error = QString::fromStdString(e.reason());
        result.errorNode = QString::fromStdString(e.nodeName());
    } catch (const std::exception& e) {
        result.error = QString::fromStdString(e.what());
        result.errorNode = result.node;
    }
    result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    result.nodeStats = evaluator.stats();
    if (!result.cancelled) {
        std::lock_guard lock(m_statsMutex);
        m_lastStats = result.nodeStats;
    }
    if (!result.cancelled) {
        ctx.canceller.reset();
        for (auto* n : snapshot.nodes()) {
            bool cached = false;
            try {
                const auto hash = evaluator.hash(*n, ctx);
                cached = m_cache.contains(hash);
                if (cached && n->typeInfo().category == "Generative")
                    if (const auto image = std::static_pointer_cast<const render::Image>(m_cache.find(hash)))
                        if (const QString text = nodeInfoText(*image); !text.isEmpty())
                            result.info[QString::fromStdString(n->name())] = text;
            } catch (const std::exception&) {
            }
            result.cached[QString::fromStdString(n->name())] = cached;
        }
    }
    return result;
}

render::ImagePtr EvaluationService::evaluateFrame(const std::string& graphJson, const std::string& node,
                                                  double frame,
                                                  const std::shared_ptr<graph::Canceller>& canceller) {
    graph::Graph snapshot;
    graph::graphFromJson(snapshot, nlohmann::json::parse(graphJson), "snapshot", m_registry);
    render::Evaluator evaluator(m_cache);
    graph::Context ctx;
    ctx.frame = frame;
    ctx.fps = snapshot.settings().fps;
    ctx.canceller = canceller;
    {
        std::lock_guard lock(m_mutex);
        ctx.device = m_device;
    }
    render::ImagePtr image;
    try {
        image = evaluator.evaluate(snapshot.node(node), ctx);
    } catch (const render::EvaluationError& e) {
        throw std::runtime_error(e.nodeName() + " at frame " + std::to_string(frame) + ": " + e.reason());
    }
    std::lock_guard lock(m_statsMutex);
    m_lastStats = evaluator.stats();
    return image;
}

std::map<std::string, render::NodeStats> EvaluationService::lastNodeStats() const {
    std::lock_guard lock(m_statsMutex);
    return m_lastStats;
}

} // namespace kinema::app
