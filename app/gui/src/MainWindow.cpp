// SPDX-License-Identifier: Apache-2.0
#include "kinema/app/MainWindow.h"

#include <algorithm>
#include <cmath>

#include <QAction>
#include <QCloseEvent>
#include <QDockWidget>
#include <QFileDialog>
#include <QFileInfo>
#include <QLabel>
#include <QMenuBar>
#include <QProgressBar>
#include <QPushButton>
#include <QRegularExpression>
#include <QSplitter>
#include <QStandardPaths>
#include <QStatusBar>

#include "kinema/app/NodeEditor.h"
#include "kinema/app/PropertiesPanel.h"
#include "kinema/app/RenderDialog.h"
#include "kinema/app/ViewerPanel.h"
#include "kinema/color/Config.h"
#include "kinema/graph/GraphFile.h"
#include "kinema/nodes/ModelLocator.h"
#include "kinema/viewer/DebugOverlay.h"
#include "kinema/viewer/PlaybackController.h"
#include "kinema/viewer/TimelineWidget.h"
#include "kinema/viewer/ViewerWidget.h"

namespace kinema::app {

namespace fs = std::filesystem;

MainWindow::MainWindow(MainWindowOptions options, QWidget* parent)
    : QMainWindow(parent)
    , m_options(std::move(options))
    , m_settings(m_options.settingsFile.isEmpty()
                     ? std::make_unique<QSettings>()
                     : std::make_unique<QSettings>(m_options.settingsFile, QSettings::IniFormat))
    , m_preferences(Preferences::load(*m_settings))
    , m_editor(new NodeEditor(m_model))
    , m_properties(new PropertiesPanel(m_model))
    , m_viewer(new ViewerPanel)
    , m_evaluation(std::make_unique<EvaluationService>(m_model.document().registry())) {
    if (m_options.recoveryDir.empty())
        m_options.recoveryDir =
            fs::path(QStandardPaths::writableLocation(QStandardPaths::AppDataLocation).toStdString()) /
            "recovery";
    m_autosave = std::make_unique<AutosaveManager>(m_model, m_options.recoveryDir);
    m_autosave->setDirtyProvider([this] { return isDirty(); });
    m_autosave->setDocumentPathProvider([this] { return fs::path(m_file.toStdString()); });
    // Read-ahead workers evaluate frames of the current snapshot (never the live graph).
    // Input B is evaluated with A and kept beside the frame cache (m_playbackB).
    m_playback = std::make_unique<viewer::PlaybackController>([this](int frame) {
        std::string json, node, compare;
        std::shared_ptr<graph::Canceller> canceller;
        {
            std::lock_guard lock(m_snapshotMutex);
            json = m_snapshotJson;
            node = m_snapshotNode;
            compare = m_snapshotCompare;
            canceller = m_snapshotCanceller;
        }
        if (json.empty())
            throw std::runtime_error("frame " + std::to_string(frame) + ": no node is viewed");
        render::ImagePtr image = m_evaluation->evaluateFrame(json, node, frame, canceller);
        if (!compare.empty()) {
            render::ImagePtr imageB;
            try {
                imageB = m_evaluation->evaluateFrame(json, compare, frame, canceller);
            } catch (const graph::Cancelled&) {
                throw;
            } catch (const std::exception&) {
                // B's failure does not stop playback of A: B shows empty for this frame.
            }
            std::lock_guard lock(m_snapshotMutex);
            if (canceller == m_snapshotCanceller)
                m_playbackB[frame] = std::move(imageB);
        }
        return image;
    });
    m_playback->setFetchWhilePaused(false); // paused frames come from the interactive evaluation
    m_playback->setReadAhead(12);

    askRecover = [this](const RecoveryCandidate& c) {
        if (!m_options.interactive)
            return false;
        const QString doc = c.documentFile.empty() ? tr("an untitled graph")
                                                   : QString::fromStdString(c.documentFile.string());
        return QMessageBox::question(this, tr("Recover unsaved changes?"),
                                     tr("Kinema did not shut down properly. Unsaved changes to %1 were "
                                        "autosaved. Recover them?")
                                         .arg(doc)) == QMessageBox::Yes;
    };
    askSaveChanges = [this] {
        if (!m_options.interactive)
            return QMessageBox::Discard;
        return static_cast<QMessageBox::StandardButton>(
            QMessageBox::question(this, tr("Unsaved changes"), tr("Save the changes to the graph?"),
                                  QMessageBox::Save | QMessageBox::Discard | QMessageBox::Cancel));
    };

    // Layout: viewer above the node editor, properties on the right (Nuke's default arrangement).
    auto* split = new QSplitter(Qt::Vertical);
    split->addWidget(m_viewer);
    split->addWidget(m_editor);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 2);
    split->setSizes({440, 240});
    setCentralWidget(split);
    auto* dock = new QDockWidget(tr("Properties"), this);
    dock->setObjectName(QStringLiteral("propertiesDock"));
    dock->setWidget(m_properties);
    addDockWidget(Qt::RightDockWidgetArea, dock);
    resize(1280, 720);
    resizeDocks({dock}, {470}, Qt::Horizontal); // room for a colour row with its key controls

    buildMenus();
    setPreferences(m_preferences);

    m_evaluationTimer.setSingleShot(true);
    connect(&m_evaluationTimer, &QTimer::timeout, this, &MainWindow::requestEvaluation);
    connect(m_editor, &NodeEditor::currentNodeChanged, this, [this](graph::Node* n) {
        m_properties->setNode(n);
        m_viewed = n ? QString::fromStdString(n->name()) : QString();
        m_viewer->setInputNames(m_viewed, m_compareNode);
        refreshSnapshot();
        updateKeyframes();
        scheduleEvaluation(0);
    });
    connect(&m_model, &GraphModel::nodeRenamed, this, [this](graph::Node* n) {
        if (n == m_editor->currentNode())
            m_viewed = QString::fromStdString(n->name());
        m_viewer->setInputNames(m_viewed, m_compareNode);
    });
    connect(&m_model, &GraphModel::graphEdited, this, [this] {
        m_evaluation->cancel(); // stale now
        if (!m_compareNode.isEmpty() && !m_model.findNode(m_compareNode))
            setViewerInput(2, {});
        refreshSnapshot();
        updateKeyframes();
        scheduleEvaluation(30);
    });
    connect(&m_model, &GraphModel::nodeAboutToBeRemoved, this, [this](graph::Node* n) {
        if (n && QString::fromStdString(n->name()) == m_compareNode)
            setViewerInput(2, {});
    });
    connect(&m_model, &GraphModel::reset, this, [this] {
        m_compareNode.clear();
        m_viewer->setInputNames(m_viewed, m_compareNode);
        refreshSnapshot();
        updateKeyframes();
    });
    connect(&m_model, &GraphModel::undoStackChanged, this, &MainWindow::updateTitle);
    connect(&m_model, &GraphModel::settingsChanged, this, &MainWindow::syncProjectSettings);
    connect(&m_model, &GraphModel::reset, this, &MainWindow::syncProjectSettings);
    connect(&m_model, &GraphModel::editFailed, this, &MainWindow::showError);
    connect(m_viewer, &ViewerPanel::frameChanged, this, &MainWindow::setFrame);
    connect(m_evaluation.get(), &EvaluationService::finished, this, &MainWindow::onEvaluationFinished);
    connect(m_evaluation.get(), &EvaluationService::progress, this,
            [this](quint64 id, const QString& node, double fraction, const QString& detail) {
                if (id != m_evaluation->latestRequest())
                    return;
                NodeStatus s = m_model.status(m_model.findNode(node));
                s.progress = fraction;
                m_model.setStatus(node, s);
                // Generative nodes report "step N/M": the overlay shows it as diffusion progress.
                static const QRegularExpression step(QStringLiteral("(\\d+)\\s*/\\s*(\\d+)"));
                const auto match = step.match(detail);
                if (match.hasMatch()) {
                    m_diffusionStep = match.captured(1).toInt();
                    m_diffusionTotal = match.captured(2).toInt();
                    m_viewer->viewerWidget()->debugOverlay().setDiffusionProgress(m_diffusionStep,
                                                                                  m_diffusionTotal);
                }
            });
    // The generation's latent preview goes to the debug overlay beside the step progress.
    connect(m_evaluation.get(), &EvaluationService::preview, this,
            [this](quint64 id, const QString&, int width, int height, const QList<float>& rgb) {
                if (id != m_evaluation->latestRequest() || m_diffusionTotal <= 0)
                    return;
                m_viewer->viewerWidget()->debugOverlay().setDiffusionProgress(
                    m_diffusionStep, m_diffusionTotal, width, height,
                    std::vector<float>(rgb.begin(), rgb.end()));
            });
    connect(m_evaluation.get(), &EvaluationService::busyChanged, this, &MainWindow::updateCacheBar);

    // Timeline and playback: the controller follows the timeline; the cache bar shows its state.
    viewer::TimelineWidget* timeline = m_viewer->timeline();
    m_playback->attach(timeline);
    connect(m_playback.get(), &viewer::PlaybackController::cacheChanged, this, &MainWindow::updateCacheBar);
    connect(m_playback.get(), &viewer::PlaybackController::frameReady, this, &MainWindow::onPlaybackFrame);
    connect(m_playback.get(), &viewer::PlaybackController::frameFailed, this,
            [this](int frame, const QString& message) {
                if (m_playback->isPlaying() && frame == m_frame)
                    m_viewer->showMessage(message);
            });
    connect(m_viewer, &ViewerPanel::playingChanged, this, [this](bool playing) {
        if (playing) {
            m_evaluationTimer.stop();
            m_evaluation->cancel();
            if (!m_snapshotBuilt)
                buildSnapshot(); // before the controller starts reading ahead
        } else {
            scheduleEvaluation(0); // the paused frame gets its badges and errors back
        }
    });

    // Progress and Cancel for the background computation (a long generation must be stoppable).
    m_busyProgress = new QProgressBar;
    m_busyProgress->setObjectName(QStringLiteral("busyProgress"));
    m_busyProgress->setRange(0, 1000);
    m_busyProgress->setMaximumWidth(160);
    m_busyProgress->setVisible(false);
    m_cancelButton = new QPushButton(tr("Cancel"));
    m_cancelButton->setObjectName(QStringLiteral("cancelComputation"));
    m_cancelButton->setToolTip(tr("Stop the computation of the viewed node (within one generation step)"));
    m_cancelButton->setVisible(false);
    statusBar()->addPermanentWidget(m_busyProgress);
    statusBar()->addPermanentWidget(m_cancelButton);
    connect(m_cancelButton, &QPushButton::clicked, this, [this] {
        m_evaluationTimer.stop();
        m_evaluation->cancel();
        statusBar()->showMessage(tr("Computation cancelled"), 3000);
    });
    connect(m_evaluation.get(), &EvaluationService::busyChanged, this, [this](bool busy) {
        m_busyProgress->setVisible(busy);
        m_cancelButton->setVisible(busy);
        if (busy)
            m_busyProgress->setValue(0);
    });
    connect(m_evaluation.get(), &EvaluationService::progress, this,
            [this](quint64, const QString&, double fraction, const QString&) {
                m_busyProgress->setValue(static_cast<int>(std::clamp(fraction, 0.0, 1.0) * 1000.0));
            });

    // Pixel probe in the status bar.
    m_probeLabel = new QLabel;
    m_probeLabel->setObjectName(QStringLiteral("probe"));
    m_probeLabel->setTextFormat(Qt::PlainText);
    statusBar()->addPermanentWidget(m_probeLabel);
    connect(m_viewer->viewerWidget(), &viewer::ViewerWidget::pixelProbed, this,
            [this](const viewer::PixelProbe& p) {
                if (!p.valid) {
                    m_probeLabel->clear();
                    return;
                }
                auto v = [](float x) { return QString::number(x, 'f', 4); };
                m_probeLabel->setText(tr("%1 x %2 y %3   linear %4 %5 %6 %7   display %8 %9 %10")
                                          .arg(p.imageB ? QStringLiteral("B") : QStringLiteral("A"))
                                          .arg(p.x)
                                          .arg(p.y)
                                          .arg(v(p.scene[0]), v(p.scene[1]), v(p.scene[2]), v(p.scene[3]),
                                               v(p.display[0]), v(p.display[1]), v(p.display[2])));
            });
    connect(m_viewer->viewerWidget(), &viewer::ViewerWidget::errorOccurred, this, &MainWindow::showError);
    connect(m_editor, &NodeEditor::dragStateChanged, this, [this](bool on) {
        m_nodeDrag = on;
        m_autosave->setDragging(m_nodeDrag || m_sliderDrag);
    });
    connect(m_properties, &PropertiesPanel::dragStateChanged, this, [this](bool on) {
        m_sliderDrag = on;
        m_autosave->setDragging(m_nodeDrag || m_sliderDrag);
    });
    connect(m_autosave.get(), &AutosaveManager::autosaved, this,
            [this](const QString&) { statusBar()->showMessage(tr("Autosaved"), 2000); });
    connect(m_autosave.get(), &AutosaveManager::autosaveFailed, this, &MainWindow::showError);

    syncProjectSettings();
    updateTitle();
}

MainWindow::~MainWindow() {
    m_evaluation->disconnect(this); // no more results or busy changes into a window being torn down
    {
        std::lock_guard lock(m_snapshotMutex);
        if (m_snapshotCanceller)
            m_snapshotCanceller->cancel();
    }
    m_playback.reset(); // its workers call into the evaluation service
    m_evaluation->cancel();
    // Views refer to the model's nodes: they go before the members do.
    delete takeCentralWidget();
    delete m_properties;
}

QAction* MainWindow::action(const QString& name) const {
    return findChild<QAction*>(name);
}

void MainWindow::buildMenus() {
    auto add = [this](QMenu* menu, const QString& name, const QString& text, const QKeySequence& key,
                      auto slot) {
        auto* a = menu->addAction(text);
        a->setObjectName(name);
        if (!key.isEmpty())
            a->setShortcut(key);
        connect(a, &QAction::triggered, this, slot);
        return a;
    };
    QMenu* file = menuBar()->addMenu(tr("&File"));
    add(file, QStringLiteral("new"), tr("&New"), QKeySequence::New, [this] {
        if (maybeSave())
            newDocument();
    });
    add(file, QStringLiteral("open"), tr("&Open..."), QKeySequence::Open, [this] {
        if (!maybeSave())
            return;
        const QString f = QFileDialog::getOpenFileName(this, tr("Open graph"), QFileInfo(m_file).path(),
                                                       tr("Kinema graphs (*.kgraph);;All files (*)"));
        if (!f.isEmpty())
            openFile(f);
    });
    m_recentMenu = file->addMenu(tr("Open &Recent"));
    add(file, QStringLiteral("save"), tr("&Save"), QKeySequence::Save, [this] { save(); });
    add(file, QStringLiteral("saveAs"), tr("Save &As..."), QKeySequence::SaveAs, [this] { saveAs(); });
    file->addSeparator();
    add(file, QStringLiteral("render"), tr("&Render..."), QKeySequence(Qt::Key_F7), [this] {
        RenderDialog dialog(m_model.graph(), m_preferences.device.toStdString(),
                            static_cast<std::size_t>(m_preferences.cacheMiB) << 20, this,
                            m_model.document().registry());
        dialog.exec();
    });
    add(file, QStringLiteral("preferences"), tr("&Preferences..."), QKeySequence::Preferences, [this] {
        PreferencesDialog dialog(m_preferences, this);
        if (dialog.exec() == QDialog::Accepted)
            setPreferences(dialog.preferences());
    });
    file->addSeparator();
    add(file, QStringLiteral("quit"), tr("&Quit"), QKeySequence::Quit, [this] { close(); });

    QMenu* edit = menuBar()->addMenu(tr("&Edit"));
    auto* undo = add(edit, QStringLiteral("undo"), tr("&Undo"), QKeySequence::Undo, [this] {
        if (m_model.document().undoStack().canUndo())
            m_model.tryEdit([this] { m_model.document().undoStack().undo(); });
    });
    auto* redo = add(edit, QStringLiteral("redo"), tr("&Redo"), QKeySequence::Redo, [this] {
        if (m_model.document().undoStack().canRedo())
            m_model.tryEdit([this] { m_model.document().undoStack().redo(); });
    });
    connect(&m_model, &GraphModel::undoStackChanged, this, [this, undo, redo] {
        auto& stack = m_model.document().undoStack();
        undo->setEnabled(stack.canUndo());
        redo->setEnabled(stack.canRedo());
        undo->setText(stack.canUndo() ? tr("&Undo %1").arg(QString::fromStdString(stack.undoText()))
                                      : tr("&Undo"));
        redo->setText(stack.canRedo() ? tr("&Redo %1").arg(QString::fromStdString(stack.redoText()))
                                      : tr("&Redo"));
    });
    edit->addSeparator();
    add(edit, QStringLiteral("cut"), tr("Cu&t"), QKeySequence::Cut, [this] { m_editor->cutSelected(); });
    add(edit, QStringLiteral("copy"), tr("&Copy"), QKeySequence::Copy, [this] { m_editor->copySelected(); });
    add(edit, QStringLiteral("paste"), tr("&Paste"), QKeySequence::Paste, [this] { m_editor->paste(); });
    add(edit, QStringLiteral("duplicate"), tr("D&uplicate"), QKeySequence(Qt::CTRL | Qt::Key_D),
        [this] { m_editor->duplicateSelected(); });
    add(edit, QStringLiteral("delete"), tr("&Delete\tDel"), {}, [this] { m_editor->deleteSelected(); });
    add(edit, QStringLiteral("disable"), tr("Disable/Enable\tD"), {},
        [this] { m_editor->toggleDisableSelected(); });
    add(edit, QStringLiteral("backdrop"), tr("Add &Backdrop\tB"), {}, [this] { m_editor->addBackdrop(); });

    QMenu* view = menuBar()->addMenu(tr("&View"));
    add(view, QStringLiteral("addNode"), tr("Add &Node...\tTab"), {}, [this] { m_editor->showSearch(); });
    add(view, QStringLiteral("frameAll"), tr("&Frame All\tF"), {}, [this] { m_editor->frameAll(); });
    add(view, QStringLiteral("zoomIn"), tr("Zoom &In"), QKeySequence::ZoomIn,
        [this] { m_editor->zoomBy(1.25); });
    add(view, QStringLiteral("zoomOut"), tr("Zoom &Out"), QKeySequence::ZoomOut,
        [this] { m_editor->zoomBy(0.8); });
    view->addSeparator();
    // 1 and 2 act in the node editor only (in the viewer, 1 is its 1:1 zoom).
    for (int input : {1, 2}) {
        auto* a = add(view, input == 1 ? QStringLiteral("viewerInputA") : QStringLiteral("viewerInputB"),
                      input == 1 ? tr("View Selected as Input &A") : tr("Compare Selected as Input &B"),
                      QKeySequence(input == 1 ? Qt::Key_1 : Qt::Key_2), [this, input] {
                          if (auto* n = m_editor->currentNode())
                              setViewerInput(input, QString::fromStdString(n->name()));
                      });
        a->setShortcutContext(Qt::WidgetWithChildrenShortcut);
        m_editor->addAction(a);
    }
    add(view, QStringLiteral("clearInputB"), tr("&Clear Input B"), {}, [this] { setViewerInput(2, {}); });
    view->addMenu(m_viewer->viewerWidget()->displayMenu())->setText(tr("&Display"));
    view->addMenu(m_viewer->viewerWidget()->viewMenu())->setText(tr("&View Transform"));
    view->addMenu(m_viewer->viewerWidget()->lookMenu())->setText(tr("&Look"));
    view->addSeparator();
    auto* overlay =
        add(view, QStringLiteral("debugOverlay"), tr("Debug &Overlay"),
            QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_D), [this](bool on) { setDebugOverlayVisible(on); });
    overlay->setCheckable(true);
    view->addSeparator();
    add(view, QStringLiteral("play"), tr("&Play/Pause"), QKeySequence(Qt::Key_Space),
        [this] { m_viewer->setPlaying(!m_viewer->isPlaying()); });
    updateRecentMenu();
}

void MainWindow::setPreferences(const Preferences& preferences) {
    m_preferences = preferences;
    m_preferences.save(*m_settings);
    m_evaluation->setCacheBytes(static_cast<std::size_t>(m_preferences.cacheMiB) << 20);
    m_evaluation->setDevice(m_preferences.device.toStdString());
    std::vector<std::filesystem::path> modelFolders;
    for (const QString& folder : m_preferences.modelFolders)
        modelFolders.emplace_back(folder.toStdString());
    kinema::nodes::setModelSearchPath(std::move(modelFolders)); // searched before $KINEMA_MODEL_PATH
    if (m_playback) // frame cache: a quarter of the compute cache budget, at least 256 MiB
        m_playback->cache().setBudget(std::max<std::size_t>(
            std::size_t(256) << 20, (static_cast<std::size_t>(m_preferences.cacheMiB) << 20) / 4));
    applyColorConfig();
    updateRecentMenu();
}

void MainWindow::updateRecentMenu() {
    if (!m_recentMenu)
        return;
    m_recentMenu->clear();
    for (const QString& f : m_preferences.recentFiles) {
        auto* a = m_recentMenu->addAction(QFileInfo(f).fileName() + QStringLiteral("  (") + f +
                                          QStringLiteral(")"));
        connect(a, &QAction::triggered, this, [this, f] {
            if (maybeSave())
                openFile(f);
        });
    }
    m_recentMenu->setEnabled(!m_preferences.recentFiles.isEmpty());
}

void MainWindow::updateTitle() {
    const QString name = m_file.isEmpty() ? tr("Untitled") : QFileInfo(m_file).fileName();
    setWindowTitle(name + QStringLiteral("[*] - Kinema"));
    setWindowModified(isDirty());
}

void MainWindow::showError(const QString& message) {
    m_lastError = message;
    statusBar()->showMessage(message, 8000);
}

bool MainWindow::isDirty() const {
    return m_recoveredDirty || m_model.document().isDirty();
}

// [SECTION] Files -------------------------------------------------------------------------------------------

void MainWindow::newDocument() {
    m_evaluation->cancel();
    m_model.setDocument(std::make_unique<graph::Document>(m_model.document().registry()));
    m_file.clear();
    m_recoveredDirty = false;
    m_autosave->discard();
    updateTitle();
}

bool MainWindow::openFile(const QString& path) {
    auto doc = std::make_unique<graph::Document>(m_model.document().registry());
    try {
        doc->open(path.toStdString());
    } catch (const std::exception& e) {
        showError(QString::fromStdString(e.what()));
        if (m_options.interactive)
            QMessageBox::warning(this, tr("Cannot open"), QString::fromStdString(e.what()));
        return false;
    }
    m_evaluation->cancel();
    m_model.setDocument(std::move(doc));
    m_file = QFileInfo(path).absoluteFilePath();
    m_recoveredDirty = false;
    m_autosave->discard();
    m_preferences.addRecent(m_file);
    setPreferences(m_preferences);
    updateTitle();
    m_editor->frameAll();
    return true;
}

bool MainWindow::saveFile(const QString& path) {
    try {
        m_model.document().save(path.toStdString()); // atomic, keeps a .bak
    } catch (const std::exception& e) {
        showError(QString::fromStdString(e.what()));
        if (m_options.interactive)
            QMessageBox::warning(this, tr("Cannot save"), QString::fromStdString(e.what()));
        return false;
    }
    m_file = QFileInfo(path).absoluteFilePath();
    m_recoveredDirty = false;
    m_autosave->discard();
    m_preferences.addRecent(m_file);
    setPreferences(m_preferences);
    updateTitle();
    statusBar()->showMessage(tr("Saved %1").arg(m_file), 3000);
    return true;
}

bool MainWindow::save() {
    return m_file.isEmpty() ? saveAs() : saveFile(m_file);
}

bool MainWindow::saveAs() {
    QString f = QFileDialog::getSaveFileName(this, tr("Save graph"), m_file, tr("Kinema graphs (*.kgraph)"));
    if (f.isEmpty())
        return false;
    if (QFileInfo(f).suffix().isEmpty())
        f += QStringLiteral(".kgraph");
    return saveFile(f);
}

bool MainWindow::maybeSave() {
    if (!isDirty())
        return true;
    switch (askSaveChanges()) {
    case QMessageBox::Save:
        return save();
    case QMessageBox::Discard:
        return true;
    default:
        return false;
    }
}

bool MainWindow::checkRecovery() {
    auto candidate = AutosaveManager::findRecovery(m_options.recoveryDir, m_model.document().registry());
    if (!candidate)
        return false;
    if (!askRecover(*candidate)) {
        m_autosave->discard();
        return false;
    }
    auto doc = std::make_unique<graph::Document>(m_model.document().registry());
    try {
        doc->open(candidate->recoveryFile);
    } catch (const std::exception& e) {
        showError(QString::fromStdString(e.what()));
        return false;
    }
    m_evaluation->cancel();
    m_model.setDocument(std::move(doc));
    m_file = candidate->documentFile.empty() ? QString()
                                             : QString::fromStdString(candidate->documentFile.string());
    m_recoveredDirty = true; // the recovered content is not in the document's file yet
    updateTitle();
    m_editor->frameAll();
    return true;
}

void MainWindow::closeEvent(QCloseEvent* event) {
    if (!maybeSave()) {
        event->ignore();
        return;
    }
    m_evaluation->cancel();
    m_autosave->discard(); // a normal exit leaves nothing to recover
    event->accept();
}

// [SECTION] Viewing and evaluation --------------------------------------------------------------------------

void MainWindow::syncProjectSettings() {
    const auto& s = m_model.graph().settings();
    m_viewer->setFrameRange(s.frameStart, s.frameEnd);
    m_viewer->setFps(s.fps);
    if (m_frame < s.frameStart || m_frame > s.frameEnd)
        setFrame(s.frameStart);
    applyColorConfig();
}

void MainWindow::applyColorConfig() {
    const auto& project = m_model.graph().settings();
    const QString key = m_preferences.ocioConfig + QLatin1Char('|') +
                        QString::fromStdString(project.ocioConfig) + QLatin1Char('|') +
                        qEnvironmentVariable("OCIO") + QLatin1Char('|') +
                        QString::fromStdString(project.workingSpace);
    if (key == m_colorKey)
        return;
    m_colorKey = key;
    auto* widget = m_viewer->viewerWidget();
    try {
        if (!m_preferences.ocioConfig.isEmpty()) {
            widget->setConfig(color::ConfigHandle::fromFile(m_preferences.ocioConfig.toStdString()));
            m_colorSource = tr("preferences: %1").arg(m_preferences.ocioConfig);
        } else {
            const auto where = color::resolveConfigLocation(project.ocioConfig);
            widget->setConfig(color::ConfigHandle::fromFile(where.path, where.origin));
            m_colorSource = QStringLiteral("%1: %2").arg(QString::fromUtf8(color::toString(where.origin)),
                                                         QString::fromStdString(where.path.string()));
        }
    } catch (const std::exception& e) {
        m_colorSource.clear();
        showError(tr("Colour config: %1").arg(QString::fromStdString(e.what())));
        return;
    }
    if (!project.workingSpace.empty() && widget->config().hasColorSpace(project.workingSpace))
        widget->setInputColorSpace(QString::fromStdString(project.workingSpace));
}

void MainWindow::refreshSnapshot() {
    // Serialised only while playing (paused, nothing reads it); playback start builds it (buildSnapshot).
    const bool playing = m_viewer->isPlaying();
    {
        std::lock_guard lock(m_snapshotMutex);
        if (m_snapshotCanceller)
            m_snapshotCanceller->cancel(); // read-ahead of the old state is stale
        m_snapshotCanceller = std::make_shared<graph::Canceller>();
        m_snapshotJson.clear();
        m_snapshotNode.clear();
        m_snapshotCompare.clear();
        m_playbackB.clear();
        m_snapshotBuilt = false;
        ++m_snapshotSerial;
    }
    if (playing)
        buildSnapshot();
    m_playback->invalidate();
}

void MainWindow::buildSnapshot() {
    const bool viewing = !m_viewed.isEmpty() && m_model.findNode(m_viewed);
    std::string json = viewing ? graph::graphToJson(m_model.graph()).dump() : std::string();
    std::lock_guard lock(m_snapshotMutex);
    m_snapshotJson = std::move(json);
    m_snapshotNode = m_viewed.toStdString();
    m_snapshotCompare = m_model.findNode(m_compareNode) ? m_compareNode.toStdString() : std::string();
    m_snapshotBuilt = true;
}

void MainWindow::updateCacheBar() {
    if (!m_playback)
        return;
    viewer::TimelineWidget* timeline = m_viewer->timeline();
    timeline->setCachedFrames(m_playback->cachedFrames());
    QList<int> computing = m_playback->pendingFrames();
    if (m_evaluation->isBusy() && !m_playback->isPlaying() && !computing.contains(m_frame))
        computing << m_frame;
    timeline->setComputingFrames(computing);
}

void MainWindow::updateKeyframes() {
    QList<int> keys;
    if (graph::Node* n = m_editor->currentNode()) {
        for (const auto& p : n->params()) {
            if (!p->isAnimated())
                continue;
            for (const auto& curve : p->curves())
                for (const auto& k : curve.keys()) {
                    const int f = static_cast<int>(std::lround(k.frame));
                    if (!keys.contains(f))
                        keys << f;
                }
        }
    }
    std::sort(keys.begin(), keys.end());
    m_viewer->timeline()->setKeyframes(keys);
}

void MainWindow::updateOverlayStats(const std::map<std::string, render::NodeStats>& nodeStats) {
    auto& cache = m_evaluation->cache();
    auto stats = viewer::DebugStats::fromEngine(nodeStats, cache.stats(), cache.budget());
    stats.frameCacheBytes = m_playback->cache().bytes();
    stats.frameCacheFrames = m_playback->cache().size();
    m_viewer->viewerWidget()->debugOverlay().setStats(std::move(stats));
}

void MainWindow::setDebugOverlayVisible(bool visible) {
    m_viewer->viewerWidget()->setDebugOverlayVisible(visible);
    if (QAction* a = action(QStringLiteral("debugOverlay")); a && a->isChecked() != visible) {
        const QSignalBlocker block(a);
        a->setChecked(visible);
    }
    if (visible)
        updateOverlayStats(m_evaluation->lastNodeStats());
}

bool MainWindow::debugOverlayVisible() const {
    return m_viewer->viewerWidget()->debugOverlayVisible();
}

bool MainWindow::setViewerInput(int input, const QString& node) {
    if (!node.isEmpty() && !m_model.findNode(node))
        return false;
    if (input == 1) {
        if (node.isEmpty())
            return false;
        return viewNode(node);
    }
    if (input != 2)
        return false;
    m_compareNode = node;
    auto* widget = m_viewer->viewerWidget();
    if (node.isEmpty()) {
        m_viewer->setImageB(nullptr);
        widget->setCompareMode(viewer::CompareMode::Off);
    } else if (widget->compareMode() == viewer::CompareMode::Off) {
        widget->setCompareMode(viewer::CompareMode::Wipe);
    }
    m_viewer->syncControls();
    m_viewer->setInputNames(m_viewed, m_compareNode);
    if (m_viewer->isPlaying())
        refreshSnapshot(); // the read-ahead now computes B as well
    scheduleEvaluation(0);
    return true;
}

void MainWindow::onPlaybackFrame(int frame, const render::ImagePtr& image) {
    if (frame != m_frame || !image)
        return;
    if (!m_compareNode.isEmpty()) {
        const QList<int> pending = m_playback->pendingFrames();
        std::lock_guard lock(m_snapshotMutex);
        // B images live as long as their frame is cached or being computed.
        for (auto it = m_playbackB.begin(); it != m_playbackB.end();) {
            const bool keep =
                it->first == frame || m_playback->cache().contains(it->first) || pending.contains(it->first);
            it = keep ? std::next(it) : m_playbackB.erase(it);
        }
        auto found = m_playbackB.find(frame);
        m_viewer->setImageB(found != m_playbackB.end() ? found->second : nullptr);
    }
    const auto& dw = image->dataWindow();
    m_viewer->setImage(
        image,
        tr("%1  frame %2  %3x%4  (frame cache)").arg(m_viewed).arg(frame).arg(dw.width()).arg(dw.height()));
    if (m_viewer->viewerWidget()->debugOverlayVisible())
        updateOverlayStats(m_evaluation->lastNodeStats());
}

void MainWindow::setFrame(int frame) {
    m_viewer->setFrame(frame);
    frame = m_viewer->frame();
    if (frame == m_frame)
        return;
    m_frame = frame;
    m_properties->setFrame(frame);
    if (m_playback->isPlaying())
        return; // the playback controller shows cached frames and reads ahead
    scheduleEvaluation(0);
}

bool MainWindow::viewNode(const QString& name) {
    graph::Node* n = m_model.findNode(name);
    if (!n)
        return false;
    m_editor->selectNodes({n});
    return true;
}

bool MainWindow::isEvaluationPending() const {
    if (m_viewed.isEmpty())
        return false;
    return m_evaluationTimer.isActive() || m_evaluation->isBusy() ||
           m_lastShown != m_evaluation->latestRequest();
}

void MainWindow::scheduleEvaluation(int delayMs) {
    m_evaluationTimer.start(delayMs);
}

void MainWindow::requestEvaluation() {
    if (m_viewed.isEmpty() || !m_model.findNode(m_viewed)) {
        m_evaluation->cancel();
        m_viewer->showMessage(tr("Select a node to view it"));
        return;
    }
    if (m_playback->isPlaying())
        return;
    QString compare = m_compareNode;
    if (!compare.isEmpty() && !m_model.findNode(compare))
        compare.clear();
    m_requestSerial = m_snapshotSerial;
    m_evaluation->request(m_model.graph(), m_viewed, m_frame, compare);
    updateCacheBar();
}

void MainWindow::onEvaluationFinished(const EvaluationResult& r) {
    if (r.cancelled || r.id != m_evaluation->latestRequest())
        return; // a newer request is on its way
    for (auto* n : m_model.graph().nodes()) {
        const QString name = QString::fromStdString(n->name());
        NodeStatus s;
        if (name == r.errorNode)
            s.error = r.error;
        auto it = r.cached.find(name);
        s.cached = it != r.cached.end() && it->second;
        if (auto info = r.info.find(name); info != r.info.end())
            s.info = info->second;
        m_model.setStatus(name, s);
    }
    if (r.image && m_requestSerial == m_snapshotSerial) {
        const int frame = static_cast<int>(std::lround(r.frame));
        if (!r.compareNode.isEmpty() && r.compareNode == m_compareNode) {
            std::lock_guard lock(m_snapshotMutex);
            m_playbackB[frame] = r.imageB;
        }
        m_playback->insertFrame(frame, r.image);
    }
    m_viewer->setImageB(r.compareNode.isEmpty() ? nullptr : r.imageB);
    if (!r.errorB.isEmpty())
        showError(tr("Input B %1: %2").arg(r.compareNode, r.errorB));
    m_viewer->viewerWidget()->debugOverlay().clearDiffusionProgress();
    updateOverlayStats(r.nodeStats);
    if (r.image) {
        const auto& dw = r.image->dataWindow();
        m_viewer->setImage(r.image, tr("%1  frame %2  %3x%4  %5 ms")
                                        .arg(r.node)
                                        .arg(r.frame)
                                        .arg(dw.width())
                                        .arg(dw.height())
                                        .arg(r.seconds * 1000.0, 0, 'f', 1));
    } else {
        m_viewer->showMessage(tr("%1: %2").arg(r.errorNode, r.error));
        showError(tr("%1: %2").arg(r.errorNode, r.error));
    }
    m_lastShown = r.id;
    Q_EMIT evaluationShown(r.id);
}

} // namespace kinema::app
