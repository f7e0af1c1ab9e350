// SPDX-License-Identifier: Apache-2.0
#include "kinema/app/Preferences.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLineEdit>
#include <QListWidget>
#include <QPushButton>
#include <QSettings>
#include <QSpinBox>
#include <QToolButton>
#include <QVBoxLayout>

namespace kinema::app {

Preferences Preferences::load(QSettings& s) {
    Preferences p;
    p.cacheMiB = std::clamp(s.value(QStringLiteral("cache/sizeMiB"), p.cacheMiB).toInt(), 64, 1 << 20);
    p.device = s.value(QStringLiteral("compute/device"), p.device).toString();
    if (!(p.device == QStringLiteral("cpu") || p.device == QStringLiteral("cuda") ||
          p.device.startsWith(QStringLiteral("cuda:"))))
        p.device = QStringLiteral("cpu");
    p.ocioConfig = s.value(QStringLiteral("color/ocioConfig")).toString();
    p.modelFolders = s.value(QStringLiteral("models/folders")).toStringList();
    p.recentFiles = s.value(QStringLiteral("files/recent")).toStringList().mid(0, kMaxRecent);
    return p;
}

void Preferences::save(QSettings& s) const {
    s.setValue(QStringLiteral("cache/sizeMiB"), cacheMiB);
    s.setValue(QStringLiteral("compute/device"), device);
    s.setValue(QStringLiteral("color/ocioConfig"), ocioConfig);
    s.setValue(QStringLiteral("models/folders"), modelFolders);
    s.setValue(QStringLiteral("files/recent"), recentFiles);
    s.sync();
}

void Preferences::addRecent(const QString& file) {
    recentFiles.removeAll(file);
    recentFiles.prepend(file);
    while (recentFiles.size() > kMaxRecent)
        recentFiles.removeLast();
}

PreferencesDialog::PreferencesDialog(const Preferences& preferences, QWidget* parent)
    : QDialog(parent)
    , m_base(preferences)
    , m_cache(new QSpinBox)
    , m_device(new QComboBox)
    , m_ocio(new QLineEdit)
    , m_models(new QListWidget) {
    setWindowTitle(tr("Preferences"));
    auto* form = new QFormLayout;
    m_cache->setRange(64, 1 << 20);
    m_cache->setSuffix(tr(" MiB"));
    m_cache->setValue(preferences.cacheMiB);
    m_cache->setObjectName(QStringLiteral("cacheSize"));
    form->addRow(tr("Compute cache"), m_cache);

    m_device->setEditable(true);
    m_device->addItems({QStringLiteral("cpu"), QStringLiteral("cuda"), QStringLiteral("cuda:0")});
    m_device->setCurrentText(preferences.device);
    m_device->setObjectName(QStringLiteral("device"));
    form->addRow(tr("Compute device"), m_device);

    auto* ocioRow = new QHBoxLayout;
    m_ocio->setText(preferences.ocioConfig);
    m_ocio->setPlaceholderText(tr("project or shipped config"));
    m_ocio->setObjectName(QStringLiteral("ocioConfig"));
    auto* browse = new QToolButton;
    browse->setText(QStringLiteral("..."));
    connect(browse, &QToolButton::clicked, this, [this] {
        QString f =
            QFileDialog::getOpenFileName(this, tr("OCIO config"), m_ocio->text(), tr("OCIO (*.ocio)"));
        if (!f.isEmpty())
            m_ocio->setText(f);
    });
    ocioRow->addWidget(m_ocio, 1);
    ocioRow->addWidget(browse);
    form->addRow(tr("OCIO config"), ocioRow);

    m_models->addItems(preferences.modelFolders);
    m_models->setObjectName(QStringLiteral("modelFolders"));
    auto* modelButtons = new QHBoxLayout;
    auto* add = new QPushButton(tr("Add..."));
    auto* remove = new QPushButton(tr("Remove"));
    connect(add, &QPushButton::clicked, this, [this] {
        QString d = QFileDialog::getExistingDirectory(this, tr("Model folder"));
        if (!d.isEmpty())
            m_models->addItem(d);
    });
    connect(remove, &QPushButton::clicked, this, [this] { delete m_models->currentItem(); });
    modelButtons->addWidget(add);
    modelButtons->addWidget(remove);
    modelButtons->addStretch(1);
    auto* modelBox = new QVBoxLayout;
    modelBox->addWidget(m_models);
    modelBox->addLayout(modelButtons);
    form->addRow(tr("Model folders"), modelBox);

    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel);
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(buttons);
}

Preferences PreferencesDialog::preferences() const {
    Preferences p = m_base;
    p.cacheMiB = m_cache->value();
    p.device = m_device->currentText().trimmed();
    p.ocioConfig = m_ocio->text().trimmed();
    p.modelFolders.clear();
    for (int i = 0; i < m_models->count(); ++i)
        p.modelFolders << m_models->item(i)->text();
    return p;
}

} // namespace kinema::app
