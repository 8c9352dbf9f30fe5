"""Application code on top of the library: the ``tinynet`` command (cli), the run drivers of the
examples (runs) and the GAN experiments. Nothing in the library imports this package."""
