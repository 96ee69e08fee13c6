"""Small real projects for the Segment Anything tests: scikit-image photographs shrunk to at
most 96 pixels, one class, and the tiny random SAM saved as a checkpoint; and one embedding
cache for a whole test module, since its workers take seconds each (import the two fixtures
`shared_cache` and `use_shared_cache` into the module)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image
from skimage import data

from studio.api import Project
from studio.ml.sam.checkpoint import save_random_sam

PHOTOS = ("coffee", "chelsea")
CLASS = "thing"


def photo_project(folder: Path, photos: tuple[str, ...] = PHOTOS) -> Path:
    """A project of the named scikit-image photographs (≤ 96 px) with the one class `CLASS`."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name in photos:
        path = folder / f"{name}.png"
        image = Image.fromarray(getattr(data, name)())
        image.thumbnail((96, 96))
        image.save(path)
        paths.append(path)
    project_path = folder / "photos.studio"
    with Project.create(project_path, author="tester") as project:
        project.add_classes([CLASS])
        project.import_media(paths)
    return project_path


def tiny_checkpoint(folder: Path) -> Path:
    """The tiny random SAM (`studio.ml.sam.checkpoint.TINY`) saved as `folder/tiny_sam.pth`."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "tiny_sam.pth"
    save_random_sam(path)
    return path


@pytest.fixture(scope="module")
def shared_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One cache folder (embeddings, exported decoders) for the module's tests."""
    folder = tmp_path_factory.mktemp("sam_cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("STUDIO_CACHE_DIR", str(folder))
        yield folder


@pytest.fixture(autouse=True)
def use_shared_cache(
    shared_cache: Path, _isolated_cache: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each test uses the module's cache instead of its own (set after `_isolated_cache`)."""
    monkeypatch.setenv("STUDIO_CACHE_DIR", str(shared_cache))
