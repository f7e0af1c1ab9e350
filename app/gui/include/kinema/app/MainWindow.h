// SPDX-License-Identifier: Apache-2.0
#pragma once
/// The Kinema main window: node editor, properties, viewer, menus, file handling and background services.
///
/// Design note: the window owns one GraphModel (the current Document) and wires views and services to
/// it. It keeps the current file name itself (a recovered document belongs to its original file while its
/// content came from the recovery file). Prompts go through replaceable hooks so that tests can answer
/// them; with `interactive` off the window never opens a modal dialog on its own.
///
/// Frames: while paused, the current frame is evaluated interactively through the EvaluationService
/// (latest request wins; errors, progress and cache state reach the node badges) and the result also
/// lands in the PlaybackController's frame cache. While playing, the controller's read-ahead workers
/// evaluate frames of a snapshot of the graph (EvaluationService::evaluateFrame) ahead of the playhead.
/// Every edit or change of the viewed node takes a new snapshot, cancels the old snapshot's work and
/// empties the frame cache. The viewer's colour config is the preference when set, otherwise the colour
/// module's resolution ($OCIO, the project's setting, the shipped config).
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include <QMainWindow>
#include <QMessageBox>
#include <QSettings>
#include <QTimer>

class QProgressBar;
class QPushButton;

#include "kinema/app/AutosaveManager.h"
#include "kinema/app/EvaluationService.h"
#include "kinema/app/GraphModel.h"
#include "kinema/app/Preferences.h"

class QLabel;

namespace kinema::viewer {
class PlaybackController;
}

namespace kinema::app {

class NodeEditor;
class PropertiesPanel;
class ViewerPanel;

struct MainWindowOptions {
    /// INI file for preferences; empty = the platform's default QSettings location.
    QString settingsFile;
    /// Where the recovery file lives; empty = <app data>/recovery.
    std::filesystem::path recoveryDir;
    /// false: errors go to the status bar only, prompts use their hooks' defaults (tests, screenshots).
    bool interactive = true;
};

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(MainWindowOptions options = {}, QWidget* parent = nullptr);
    ~MainWindow() override;

    GraphModel& model() { return m_model; }
    NodeEditor* editor() const { return m_editor; }
    PropertiesPanel* properties() const { return m_properties; }
    ViewerPanel* viewer() const { return m_viewer; }
    EvaluationService& evaluation() { return *m_evaluation; }
    AutosaveManager& autosave() { return *m_autosave; }
    /// A menu action by object name ("undo", "save", "render"...).
    QAction* action(const QString& name) const;

    const Preferences& preferences() const { return m_preferences; }
    void setPreferences(const Preferences& preferences);

    // Files ----------------------------------------------------------------------------------------------
    void newDocument();
    bool openFile(const QString& path);
    bool saveFile(const QString& path);
    bool save();
    bool saveAs();
    const QString& currentFile() const { return m_file; }
    bool isDirty() const;
    /// Looks for a recovery file and, if one is worth it, asks askRecover and loads it. Returns whether
    /// a recovery was loaded.
    bool checkRecovery();
    /// Asks about unsaved changes; false when the user cancels.
    bool maybeSave();

    // Viewing --------------------------------------------------------------------------------------------
    int frame() const { return m_frame; }
    void setFrame(int frame);
    /// Selects the node (editor and properties) and views it.
    bool viewNode(const QString& name);
    QString viewedNode() const { return m_viewed; }
    /// The last error shown in the status bar.
    const QString& lastError() const { return m_lastError; }
    /// Id of the last evaluation whose result reached the viewer (0 before any).
    quint64 lastShownEvaluation() const { return m_lastShown; }
    /// True while the viewer waits for a result: a request is scheduled, running, or not shown yet.
    bool isEvaluationPending() const;
    /// Viewer inputs (Nuke's number keys): 1 = A, the viewed node; 2 = B, compared with A by wipe or
    /// side by side. An empty name clears input B. Returns false for an unknown node.
    bool setViewerInput(int input, const QString& node);
    QString compareNode() const { return m_compareNode; }
    viewer::PlaybackController& playback() { return *m_playback; }
    void setDebugOverlayVisible(bool visible);
    bool debugOverlayVisible() const;
    /// Where the viewer's colour config came from ("" when none could be loaded).
    const QString& colorConfigSource() const { return m_colorSource; }

    // Prompt hooks (replaced by tests) -------------------------------------------------------------------
    std::function<bool(const RecoveryCandidate&)> askRecover;
    std::function<QMessageBox::StandardButton()> askSaveChanges;

Q_SIGNALS:
    void evaluationShown(quint64 id);

protected:
    void closeEvent(QCloseEvent* event) override;

public:
    /// The status-bar button that cancels the background computation (visible while one runs).
    QPushButton* cancelButton() const { return m_cancelButton; }

private:
    void buildMenus();
    void updateTitle();
    void updateRecentMenu();
    void showError(const QString& message);
    void scheduleEvaluation(int delayMs);
    void requestEvaluation();
    void onEvaluationFinished(const EvaluationResult& result);
    void syncProjectSettings();
    void refreshSnapshot();
    void buildSnapshot();
    void updateCacheBar();
    void updateKeyframes();
    void updateOverlayStats(const std::map<std::string, render::NodeStats>& nodeStats);
    void applyColorConfig();
    void onPlaybackFrame(int frame, const render::ImagePtr& image);

    MainWindowOptions m_options;
    std::unique_ptr<QSettings> m_settings;
    Preferences m_preferences;
    GraphModel m_model;
    NodeEditor* m_editor;
    PropertiesPanel* m_properties;
    ViewerPanel* m_viewer;
    std::unique_ptr<EvaluationService> m_evaluation;
    // The graph as the playback workers see it (guarded by m_snapshotMutex).
    std::mutex m_snapshotMutex;
    std::string m_snapshotJson;
    std::string m_snapshotNode;
    std::string m_snapshotCompare;
    std::map<int, render::ImagePtr> m_playbackB; // input B of frames read ahead
    std::shared_ptr<graph::Canceller> m_snapshotCanceller;
    bool m_snapshotBuilt = false; // written on the UI thread only
    quint64 m_snapshotSerial = 0;
    quint64 m_requestSerial = 0;
    std::unique_ptr<viewer::PlaybackController> m_playback;
    QLabel* m_probeLabel = nullptr;
    int m_diffusionStep = 0, m_diffusionTotal = 0; ///< last generation step reported, for the overlay
    QProgressBar* m_busyProgress = nullptr;        ///< progress of the background computation
    QPushButton* m_cancelButton = nullptr;         ///< cancels it (long generations)
    QString m_compareNode;
    QString m_colorKey;
    QString m_colorSource;
    std::unique_ptr<AutosaveManager> m_autosave;
    QMenu* m_recentMenu = nullptr;
    QTimer m_evaluationTimer;
    QString m_file;
    bool m_recoveredDirty = false;
    int m_frame = 1;
    QString m_viewed;
    QString m_lastError;
    quint64 m_lastShown = 0;
    bool m_nodeDrag = false;
    bool m_sliderDrag = false;
};

} // namespace kinema::app
