"""Fixtures of the ml tests: versions built from real image files, without a project file.

`scene_version(...)` gives synthetic scenes with exact boxes, polygons and masks;
`tagged_version(...)` gives images whose colour is their class (learnable in a few steps).
Both return a `VersionFixture` (root folder, version record, items, class index).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from studio.core.synthetic_scenes import SCENE_CLASSES, write_scenes
from studio.core.versions import VersionClass, VersionItem, VersionRecord
from studio.ml.data import ClassIndex, VersionDataset
from studio.plugins.manager import StudioPlugins
from tests import plugin_fixtures

isolated_plugin_config = plugin_fixtures.isolated_plugin_config  # autouse
studio_plugins = plugin_fixtures.studio_plugins


@pytest.fixture(autouse=True)
def _studios_own_plugins(studio_plugins: StudioPlugins) -> StudioPlugins:
    """Every ml test runs with Studio's own plugins only, whatever is installed."""
    return studio_plugins


COLOURS = {"red": (200, 40, 40), "green": (40, 180, 60), "blue": (40, 60, 200)}


@dataclass(frozen=True)
class VersionFixture:
    root: Path
    version: VersionRecord
    items: list[VersionItem]
    class_index: ClassIndex

    def dataset(self, task: str, transforms: Callable[..., Any] | None = None) -> VersionDataset:
        """The fixture's items as a dataset for `task`."""
        return VersionDataset(self.items, self.root, task, self.class_index, transforms)


def version_record(names: Sequence[str], first_id: int = 10) -> VersionRecord:
    classes = tuple(
        VersionClass(id=first_id + index, name=name, color="#ff0000")
        for index, name in enumerate(names)
    )
    return VersionRecord(
        id=1,
        name="v1",
        created_at=0.0,
        author="tester",
        note="",
        seed=0,
        ratios={"train": 0.8, "val": 0.1, "test": 0.1},
        classes=classes,
        counts={},
        content_hash="0" * 64,
    )


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def annotation(
    annotation_id: int, class_id: int, kind: str, geometry: object = None
) -> dict[str, object]:
    return {
        "id": annotation_id,
        "class_id": class_id,
        "kind": kind,
        "geometry": geometry,
        "attributes": {},
    }


def make_scene_version(
    root: Path, count: int = 4, geometry: str = "polygon", seed: int = 0, size: int = 96
) -> VersionFixture:
    """Scenes in `root/scenes`, one annotation of kind `geometry` per object, split train."""
    version = version_record(SCENE_CLASSES)
    class_of = {entry.name: entry.id for entry in version.classes}
    scenes = write_scenes(root / "scenes", count, seed=seed, size=size)
    items = []
    for index, scene in enumerate(scenes):
        shapes = [
            {"box": list(o.box), "polygon": [o.polygon], "mask": o.mask}[geometry]
            for o in scene.objects
        ]
        annotations = tuple(
            annotation(100 * index + n, class_of[o.label], geometry, shape)
            for n, (o, shape) in enumerate(zip(scene.objects, shapes, strict=True))
        )
        items.append(
            VersionItem(
                item_id=index + 1,
                path=str(scene.path.relative_to(root)),
                sha256=_sha256(scene.path),
                width=scene.width,
                height=scene.height,
                status="done",
                split="train",
                annotations=annotations,
            )
        )
    return VersionFixture(root, version, items, ClassIndex.of(version))


def make_tagged_version(
    root: Path,
    per_class: int = 4,
    names: Sequence[str] = ("red", "green", "blue"),
    size: tuple[int, int] = (40, 30),
    multilabel: bool = False,
) -> VersionFixture:
    """Images coloured by their class (noisy); multilabel: two bands, two tags (or one)."""
    version = version_record(names)
    rng = np.random.default_rng(0)
    folder = root / "tagged"
    folder.mkdir(parents=True, exist_ok=True)
    items = []
    for index in range(per_class * len(names)):
        tags = [names[index % len(names)]]
        if multilabel and index % 2:
            tags.append(names[(index + 1) % len(names)])
        pixels = np.zeros((size[1], size[0], 3), dtype=np.float32)
        for band, name in enumerate(tags):
            rows = slice(band * size[1] // len(tags), (band + 1) * size[1] // len(tags))
            pixels[rows] = COLOURS.get(name, (128, 128, 128))
        pixels += rng.normal(0, 12, pixels.shape)
        path = folder / f"image_{index:03d}.png"
        Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)).save(path)
        class_ids = [version.classes[names.index(name)].id for name in tags]
        items.append(
            VersionItem(
                item_id=index + 1,
                path=str(path.relative_to(root)),
                sha256=_sha256(path),
                width=size[0],
                height=size[1],
                status="done",
                split="train",
                annotations=tuple(
                    annotation(1000 + 10 * index + n, class_id, "tag")
                    for n, class_id in enumerate(class_ids)
                ),
            )
        )
    return VersionFixture(root, version, items, ClassIndex.of(version))


@pytest.fixture
def scene_version(tmp_path: Path) -> Callable[..., VersionFixture]:
    """A factory: `scene_version(count=4, geometry="polygon", seed=0, size=96)`."""

    def make(**options: object) -> VersionFixture:
        return make_scene_version(tmp_path, **options)

    return make


@pytest.fixture
def tagged_version(tmp_path: Path) -> Callable[..., VersionFixture]:
    """A factory: `tagged_version(per_class=4, names=(...), size=(40, 30), multilabel=False)`."""

    def make(**options: object) -> VersionFixture:
        return make_tagged_version(tmp_path, **options)

    return make


@pytest.fixture(autouse=True)
def empty_torch_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A TORCH_HOME with an empty hub cache, so "auto" finds no pretrained weights and no
    test depends on what the machine's own torch cache holds."""
    home = tmp_path / "torch_home"
    monkeypatch.setenv("TORCH_HOME", str(home))
    return home
