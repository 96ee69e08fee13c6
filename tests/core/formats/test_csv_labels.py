"""CSV image labels (path,label[,split]): detection, multi-label import, export, errors."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from studio.api import LabelImportError, Project
from studio.core.formats.csv_labels import CsvLabelsFormat
from tests.core.formats.helpers import FORMAT_FIXTURES, dump, round_trip
from tests.core.image_files import save_image

FIXTURE = FORMAT_FIXTURES / "csv_labels"


def _contents(project: Project) -> dict[str, tuple]:
    """Image name → (status, split, labels in the order they were added)."""
    result = {}
    for item in project.items():
        labels = [f"{a.label}:{a.kind}" for a in project.annotations(item.id)]
        result[Path(item.path).name] = (item.status, item.split, labels)
    return result


def _dataset(folder: Path, text: str, images: list[str]) -> Path:
    for seed, name in enumerate(images):
        save_image(folder / name, (64, 48), seed=seed + 40)
    (folder / "labels.csv").write_text(text)
    return folder / "labels.csv"


def test_fixture_folder_and_file_are_detected() -> None:
    assert Project.detect_label_format(FIXTURE) == "csv_labels"
    assert Project.detect_label_format(FIXTURE / "labels.csv") == "csv_labels"
    assert CsvLabelsFormat().detect(FORMAT_FIXTURES / "yolo") == 0.0


def test_a_csv_without_label_columns_is_not_detected(tmp_path: Path) -> None:
    (tmp_path / "metrics.csv").write_text("epoch,loss\n1,0.5\n")
    assert CsvLabelsFormat().detect(tmp_path / "metrics.csv") == 0.0
    assert CsvLabelsFormat().detect(tmp_path) == 0.0


def test_import_of_the_fixture(project: Project) -> None:
    report = project.import_labels(FIXTURE)
    assert report.format == "csv_labels"
    assert [c.name for c in project.classes()] == ["sea", "sand", "tree", "moss", "car", "person"]
    assert _contents(project) == {
        "beach.jpg": ("done", "train", ["sea:tag", "sand:tag"]),
        "forest.jpg": ("done", "train", ["tree:tag", "moss:tag"]),
        "night.png": ("done_empty", "val", []),
        "city.jpg": ("done", "val", ["car:tag", "person:tag"]),
    }
    assert report.annotations_added == 6


def test_round_trip_and_the_exported_file(tmp_path: Path) -> None:
    before, after, exported = round_trip(tmp_path, FIXTURE, "csv_labels")
    assert before == after
    assert before["night.png"][0] == "done_empty"
    assert (exported / "labels.csv").read_text() == (
        "path,label,split\n"
        "images/beach.jpg,sea;sand,train\n"
        "images/city.jpg,car;person,val\n"
        "images/forest.jpg,tree;moss,train\n"
        "images/night.png,,val\n"
    )
    assert sorted(p.name for p in (exported / "images").iterdir()) == [
        "beach.jpg",
        "city.jpg",
        "forest.jpg",
        "night.png",
    ]


def test_other_column_names_separators_and_extra_columns(tmp_path: Path, project: Project) -> None:
    file = _dataset(
        tmp_path / "kaggle",
        'Image,Class,notes\r\nphotos/a.jpg,"dog | cat",first\r\nphotos/b.jpg,dog;dog,"x, y"\r\n',
        ["photos/a.jpg", "photos/b.jpg"],
    )
    report = project.import_labels(file)
    assert _contents(project) == {
        "a.jpg": ("done", None, ["dog:tag", "cat:tag"]),
        "b.jpg": ("done", None, ["dog:tag"]),
    }
    assert report.warnings == ["labels.csv: columns ignored: notes"]


def test_export_without_split_column_skips_shapes_and_unsplittable_names(tmp_path: Path) -> None:
    save_image(tmp_path / "media" / "one.jpg", (64, 48), seed=1)
    save_image(tmp_path / "media" / "two.jpg", (64, 48), seed=2)
    with Project.create(tmp_path / "p.studio") as project:
        project.import_media([tmp_path / "media"])
        one, two = project.item_ids()
        project.add_classes(["cat", "a;b"])
        project.annotate(one, "cat")
        project.annotate(one, "a;b")
        project.annotate(two, "cat", box=[1, 1, 10, 10])
        project.set_status([one, two], "done")
        report = project.export_labels(tmp_path / "out", format="csv_labels")
    assert (tmp_path / "out" / "labels.csv").read_text() == (
        "path,label\nimages/one.jpg,cat\nimages/two.jpg,\n"
    )
    assert report.annotations == 1
    assert report.skipped == {
        "tags whose class name contains ; or |": 1,
        "box annotations (CSV holds image classes)": 1,
    }
    with Project.create(tmp_path / "again.studio") as again:
        again.import_labels(tmp_path / "out")
        assert _contents(again) == {
            "one.jpg": ("done", None, ["cat:tag"]),
            "two.jpg": ("done_empty", None, []),
        }


def test_export_without_images_names_the_project_paths(tmp_path: Path) -> None:
    shutil.copytree(FIXTURE, tmp_path / "data")
    with Project.create(tmp_path / "p.studio") as project:
        project.import_labels(tmp_path / "data")
        project.export_labels(tmp_path / "out", format="csv_labels", images="none")
        before = _contents(project)
        assert not (tmp_path / "out" / "images").exists()
        rows = (tmp_path / "out" / "labels.csv").read_text().splitlines()
        assert rows[1] == "data/images/beach.jpg,sea;sand,train"
        report = project.import_labels(tmp_path / "out" / "labels.csv")
        assert (report.items_matched, report.items_added) == (4, 0)
        assert _contents(project) == before


def test_dry_run_writes_nothing(project: Project) -> None:
    before = dump(project.path)
    report = project.import_labels(FIXTURE, dry_run=True)
    assert (report.images, report.annotations_added) == (4, 6)
    assert dump(project.path) == before


@pytest.mark.parametrize(
    ("text", "line", "problem"),
    [
        ("path,label\na.jpg,cat\n\nb.jpg,dog,extra\n", "line 4", "the row has 3 values"),
        ('path,label\na.jpg,"cat\ndog"\n../b.jpg,dog\n', "line 4", "outside the dataset folder"),
        ('path,label\na.jpg,cat\n"b.jpg"x,dog\n', "line 3", "not valid CSV"),
        ("path,label,split\na.jpg,cat,train\nb.jpg,dog,later\n", "line 3", "split 'later'"),
        ("image,labels\na.jpg,cat\nnothing.jpg,cat\n", "line 3", "image file not found"),
    ],
)
def test_errors_name_the_file_and_line(
    tmp_path: Path, project: Project, text: str, line: str, problem: str
) -> None:
    file = _dataset(tmp_path / "bad", text, ["a.jpg", "b.jpg"])
    before = dump(project.path)
    with pytest.raises(LabelImportError) as caught:
        project.import_labels(file, format="csv_labels")
    assert caught.value.file == str(file)
    assert caught.value.record == line
    assert problem in caught.value.problem
    assert dump(project.path) == before


def test_a_folder_with_two_label_csvs_asks_for_one(tmp_path: Path, project: Project) -> None:
    _dataset(tmp_path / "two", "path,label\na.jpg,cat\n", ["a.jpg"])
    (tmp_path / "two" / "more.csv").write_text("path,label\na.jpg,dog\n")
    with pytest.raises(LabelImportError, match="2 csv files"):
        project.import_labels(tmp_path / "two", format="csv_labels")
