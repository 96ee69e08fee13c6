"""Progress events of a worker: one JSON object per line on its stdout.

The worker prints them; the GUI (QProcess), the CLI and the API (`WorkerJob`) read them back
with `parse_event`. Anything else a library prints on stdout is not JSON and is skipped.
Imports neither torch nor Qt: the GUI imports this module.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Mapping
from typing import Any, TextIO


def _plain(value: Any) -> Any:
    """JSON-safe copies: NaN and infinities become None (JSON has no such numbers)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Mapping):
        return {str(key): _plain(inner) for key, inner in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(inner) for inner in value]
    return value


def encode_event(event: Mapping[str, Any]) -> str:
    """One event as a single line of JSON (no newline)."""
    return json.dumps(_plain(event), separators=(",", ":"), default=str, allow_nan=False)


def emit(event: Mapping[str, Any], stream: TextIO | None = None) -> None:
    """Print `event` as one JSON line on `stream` (stdout by default) and flush it."""
    target = stream if stream is not None else sys.stdout
    target.write(encode_event(event) + "\n")
    target.flush()


def parse_event(line: str | bytes) -> dict[str, Any] | None:
    """The event a line holds, or None for a line that is not a JSON object with "event"."""
    if isinstance(line, bytes):
        line = line.decode("utf-8", errors="replace")
    text = line.strip()
    if not text.startswith("{"):
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    if not isinstance(value, dict) or not isinstance(value.get("event"), str):
        return None
    return value


def describe_event(event: Mapping[str, Any]) -> str:
    """A line of plain text for the run's log and terminals."""
    kind = event.get("event", "?")
    details = {key: value for key, value in event.items() if key != "event"}
    if kind in ("log", "warning") and "message" in details:
        return f"{kind}: {details['message']}"
    if kind == "failed":
        return f"failed: {details.get('error', '')}"
    return f"{kind} {encode_event(details)}"
