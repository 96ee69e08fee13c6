"""A worker process read line by line: events, and a crash without a final event."""

from __future__ import annotations

import json
import sys

from pytestqt.qtbot import QtBot

from studio.gui.training.worker_process import WorkerProcess

CRASHING_WORKER = """
import json, sys
print("a library's chatter, not JSON")
print(json.dumps({"event": "batch", "epoch": 1, "step": 1, "steps": 2, "loss": 0.5}), flush=True)
sys.stderr.write("Traceback: something broke\\n")
sys.exit(1)
"""


def test_events_are_parsed_and_a_crash_is_an_error(qtbot: QtBot) -> None:
    worker = WorkerProcess()
    events: list[dict] = []
    worker.event.connect(events.append)

    with qtbot.waitSignal(worker.ended, timeout=20_000) as ended:
        worker.start([sys.executable, "-c", CRASHING_WORKER])

    assert events == [{"event": "batch", "epoch": 1, "step": 1, "steps": 2, "loss": 0.5}]
    message = ended.args[0]
    assert "without reporting an end (exit status 1)" in message
    assert "something broke" in message
    assert not worker.running


def test_a_final_event_ends_without_error(qtbot: QtBot) -> None:
    worker = WorkerProcess()
    final = {"event": "finished", "status": "finished", "summary": {}}
    script = f"print({json.dumps(json.dumps(final))})"

    with qtbot.waitSignal(worker.ended, timeout=20_000) as ended:
        worker.start([sys.executable, "-c", script])

    assert ended.args == [""]
    assert worker.final_event == final
