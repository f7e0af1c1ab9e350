// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Undo/redo in the core, with command objects.
///
/// Every user edit is a Command pushed on the stack (which runs redo() once). Consecutive commands that
/// report the same non-zero mergeId() and accept mergeWith() fold into one entry: dragging a slider
/// produces many SetParam commands but one undo step. Macros group several commands into one entry
/// (paste, delete of a selection). The stack records a clean index so documents know when they are dirty.
#include <memory>
#include <string>
#include <vector>

#include "kinema/graph/Signal.h"

namespace kinema::graph {

class Command {
public:
    virtual ~Command() = default;
    /// Applies the edit. Called by UndoStack::push and on redo. Must leave the graph valid or throw
    /// without changing anything.
    virtual void redo() = 0;
    /// Reverts exactly what redo() did.
    virtual void undo() = 0;
    /// Human-readable description for menus ("Set Blur1.size").
    virtual std::string text() const = 0;
    /// Commands with the same non-zero id may merge; 0 never merges.
    virtual std::uint64_t mergeId() const { return 0; }
    /// Absorbs `next` (already applied) into this command; return false to refuse.
    virtual bool mergeWith(const Command& next) { return false; }
};

class UndoStack {
public:
    UndoStack();
    ~UndoStack();
    UndoStack(const UndoStack&) = delete;
    UndoStack& operator=(const UndoStack&) = delete;

    /// Runs `command->redo()` and records it (merging when possible). Drops the redo history.
    /// If redo() throws, nothing is recorded and the exception propagates.
    void push(std::unique_ptr<Command> command);
    void beginMacro(const std::string& text);
    void endMacro();

    bool canUndo() const;
    bool canRedo() const;
    void undo();
    void redo();
    std::string undoText() const;
    std::string redoText() const;
    std::size_t count() const { return m_entries.size(); }
    std::size_t index() const { return m_index; }

    void setClean() { m_cleanIndex = static_cast<std::ptrdiff_t>(m_index); }
    bool isClean() const { return m_cleanIndex == static_cast<std::ptrdiff_t>(m_index) && m_macroDepth == 0; }
    void clear();
    /// Stops the next push from merging with the previous command (end of a drag).
    void closeMergeWindow() { m_mergeOpen = false; }

    Signal<> changed;

private:
    class Macro;
    std::vector<std::unique_ptr<Command>> m_entries;
    std::size_t m_index = 0;
    std::ptrdiff_t m_cleanIndex = 0;
    int m_macroDepth = 0;
    std::unique_ptr<Macro> m_openMacro;
    bool m_mergeOpen = true;
};

} // namespace kinema::graph
