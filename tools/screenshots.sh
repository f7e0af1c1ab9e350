#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Regenerates docs/screenshots/*.png from the real application under a virtual X display.
# Usage: tools/screenshots.sh [BUILD_DIR]   (default: build; needs the `kinema` target and xvfb-run)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${1:-$root/build}"
app="$build/bin/kinema"
out="$root/docs/screenshots"
[[ -x "$app" ]] || { echo "screenshots.sh: $app not built (ninja -C $build kinema)" >&2; exit 2; }
command -v xvfb-run >/dev/null || { echo "screenshots.sh: xvfb-run not found" >&2; exit 2; }

settings="$(mktemp -d)"
trap 'rm -rf "$settings"' EXIT
shoot() { # NAME NODE FRAME
    local name="$1" node="$2" frame="$3"
    xvfb-run -a -s '-screen 0 1280x720x24' "$app" --settings "$settings/kinema.ini" --size 1280x720 \
        --view "$node" --frame "$frame" --screenshot "$out/$name.png" "$out/editor.kgraph"
    echo "wrote $out/$name.png"
}
shoot main-window Comp 1018
shoot properties-animated Sky 1012
