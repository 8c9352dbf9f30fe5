"""A DCGAN (Radford et al., with InfoGAN's hidden dense layers) forging MNIST digits with
tinynet.gan.GAN, sampled from a moving average of the generator's weights, measured:

    gan = GAN(dcgan_generator(dense=1024), dcgan_discriminator(dense=1024), latent_dim=100)
    gan.compile(ema_decay=0.999)                # Adam(2e-4, beta_1=0.5) for each player
    gan.fit(x_train, epochs=15, batch_size=64,  # x scaled to [-1, 1]
            callbacks=[SampleGrid("out/samples-epoch{epoch:03d}.png", steps=(50, 200)), LossRecorder()])
    report = quality_report(digit_classifier(), to_unit(gan.generate(5000)), x_test01)

(tinynet.apps.gan_experiments.run_dcgan). Writes samples after 50 and 200 iterations and every epoch,
the final samples, losses, an interpolation strip, the class histogram, results.json (confident
share, class shares, Fréchet distance next to the real-halves reference, seconds per epoch),
train.log and the models (generator.tnz, generator_ema.tnz, discriminator.tnz) into --out.
Targets: >= 90% of samples confident, every digit >= 5%, scored by a fully trained LeNet
(results/gan/dcgan/ holds a run that meets them, and its command).

    TINYNET_DATA=/path/to/data python examples/dcgan_mnist.py [--epochs 5] [--out runs/gan/dcgan]
        [--batch-size 64] [--classifier runs/lenet_mnist/model.tnz] [--dense 0] [--ema-decay 0]
        [--device gpu] [--latent normal|uniform] [--limit N]
"""

import sys

from tinynet.apps.gan_cli import example_main

if __name__ == "__main__":
    sys.exit(example_main("dcgan"))
