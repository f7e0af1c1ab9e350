// SPDX-License-Identifier: Apache-2.0
#include "kinema/graph/UndoStack.h"

#include <stdexcept>

namespace kinema::graph {

/// A group of commands undone and redone as one.
class UndoStack::Macro : public Command {
public:
    explicit Macro(std::string text)
        : m_text(std::move(text)) {}
    void add(std::unique_ptr<Command> c) { m_children.push_back(std::move(c)); }
    bool empty() const { return m_children.empty(); }
    void redo() override {
        for (auto& c : m_children)
            c->redo();
    }
    void undo() override {
        for (auto it = m_children.rbegin(); it != m_children.rend(); ++it)
            (*it)->undo();
    }
    std::string text() const override { return m_text; }

private:
    std::string m_text;
    std::vector<std::unique_ptr<Command>> m_children;
};

UndoStack::UndoStack() = default;
UndoStack::~UndoStack() = default;

void UndoStack::push(std::unique_ptr<Command> command) {
    command->redo(); // throws before anything is recorded
    if (m_openMacro) {
        m_openMacro->add(std::move(command));
        return;
    }
    if (m_entries.size() > m_index) {
        m_entries.erase(m_entries.begin() + static_cast<std::ptrdiff_t>(m_index), m_entries.end());
        if (m_cleanIndex > static_cast<std::ptrdiff_t>(m_index))
            m_cleanIndex = -1; // the clean state is no longer reachable
    }
    const bool canMerge = m_mergeOpen && m_index > 0 && m_index == m_entries.size() &&
                          static_cast<std::ptrdiff_t>(m_index) != m_cleanIndex && command->mergeId() != 0 &&
                          m_entries.back()->mergeId() == command->mergeId();
    if (canMerge && m_entries.back()->mergeWith(*command)) {
        changed.emit();
        return;
    }
    m_entries.push_back(std::move(command));
    m_index = m_entries.size();
    m_mergeOpen = true;
    changed.emit();
}

void UndoStack::beginMacro(const std::string& text) {
    if (m_macroDepth++ == 0)
        m_openMacro = std::make_unique<Macro>(text);
}

void UndoStack::endMacro() {
    if (m_macroDepth == 0)
        throw std::logic_error("UndoStack::endMacro without beginMacro");
    if (--m_macroDepth > 0)
        return;
    auto macro = std::move(m_openMacro);
    if (macro->empty())
        return;
    if (m_entries.size() > m_index) {
        m_entries.erase(m_entries.begin() + static_cast<std::ptrdiff_t>(m_index), m_entries.end());
        if (m_cleanIndex > static_cast<std::ptrdiff_t>(m_index))
            m_cleanIndex = -1;
    }
    m_entries.push_back(std::move(macro));
    m_index = m_entries.size();
    m_mergeOpen = false;
    changed.emit();
}

bool UndoStack::canUndo() const {
    return m_macroDepth == 0 && m_index > 0;
}
bool UndoStack::canRedo() const {
    return m_macroDepth == 0 && m_index < m_entries.size();
}

void UndoStack::undo() {
    if (!canUndo())
        return;
    m_entries[m_index - 1]->undo();
    --m_index;
    m_mergeOpen = false;
    changed.emit();
}

void UndoStack::redo() {
    if (!canRedo())
        return;
    m_entries[m_index]->redo();
    ++m_index;
    m_mergeOpen = false;
    changed.emit();
}

std::string UndoStack::undoText() const {
    return canUndo() ? m_entries[m_index - 1]->text() : std::string();
}
std::string UndoStack::redoText() const {
    return canRedo() ? m_entries[m_index]->text() : std::string();
}

void UndoStack::clear() {
    m_entries.clear();
    m_index = 0;
    m_cleanIndex = 0;
    m_macroDepth = 0;
    m_openMacro.reset();
    changed.emit();
}

} // namespace kinema::graph
