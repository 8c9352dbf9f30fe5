#!/usr/bin/env bash
# One session on a lent CUDA machine: the whole test suite (CuPy tests included), then LeNet and
# the GANs trained on the GPU in parallel processes. Needs MNIST in $TINYNET_DATA/mnist and
# writes everything under $OUT (default ./gpu_out).
set -u
OUT=${OUT:-gpu_out}; mkdir -p "$OUT"
export PYTHONPATH=$PWD MPLBACKEND=Agg PYTHONUNBUFFERED=1 TINYNET_DATA=${TINYNET_DATA:-$PWD/.gpu_data}
export TINYNET_GAN_CLASSIFIER=${TINYNET_GAN_CLASSIFIER:-$TINYNET_DATA/mnist_lenet.tnz}
MIN=${GAN_MINUTES:-4}; DEV=${DEVICE:-gpu}; LENET_EPOCHS=${LENET_EPOCHS:-20}; EXTRA=${EXTRA:-}
{ nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv
  python3 -c "import cupy, numpy, sys; print('python', sys.version.split()[0], 'cupy', cupy.__version__, 'numpy', numpy.__version__)"
  nproc; date -u; } > "$OUT/machine.txt" 2>&1
cat "$OUT/machine.txt"

[ -n "${SKIP_TESTS:-}" ] || (timeout 200 python3 -m pytest tinynet_tests -q -rs -p no:cacheprovider > "$OUT/tests.log" 2>&1; echo "rc=$?" >> "$OUT/tests.log") &
(timeout 300 python3 -m tinynet.apps.cli train lenet --device $DEV --epochs $LENET_EPOCHS $EXTRA --verbose 2 --out "$OUT/lenet" > "$OUT/lenet.log" 2>&1; echo "rc=$?" >> "$OUT/lenet.log") &

# the digit classifier the GAN metrics use, trained once before the GAN jobs share it
python3 -c "from tinynet.gan.quality import digit_classifier; digit_classifier(device='$DEV', verbose=1)" > "$OUT/classifier.log" 2>&1
gan() {  # gan NAME [args...]
  local name=$1; shift
  timeout $(( ${MIN%.*} * 60 + 90 )) python3 -m tinynet.apps.cli gan "$name" --device $DEV --epochs 50 $EXTRA --verbose 2 \
      --max-minutes "$MIN" --out "$OUT/gan/$name" --models-dir "/tmp/tinynet_models/$name" "$@" \
      > "$OUT/gan_$name.log" 2>&1
  echo "rc=$?" >> "$OUT/gan_$name.log"
}
(gan dcgan && gan arithmetic --generator /tmp/tinynet_models/dcgan/generator.tnz) &
gan conditional &
gan lecture &
wait
for f in "$OUT"/*.log; do echo "== $f"; tail -n 3 "$f"; done
