"""Assistants from plugins: listed for the project's labeling mode, created once, asked for
suggestions that are returned and never stored, and disabled when they crash."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from studio.api import (
    PLUGIN_API_VERSION,
    AssistantSpec,
    PluginError,
    Project,
    StudioError,
    hookimpl,
)
from studio.plugins.manager import StudioPlugins

DARK_BOX = (20, 12, 15, 9)  # x, y, w, h of the dark rectangle in the test image


class DarkestBox:
    """A pre-labeler: one box around the image's darkest pixels, for the first class."""

    def suggest(self, image_path: Path, classes: list[str]) -> list[dict[str, Any]]:
        pixels = np.asarray(Image.open(image_path).convert("L"))
        rows, columns = np.nonzero(pixels < pixels.min() + 30)
        x, y = int(columns.min()), int(rows.min())
        box = [x, y, int(columns.max()) - x + 1, int(rows.max()) - y + 1]
        return [{"label": classes[0], "box": box, "source": "model", "score": 0.9}]


class Crashing:
    def suggest(self, image_path: Path, classes: list[str]) -> list[dict[str, Any]]:
        raise IndexError("list index out of range")


class AssistantPlugin:
    STUDIO_PLUGIN_API = PLUGIN_API_VERSION

    def __init__(self) -> None:
        self.created = 0

    def _create_darkest(self) -> DarkestBox:
        self.created += 1
        return DarkestBox()

    @hookimpl
    def studio_assistants(self) -> list[AssistantSpec]:
        return [
            AssistantSpec("darkest", "Darkest box", "pre-labeler", self._create_darkest),
            AssistantSpec(
                "tagger", "Tagger", "pre-labeler", Crashing, frozenset({"classification"})
            ),
            AssistantSpec("pointer", "Pointer", "interactive", Crashing, frozenset({"detection"})),
        ]


@pytest.fixture
def project(tmp_path: Path) -> Project:
    pixels = np.full((40, 60, 3), 220, dtype=np.uint8)
    x, y, w, h = DARK_BOX
    pixels[y : y + h, x : x + w] = 10
    Image.fromarray(pixels).save(tmp_path / "dark.png")
    with Project.create(tmp_path / "assist.studio", author="tester") as opened:
        opened.add_classes(["blob"])
        opened.import_media(tmp_path / "dark.png")
        yield opened


@pytest.fixture
def plugin(studio_plugins: StudioPlugins) -> AssistantPlugin:
    registered = AssistantPlugin()
    studio_plugins.register(registered, "assistants")
    return registered


def test_assistants_are_those_for_the_projects_labeling_mode(
    project: Project, plugin: AssistantPlugin
) -> None:
    assert [spec.name for spec in project.assistants()] == ["darkest", "pointer"]
    project.set_setting("labeling_mode", "single_label")
    assert [spec.name for spec in project.assistance.assistants()] == ["darkest", "tagger"]


def test_a_pre_labeler_suggests_from_the_image_and_nothing_is_stored(
    project: Project, plugin: AssistantPlugin
) -> None:
    [item] = project.item_ids()
    suggestions = project.suggest("darkest", item)
    assert suggestions == [
        {"item_id": item, "label": "blob", "box": list(DARK_BOX), "source": "model", "score": 0.9}
    ]
    assert project.annotations(item) == []
    assert project.assistance.suggest("darkest", item) == suggestions
    assert plugin.created == 1
    project.add_annotations(suggestions)
    assert project.annotations(item)[0].geometry == list(DARK_BOX)


def test_a_crashing_assistant_is_disabled_and_changes_nothing(
    project: Project, plugin: AssistantPlugin, studio_plugins: StudioPlugins
) -> None:
    project.set_setting("labeling_mode", "single_label")
    [item] = project.item_ids()
    with pytest.raises(PluginError, match=r"'assistants' failed in suggest.*IndexError"):
        project.suggest("tagger", item)
    assert project.annotations(item) == []
    assert project.assistants() == []


def test_unknown_and_interactive_assistants_are_refused_by_name(
    project: Project, plugin: AssistantPlugin
) -> None:
    [item] = project.item_ids()
    with pytest.raises(StudioError, match=r"no assistant named 'sam'.*darkest, pointer"):
        project.suggest("sam", item)
    with pytest.raises(StudioError, match="'pointer' is interactive"):
        project.suggest("pointer", item)
