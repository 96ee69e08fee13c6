"""The plugin loads and lists its assistant whether or not SAM 2.1 can run here, and says why
not in one line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import studio_sam2
from PIL import Image
from studio_sam2 import settings
from studio_sam2.settings import Sam2UnavailableError

from studio.api import PLUGIN_API_VERSION, Project
from studio.plugins.assistants import config_dir
from studio.plugins.manager import StudioPlugins


def sam2_entry(manager: StudioPlugins):
    return next(s for s in manager.collect("studio_assistants") if s.name == "sam2")


def hide_sam2_package(monkeypatch: pytest.MonkeyPatch) -> None:
    real = settings.importlib.util.find_spec
    monkeypatch.setattr(
        settings.importlib.util,
        "find_spec",
        lambda name, *args: None if name == "sam2" else real(name, *args),
    )


def test_plugin_loads_and_declares_the_plugin_api(installed_plugins: StudioPlugins) -> None:
    info = next(info for info in installed_plugins.infos() if info.name == "sam2")
    assert info.active
    assert not info.errors
    assert studio_sam2.STUDIO_PLUGIN_API == PLUGIN_API_VERSION == info.api_version
    assert "studio_assistants" in info.hooks


def test_lists_an_interactive_sam2_assistant(installed_plugins: StudioPlugins) -> None:
    entry = sam2_entry(installed_plugins)
    assert entry.kind == "interactive"
    assert entry.tasks == {"detection", "segmentation"}


def test_without_the_sam2_package_the_entry_names_it(
    installed_plugins: StudioPlugins, monkeypatch: pytest.MonkeyPatch
) -> None:
    hide_sam2_package(monkeypatch)
    entry = sam2_entry(installed_plugins)
    assert entry.title == "SAM 2.1 (unavailable)"
    assert "the sam2 package is not installed" in entry.description
    assert "\n" not in entry.description


def test_without_a_checkpoint_the_reason_says_where_they_come_from(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(settings.importlib.util, "find_spec", lambda name, *args: object())
    reason = settings.unavailable_reason()
    assert "no SAM 2.1 checkpoint chosen" in reason
    assert "STUDIO_SAM2_CHECKPOINT" in reason
    assert "github.com/facebookresearch/sam2" in reason
    assert "156 MB" in reason


def test_a_missing_checkpoint_file_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings.importlib.util, "find_spec", lambda name, *args: object())
    monkeypatch.setenv(settings.CHECKPOINT_ENV, str(tmp_path / "gone.pt"))
    assert settings.unavailable_reason().startswith(f"{tmp_path / 'gone.pt'}: SAM 2.1 checkpoint")


def test_a_bad_settings_file_is_named() -> None:
    path = config_dir() / settings.SETTINGS_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"checkpoint": "sam.pt", "model": "huge"}), encoding="utf-8")
    with pytest.raises(Sam2UnavailableError, match=r"sam2\.json: model must be one of tiny, small"):
        settings.load_settings()


def test_settings_round_trip_through_the_config_folder(tmp_path: Path) -> None:
    chosen = settings.Sam2Settings(tmp_path / "sam2.1_hiera_small.pt", "small")
    settings.save_settings(chosen)
    loaded = settings.load_settings()
    assert loaded == chosen
    assert loaded.model_kind == "sam2.1_hiera_small"


def test_the_environment_wins_over_the_settings_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.save_settings(settings.Sam2Settings(tmp_path / "file.pt", "small"))
    monkeypatch.setenv(settings.CHECKPOINT_ENV, str(tmp_path / "env.pt"))
    monkeypatch.setenv(settings.MODEL_ENV, "large")
    assert settings.load_settings() == settings.Sam2Settings(tmp_path / "env.pt", "large")


def test_answering_when_unavailable_is_one_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hide_sam2_package(monkeypatch)
    Image.new("RGB", (24, 16), "white").save(tmp_path / "white.png")
    with Project.create(tmp_path / "p.studio", author="tester") as project:
        project.import_media([tmp_path / "white.png"])
        item = project.items()[0]
        with pytest.raises(Sam2UnavailableError) as raised:
            project.answer("sam2", item.id, points=[(5, 5)])
    message = str(raised.value)
    assert message.startswith("SAM 2.1 assistant unavailable: the sam2 package is not installed")
    assert "\n" not in message
