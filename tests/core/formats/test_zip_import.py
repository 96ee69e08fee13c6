"""Importing zipped datasets: through the guarded extractor, and nothing changes when it refuses."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from studio.api import Project
from studio.core.errors import LabelImportError
from tests.bundle.zips import REFUSED, make_refused, zip_folder
from tests.core.formats.helpers import FORMAT_FIXTURES, dump, signature


@pytest.fixture
def temporary_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Where the importer's temporary folders go, so a test can see that they are gone."""
    root = tmp_path / "temporary"
    root.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(root))
    return root


@pytest.mark.parametrize("case", sorted(set(REFUSED) - {"not-a-zip"}))
def test_import_of_a_refused_zip_changes_nothing(
    case: str, tmp_path: Path, temporary_root: Path
) -> None:
    archive = make_refused(case, tmp_path)
    with Project.create(tmp_path / "busy.studio") as project:
        project.import_labels(FORMAT_FIXTURES / "coco/annotations/instances_val2017.json")
        before = dump(project.path)

        with pytest.raises(LabelImportError) as caught:
            project.import_labels(archive, format="coco")

        assert archive.name in str(caught.value)
        assert dump(project.path) == before
    assert list(temporary_root.iterdir()) == []
    assert not list(tmp_path.rglob("*evil.txt"))


def test_import_of_a_file_named_zip_that_is_not_one_fails_cleanly(
    tmp_path: Path, temporary_root: Path
) -> None:
    archive = make_refused("not-a-zip", tmp_path)
    with Project.create(tmp_path / "busy.studio") as project:
        before = dump(project.path)
        with pytest.raises(LabelImportError) as caught:
            project.import_labels(archive)
        assert archive.name in str(caught.value)
        assert dump(project.path) == before
    assert list(temporary_root.iterdir()) == []


# -- importing zipped datasets --------------------------------------------------------------


@pytest.mark.parametrize("format_name", ["coco", "label_studio"])
def test_zipped_dataset_imports_into_the_store(
    format_name: str, tmp_path: Path, temporary_root: Path
) -> None:
    source = FORMAT_FIXTURES / format_name
    archive = zip_folder(source, tmp_path / f"{format_name}.zip", top=f"{format_name}-export")
    assert Project.detect_label_format(archive) == format_name
    with Project.create(tmp_path / "unzipped.studio") as unzipped:
        unzipped.import_labels(source)
        expected = signature(unzipped)

    with Project.create(tmp_path / "zipped.studio") as project:
        report = project.import_labels(archive)

        assert report.format == format_name
        assert report.items_added == len(expected)
        assert signature(project) == expected
        for item in project.items():
            stored = project.media_path(item)
            assert stored.is_file()
            assert stored.is_relative_to(project.store_dir / "objects")
    assert list(temporary_root.iterdir()) == []
