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
    Point,
    Project,
    PromptError,
    StudioError,
    hookimpl,
)
from studio.core.geometry import decode_mask
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
    assert [spec.name for spec in project.assistants()] == [
        "magic_wand",
        "sam",
        "darkest",
        "pointer",
    ]
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
    with pytest.raises(StudioError, match=r"named 'grabcut'.*darkest, magic_wand, pointer, sam"):
        project.suggest("grabcut", item)
    with pytest.raises(StudioError, match="'pointer' is interactive"):
        project.suggest("pointer", item)


def dark_box_mask() -> np.ndarray:
    mask = np.zeros((40, 60), dtype=bool)
    x, y, w, h = DARK_BOX
    mask[y : y + h, x : x + w] = True
    return mask


def test_the_magic_wand_answers_a_click_with_its_region_and_stores_nothing(
    project: Project,
) -> None:
    [item] = project.item_ids()
    [answer] = project.answer("magic_wand", item, points=[(25, 15)])
    assert answer["item_id"] == item
    assert answer["source"] == "human"
    assert np.array_equal(decode_mask(answer["mask"]), dark_box_mask())
    assert project.annotations(item) == []
    project.add_annotations([{**answer, "label": "blob"}])
    assert project.annotations(item)[0].kind == "mask"


def test_an_answer_comes_as_a_polygon_when_asked(project: Project) -> None:
    [item] = project.item_ids()
    [answer] = project.answer("magic_wand", item, points=[Point(25, 15)], shape="polygon")
    [ring] = answer["polygon"]
    x, y, w, h = DARK_BOX
    extent = (min(ring[0::2]), min(ring[1::2]), max(ring[0::2]), max(ring[1::2]))
    assert extent == pytest.approx((x, y, x + w, y + h), abs=0.5)
    project.add_annotations([{**answer, "label": "blob"}])
    assert project.annotations(item)[0].kind == "polygon"


def test_a_box_answer_finds_the_dark_rectangle_inside_it(project: Project) -> None:
    [item] = project.item_ids()
    x, y, w, h = DARK_BOX
    [answer] = project.answer("magic_wand", item, box=[x - 4, y - 4, w + 8, h + 8])
    mask, truth = decode_mask(answer["mask"]), dark_box_mask()
    assert (mask & truth).sum() / (mask | truth).sum() > 0.8


def test_a_negative_click_on_the_region_leaves_nothing(project: Project) -> None:
    [item] = project.item_ids()
    assert project.answer("magic_wand", item, points=[(25, 15, 1), (26, 16, 0)]) == []


def test_prompts_outside_the_image_are_refused_naming_the_file(project: Project) -> None:
    [item] = project.item_ids()
    with pytest.raises(PromptError, match=r"dark\.png: point \(70, 5\) lies outside the 60×40"):
        project.answer("magic_wand", item, points=[(70, 5)])
    with pytest.raises(PromptError, match=r"dark\.png: a point's label is 1"):
        project.answer("magic_wand", item, points=[(5, 5, 2)])
    with pytest.raises(PromptError, match="at least one positive point"):
        project.answer("magic_wand", item)
    assert [spec.name for spec in project.assistants()] == ["magic_wand", "sam"]  # still enabled


def test_prompts_go_to_interactive_assistants_only(
    project: Project, plugin: AssistantPlugin
) -> None:
    [item] = project.item_ids()
    with pytest.raises(StudioError, match="'darkest' is pre-labeler"):
        project.answer("darkest", item, points=[(25, 15)])
    with pytest.raises(StudioError, match="'magic_wand' is interactive"):
        project.suggest("magic_wand", item)
