"""Workers load exactly the plugins their parent process has enabled, and are signalled as
soon as the event that cancels them is set."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from studio.jobs.launcher import WorkerJob, worker_environment
from studio.plugins.manager import StudioPlugins
from tests.plugin_fixtures import install_plugin

PROBE_MODULE = """
STUDIO_PLUGIN_API = 1
__version__ = "1.0"

from studio.plugins import hookimpl


@hookimpl
def studio_run_started(project_path, run, version):
    pass
"""
# The parent loads just the probe of the installed plugins (others may be installed here).
PROBE_ONLY = ({"name": "probe", "source": "installed"},)
ACTIVE_PLUGINS = (
    "import json; from studio.plugins.manager import plugins; "
    "print(json.dumps([info.name for info in plugins().infos() if info.active]))"
)


@pytest.fixture
def installed_probe(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A plugin "probe" installed through an entry point."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "probe_plugin.py").write_text(PROBE_MODULE, encoding="utf-8")
    install_plugin(site, "probe", "probe_plugin", monkeypatch)
    yield site
    sys.modules.pop("probe_plugin", None)


def active_in_worker() -> list[str]:
    """The active plugins of a process started with a worker's environment."""
    result = subprocess.run(
        [sys.executable, "-c", ACTIVE_PLUGINS],
        env=worker_environment(),
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return json.loads(result.stdout.splitlines()[-1])


@pytest.mark.usefixtures("installed_probe")
def test_a_worker_loads_an_installed_plugin_its_parent_enabled(
    parent_plugins: Callable[..., StudioPlugins],
) -> None:
    parent = parent_plugins(only=PROBE_ONLY)
    assert "probe" in [info.name for info in parent.infos() if info.active]
    assert {"name": "probe", "source": "installed"} in json.loads(
        worker_environment()["STUDIO_PLUGIN_SET"]
    )
    assert "probe" in active_in_worker()


@pytest.mark.usefixtures("installed_probe")
def test_a_worker_leaves_out_a_plugin_its_parent_disabled(
    parent_plugins: Callable[..., StudioPlugins],
) -> None:
    parent_plugins(only=PROBE_ONLY).set_enabled("probe", False)
    active = active_in_worker()
    assert "probe" not in active
    assert "studio.ml.builtin_plugin" in active


@pytest.mark.usefixtures("installed_probe")
def test_a_worker_of_a_parent_started_without_plugins_has_only_the_builtins(
    parent_plugins: Callable[..., StudioPlugins],
) -> None:
    parent_plugins(third_party=False)  # as `studio --no-plugins` does, in this process only
    assert active_in_worker() == [
        "studio.ml.builtin_plugin",
        "studio.plugins.builtin_assistants",
        "studio.plugins.builtin_colourings",
        "studio.plugins.builtin_formats",
    ]


@pytest.mark.skipif(sys.platform == "win32", reason="SIGTERM is POSIX")
def test_a_worker_is_signalled_as_soon_as_its_cancel_event_is_set(tmp_path: Path) -> None:
    sleeper = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(60)"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    job = WorkerJob(sleeper, tmp_path / "p.studio")
    cancel = threading.Event()
    job.cancel_when_set(cancel)
    cancel.set()
    assert job.wait(timeout=20) == -signal.SIGTERM
