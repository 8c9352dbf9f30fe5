"""airbench94 (Keller Jordan's 94%-in-seconds recipe, arXiv:2404.00498) on tinynet: CIFAR-10 with a
frozen patch-whitening first layer, identity-initialised conv-BN-GELU groups of widths
64/256/256, label smoothing, Nesterov SGD on a triangular schedule, Lookahead, alternating flips
and 2-pixel translations, 6-view test-time augmentation; 9.9 epochs of batch 1024. The recipe is
tinynet.zoo.airbench; this script is ``tinynet train cifar10-airbench`` (docs/airbench.md).

    TINYNET_DATA=/path/to/data OPENBLAS_NUM_THREADS=1 nice -n 10 \\
        python examples/cifar10_airbench.py --out runs/cifar10_airbench --max-minutes 60
    python examples/cifar10_airbench.py --out runs/cifar10_airbench --resume   # go on

Checkpointed after every epoch; --resume continues exactly. Writes metrics.json (test accuracy
with and without TTA, FLOPs, seconds), curves.png, train.log and the model to --out.
"""

import sys

from tinynet.apps.airbench import main

if __name__ == "__main__":
    sys.exit(main())
