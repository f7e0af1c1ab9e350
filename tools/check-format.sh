#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Fails (listing the files) when a C++ source differs from what clang-format makes of it.
# Usage: tools/check-format.sh [--fix]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
CF="${CLANG_FORMAT:-clang-format}"
mapfile -t files < <(find app nodegraph nodes render color plugins tests bench tools \
    -type f \( -name '*.h' -o -name '*.hpp' -o -name '*.cpp' \) -not -path '*/fixtures/*' 2>/dev/null | sort)
if [[ "${1:-}" == "--fix" ]]; then
    "$CF" -i "${files[@]}"
    exit 0
fi
bad=()
for f in "${files[@]}"; do
    "$CF" --dry-run --Werror "$f" >/dev/null 2>&1 || bad+=("$f")
done
if ((${#bad[@]})); then
    echo "not formatted with $CF (run tools/check-format.sh --fix):"
    printf '  %s\n' "${bad[@]}"
    exit 1
fi
echo "${#files[@]} files formatted"
