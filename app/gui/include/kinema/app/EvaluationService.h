// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Background evaluation for the viewer: one worker thread, latest request wins.
///
/// Design note: the UI thread never computes pixels and the worker never touches the live graph. A
/// request serialises the graph (graphToJson) on the UI thread and the worker rebuilds a private copy, so
/// edits can never race with an evaluation. A new request cancels the running one through the Context's
/// canceller and replaces any queued one. Results, errors and progress come back as queued Qt signals;
/// the compute cache persists across requests (it is keyed by content), so undo and scrubbing back hit it.
/// evaluateFrame() is the blocking form used by the playback read-ahead workers: it shares the compute
/// cache (which is thread-safe and lets a second thread wait for a node another thread is computing).
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include <QList>
#include <QObject>
#include <QString>

#include "kinema/graph/Context.h"
#include "kinema/graph/Graph.h"
#include "kinema/graph/NodeRegistry.h"
#include "kinema/render/ComputeCache.h"
#include "kinema/render/Evaluator.h"
#include "kinema/render/Image.h"

namespace kinema::app {

struct EvaluationResult {
    quint64 id = 0;
    QString node;
    double frame = 0.0;
    render::ImagePtr image;  ///< null on error or cancellation
    QString compareNode;     ///< the node shown as input B, if any
    render::ImagePtr imageB; ///< input B's image (null when none or on its error)
    QString errorB;          ///< input B's failure, if any
    QString error;           ///< message of the failure, if any
    QString errorNode;       ///< the node where the failure happened
    bool cancelled = false;
    double seconds = 0.0;
    /// Every node of the snapshot → whether its output at this frame is in the cache.
    std::map<QString, bool> cached;
    /// Nodes whose cached output carries a measure worth showing on the node (generative nodes' seams and
    /// colour-match gain) → its text, e.g. "seam 1.02".
    std::map<QString, QString> info;
    /// Per-node compute and cache-hit counts of this evaluation (the debug overlay's table).
    std::map<std::string, render::NodeStats> nodeStats;
};

class EvaluationService : public QObject {
    Q_OBJECT
public:
    explicit EvaluationService(const graph::NodeRegistry& registry = graph::NodeRegistry::global(),
                               QObject* parent = nullptr);
    ~EvaluationService() override;

    /// Snapshots `graph` now and queues the evaluation of `node` at `frame`, cancelling what runs or waits.
    /// Returns the request's id (ids increase).
    /// `compareNode` (optional) is evaluated in the same snapshot as the viewer's input B.
    quint64 request(const graph::Graph& graph, const QString& node, double frame,
                    const QString& compareNode = {});
    /// Evaluates `node` of a serialised graph at `frame` on the calling thread (any thread) with the shared
    /// compute cache. Throws graph::Cancelled when `canceller` fires and std::runtime_error naming the node
    /// on failure. The node statistics become lastNodeStats().
    render::ImagePtr evaluateFrame(const std::string& graphJson, const std::string& node, double frame,
                                   const std::shared_ptr<graph::Canceller>& canceller);
    /// Node statistics of the most recent evaluation that finished (either path).
    std::map<std::string, render::NodeStats> lastNodeStats() const;
    /// Cancels the running and the queued request (call before edits that make them stale).
    void cancel();
    /// True while a request runs or waits.
    bool isBusy() const;
    quint64 latestRequest() const;

    void setCacheBytes(std::size_t bytes);
    void setDevice(const std::string& device);
    render::ComputeCache& cache() { return m_cache; }

Q_SIGNALS:
    void started(quint64 id, const QString& node);
    void progress(quint64 id, const QString& node, double fraction, const QString& detail);
    /// A generation's latent preview (display-referred RGB, width × height × 3 floats, row 0 at the top).
    void preview(quint64 id, const QString& node, int width, int height, const QList<float>& rgb);
    void finished(const kinema::app::EvaluationResult& result);
    void busyChanged(bool busy);

private:
    struct Request {
        quint64 id = 0;
        std::string graphJson;
        std::string node;
        std::string compareNode;
        double frame = 0.0;
        std::string device;
        std::shared_ptr<graph::Canceller> canceller;
    };
    void run();
    EvaluationResult evaluate(const Request& request);

    const graph::NodeRegistry& m_registry;
    render::ComputeCache m_cache;
    mutable std::mutex m_mutex;
    std::condition_variable m_wake;
    std::optional<Request> m_pending;
    std::shared_ptr<graph::Canceller> m_running;
    bool m_busy = false;
    bool m_stop = false;
    quint64 m_nextId = 1;
    std::string m_device = "cpu";
    mutable std::mutex m_statsMutex;
    std::map<std::string, render::NodeStats> m_lastStats;
    std::thread m_thread;
};

} // namespace kinema::app

Q_DECLARE_METATYPE(kinema::app::EvaluationResult)
