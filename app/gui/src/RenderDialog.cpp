// SPDX-License-Identifier: Apache-2.0
#include "kinema/app/RenderDialog.h"

#include <sstream>
#include <streambuf>

#include <QDialogButtonBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QListWidget>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSpinBox>
#include <QVBoxLayout>
#include <nlohmann/json.hpp>

#include "BatchRender.h"
#include "kinema/graph/GraphFile.h"
#include "kinema/render/ImageNode.h"

namespace kinema::app {
namespace {

/// A stream buffer that hands every complete line to a callback (the batch loop's JSON events).
class LineBuffer : public std::streambuf {
public:
    explicit LineBuffer(std::function<void(const std::string&)> onLine)
        : m_onLine(std::move(onLine)) {}

protected:
    int overflow(int c) override {
        if (c == traits_type::eof())
            return 0;
        if (c == '\n') {
            m_onLine(m_line);
            m_line.clear();
        } else {
            m_line.push_back(static_cast<char>(c));
        }
        return c;
    }
    std::streamsize xsputn(const char* s, std::streamsize n) override {
        for (std::streamsize i = 0; i < n; ++i)
            overflow(static_cast<unsigned char>(s[i]));
        return n;
    }

private:
    std::function<void(const std::string&)> m_onLine;
    std::string m_line;
};

} // namespace

RenderDialog::RenderDialog(const graph::Graph& graph, const std::string& device, std::size_t cacheBytes,
                           QWidget* parent, const graph::NodeRegistry& registry)
    : QDialog(parent)
    , m_registry(registry)
    , m_snapshot(graph::graphToJson(graph).dump())
    , m_device(device)
    , m_cacheBytes(cacheBytes)
    , m_writes(new QListWidget)
    , m_first(new QSpinBox)
    , m_last(new QSpinBox)
    , m_progress(new QProgressBar)
    , m_log(new QPlainTextEdit)
    , m_render(new QPushButton(tr("Render")))
    , m_cancel(new QPushButton(tr("Close"))) {
    setWindowTitle(tr("Render"));
    for (auto* n : graph.nodes())
        if (dynamic_cast<const render::OutputNode*>(n)) {
            auto* item = new QListWidgetItem(QString::fromStdString(n->name()), m_writes);
            item->setCheckState(n->enabled() ? Qt::Checked : Qt::Unchecked);
        }
    for (auto* box : {m_first, m_last})
        box->setRange(-1000000, 1000000);
    m_first->setValue(graph.settings().frameStart);
    m_last->setValue(graph.settings().frameEnd);
    m_log->setReadOnly(true);
    m_progress->setRange(0, 1);
    m_progress->setValue(0);

    auto* form = new QFormLayout;
    form->addRow(tr("Write nodes"), m_writes);
    auto* range = new QHBoxLayout;
    range->addWidget(m_first);
    range->addWidget(new QLabel(tr("to")));
    range->addWidget(m_last);
    form->addRow(tr("Frames"), range);
    form->addRow(tr("Progress"), m_progress);
    auto* buttons = new QHBoxLayout;
    buttons->addStretch(1);
    buttons->addWidget(m_render);
    buttons->addWidget(m_cancel);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(m_log, 1);
    layout->addLayout(buttons);
    resize(480, 420);

    m_render->setEnabled(m_writes->count() > 0);
    if (m_writes->count() == 0)
        m_log->appendPlainText(tr("The graph has no Write node."));
    connect(m_render, &QPushButton::clicked, this, &RenderDialog::start);
    connect(m_cancel, &QPushButton::clicked, this, [this] {
        if (isRunning())
            cancel();
        else
            QDialog::reject();
    });
    connect(this, &RenderDialog::batchEvent, this, &RenderDialog::onEvent, Qt::QueuedConnection);
}

RenderDialog::~RenderDialog() {
    cancel();
    join();
}

void RenderDialog::join() {
    if (m_thread.joinable())
        m_thread.join();
}

void RenderDialog::reject() {
    if (isRunning()) {
        cancel();
        return; // closes once the frames in flight have stopped
    }
    QDialog::reject();
}

void RenderDialog::start() {
    if (isRunning())
        return;
    join();
    BatchOptions options;
    for (int i = 0; i < m_writes->count(); ++i)
        if (m_writes->item(i)->checkState() == Qt::Checked)
            options.writeNodes.push_back(m_writes->item(i)->text().toStdString());
    if (options.writeNodes.empty()) {
        m_log->appendPlainText(tr("Check at least one Write node."));
        return;
    }
    if (m_last->value() < m_first->value()) {
        m_log->appendPlainText(tr("The last frame comes before the first."));
        return;
    }
    for (int f = m_first->value(); f <= m_last->value(); ++f)
        options.frames.push_back(f);
    options.json = true;
    options.device = m_device;
    options.cacheBytes = m_cacheBytes;
    options.framesInFlight = 2;
    m_framesDone = 0;
    m_framesFailed = 0;
    m_progress->setRange(0, static_cast<int>(options.frames.size() * options.writeNodes.size()));
    m_progress->setValue(0);
    m_render->setEnabled(false);
    m_cancel->setText(tr("Cancel"));
    m_canceller = std::make_shared<graph::Canceller>();
    m_done = false;
    m_thread = std::thread([this, options, canceller = m_canceller] {
        auto emitLine = [this](const std::string& line) { Q_EMIT batchEvent(QString::fromStdString(line)); };
        LineBuffer outBuf(emitLine);
        std::ostringstream errors;
        std::ostream out(&outBuf);
        try {
            graph::Graph graph;
            graph::graphFromJson(graph, nlohmann::json::parse(m_snapshot), "render snapshot", m_registry);
            runBatch(graph, options, canceller, out, errors);
        } catch (const std::exception& e) {
            nlohmann::json failure{{"event", "error"}, {"message", e.what()}};
            emitLine(failure.dump());
        }
        m_done = true;
        emitLine(nlohmann::json{{"event", "finished"}}.dump());
    });
}

void RenderDialog::cancel() {
    if (m_canceller)
        m_canceller->cancel();
}

void RenderDialog::onEvent(const QString& line) {
    nlohmann::json e;
    try {
        e = nlohmann::json::parse(line.toStdString());
    } catch (const std::exception&) {
        m_log->appendPlainText(line);
        return;
    }
    const std::string kind = e.value("event", "");
    if (kind == "frame") {
        const std::string status = e.value("status", "");
        if (status == "done" || status == "skipped")
            ++m_framesDone;
        if (status == "failed")
            ++m_framesFailed;
        m_progress->setValue(e.value("done", 0));
        QString text = QStringLiteral("%1 frame %2: %3")
                           .arg(QString::fromStdString(e.value("node", "")))
                           .arg(e.value("frame", 0))
                           .arg(QString::fromStdString(status));
        if (e.contains("error"))
            text += QStringLiteral(" - ") + QString::fromStdString(e.value("error", ""));
        m_log->appendPlainText(text);
    } else if (kind == "end") {
        m_log->appendPlainText(tr("Finished: %1 written, %2 failed (%3)")
                                   .arg(e.value("done", 0))
                                   .arg(e.value("failed", 0))
                                   .arg(QString::fromStdString(e.value("status", ""))));
    } else if (kind == "error") {
        m_log->appendPlainText(tr("Error: %1").arg(QString::fromStdString(e.value("message", ""))));
    } else if (kind == "finished") {
        join();
        m_render->setEnabled(true);
        m_cancel->setText(tr("Close"));
        const bool ok = m_framesFailed == 0 && !(m_canceller && m_canceller->cancelled()) &&
                        m_framesDone == m_progress->maximum();
        Q_EMIT renderFinished(ok);
    }
}

} // namespace kinema::app
