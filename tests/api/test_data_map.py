"""`project.data_map` and the map's colourings, through a real `embed-images` worker."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from studio.api import ColouringSpec, MapOptions, Project, StudioError
from studio.core.data_map import DataMapError
from studio.plugins import hookimpl
from studio.plugins.manager import StudioPlugins
from tests.conftest import write_images


def test_the_map_places_every_image_and_is_read_back_from_the_caches_without_a_worker(
    trained_digits: Path,
) -> None:
    first: list[dict[str, Any]] = []
    second: list[dict[str, Any]] = []
    with Project.open(trained_digits) as project:
        found = project.data_map(options=MapOptions(method="tsne"), on_event=first.append)
        again = project.data_map(options=MapOptions(method="tsne"), on_event=second.append)
        item_ids = project.item_ids()

    assert sorted(point.item_id for point in found.points) == sorted(item_ids)
    assert all(0 <= point.x <= 1 and 0 <= point.y <= 1 for point in found.points)
    assert found.model.startswith("run ")
    assert found.method == "tsne"
    assert next(event for event in first if event["event"] == "layout")["cached"] is False
    # Every feature and the layout cached: read back without starting a worker.
    assert second == [{"event": "layout", "method": "tsne", "points": 150, "cached": True}]
    assert again.points == found.points


def test_a_model_that_is_not_there_is_refused_before_any_worker_starts(
    trained_digits: Path,
) -> None:
    with Project.open(trained_digits) as project, pytest.raises(StudioError, match="'nosuch'"):
        project.data_map(options=MapOptions(model="nosuch"))


def test_a_method_that_cannot_run_is_refused_before_any_worker_starts(
    trained_digits: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("studio.core.data_map.umap_available", lambda: False)
    with Project.open(trained_digits) as project, pytest.raises(DataMapError, match="umap-learn"):
        project.data_map(options=MapOptions(method="umap"))


@pytest.fixture
def small_project(tmp_path: Path) -> Project:
    write_images(tmp_path / "images", 4)
    project = Project.create(tmp_path / "small.studio", author="tester")
    project.add_classes(["cat", "dog"])
    project.import_media([tmp_path / "images"])
    ids = project.item_ids()
    project.add_annotations(
        [
            {"item_id": ids[0], "label": "cat", "box": [1, 1, 5, 5]},
            {"item_id": ids[1], "label": "cat", "box": [1, 1, 5, 5]},
            {"item_id": ids[1], "label": "dog", "box": [2, 2, 5, 5]},
        ]
    )
    project.suggest_annotations(
        [{"item_id": ids[2], "label": "dog", "box": [1, 1, 4, 4], "source": "model"}]
    )
    project.set_split(ids[:2], "train")
    yield project
    project.close()


def test_colour_by_class_counts_human_shapes_and_leaves_pending_suggestions_out(
    small_project: Project,
) -> None:
    ids = small_project.item_ids()

    colours = small_project.map_colours("class", ids)

    assert [colours[item_id] for item_id in ids] == [
        "cat",
        "(several classes)",
        "(no class)",
        "(no class)",
    ]


def test_colour_by_split_and_status(small_project: Project) -> None:
    ids = small_project.item_ids()

    assert [small_project.map_colours("split", ids)[i] for i in ids] == [
        "train",
        "train",
        "(no split)",
        "(no split)",
    ]
    assert set(small_project.map_colours("status", ids).values()) == {"new"}


class WidthScore:
    """A plugin colouring by a number: the image's width."""

    STUDIO_PLUGIN_API = 1

    @hookimpl
    def studio_map_colourings(self) -> list[ColouringSpec]:
        def widths(connection: Any, item_ids: list[int]) -> dict[int, float]:
            from sqlalchemy import select

            from studio.core.schema import item_table

            query = select(item_table.c.id, item_table.c.width).where(item_table.c.id.in_(item_ids))
            return {item_id: float(width) for item_id, width in connection.execute(query)}

        return [ColouringSpec("width", "Image width", "score", widths)]


def test_a_plugin_adds_a_colouring_beside_studios_own(
    small_project: Project, studio_plugins: StudioPlugins
) -> None:
    studio_plugins.register(WidthScore(), "width-score")

    names = [spec.name for spec in small_project.maps.map_colourings()]
    widths = small_project.map_colours("width", small_project.item_ids())

    assert names == ["class", "split", "status", "label_quality", "width"]
    assert set(widths.values()) == {64.0}


def test_an_unknown_colouring_is_refused_naming_those_there_are(small_project: Project) -> None:
    with pytest.raises(DataMapError, match="no map colouring 'quality'; there are: class, split"):
        small_project.map_colours("quality", small_project.item_ids())
