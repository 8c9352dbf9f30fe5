"""concat_channels, defined in :mod:`.shape`; this name stays while tinynet/gan/ops.py imports it."""
from .shape import concat_channels  # noqa: F401
