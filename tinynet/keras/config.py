"""keras.config: the namespace's image layout, channels-last by default as in Keras."""

from ..layers.core import resolve_data_format

_data_format = ["channels_last"]


def image_data_format():
    """'channels_last' (Keras's default) or 'channels_first'; what this namespace's image
    layers, Input and datasets take when not told otherwise."""
    return _data_format[0]


def set_image_data_format(data_format):
    """Set the layout for image layers made through tinynet.keras from now on."""
    if data_format not in ("channels_first", "channels_last"):
        raise ValueError(
            f"keras.config.set_image_data_format: expected 'channels_first' or 'channels_last', "
            f"got {data_format!r}"
        )
    _data_format[0] = data_format


def resolve(who, data_format):
    """data_format, or this namespace's default when None."""
    return resolve_data_format(who, image_data_format() if data_format is None else data_format)


__all__ = ["image_data_format", "set_image_data_format"]
