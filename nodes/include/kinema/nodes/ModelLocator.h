// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Where generative nodes find their models. A node's `model` parameter is either a folder path or the
/// name of a model folder ("kinema-demo", "Wan2.1-T2V-1.3B"), looked up, first match wins, in:
///   1. the application's model folders (the desktop app's preference, set with setModelSearchPath),
///   2. the folders listed in $KINEMA_MODEL_PATH (separated by ':'),
///   3. the shipped models, share/kinema/models/<name> next to or above the executable.
/// So graph files can name the embedded demo model portably, and a farm can point every task at one
/// model store with an environment variable.
#include <filesystem>
#include <string>
#include <vector>

namespace kinema::nodes {

/// The name of the embedded demo model (the default of every generative node's `model`).
inline constexpr const char* kDemoModelName = "kinema-demo";

/// Replaces the application's model folders (searched before $KINEMA_MODEL_PATH). Thread-safe.
void setModelSearchPath(std::vector<std::filesystem::path> folders);

/// Every folder searched for model names, in order.
std::vector<std::filesystem::path> modelSearchPath();

/// The model folder for a `model` parameter value; throws std::runtime_error naming the value and
/// every place searched when there is none.
std::filesystem::path resolveModelFolder(const std::string& value);

} // namespace kinema::nodes
