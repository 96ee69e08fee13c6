"""The plugin manager: discovery through entry points, the switches, refusals, failures
isolated to the plugin that raised, the user's choices and the set a worker inherits."""

from __future__ import annotations

import json
import logging
import sys
import textwrap
import types
from pathlib import Path

import pytest

from studio.core.errors import StudioError
from studio.plugins.manager import (
    PLUGIN_SET_ENV,
    PluginError,
    PluginSettings,
    StudioPlugins,
)
from tests.plugin_helpers import (
    FORMAT_PLUGIN,
    fresh_manager,
    install_distribution,
    write_project_plugin,
)

pytestmark = pytest.mark.usefixtures("isolated_plugins")

RAISING_PLUGIN = """
from studio.plugins import hookimpl

STUDIO_PLUGIN_API = 1


class Exploding:
    name = "exploding"

    def read(self):
        raise ZeroDivisionError("a plugin bug")


@hookimpl
def studio_label_formats():
    return [Exploding()]


@hookimpl
def studio_project_opened(project):
    raise RuntimeError("cannot hear events")
"""


def module_from(source: str, name: str = "script_plugin") -> types.ModuleType:
    """A plugin module made from source, as a script or a test registers one."""
    module = types.ModuleType(name)
    exec(textwrap.dedent(source), module.__dict__)
    return module


def format_names(manager: StudioPlugins) -> list[str]:
    return [entry.name for entry in manager.collect("studio_label_formats")]


def info_of(manager: StudioPlugins, name: str):
    return next(info for info in manager.infos() if info.name == name)


@pytest.fixture
def site(tmp_path: Path) -> Path:
    return tmp_path / "site-packages"


def test_studios_own_formats_register_as_a_default_plugin(isolated_plugins: Path) -> None:
    manager = fresh_manager(isolated_plugins)

    assert {"coco", "yolo", "voc"} <= set(format_names(manager))
    builtin = info_of(manager, "studio.plugins.builtin_formats")
    assert (builtin.source, builtin.hooks) == ("built-in", ("studio_label_formats",))


def test_an_installed_distribution_is_found_through_its_entry_point(
    isolated_plugins: Path, site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    install_distribution(site, monkeypatch, "tally_plugin", FORMAT_PLUGIN, version="1.3")

    manager = fresh_manager(isolated_plugins)

    info = info_of(manager, "tally_plugin")
    assert (info.source, info.version, info.location) == ("installed", "1.3", "tally_plugin")
    assert info.hooks == ("studio_label_formats", "studio_project_opened")
    assert info.active
    assert "tally" in format_names(manager)


def test_no_plugins_keeps_only_the_defaults(
    isolated_plugins: Path, site: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    install_distribution(site, monkeypatch, "tally_plugin", FORMAT_PLUGIN)
    monkeypatch.setenv("STUDIO_NO_PLUGINS", "1")
    manager = StudioPlugins().load()
    project_module = write_project_plugin(tmp_path / "birds.studio", "local", FORMAT_PLUGIN)

    assert manager.load_project_folder(project_module.parent) == []
    assert "tally" not in format_names(manager)
    assert {info.source for info in manager.infos()} == {"built-in"}
    assert "tally_plugin" not in sys.modules


def test_trace_logs_every_hook_call(
    isolated_plugins: Path,
    site: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    install_distribution(site, monkeypatch, "tally_plugin", FORMAT_PLUGIN)
    monkeypatch.setenv("STUDIO_TRACE_PLUGINS", "1")
    manager = StudioPlugins().load()

    with caplog.at_level(logging.INFO, logger="studio.plugins"):
        manager.collect("studio_label_formats")
        manager.notify("studio_project_opened", project="the project")

    assert "hook studio_label_formats -> studio.plugins.builtin_formats()" in caplog.text
    assert "hook studio_label_formats -> tally_plugin()" in caplog.text
    assert "hook studio_project_opened -> tally_plugin(project)" in caplog.text


def test_without_trace_hook_calls_are_not_logged(
    isolated_plugins: Path, caplog: pytest.LogCaptureFixture
) -> None:
    manager = fresh_manager(isolated_plugins)

    with caplog.at_level(logging.INFO, logger="studio.plugins"):
        manager.collect("studio_label_formats")

    assert "hook studio_label_formats" not in caplog.text


@pytest.mark.parametrize(
    ("declaration", "expected"),
    [("STUDIO_PLUGIN_API = 2", "was written for version 2"), ("", "declares none")],
)
def test_a_plugin_for_another_api_version_is_refused_naming_both_versions(
    isolated_plugins: Path,
    site: Path,
    monkeypatch: pytest.MonkeyPatch,
    declaration: str,
    expected: str,
) -> None:
    source = FORMAT_PLUGIN.replace("STUDIO_PLUGIN_API = 1", declaration)
    install_distribution(site, monkeypatch, "tally_plugin", source)

    manager = fresh_manager(isolated_plugins)

    info = info_of(manager, "tally_plugin")
    assert not info.active
    assert info.hooks == ()
    assert "Studio offers plugin API version 1" in info.errors[0]
    assert expected in info.errors[0]
    assert "tally" not in format_names(manager)


@pytest.mark.parametrize("misspelt", ["studio_label_format", "label_formats"])
def test_a_plugin_with_a_misspelt_hook_is_refused_naming_it(
    isolated_plugins: Path, site: Path, monkeypatch: pytest.MonkeyPatch, misspelt: str
) -> None:
    source = FORMAT_PLUGIN.replace("def studio_label_formats", f"def {misspelt}")
    install_distribution(site, monkeypatch, "tally_plugin", source)

    manager = fresh_manager(isolated_plugins)

    info = info_of(manager, "tally_plugin")
    assert not info.active
    assert info.errors == [f"refused: no such hook {misspelt} (see docs/plugins.md for the hooks)"]


def test_a_hookimpl_taking_an_argument_the_hook_does_not_give_is_refused(
    isolated_plugins: Path, site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = FORMAT_PLUGIN.replace("opened(project)", "opened(project, window)")
    install_distribution(site, monkeypatch, "tally_plugin", source)

    manager = fresh_manager(isolated_plugins)

    info = info_of(manager, "tally_plugin")
    assert info.failed
    assert "window" in info.errors[0]
    assert info.errors[0].startswith("load: ")


def test_a_plugin_raising_at_import_is_reported_and_the_others_load(
    isolated_plugins: Path,
    site: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    install_distribution(site, monkeypatch, "broken_plugin", "import not_a_module_anywhere\n")
    install_distribution(site, monkeypatch, "tally_plugin", FORMAT_PLUGIN)

    with caplog.at_level(logging.ERROR, logger="studio.plugins"):
        manager = fresh_manager(isolated_plugins)

    broken = info_of(manager, "broken_plugin")
    assert broken.failed
    assert broken.errors == ["load: ModuleNotFoundError: No module named 'not_a_module_anywhere'"]
    assert "plugin 'broken_plugin' failed in load" in caplog.text
    assert "Traceback (most recent call last)" in caplog.text
    assert "tally" in format_names(manager)


def test_a_plugin_raising_in_a_registry_hook_is_disabled_and_the_others_entries_remain(
    isolated_plugins: Path, caplog: pytest.LogCaptureFixture
) -> None:
    manager = fresh_manager(isolated_plugins)
    source = RAISING_PLUGIN.replace("return [Exploding()]", "raise KeyError('no formats')")
    manager.register(module_from(source), "raising")

    with caplog.at_level(logging.ERROR, logger="studio.plugins"):
        names = format_names(manager)

    assert "coco" in names
    info = info_of(manager, "raising")
    assert info.failed
    assert not info.active
    assert info.errors == ["studio_label_formats: KeyError: 'no formats'"]
    assert "plugin 'raising' failed in studio_label_formats" in caplog.text
    assert "Traceback (most recent call last)" in caplog.text


def test_a_plugin_raising_in_an_event_hook_is_disabled_and_the_others_still_hear(
    isolated_plugins: Path, caplog: pytest.LogCaptureFixture
) -> None:
    manager = fresh_manager(isolated_plugins)
    manager.register(module_from(RAISING_PLUGIN), "raising")
    listener = module_from(FORMAT_PLUGIN, "listener")
    manager.register(listener, "listener")

    with caplog.at_level(logging.ERROR, logger="studio.plugins"):
        manager.notify("studio_project_opened", project="first")
    manager.notify("studio_project_opened", project="second")

    assert listener.HEARD == ["first", "second"]
    assert info_of(manager, "raising").errors == [
        "studio_project_opened: RuntimeError: cannot hear events"
    ]
    assert not info_of(manager, "raising").active
    assert "exploding" not in format_names(manager)
    assert "Traceback (most recent call last)" in caplog.text


def test_code_a_plugin_contributed_raising_under_guard_disables_it_as_a_plugin_error(
    isolated_plugins: Path, caplog: pytest.LogCaptureFixture
) -> None:
    manager = fresh_manager(isolated_plugins)
    manager.register(module_from(RAISING_PLUGIN), "raising")
    exploding = manager.collect("studio_label_formats")[-1]

    with (
        caplog.at_level(logging.ERROR, logger="studio.plugins"),
        pytest.raises(PluginError, match="plugin 'raising' failed in read and was disabled"),
        manager.guard(exploding, "read"),
    ):
        exploding.read()

    assert "exploding" not in format_names(manager)
    assert "ZeroDivisionError: a plugin bug" in caplog.text


def test_guard_lets_studios_own_errors_and_built_in_bugs_through_unchanged(
    isolated_plugins: Path,
) -> None:
    manager = fresh_manager(isolated_plugins)
    manager.register(module_from(RAISING_PLUGIN), "raising")
    *builtins, exploding = manager.collect("studio_label_formats")

    with pytest.raises(StudioError, match="bad input"), manager.guard(exploding, "read"):
        raise StudioError("bad input")
    with pytest.raises(ZeroDivisionError), manager.guard(builtins[0], "read"):
        raise ZeroDivisionError("a Studio bug")

    assert info_of(manager, "raising").active


def test_call_passes_arguments_and_gathers_every_plugins_result(isolated_plugins: Path) -> None:
    manager = fresh_manager(isolated_plugins)
    source = """
        from studio.plugins import hookimpl

        STUDIO_PLUGIN_API = 1


        @hookimpl
        def studio_training_callbacks(run):
            return [f"stop early for run {run}"]
    """
    manager.register(module_from(source), "callbacks")

    assert manager.call("studio_training_callbacks", run=7) == [["stop early for run 7"]]


def test_disabling_is_remembered_for_the_user_and_enabling_loads_it_again(
    isolated_plugins: Path, site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    install_distribution(site, monkeypatch, "tally_plugin", FORMAT_PLUGIN)
    fresh_manager(isolated_plugins).set_enabled("tally_plugin", False)

    restarted = fresh_manager(isolated_plugins)

    assert not info_of(restarted, "tally_plugin").enabled
    assert "tally" not in format_names(restarted)
    assert json.loads((isolated_plugins / "plugins.json").read_text()) == {
        "disabled": ["tally_plugin"]
    }
    restarted.set_enabled("tally_plugin", True)
    assert "tally" in format_names(restarted)
    assert info_of(fresh_manager(isolated_plugins), "tally_plugin").active


def test_a_plugin_disabled_in_a_running_process_is_no_longer_called(
    isolated_plugins: Path, site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    install_distribution(site, monkeypatch, "tally_plugin", FORMAT_PLUGIN)
    manager = fresh_manager(isolated_plugins)
    assert "tally" in format_names(manager)

    manager.set_enabled("tally_plugin", False)

    assert "tally" not in format_names(manager)


def test_built_in_plugins_cannot_be_disabled_and_unknown_names_are_refused(
    isolated_plugins: Path,
) -> None:
    manager = fresh_manager(isolated_plugins)

    with pytest.raises(StudioError, match="part of Studio and cannot be disabled"):
        manager.set_enabled("studio.plugins.builtin_formats", False)
    with pytest.raises(StudioError, match="no plugin named 'nothing'"):
        manager.set_enabled("nothing", True)
    assert not (isolated_plugins / "plugins.json").exists()


def test_a_worker_loads_exactly_the_set_its_parent_enabled(
    isolated_plugins: Path, site: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    install_distribution(site, monkeypatch, "tally_plugin", FORMAT_PLUGIN)
    install_distribution(site, monkeypatch, "other_plugin", FORMAT_PLUGIN)
    local = write_project_plugin(tmp_path / "birds.studio", "local", FORMAT_PLUGIN)
    parent = fresh_manager(isolated_plugins)
    parent.load_project_folder(local.parent)
    parent.set_enabled("other_plugin", False)

    monkeypatch.setenv(PLUGIN_SET_ENV, parent.worker_environment()[PLUGIN_SET_ENV])
    worker = StudioPlugins(PluginSettings.from_environment()).load()

    loaded = {info.name: info.source for info in worker.infos() if info.active}
    assert loaded == {info.name: info.source for info in parent.infos() if info.active}
    assert {"tally_plugin", "local"} <= loaded.keys()
    assert "other_plugin" not in loaded


def test_a_project_folder_loads_its_modules_and_unloads_them_when_it_closes(
    isolated_plugins: Path, tmp_path: Path
) -> None:
    local = write_project_plugin(tmp_path / "birds.studio", "local", FORMAT_PLUGIN)
    manager = fresh_manager(isolated_plugins)

    loaded = manager.load_project_folder(local.parent)

    assert [(info.name, info.source, info.version) for info in loaded] == [
        ("local", "project", "2.5")
    ]
    assert "tally" in format_names(manager)
    manager.unload_project_plugins()
    assert "tally" not in format_names(manager)
    assert "local" not in {info.name for info in manager.infos()}
