#!/usr/bin/env bash
# What a session lent a CUDA GPU owes the CuPy code path, in one call of a few minutes: the CuPy
# tests, then the benchmark suite on the GPU. Everything goes under $OUT (default ./gpu_out):
# machine.txt, tests.log, bench.log and the benchmark files in results/ (copy them to
# results/benchmarks/ and commit them with the GPU's name).
set -u
OUT=${OUT:-gpu_out}; mkdir -p "$OUT"
export PYTHONPATH=$PWD MPLBACKEND=Agg PYTHONUNBUFFERED=1
{ nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv
  python3 -c "import cupy, numpy, sys; print('python', sys.version.split()[0], 'cupy', cupy.__version__, 'numpy', numpy.__version__)"
  git rev-parse --short HEAD; date -u; } > "$OUT/machine.txt" 2>&1
cat "$OUT/machine.txt"
timeout 240 python3 -m pytest tinynet_tests -m gpu -q -rs -p no:cacheprovider > "$OUT/tests.log" 2>&1
echo "rc=$?" >> "$OUT/tests.log"; tail -4 "$OUT/tests.log"
timeout 300 python3 -m benchmarks --device gpu --out "$OUT/results" > "$OUT/bench.log" 2>&1
echo "rc=$?" >> "$OUT/bench.log"; head -8 "$OUT/bench.log"
