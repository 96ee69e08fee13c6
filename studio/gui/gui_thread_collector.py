"""Cyclic garbage collection on the GUI thread only.

CPython runs its cycle collector in whichever thread happens to allocate past the collector's
threshold. In the GUI that is often a worker of a QThreadPool (a label import, a thumbnail
decode, an overlay render), and a collection there finalises every unreachable cycle of the
whole process. When such a cycle holds the Python wrapper of a QObject that lives in the GUI
thread, Qt destroys that object from the worker thread, and the process dies with a
segmentation fault (seen in CI: a label import's worker collected a closed dialog's cycle).

So while the GUI runs, the automatic collector is off and `GuiThreadCollector` collects on a
timer of the GUI thread instead, a generation at a time, with the thresholds Python itself
would use. This is pyqtgraph's `GarbageCollector` idea, kept here with a `stop()` that gives
the interpreter its collector back (tests and `run_app` need that).
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

DEFAULT_INTERVAL_MS = 1000


class GuiThreadCollector(QObject):
    """Turns automatic collection off and collects what is due every `interval_ms`.

    Create it on the GUI thread; its timer fires there. Worker threads then never collect,
    because nothing collects automatically any more.
    """

    def __init__(self, interval_ms: int = DEFAULT_INTERVAL_MS, parent: QObject | None = None):
        super().__init__(parent)
        self._was_enabled = gc.isenabled()
        gc.disable()
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.collect_due)
        self._timer.start(interval_ms)

    def collect_due(self) -> int:
        """Collect the oldest generation whose threshold is passed (and the younger ones with
        it, as Python does); returns the number of unreachable objects found."""
        generation = _due_generation(gc.get_count(), gc.get_threshold())
        return gc.collect(generation) if generation is not None else 0

    def stop(self) -> None:
        """Collect what is due, stop the timer and restore automatic collection if it was on."""
        self._timer.stop()
        self.collect_due()
        if self._was_enabled:
            gc.enable()


def _due_generation(counts: tuple[int, int, int], thresholds: tuple[int, ...]) -> int | None:
    """The generation Python's automatic collector would collect now, or None."""
    due = None
    for generation, (count, threshold) in enumerate(zip(counts, thresholds, strict=False)):
        if threshold <= 0 or count <= threshold:
            break
        due = generation
    return due
