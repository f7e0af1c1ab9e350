#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds Kinema's diffusion core on its own against PyTorch's libtorch (2.x, CUDA) on a GPU machine, runs
# its tests there (the code must compile and pass against both Debian's libtorch 1.13 and PyTorch's 2.x),
# and runs the diffusion benchmarks: bench_diffusion (Wan 2.1 T2V-1.3B shapes, random weights) and
# bench_demo_model (the embedded demo model).
#
#   bench/gpu/run.sh [BUILD_DIR]        (default: build-gpu)
#
# Needs: python3 with torch, cmake >= 3.25, a C++20 compiler, nlohmann-json, CLI11 and Catch2 v2 headers
# (their CMake packages found through CMAKE_PREFIX_PATH). It also builds kinema-train (the demo model trainer).
# Prints the GPU (nvidia-smi), then every benchmark's own figures: the DiT at 832x480x81 on the GPU in fp32
# and in bf16 mixed precision (the reference's precision), with the blocks resident and streamed from CPU
# memory (--offload blocks), with the fraction of the GPU's dense bf16 peak (PEAK_TFLOPS, default 989 for an
# H100 SXM), and the demo model end to end on the GPU and on the CPU.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BUILD="${1:-$ROOT/build-gpu}"
PREFIX="$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)')"
TORCH_VERSION="$(python3 -c 'import torch; print(torch.__version__, "cuda", torch.version.cuda)')"
GENERATOR=()
command -v ninja >/dev/null && GENERATOR=(-G Ninja)

echo "== torch $TORCH_VERSION ($PREFIX)"
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv || true

echo "== configuring $BUILD"
cmake -S "$ROOT/render/diffusion" -B "$BUILD" "${GENERATOR[@]}" -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_PREFIX_PATH="$PREFIX" -DKINEMA_WITH_CUDA=AUTO -DKINEMA_BUILD_BENCH=ON -DKINEMA_BUILD_TESTS=ON \
    -DKINEMA_BUILD_TRAINER=ON
echo "== building"
cmake --build "$BUILD" -j "$(nproc)"

echo "== tests of the diffusion core against this libtorch"
(cd "$BUILD" && ctest --output-on-failure -j "$(nproc)")

PEAK="${PEAK_TFLOPS:-989}"
BENCH="$BUILD/bench-diffusion/bench_diffusion"
for args in "--dtype f32" "--dtype bf16" "--dtype bf16 --stream-blocks"; do
    echo "== bench_diffusion on the GPU: 1.3B shapes at 832x480x81, $args (4 blocks measured, 30 extrapolated)"
    # shellcheck disable=SC2086
    "$BENCH" --device cuda $args --size 832x480 --frames 81 --blocks 4 --reps 2 --peak-tflops "$PEAK"
done
echo "== bench_diffusion on the CPU cores (reduced size)"
"$BENCH" --threads "$(nproc)" --size 256x256 --frames 5 --blocks 2 --reps 1 --skip-vae
echo "== bench_demo_model on the GPU and on the CPU"
"$BUILD/bench-diffusion/bench_demo_model" "$ROOT/resources/models/kinema-demo" 5 "$(nproc)" cuda
"$BUILD/bench-diffusion/bench_demo_model" "$ROOT/resources/models/kinema-demo" 5 "$(nproc)" cpu
