"""The worker's watch on its run: a heartbeat that no long batch delays, the cancel flag, and a
run that another worker took."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from studio.api import Project
from studio.core import runs
from studio.core.processes import WorkerIdentity
from studio.jobs.run_context import RunWatch, WatchTiming
from tests.jobs.projects import TINY_CLASSIFIER, digits_project

QUICK = WatchTiming(poll_s=0.02, heartbeat_s=0.05)
REMOTE = WorkerIdentity(pid=12345, host="another-machine", started_at=None)


def wait_for(condition: Callable[[], bool], timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Project]:
    with Project.open(digits_project(tmp_path, 4), author="tester") as opened:
        yield opened


def claimed_run(project: Project, worker: WorkerIdentity) -> runs.RunRecord:
    run = project.new_run(task="classification", epochs=1, **TINY_CLASSIFIER)
    return runs.claim_run(project.context.database, run.id, worker, resume=False)


def test_the_heartbeat_goes_on_while_the_worker_is_busy_elsewhere(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runs, "HEARTBEAT_TIMEOUT_S", 0.5)
    record = claimed_run(project, REMOTE)
    watch = RunWatch(project.context.database, record.id, REMOTE, timing=QUICK).start()
    try:
        # Never calling the watch, as a trainer inside one long batch does not.
        wait_for(lambda: project.run(record.id).record.heartbeat_at > record.heartbeat_at + 0.6)
        assert runs.mark_interrupted(project.context.database) == []
    finally:
        watch.close()
    stale = time.time() + 1.0
    assert runs.mark_interrupted(project.context.database, now=stale) == [record.id]


def test_a_cancel_request_reaches_the_watch(project: Project) -> None:
    record = claimed_run(project, REMOTE)
    watch = RunWatch(project.context.database, record.id, REMOTE, timing=QUICK).start()
    try:
        assert not watch()
        project.run(record.id).cancel()
        wait_for(watch)
        assert watch.lost is None
    finally:
        watch.close()


def test_a_run_taken_by_another_worker_is_lost_to_the_first(project: Project) -> None:
    record = claimed_run(project, REMOTE)
    watch = RunWatch(project.context.database, record.id, REMOTE, timing=QUICK).start()
    try:
        runs.mark_interrupted(
            project.context.database, now=time.time() + 2 * runs.HEARTBEAT_TIMEOUT_S
        )
        runs.claim_run(project.context.database, record.id, WorkerIdentity.current(), resume=True)
        wait_for(lambda: watch.lost is not None)
        assert watch()
        assert "no longer this worker's" in str(watch.lost)
    finally:
        watch.close()
