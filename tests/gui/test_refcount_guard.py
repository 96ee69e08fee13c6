"""Interpreter-wide GUI guards: singletons that survive PySide6's lost references, a frozen heap.

Both run in a child process: they change the interpreter for good.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from studio.gui.refcount_guard import needs_protection

CHILD = textwrap.dedent(
    """
    import gc, sys
    from PySide6.QtCore import QAbstractListModel, QIdentityProxyModel, QObject, Signal
    from PySide6.QtWidgets import QApplication

    from studio.gui.refcount_guard import SPARE_REFERENCES, protect_singletons, settle_heap

    app = QApplication([])

    class Rows(QAbstractListModel):
        def rowCount(self, parent=None):
            return 1

        def data(self, index, role=0):
            return None  # what a model answers for most roles

    class Emitter(QObject):
        fired = Signal()

    protect_singletons()
    protect_singletons()  # a second call adds nothing
    assert sys.getrefcount(None) > SPARE_REFERENCES, sys.getrefcount(None)
    assert sys.getrefcount(True) < 2 * SPARE_REFERENCES
    rows = Rows()
    proxy = QIdentityProxyModel()
    proxy.setSourceModel(rows)
    index = proxy.index(0, 0)
    emitter = Emitter()
    for _ in range(100_000):  # far more than the references None and True start with
        proxy.data(index, 6)
        emitter.fired.emit()
    settle_heap()
    assert gc.get_freeze_count() > 10_000, gc.get_freeze_count()
    print("alive")
    """
)


@pytest.mark.skipif(not needs_protection(), reason="None and True are immortal on CPython 3.12+")
def test_protected_singletons_outlive_lost_references_and_the_heap_freezes() -> None:
    child = subprocess.run(
        [sys.executable, "-c", CHILD],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )

    assert child.returncode == 0, child.stderr[-2000:]
    assert child.stdout.strip() == "alive"


def test_settle_heap_makes_young_collections_rarer() -> None:
    import gc

    from studio.gui.refcount_guard import GEN0_THRESHOLD, settle_heap

    before = gc.get_threshold()
    gc.set_threshold(700, 10, 10)  # Python's defaults
    try:
        settle_heap()
        assert gc.get_threshold() == (GEN0_THRESHOLD, 10, 10)
    finally:
        gc.set_threshold(*before)
