"""Class-conditional DCGAN: the label, or the digit's name as a word, chooses what is drawn (the
course's text-to-image idea, for digits):

    cgan = ConditionalGAN(conditional_generator(), conditional_discriminator(), latent_dim=100)
    cgan.compile()
    cgan.fit(x_train, y_train, epochs=5, batch_size=128)
    sevens = cgan.generate(labels=["seven"] * 10)

(tinynet.apps.gan_experiments.run_conditional). The classifier must read the requested digit in
>= 90% of samples; results.json gives the share overall and per digit. Writes the per-epoch
grids (one row per digit), conditional-final.png (rows asked for by name), losses, the class
histogram, results.json, train.log and the models into --out.

    TINYNET_DATA=/path/to/data python examples/conditional_gan.py [--epochs 5]
        [--out runs/gan/conditional] [--device gpu] [--limit N]
"""

import sys

from tinynet.apps.gan_cli import example_main

if __name__ == "__main__":
    sys.exit(example_main("conditional"))
