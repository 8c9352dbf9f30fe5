"""Matplotlib helpers. matplotlib is imported inside each function, so ``import tinynet`` stays
light and a headless machine needs no display (use the Agg backend, e.g. MPLBACKEND=Agg).
"""

from .gan import (
    plot_class_histogram,
    plot_gan_losses,
    save_gan_losses,
    save_interpolation,
    save_latent_arithmetic,
    save_sample_grid,
    tile_images,
)
from .training import (
    compare_gradient_norms,
    confusion_matrix,
    plot_confusion_matrix,
    plot_gradient_norms,
    plot_history,
    plot_image_grid,
    plot_importance_map,
    plot_misclassified,
)

__all__ = [
    "plot_class_histogram",
    "plot_gan_losses",
    "save_gan_losses",
    "save_interpolation",
    "save_latent_arithmetic",
    "save_sample_grid",
    "tile_images",
    "compare_gradient_norms",
    "confusion_matrix",
    "plot_confusion_matrix",
    "plot_gradient_norms",
    "plot_history",
    "plot_image_grid",
    "plot_importance_map",
    "plot_misclassified",
]
