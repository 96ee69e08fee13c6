"""`studio plugins list|enable|disable|trust` and `studio --no-plugins`."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from studio.api import Project
from studio.plugins.manager import use_plugins
from tests.cli_helpers import assert_user_error, run_cli
from tests.plugin_helpers import FORMAT_PLUGIN, install_distribution, write_project_plugin

pytestmark = pytest.mark.usefixtures("isolated_plugins")

# A project plugin that leaves a marker file beside itself when its code runs.
MARKING_PLUGIN = (
    FORMAT_PLUGIN
    + """
from pathlib import Path

(Path(__file__).parent.parent / "ran").write_text("the project's code ran")
"""
)


@pytest.fixture
def tally(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The installed plugin `tally_plugin` (version 1.0): a format and an event hook."""
    return install_distribution(tmp_path / "site", monkeypatch, "tally_plugin", FORMAT_PLUGIN)


@pytest.fixture
def project_file(tmp_path: Path) -> Path:
    path = tmp_path / "birds.studio"
    Project.create(path).close()
    return path


def listed(*args: str | Path) -> dict[str, dict]:
    result = run_cli("plugins", "list", *args, "--json")
    assert result.exit_code == 0, result.output
    return {plugin["name"]: plugin for plugin in json.loads(result.stdout)["plugins"]}


def new_process() -> None:
    """Forget the loaded plugins, as the next `studio` command starts afresh."""
    use_plugins(None)


@pytest.mark.usefixtures("tally")
def test_list_shows_each_plugins_source_version_hooks_and_state() -> None:
    plugins = listed()

    assert plugins["tally_plugin"] == {
        "name": "tally_plugin",
        "source": "installed",
        "version": "1.0",
        "location": "tally_plugin",
        "hooks": ["studio_label_formats", "studio_project_opened"],
        "state": "enabled",
        "errors": [],
    }
    assert plugins["studio.plugins.builtin_formats"]["source"] == "built-in"


@pytest.mark.usefixtures("tally")
def test_list_prints_a_table_naming_each_plugin() -> None:
    result = run_cli("plugins", "list")

    assert result.exit_code == 0, result.output
    row = next(line for line in result.stdout.splitlines() if "tally_plugin" in line)
    for text in ("installed", "1.0", "label_formats, project_opened", "enabled"):
        assert text in row


@pytest.mark.usefixtures("tally")
def test_an_installed_plugins_format_is_listed_by_studio_formats() -> None:
    result = run_cli("formats")

    assert result.exit_code == 0, result.output
    rows = [line.split("│") for line in result.stdout.splitlines()]
    assert ["tally", "Tally sheet"] in [[cell.strip() for cell in row[:2]] for row in rows]


@pytest.mark.usefixtures("tally")
def test_no_plugins_lists_only_studios_own_and_passes_it_on_to_workers() -> None:
    result = run_cli("--no-plugins", "plugins", "list", "--json")

    assert result.exit_code == 0, result.output
    sources = {plugin["source"] for plugin in json.loads(result.stdout)["plugins"]}
    assert sources == {"built-in"}
    assert os.environ["STUDIO_NO_PLUGINS"] == "1"


@pytest.mark.usefixtures("tally")
def test_disable_and_enable_are_remembered_for_the_next_command() -> None:
    assert run_cli("plugins", "disable", "tally_plugin").stdout == "tally_plugin: disabled\n"
    new_process()
    assert listed()["tally_plugin"]["state"] == "disabled"

    assert run_cli("plugins", "enable", "tally_plugin").stdout == "tally_plugin: enabled\n"
    new_process()
    assert listed()["tally_plugin"]["hooks"] == ["studio_label_formats", "studio_project_opened"]


def test_disabling_studios_own_or_an_unknown_plugin_is_a_one_line_error() -> None:
    assert_user_error(
        run_cli("plugins", "disable", "studio.plugins.builtin_formats"), "cannot be disabled"
    )
    assert_user_error(run_cli("plugins", "enable", "nothing"), "no plugin named 'nothing'")


def test_a_failing_plugin_is_reported_in_one_line_and_the_command_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    install_distribution(tmp_path / "site", monkeypatch, "broken_plugin", "1 / 0\n")

    result = run_cli("plugins", "list", "--json")

    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.stderr
    assert "plugin 'broken_plugin' failed in load and is disabled until restart" in result.stderr
    broken = next(p for p in json.loads(result.stdout)["plugins"] if p["name"] == "broken_plugin")
    assert (broken["state"], broken["errors"]) == (
        "failed",
        ["load: ZeroDivisionError: division by zero"],
    )


def test_trace_prints_every_hook_call_and_the_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    install_distribution(tmp_path / "site", monkeypatch, "broken_plugin", "1 / 0\n")
    monkeypatch.setenv("STUDIO_TRACE_PLUGINS", "1")

    result = run_cli("formats")

    assert result.exit_code == 0, result.output
    assert "Traceback (most recent call last)" in result.stderr
    assert "hook studio_label_formats -> studio.plugins.builtin_formats()" in result.stderr


# -- a project's own plugin folder -----------------------------------------------------------


def test_an_untrusted_project_folder_is_listed_but_never_run(project_file: Path) -> None:
    write_project_plugin(project_file, "local", MARKING_PLUGIN)

    result = run_cli("plugins", "list", project_file, "--json")

    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["project_plugins"]["status"] == "untrusted"
    assert "local" not in {plugin["name"] for plugin in document["plugins"]}
    assert not (project_file.parent / "birds.studio.d" / "ran").exists()


def test_trust_shows_the_files_and_fingerprint_then_loads_the_folder(project_file: Path) -> None:
    write_project_plugin(project_file, "local", MARKING_PLUGIN)

    result = run_cli("plugins", "trust", project_file, "--yes")

    assert result.exit_code == 0, result.output
    assert "holds 1 files:\n  local.py\nfingerprint " in result.stdout
    assert "  local: enabled" in result.stdout
    assert (project_file.parent / "birds.studio.d" / "ran").exists()
    new_process()
    document = json.loads(run_cli("plugins", "list", project_file, "--json").stdout)
    assert document["project_plugins"]["status"] == "loaded"
    assert {"name": "local", "source": "project"}.items() <= _named(document, "local").items()


def test_a_changed_file_asks_for_trust_again(project_file: Path) -> None:
    module = write_project_plugin(project_file, "local", MARKING_PLUGIN)
    assert run_cli("plugins", "trust", project_file, "--yes").exit_code == 0
    new_process()

    module.write_text(MARKING_PLUGIN + "\n# changed\n", encoding="utf-8")

    document = json.loads(run_cli("plugins", "list", project_file, "--json").stdout)
    assert document["project_plugins"]["status"] == "untrusted"


def test_trust_asks_and_answering_no_trusts_nothing(project_file: Path) -> None:
    write_project_plugin(project_file, "local", MARKING_PLUGIN)

    result = run_cli("plugins", "trust", project_file, input="n\n")

    assert result.exit_code == 1
    assert "Run this code whenever you open the project" in result.stdout
    assert "not trusted" in result.stderr
    assert not (project_file.parent / "birds.studio.d" / "ran").exists()


def test_trusting_a_project_without_a_plugin_folder_is_a_one_line_error(
    project_file: Path,
) -> None:
    assert_user_error(run_cli("plugins", "trust", project_file, "--yes"), "no plugin folder")


def _named(document: dict, name: str) -> dict:
    return next(plugin for plugin in document["plugins"] if plugin["name"] == name)
