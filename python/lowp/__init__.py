"""lowp: low-precision training and optimization on NumPy arrays.

The compiled extension (lowp._lowp) does the work; this package re-exports it.
See python/README.md for the API table.
"""
from ._lowp import *  # noqa: F401,F403
from ._lowp import __version__  # noqa: F401
from . import _lowp as _ext

__all__ = [n for n in dir(_ext) if not n.startswith("_")]
