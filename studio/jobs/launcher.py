"""Starting a worker process and reading its progress events (used by the API and the CLI;
the GUI starts the same command line with QProcess).

Imports neither torch nor Qt: the GUI imports this module.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from studio.jobs.events import parse_event
from studio.plugins.manager import plugins

WORKER_MODULE = "studio.jobs.worker"
STDERR_TAIL_LINES = 200
CANCEL_POLL_SECONDS = 0.1  # how often `cancel_when_set` looks whether it was cancelled
ACTIONS = ("train", "evaluate")


def worker_command(action: str, project_path: Path, run_id: int, **options: Any) -> list[str]:
    """The full argv of a worker: `python -m studio.jobs.worker ACTION PROJECT RUN [options]`.

    Options: `resume=True` (train), `checkpoint="best.pt"` and `split="test"` (evaluate).
    An option whose value is None or False is left out; True becomes a bare flag.
    """
    if action not in ACTIONS:
        raise ValueError(f"unknown worker action {action!r}; expected one of: {', '.join(ACTIONS)}")
    argv = [sys.executable, "-m", WORKER_MODULE, action, str(Path(project_path)), str(run_id)]
    for name, value in options.items():
        if value is None or value is False:
            continue
        flag = "--" + name.replace("_", "-")
        argv.append(flag)
        if value is not True:
            argv.append(str(value))
    return argv


SAM_ENCODE_ACTION = "sam-encode"


def sam_encode_command(
    project_path: Path, checkpoint: Path, item_ids: Sequence[int] = (), device: str = "auto"
) -> list[str]:
    """The full argv of a `sam-encode` worker (`studio.jobs.sam_encode_job`). Here, not in
    that module, because the window starts it too and may not import what reads the project."""
    items = [argument for item_id in item_ids for argument in ("--item", str(item_id))]
    return [
        sys.executable,
        "-m",
        WORKER_MODULE,
        SAM_ENCODE_ACTION,
        str(Path(project_path)),
        str(Path(checkpoint)),
        *items,
        "--device",
        device,
    ]


def worker_environment() -> dict[str, str]:
    """The environment of a worker: ours, with this Studio's package folder importable,
    Python's output unbuffered (events must arrive as they are printed), and the plugins
    this process has enabled named, so the worker loads exactly those."""
    environment = dict(os.environ)
    environment.update(plugins().worker_environment())
    package_parent = str(Path(__file__).resolve().parents[2])
    existing = environment.get("PYTHONPATH", "")
    paths = [package_parent, *(part for part in existing.split(os.pathsep) if part)]
    environment["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths))
    environment["PYTHONUNBUFFERED"] = "1"
    return environment


def _full_argv(command: Sequence[str]) -> list[str]:
    """`command` as given when it is a full argv (from `worker_command`), else the worker's
    arguments after `python -m studio.jobs.worker`."""
    parts = [str(part) for part in command]
    if len(parts) >= 3 and parts[1:3] == ["-m", WORKER_MODULE]:
        return parts
    return [sys.executable, "-m", WORKER_MODULE, *parts]


@dataclass(frozen=True)
class JobOutcome:
    """How a followed worker ended."""

    code: int
    failure: str  # the error of its "failed" event, "" when it printed none
    last: Mapping[str, dict[str, Any]]  # event kind -> the last event of that kind
    stderr_tail: str

    def detail(self) -> str:
        """The failure, else the last stderr line, else the exit status."""
        lines = self.stderr_tail.strip().splitlines()
        return self.failure or (lines[-1] if lines else f"exit status {self.code}")


class WorkerJob:
    """A running worker process: its events, cancel, and exit status."""

    def __init__(self, process: subprocess.Popen, project_path: Path) -> None:
        self.process = process
        self.project_path = Path(project_path)
        self._stderr_tail: deque[str] = deque(maxlen=STDERR_TAIL_LINES)
        self._stderr_reader = threading.Thread(target=self._drain_stderr, daemon=True)
        self._stderr_reader.start()

    @classmethod
    def start(cls, project_path: Path, command: Sequence[str]) -> WorkerJob:
        """Start `python -m studio.jobs.worker *command` (or the full argv `command`)."""
        process = subprocess.Popen(
            _full_argv(command),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            errors="replace",
            bufsize=1,
            env=worker_environment(),
        )
        return cls(process, project_path)

    @property
    def pid(self) -> int:
        return self.process.pid

    def _drain_stderr(self) -> None:
        stream = self.process.stderr
        if stream is None:
            return
        for line in stream:
            self._stderr_tail.append(line.rstrip("\n"))

    def events(self) -> Iterator[dict[str, Any]]:
        """The worker's events as they arrive, until it closes its stdout (it ended)."""
        stream = self.process.stdout
        if stream is None:
            return
        for line in stream:
            event = parse_event(line)
            if event is not None:
                yield event

    def follow(self, on_event: Callable[[dict[str, Any]], None] | None) -> JobOutcome:
        """Pass every event to `on_event` until the worker ends; its exit status, its error
        and its last event of each kind. An exception here (Ctrl-C) cancels the worker and
        waits for it before going on."""
        last: dict[str, dict[str, Any]] = {}
        try:
            for event in self.events():
                last[str(event.get("event"))] = event
                if on_event is not None:
                    on_event(event)
            code = self.wait()
        except BaseException:
            self.cancel()
            self.wait()
            raise
        failure = str(last.get("failed", {}).get("error", ""))
        return JobOutcome(code, failure, last, self.stderr_tail)

    def cancel(self) -> None:
        """Ask the worker to stop (SIGTERM, which it treats as cancel: it keeps the last
        complete checkpoint and marks the run cancelled)."""
        if self.process.poll() is not None:
            return
        if sys.platform == "win32":
            self.process.terminate()
        else:
            self.process.send_signal(signal.SIGTERM)

    def cancel_when_set(self, cancel: threading.Event) -> None:
        """Signal the worker as soon as `cancel` is set (from any thread), watching on a
        thread of its own until the worker ends."""

        def watch() -> None:
            while self.process.poll() is None:
                if cancel.wait(CANCEL_POLL_SECONDS):
                    self.cancel()
                    return

        threading.Thread(target=watch, name="worker-cancel", daemon=True).start()

    def wait(self, timeout: float | None = None) -> int:
        """The exit status: 0 finished, 3 cancelled, 1 failed (raises TimeoutExpired)."""
        code = self.process.wait(timeout)
        self._stderr_reader.join(timeout=5)
        return code

    @property
    def stderr_tail(self) -> str:
        """The last lines the worker wrote on stderr (tracebacks of Studio's own bugs)."""
        return "\n".join(self._stderr_tail)
