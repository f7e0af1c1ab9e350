// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Reading and writing `.kgraph` files (JSON; format in docs/graph-format.md).
///
/// Graph files are untrusted input: they hold data only, never executable content. Loading validates
/// everything before the graph is touched: file size, nesting depth, node/connection/array/string counts,
/// duplicate object keys, types and ranges of every value. Every error names the file and the JSON path
/// ("shot.kgraph: /nodes/2/params/size: expected a number, got a string"). Unknown node types load as inert
/// placeholders that keep their JSON and write it back unchanged. Saving is atomic and keeps a backup.
#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "kinema/graph/Graph.h"
#include "kinema/graph/NodeRegistry.h"

namespace kinema::graph {

/// The schema version this build writes. Files with a newer version are refused.
constexpr int kGraphSchemaVersion = 1;

class GraphFileError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct GraphFileLimits {
    std::size_t maxFileBytes = 64u << 20;
    int maxDepth = 64;
    std::size_t maxNodes = 100000;
    std::size_t maxConnections = 400000;
    std::size_t maxArrayLength = 100000;
    std::size_t maxStringBytes = 1u << 20;
};

/// Parses JSON text, rejecting duplicate keys, excessive depth, oversized arrays and strings.
/// `source` names the text in errors (a file name or "clipboard").
nlohmann::json parseJsonStrict(std::string_view text, const std::string& source,
                               const GraphFileLimits& limits = {});

nlohmann::json graphToJson(const Graph& graph);
/// Builds nodes, connections, backdrops and settings into an EMPTY graph. Validates first; on error the
/// graph is left empty and GraphFileError is thrown.
void graphFromJson(Graph& graph, const nlohmann::json& document, const std::string& source,
                   const NodeRegistry& registry = NodeRegistry::global(), const GraphFileLimits& limits = {});

/// Serialises one node (type, version, name, position, enabled, params) — used by copy/paste too.
nlohmann::json nodeToJson(const Node& node);

void loadGraphFile(Graph& graph, const std::filesystem::path& path,
                   const NodeRegistry& registry = NodeRegistry::global(), const GraphFileLimits& limits = {});
/// Writes atomically (temp file in the same directory, fsync, rename, directory fsync). An existing file
/// is first kept as `<name>.bak`.
void saveGraphFile(const Graph& graph, const std::filesystem::path& path);

/// Stand-in for a node type that is not registered. Keeps the saved JSON verbatim.
class PlaceholderNode : public Node {
public:
    PlaceholderNode(const std::string& typeName, int version, nlohmann::json saved,
                    const std::vector<std::string>& inputNames);
    bool isPlaceholder() const override { return true; }
    const nlohmann::json& saved() const { return m_saved; }

private:
    nlohmann::json m_saved;
};

} // namespace kinema::graph
