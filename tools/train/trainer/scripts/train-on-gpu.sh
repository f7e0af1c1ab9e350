#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Trains the demo model from scratch on a GPU machine, every stage on the GPU, and exports it.
#
#   tools/train/trainer/scripts/train-on-gpu.sh WORK OUT [BUILD_DIR]
#
# WORK is the work directory (checkpoints, loss logs, the latent pool), OUT the model folder to write,
# BUILD_DIR where kinema-train is built against PyTorch's libtorch (default: build-gpu; reused when it is
# there, as bench/gpu/run.sh leaves it).
#
# Resumable: every stage checkpoints and continues from its checkpoint, and a finished stage returns at
# once, so when the script is stopped (a time limit per command), running it again with the same arguments
# carries on where it stopped, losing at most the steps since the last checkpoint. The export runs once
# every stage is finished.
#
# The recipe is the one docs/demo-model.md arrives at for a run from scratch: the VAE on whole 17-frame
# clips with the chroma, object and temporal terms; its decoder fine-tuned with held keys; the DiT with the
# position conditioning and the text encoder's attention held unsaturated from its first step, the
# direction contrast, held keys, object weighting, and a moving average of its weights. Every figure can be
# changed through the environment (the defaults in brackets):
#   DEVICE [cuda]      cpu runs the same batched steps on the CPU (a dry run of this script)
#   THREADS [nproc]    CPU worker threads that render and draw samples
#   VAE_STEPS [3000] VAE_BATCH [16]          DEC_STEPS [1000] DEC_BATCH [8]
#   DIT_STEPS [12000] DIT_BATCH [128] POOL [10000] DIT_LR [1e-3]
#   SEED [1]
#   SHAPE []           model shape flags given to every stage, e.g. "--vae-dim 32 --z-dim 16" (the
#                      trainer's defaults, the shipped model's shape, when empty)
#   TOKENIZER          a spiece.model to use instead of training one (default: train one with spm_train,
#                      or take the shipped model's when spm_train is not installed)
#   TORCH_PREFIX       libtorch's CMake prefix (default: the one of python3's torch)
#   KINEMA_TRAIN       an already built kinema-train to run instead of building one
set -euo pipefail
if [[ $# -lt 2 ]]; then
    sed -n '3,9p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
fi
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../../.." && pwd)"
WORK="$1"
OUT="$2"
BUILD="${3:-$ROOT/build-gpu}"
DEVICE="${DEVICE:-cuda}"
THREADS="${THREADS:-$(nproc)}"
VAE_STEPS="${VAE_STEPS:-3000}"
VAE_BATCH="${VAE_BATCH:-16}"
DEC_STEPS="${DEC_STEPS:-1000}"
DEC_BATCH="${DEC_BATCH:-8}"
DIT_STEPS="${DIT_STEPS:-12000}"
DIT_BATCH="${DIT_BATCH:-128}"
DIT_LR="${DIT_LR:-1e-3}"
POOL="${POOL:-10000}"
SEED="${SEED:-1}"
read -r -a SHAPE_FLAGS <<<"${SHAPE:-}"

TRAIN="$BUILD/bin/kinema-train"
if [[ -n "${KINEMA_TRAIN:-}" ]]; then
    TRAIN="$KINEMA_TRAIN" # an already built kinema-train (a dry run on the CPU)
elif [[ ! -x "$TRAIN" ]]; then
    PREFIX="${TORCH_PREFIX:-$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)')}"
    GENERATOR=()
    command -v ninja >/dev/null && GENERATOR=(-G Ninja)
    echo "== building kinema-train in $BUILD against $PREFIX"
    cmake -S "$ROOT/render/diffusion" -B "$BUILD" "${GENERATOR[@]}" -DCMAKE_BUILD_TYPE=Release \
        -DCMAKE_PREFIX_PATH="$PREFIX" -DKINEMA_WITH_CUDA=AUTO -DKINEMA_BUILD_BENCH=OFF \
        -DKINEMA_BUILD_TESTS=OFF -DKINEMA_BUILD_TRAINER=ON
    cmake --build "$BUILD" --target kinema-train -j "$(nproc)"
fi

DEVICE_FLAGS=(--device "$DEVICE")
[[ "$DEVICE" == cpu ]] && DEVICE_FLAGS+=(--batched)
COMMON=(--work "$WORK" --seed "$SEED" --threads "$THREADS" "${SHAPE_FLAGS[@]}")
mkdir -p "$WORK"
stage() { # name, then kinema-train's arguments; prints every 100th step and the stage's wall time
    local name="$1" start
    shift
    start=$(date +%s)
    echo "== $name"
    "$TRAIN" "$@" | awk '!/ step [0-9]+\// || $3 ~ /^([0-9]*00|1)\//'
    echo "== $name: $(($(date +%s) - start)) s"
}

# The tokenizer stage needs sentencepiece's spm_train, which a GPU machine may lack; the shipped model's
# tokenizer is what that stage makes from the same captions and seed.
if [[ ! -f "$WORK/spiece.model" ]]; then
    if [[ -z "${TOKENIZER:-}" ]] && ! command -v spm_train >/dev/null; then
        TOKENIZER="$ROOT/resources/models/kinema-demo/spiece.model"
        echo "== spm_train is not installed: using the shipped tokenizer $TOKENIZER"
    fi
    if [[ -n "${TOKENIZER:-}" ]]; then
        cp "$TOKENIZER" "$WORK/spiece.model"
    else
        stage tokenizer tokenizer --work "$WORK" --seed "$SEED"
    fi
fi
stage vae vae "${COMMON[@]}" "${DEVICE_FLAGS[@]}" --steps "$VAE_STEPS" --batch "$VAE_BATCH" --lr 5e-4 \
    --vae-frames 17 --vae-crop 32 --object-weight 20 --chroma-weight 10 --temporal-weight 1 \
    --checkpoint-every 100
stage vae-decoder vae-decoder "${COMMON[@]}" "${DEVICE_FLAGS[@]}" --steps "$DEC_STEPS" --batch "$DEC_BATCH" \
    --lr 5e-4 --object-weight 20 --chroma-weight 10 --temporal-weight 1 --key-chunks 1 --checkpoint-every 100
stage dit dit "${COMMON[@]}" "${DEVICE_FLAGS[@]}" --steps "$DIT_STEPS" --batch "$DIT_BATCH" --lr "$DIT_LR" \
    --held-keys 0.75 --latent-pool "$POOL" --object-weight 4 --direction-contrast 1 --direction-margin 0.05 \
    --unkeyed-condition position --text-logit-cap 4 --average-decay 0.999 --checkpoint-every 250
stage export export --work "$WORK" --seed "$SEED" "${SHAPE_FLAGS[@]}" --unkeyed-condition position --out "$OUT"
