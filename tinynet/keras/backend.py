"""keras.backend: the spellings older Keras code uses for the image layout."""

from .config import image_data_format, set_image_data_format

__all__ = ["image_data_format", "set_image_data_format"]
