#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Regenerates docs/screenshots/*.png from the real application under a virtual X display.
# Usage: tools/screenshots.sh [BUILD_DIR]   (default: build; needs the `kinema` target, xvfb-run and oiiotool)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${1:-$root/build}"
app="$build/bin/kinema"
out="$root/docs/screenshots"
[[ -x "$app" ]] || { echo "screenshots.sh: $app not built (ninja -C $build kinema)" >&2; exit 2; }
command -v xvfb-run >/dev/null || { echo "screenshots.sh: xvfb-run not found" >&2; exit 2; }
command -v oiiotool >/dev/null || { echo "screenshots.sh: oiiotool not found" >&2; exit 2; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# An HDR plate: a colour ramp up to 8/5/12 (well above display white) times a grey checker.
oiiotool --pattern fill:topleft=0.02,0.02,0.05:topright=16,6,1:bottomleft=0.05,0.3,1.5:bottomright=3,10,24 \
    640x360 3 --pattern checker:width=40:height=40:color1=0.18,0.18,0.18:color2=0.5,0.5,0.5 640x360 3 \
    --mul --ch R,G,B,A=1.0 -d half -o "$work/hdr_plate.exr"
sed "s|@PLATE@|$work/hdr_plate.exr|" "$out/hdr-exr.kgraph.in" >"$work/hdr-exr.kgraph"

shoot() { # NAME GRAPH NODE FRAME [extra options...]
    local name="$1" graph="$2" node="$3" frame="$4"
    shift 4
    xvfb-run -a -s '-screen 0 1280x720x24 -noreset' "$app" --settings "$work/kinema.ini" --size 1280x720 \
        --view "$node" --frame "$frame" --screenshot "$out/$name.png" "$@" "$graph"
    echo "wrote $out/$name.png"
}
shoot main-window "$out/editor.kgraph" Comp 1018
shoot properties-animated "$out/editor.kgraph" Sky 1012
shoot viewer-hdr-exr "$work/hdr-exr.kgraph" Grade1 1 --grab viewer
shoot viewer-compare "$work/hdr-exr.kgraph" Grade1 1 --compare Plate --grab viewer
shoot timeline "$out/editor.kgraph" Sky 1001 --play 1500 --grab timeline
shoot overlay "$out/editor.kgraph" Comp 1018 --overlay --grab viewer
