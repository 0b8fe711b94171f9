"""The cycle collector paused while a large tree of new containers is built.

Reading a large evidence file, or building an OSCAL document of thousands of findings, allocates hundreds of
thousands of dicts and lists and no reference cycle. Every few thousand allocations the cycle collector would walk
all of them, and the package, again, to free nothing (a tenth to a half of those steps' time). Reference counting
frees what is dropped as before; the collector runs again afterwards.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator

__all__ = ["no_cycle_collection"]


@contextlib.contextmanager
def no_cycle_collection() -> Iterator[None]:
    """The block runs with the cycle collector paused, unless someone else paused it already (left as it is)."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
