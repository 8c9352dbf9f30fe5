"""concat_channels, defined in :mod:`.shape`; this module stays while tinynet/gan/ops.py
imports it from here."""
from .shape import concat_channels  # noqa: F401
