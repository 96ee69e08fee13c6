"""What a training and an evaluation job share: the run's files, its text log, the data of a
frozen version split, and the watch on the run (heartbeat, cancel, a project file gone)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy.exc import SQLAlchemyError

from studio.core import runs, versions
from studio.core.database import Database
from studio.core.errors import RunTakenError, StudioError
from studio.core.object_store import file_sha256
from studio.core.processes import WorkerIdentity
from studio.core.versions import VersionItem, VersionRecord
from studio.jobs.events import describe_event

LOG_NAME = "train.log"

Emit = Callable[[Mapping[str, Any]], None]


@dataclass(frozen=True)
class RunFiles:
    """The folder of one run, `<project>.studio.d/runs/<id:06d>/`."""

    store_dir: Path
    run_id: int

    @property
    def relative_folder(self) -> str:
        return runs.run_folder(self.run_id)

    @property
    def folder(self) -> Path:
        return self.store_dir / self.relative_folder

    def path_of(self, name: str) -> Path:
        return self.folder / name

    def relative_path_of(self, name: str) -> str:
        return f"{self.relative_folder}/{name}"


def checkpoint_name(checkpoint: str) -> str:
    """ "best" → "best.pt", "epoch-003.pt" stays: what the user may type for a checkpoint."""
    name = checkpoint.strip()
    return name if name.endswith(".pt") else f"{name}.pt"


class RunLog:
    """The run's `train.log`: every event as a line of text, appended (a resumed run keeps
    the earlier lines), registered as an artifact of kind "log"."""

    def __init__(self, database: Database, files: RunFiles) -> None:
        self.database = database
        self.files = files
        files.folder.mkdir(parents=True, exist_ok=True)
        self.path = files.path_of(LOG_NAME)
        self._stream: TextIO = self.path.open("a", encoding="utf-8")
        self.register()

    def write(self, event: Mapping[str, Any]) -> None:
        stamp = time.strftime("%Y-%m-%d %H:%M:%S")
        self._stream.write(f"{stamp} {describe_event(event)}\n")
        self._stream.flush()

    def write_text(self, text: str) -> None:
        self._stream.write(text.rstrip("\n") + "\n")
        self._stream.flush()

    def register(self) -> None:
        """Record (or refresh) the log's artifact row: its current size and sha256."""
        self._stream.flush()
        runs.save_artifact(
            self.database,
            self.files.run_id,
            name=LOG_NAME,
            kind="log",
            path=self.files.relative_path_of(LOG_NAME),
            sha256=file_sha256(self.path),
            size_bytes=self.path.stat().st_size,
        )

    def close(self, register: bool = True) -> None:
        """Close the log; `register=False` writes nothing to the project (a worker that lost
        its run)."""
        if self._stream.closed:
            return
        if register:
            self.register()
        self._stream.close()


def reporter(log: RunLog, emit: Emit) -> Emit:
    """An emit that also writes every event to the run's log."""

    def report(event: Mapping[str, Any]) -> None:
        log.write(event)
        emit(event)

    return report


@dataclass(frozen=True)
class WatchTiming:
    """How often a worker's watch thread looks at its run."""

    poll_s: float = 0.5  # the cancel flag and the project file
    # Each heartbeat is a commit that wakes every open window's change poll: well apart, and
    # well inside `runs.HEARTBEAT_TIMEOUT_S`.
    heartbeat_s: float = 10.0


class RunWatch:
    """A worker's link to its run, kept by a daemon thread so that no batch, validation or
    evaluation, however long, delays it.

    Every `poll_s` the thread reads the cancel flag and checks that the project file is still
    there; every `heartbeat_s` it writes the heartbeat (its own short transaction), which
    also checks that the run is still this worker's. Calling the watch (the trainer's
    `should_cancel`) only reads memory: True once a signal arrived (`signalled`), someone
    asked through the project (`request_cancel`), or the run was lost (`lost`: the project
    file is gone, or another worker took the run), after which the worker writes nothing.
    """

    def __init__(
        self,
        database: Database,
        run_id: int,
        worker: WorkerIdentity,
        signalled: threading.Event | None = None,
        timing: WatchTiming = WatchTiming(),
    ) -> None:
        self.database = database
        self.run_id = run_id
        self.worker = worker
        self.signalled = signalled if signalled is not None else threading.Event()
        self.timing = timing
        self.lost: RunTakenError | None = None
        self._requested = threading.Event()
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="run-watch", daemon=True)

    def start(self) -> RunWatch:
        self._thread.start()
        return self

    def close(self) -> None:
        self._closed.set()
        if self._thread.is_alive():
            self._thread.join()

    def __call__(self) -> bool:
        return self.signalled.is_set() or self._requested.is_set() or self.lost is not None

    def raise_if_lost(self) -> None:
        if self.lost is not None:
            raise self.lost

    def _watch(self) -> None:
        last_heartbeat = time.monotonic()
        while not self._closed.wait(self.timing.poll_s):
            if not self.database.path.exists():
                self.lost = RunTakenError(
                    f"{self.database.path}: the project file is gone; the worker stopped"
                )
                return
            now = time.monotonic()
            try:
                if now - last_heartbeat >= self.timing.heartbeat_s:
                    last_heartbeat = now
                    requested = runs.heartbeat(self.database, self.run_id, self.worker)
                else:
                    requested = runs.cancel_requested(self.database, self.run_id)
            except RunTakenError as error:
                self.lost = error
                return
            except (StudioError, SQLAlchemyError):
                # The file busy for long, or going away: the next round tries again (and
                # notices a file that is gone).
                continue
            if requested:
                self._requested.set()


@dataclass(frozen=True)
class SplitSource:
    """The items of one split of a version that the task can use, and what was skipped."""

    split: str
    items: list[VersionItem]
    skipped: dict[str, int]


def load_split(
    database: Database, version: VersionRecord, split: str, task: str, class_index: Any
) -> SplitSource:
    from studio.ml.data import usable_items

    with database.read() as connection:
        items = versions.version_items(connection, version.id, split)
    usable, skipped = usable_items(items, task, class_index)
    return SplitSource(split, list(usable), dict(skipped))


def skipped_message(source: SplitSource, version: VersionRecord) -> str | None:
    """A warning naming why items of a split were left out, or None when none were."""
    reasons = {reason: count for reason, count in source.skipped.items() if count}
    if not reasons:
        return None
    total = sum(reasons.values())
    details = ", ".join(f"{reason}: {count}" for reason, count in sorted(reasons.items()))
    return f"version {version.name}: skipped {total} {source.split} items ({details})"


def error_text(error: BaseException) -> str:
    """The message stored with a failed run: the user's error as it is, a bug with its type."""
    if isinstance(error, StudioError):
        return str(error)
    message = str(error)
    return f"{type(error).__name__}: {message}" if message else type(error).__name__
