#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Runs tools/train/trainer/scripts/train-on-gpu.sh on the CPU (DEVICE=cpu: the same batched steps) with a few
# steps of each stage, twice: the first run trains every stage and exports a model folder, the second finds
# every stage finished and exports the same folder again. The first run takes a narrower shape (SHAPE, given to
# every stage and the export) and the shipped tokenizer (TOKENIZER).
#   gpu_recipe_dry_run.sh SOURCE_DIR KINEMA_TRAIN WORK_DIR
set -euo pipefail
SCRIPT="$1/tools/train/trainer/scripts/train-on-gpu.sh"
export KINEMA_TRAIN="$2"
WORK="$3"
rm -rf "$WORK"
export DEVICE=cpu THREADS=2 VAE_STEPS=2 VAE_BATCH=2 DEC_STEPS=2 DEC_BATCH=2 DIT_STEPS=3 DIT_BATCH=3 POOL=6
first="$(SHAPE="--vae-dim 8 --z-dim 4" TOKENIZER="$1/resources/models/kinema-demo/spiece.model" \
    "$SCRIPT" "$WORK/work" "$WORK/model")"
echo "$first"
for stage in vae vae_decoder dit; do
    # Every step logged once: the header and one row per step.
    rows=$(($(wc -l <"$WORK/work/${stage}_loss.csv") - 1))
    want=2
    [[ $stage == dit ]] && want=3
    [[ $rows == "$want" ]] || { echo "$stage: $rows logged steps, expected $want"; exit 1; }
done
grep -q '"unkeyed_condition": "position"' "$WORK/model/kinema.json" || { echo "export lacks position"; exit 1; }
grep -q '"z_dim": 4' "$WORK/model/kinema.json" || { echo "export lacks the SHAPE's z_dim"; exit 1; }
cmp -s "$1/resources/models/kinema-demo/spiece.model" "$WORK/model/spiece.model" || { echo "not TOKENIZER's"; exit 1; }
# The decoder stage fine-tunes from that position-conditioned folder (with the edge term) and exports it.
"$KINEMA_TRAIN" vae-decoder --work "$WORK/decoder" --init-from "$WORK/model" --unkeyed-condition position \
    --vae-dim 8 --z-dim 4 --steps 1 --batch 1 --edge-weight 2 --threads 2 >/dev/null
"$KINEMA_TRAIN" export --work "$WORK/decoder" --init-from "$WORK/model" --unkeyed-condition position \
    --vae-dim 8 --z-dim 4 --out "$WORK/decoder-model" >/dev/null
grep -q '"unkeyed_condition": "position"' "$WORK/decoder-model/kinema.json" || { echo "decoder export"; exit 1; }
second="$(SHAPE="--vae-dim 8 --z-dim 4" "$SCRIPT" "$WORK/work" "$WORK/model")"
echo "$second"
if grep -q " step " <<<"$second"; then
    echo "the second run trained again"
    exit 1
fi
rm -rf "$WORK"
