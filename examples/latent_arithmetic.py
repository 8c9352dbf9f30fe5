"""Arithmetic in a DCGAN's latent space, the course's "smiling woman - neutral woman + neutral
man" on digits: z(thick 7) - z(thin 7) + z(thin 1) should draw a thick 1.

    z = sample_latent(30000, 100); images = to_unit(G.predict(z)); digits = classifier(images)
    thick_7, thin_7, thin_1 = ...           # top / bottom quarter of ink mass among confident 7s, 1s
    z_new = arithmetic([z[thick_7[:100]], z[thin_7[:100]], z[thin_1[:3]]])   # group means, + - +

(tinynet.gan.latent.arithmetic_study, tinynet.apps.gan_experiments.run_latent_arithmetic). Measured
over every ordered digit pair, both directions (thicker / thinner) and --trials random groups:
the share of results whose ink moves the intended way (target >= 80%), the share still read as
the base digit (target >= 80%), and a control with a random vector in place of the attribute
vector, for three recipes (groups of 10 added to one z; 3 / 3 as Radford et al.; groups of 100
added to the mean of 3 z, on which the targets are judged). The same for slant. Writes
arithmetic-<ink|slant>-<recipe>.png and results.json.

    TINYNET_DATA=/path/to/data python examples/latent_arithmetic.py \
        --generator runs/gan/dcgan/generator_ema.tnz [--out runs/gan/arithmetic] [--device gpu]
    (without --generator a DCGAN is trained first, --epochs 5, into OUT/dcgan)
"""

import sys

from tinynet.apps.gan_cli import example_main

if __name__ == "__main__":
    sys.exit(example_main("arithmetic"))
