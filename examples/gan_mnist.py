"""The course's GAN forging MNIST digits, written with the keras-adversarial API it shows:

    generator, discriminator = generator_model(), discriminator_model()
    gan = simple_gan(generator, discriminator, uniform_latent_sampling((100,), -1, 1))
    model = AdversarialModel(base_model=gan,
                             player_params=[generator.trainable_weights, discriminator.trainable_weights],
                             player_names=["generator", "discriminator"])
    model.adversarial_compile(AdversarialOptimizerAlternating(reverse=True),   # D's turn first
                              [SGD(5e-4, momentum=0.9, nesterov=True)] * 2 (one each), "binary_crossentropy")
    model.fit(x_train, gan_targets(len(x_train)), batch_size=128, epochs=5, callbacks=[ImageGridCallback(...)])

(tinynet.apps.gan_experiments.run_lecture). Writes sample grids per epoch, losses, an interpolation
strip, the class histogram and results.json (quality measured by the cached LeNet) into --out.

    TINYNET_DATA=/path/to/data python examples/gan_mnist.py [--epochs 5] [--out runs/gan/lecture]
        [--device gpu] [--limit N] [--batch-size 128]
"""

import sys

from tinynet.apps.gan_cli import example_main

if __name__ == "__main__":
    sys.exit(example_main("lecture"))
