"""Progress events as JSON lines, and the worker command line, without torch."""

from __future__ import annotations

import io
import json
import math
import subprocess
import sys
from pathlib import Path

from studio.jobs.events import describe_event, emit, encode_event, parse_event
from studio.jobs.launcher import WORKER_MODULE, WorkerJob, worker_command


def test_an_emitted_event_is_one_json_line_that_parses_back() -> None:
    stream = io.StringIO()
    event = {"event": "epoch", "epoch": 2, "metrics": {"train/loss": 0.25, "val/map": math.nan}}
    emit(event, stream)
    text = stream.getvalue()
    assert text.endswith("\n")
    assert text.count("\n") == 1
    parsed = parse_event(text)
    assert parsed == {
        "event": "epoch",
        "epoch": 2,
        "metrics": {"train/loss": 0.25, "val/map": None},
    }


def test_lines_that_are_not_events_are_skipped() -> None:
    for line in ("", "hello", "[1, 2]", '{"no_event": 1}', "{broken", b"\xff\xfe", '{"event": 3}'):
        assert parse_event(line) is None
    assert parse_event(b'{"event": "log", "message": "hi"}\n') == {"event": "log", "message": "hi"}


def test_described_events_read_as_text() -> None:
    assert describe_event({"event": "warning", "message": "few items"}) == "warning: few items"
    assert (
        describe_event({"event": "failed", "error": "x.png: missing"}) == "failed: x.png: missing"
    )
    assert describe_event({"event": "epoch", "epoch": 1}) == 'epoch {"epoch":1}'
    assert json.loads(encode_event({"event": "x", "value": math.inf}))["value"] is None


def test_worker_command_lists_the_options(tmp_path: Path) -> None:
    project = tmp_path / "p.studio"
    assert worker_command("train", project, 4) == [
        sys.executable,
        "-m",
        WORKER_MODULE,
        "train",
        str(project),
        "4",
    ]
    assert worker_command("train", project, 4, resume=True)[-1] == "--resume"
    assert worker_command("train", project, 4, resume=False)[-1] == "4"
    evaluate = worker_command("evaluate", project, 4, checkpoint="last.pt", split="val")
    assert evaluate[-4:] == ["--checkpoint", "last.pt", "--split", "val"]


def test_events_and_launcher_import_no_torch() -> None:
    code = (
        "import sys, studio.jobs.events, studio.jobs.launcher\n"
        "print(sorted(m for m in ('torch', 'torchvision', 'PySide6') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_a_worker_with_bad_arguments_exits_2_and_a_missing_project_exits_1(
    tmp_path: Path,
) -> None:
    job = WorkerJob.start(tmp_path, ["train"])
    assert list(job.events()) == []
    assert job.wait(60) == 2
    assert "usage" in job.stderr_tail
    job = WorkerJob.start(tmp_path, ["train", str(tmp_path / "absent.studio"), "1"])
    events = list(job.events())
    assert job.wait(60) == 1
    assert events[-1]["event"] == "failed"
    assert "absent.studio" in events[-1]["error"]
