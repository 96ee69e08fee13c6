"""Driving the `studio` command line in tests through typer's CliRunner."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner, Result

from studio.cli import app


def run_cli(*args: str | Path, input: str | None = None) -> Result:
    """Run `studio ARGS…`; `input` is what the user types at its questions."""
    return CliRunner().invoke(app, [str(arg) for arg in args], input=input)


def assert_user_error(result: Result, *expected: str) -> None:
    """A user error: exit status 1, no traceback, stderr holding each of `expected` (it may
    hold more than one line, unlike `tests.test_cli.assert_user_error`)."""
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    for text in expected:
        assert text in result.stderr, result.stderr
