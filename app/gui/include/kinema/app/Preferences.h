// SPDX-License-Identifier: Apache-2.0
#pragma once
/// User preferences (cache size, compute device, OCIO config, model folders, recent files), kept in
/// QSettings, and the dialog that edits them.
#include <QDialog>
#include <QString>
#include <QStringList>

class QSettings;
class QSpinBox;
class QComboBox;
class QLineEdit;
class QListWidget;

namespace kinema::app {

struct Preferences {
    static constexpr int kMaxRecent = 10;

    int cacheMiB = 2048;
    QString device = QStringLiteral("cpu");
    QString ocioConfig; ///< empty: the project's or the shipped config
    QStringList modelFolders;
    QStringList recentFiles;

    static Preferences load(QSettings& settings);
    void save(QSettings& settings) const;
    /// Puts `file` first in the recent list (without duplicates, at most kMaxRecent).
    void addRecent(const QString& file);
    bool operator==(const Preferences&) const = default;
};

class PreferencesDialog : public QDialog {
    Q_OBJECT
public:
    PreferencesDialog(const Preferences& preferences, QWidget* parent = nullptr);
    /// The edited preferences (recent files unchanged).
    Preferences preferences() const;

private:
    Preferences m_base;
    QSpinBox* m_cache;
    QComboBox* m_device;
    QLineEdit* m_ocio;
    QListWidget* m_models;
};

} // namespace kinema::app
