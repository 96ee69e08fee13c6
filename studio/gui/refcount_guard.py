"""Interpreter-wide guards of the GUI: references PySide6 loses, and full-collection pauses.

`protect_singletons()` works around a reference-count bug of PySide6 6.12 on CPython older
than 3.12: PySide drops one reference to `True` on every `Signal.emit()` made from Python,
and one reference to `None` each time a Python override of a QVariant-returning virtual
(`QAbstractItemModel.data`, `headerData`) hands None back to C++. A view asks its model for a
dozen roles per visible cell on every paint and most answers are None, so on CPython 3.11
the count of None falls by thousands per second of scrolling until the interpreter aborts
with "Fatal Python error: none_dealloc" (or "bool_dealloc" after enough signals). On 3.12
and later these singletons are immortal and the bug is harmless; here they get a spare 2**40
references, which is what immortality amounts to. Extra references to None, True and False
cannot do harm: they are never freed while the interpreter runs.

`settle_heap()` is for the end of start-up (modules imported, window built): it collects
once, then moves every object alive into the collector's permanent generation
(`gc.freeze`). A full collection otherwise visits the ~100,000 objects that importing
SQLAlchemy, PySide6 and NumPy leaves behind; on a slow machine that is a 60–150 ms pause of
the GUI thread every few hundred gallery pages. Frozen, it visits only what the session made
since, a few milliseconds.
"""

from __future__ import annotations

import ctypes
import gc
import sys

SPARE_REFERENCES = 1 << 40
# A gallery page fetch leaves a few hundred tracked objects (records, badges); with Python's
# default of 700 a young collection ran on nearly every scroll step and an older one every few
# dozen, inside the paint. 10,000 makes both rare; each still takes a few milliseconds.
GEN0_THRESHOLD = 10_000
_protected = False


def needs_protection() -> bool:
    return sys.implementation.name == "cpython" and sys.version_info < (3, 12)


def protect_singletons() -> None:
    """Make None, True and False effectively immortal (once per process; no-op on 3.12+)."""
    global _protected
    if _protected or not needs_protection():
        return
    for singleton in (None, True, False):
        # CPython < 3.12: ob_refcnt is the object's first field (a Py_ssize_t).
        count = ctypes.c_ssize_t.from_address(id(singleton))
        count.value += SPARE_REFERENCES
    _protected = True


def settle_heap() -> None:
    """Collect garbage once, exempt every surviving object from later full collections, and
    make young collections rarer (GEN0_THRESHOLD).

    Call it when start-up is over; objects made afterwards are collected as usual.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(GEN0_THRESHOLD, *gc.get_threshold()[1:])
