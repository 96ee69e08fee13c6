"""A background job in the status bar: a line saying what runs and how far ("Pre-labeling
3 / 40"), a progress bar and a Cancel button, over one `TaskRunner`.

A window action hands its runner (and its own cancel, which says what cancelling keeps) to
`StatusJobs.add`; the job shows itself when the runner starts a task, follows its progress
and hides when the runner is idle again, so the action keeps no widget code of its own. The
main window's status bar holds one `StatusJobs` for every action's runner: the jobs running
at once sit side by side, each with its own Cancel, and Esc that nothing else used cancels
the one started last (`cancel_newest`). A window of its own (the map) puts a `StatusJob`
where it wants it.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QEvent, QSize, Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QToolButton, QWidget

from studio.gui.task_runner import TaskRunner

BAR_WIDTH = 120  # px: the bar shows how far; the line beside it says what and how many
LINE_MINIMUM = 60  # px: a narrow window squeezes the line down to this, ending it in "…"

_starts = itertools.count(1)  # orders the jobs' starts, for Esc's "the one started last"


@dataclass(frozen=True)
class JobText:
    """What a job says: "`title` done / total" while it counts ("`title`: `counts` done / total"
    when the title alone does not say what is counted); "`title`: `starting`" before the first
    count; "`title`: `uncounted`" during a step that reports no count (a progress report of
    0 / 0). `cancel_tip` is the Cancel button's tooltip: what cancelling keeps."""

    title: str
    starting: str = "starting…"
    uncounted: str = "working…"
    counts: str = ""
    cancel_tip: str = ""

    def counted(self, done: int, total: int) -> str:
        if self.counts:
            return f"{self.title}: {self.counts} {done:,} / {total:,}"
        return f"{self.title} {done:,} / {total:,}"


class JobLine(QLabel):
    """The job's line, ending in "…" when a narrow window squeezes the status bar (the whole
    line is its tooltip). It asks for the width of the longest line of the task so far, so
    the status bar's other widgets do not shift at every count. Widths are measured when
    asked, in the font the label has by then (a style sheet may change it once shown)."""

    def __init__(self) -> None:
        super().__init__()
        self.line = ""
        self._longest = ""
        self.setMinimumWidth(LINE_MINIMUM)

    def restart(self) -> None:
        self._longest = ""

    def set_line(self, line: str) -> None:
        self.line = line
        self.setToolTip(line)
        if self._width_of(line) > self._width_of(self._longest):
            self._longest = line
            self.updateGeometry()
        self._elide()

    def sizeHint(self) -> QSize:  # noqa: N802
        margins = self.contentsMargins()
        extra = margins.left() + margins.right() + 2 * self.margin() + 2
        return QSize(self._width_of(self._longest) + extra, super().sizeHint().height())

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        return QSize(LINE_MINIMUM, super().minimumSizeHint().height())

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._elide()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        super().changeEvent(event)
        if event.type() in (QEvent.Type.FontChange, QEvent.Type.StyleChange):
            self.updateGeometry()
            self._elide()

    def _width_of(self, text: str) -> int:
        return self.fontMetrics().horizontalAdvance(text)

    def _elide(self) -> None:
        width = self.contentsRect().width() - 2 * self.margin()
        self.setText(self.fontMetrics().elidedText(self.line, Qt.TextElideMode.ElideRight, width))


class StatusJob(QWidget):
    """The line, the bar and the Cancel button of one runner's task; hidden while idle.

    Cancel (and `cancel`) call `cancel`, the owner's, when given: it usually tells the user
    what is kept; otherwise the runner's own.
    """

    def __init__(
        self,
        runner: TaskRunner,
        text: JobText,
        cancel: Callable[[], None] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.runner = runner
        self.text = text
        self.started_as = 0  # the start's place in the order of every job's starts
        self._cancel = cancel or runner.cancel
        self.label = JobLine()
        self.bar = QProgressBar()
        self.bar.setTextVisible(False)  # a busy bar draws no text: the label carries it
        self.bar.setMaximumWidth(BAR_WIDTH)
        self.cancel_button = QToolButton()
        self.cancel_button.setText("Cancel")
        self.cancel_button.setToolTip(text.cancel_tip)
        self.cancel_button.clicked.connect(self.cancel)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label)
        layout.addWidget(self.bar)
        layout.addWidget(self.cancel_button)
        self.setVisible(False)
        runner.started.connect(self._started)
        runner.progress.connect(self._progress)
        runner.idle.connect(self.hide)

    @property
    def running(self) -> bool:
        return self.runner.busy

    def cancel(self) -> None:
        if self.running:
            self._cancel()

    def _started(self) -> None:
        self.started_as = next(_starts)
        self.label.restart()
        self._show_phase(self.text.starting)
        self.show()

    def _progress(self, done: int, total: int) -> None:
        if total <= 0:
            self._show_phase(self.text.uncounted)
            return
        self.bar.setRange(0, total)
        self.bar.setValue(done)
        self.label.set_line(self.text.counted(done, total))

    def _show_phase(self, phase: str) -> None:
        self.bar.setRange(0, 0)  # busy
        self.label.set_line(f"{self.text.title}: {phase}")


class StatusJobs(QWidget):
    """The status bar's jobs, one `StatusJob` per runner added, side by side."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.jobs: list[StatusJob] = []
        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)

    def add(
        self, runner: TaskRunner, text: JobText, cancel: Callable[[], None] | None = None
    ) -> StatusJob:
        """Show `runner`'s tasks here from now on; `cancel` as in `StatusJob`."""
        job = StatusJob(runner, text, cancel, self)
        self._layout.addWidget(job)
        self.jobs.append(job)
        return job

    def running(self) -> list[StatusJob]:
        """The jobs running now, the one started last first."""
        return sorted((job for job in self.jobs if job.running), key=lambda job: -job.started_as)

    def cancel_newest(self) -> bool:
        """Cancel the job started last (Esc); False when none runs."""
        running = self.running()
        if running:
            running[0].cancel()
        return bool(running)
