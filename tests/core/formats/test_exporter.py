"""The exporter's guarantees: which items go out, atomic output, image modes, filters."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from studio.api import LabelExportError, Project
from studio.core.formats import coco
from tests.conftest import modes
from tests.core.image_files import save_image


@pytest.fixture
def labeled(project: Project, tmp_path: Path) -> Project:
    """Four images: two boxed (train, val), one rejected, one untouched."""
    folder = tmp_path / "photos"
    for index in range(4):
        save_image(folder / f"p{index}.jpg", (64, 48), seed=index)
    project.import_media([folder])
    project.add_classes(["cat"])
    ids = project.item_ids()
    project.annotate(ids[0], "cat", box=[1, 1, 10, 10])
    project.annotate(ids[1], "cat", box=[2, 2, 10, 10])
    project.annotate(ids[2], "cat", box=[3, 3, 10, 10])
    project.set_split(ids[0], "train")
    project.set_split(ids[1], "val")
    project.set_status(ids[2], "rejected")
    return project


def exported_names(folder: Path) -> dict[str, list[str]]:
    found = {}
    for file in sorted((folder / "annotations").glob("*.json")):
        document = json.loads(file.read_text())
        found[file.stem] = [image["file_name"] for image in document["images"]]
    return found


def test_rejected_and_unlabeled_items_are_left_out(labeled: Project, tmp_path: Path) -> None:
    report = labeled.export_labels(tmp_path / "out", "coco")
    assert (report.items, report.annotations, report.images_written) == (2, 2, 2)
    assert exported_names(tmp_path / "out") == {
        "instances_train": ["p0.jpg"],
        "instances_val": ["p1.jpg"],
    }
    assert (tmp_path / "out/images/train/p0.jpg").is_file()


def test_split_and_filters_choose_the_items(labeled: Project, tmp_path: Path) -> None:
    labeled.export_labels(tmp_path / "val", "coco", split="val")
    assert exported_names(tmp_path / "val") == {"instances_val": ["p1.jpg"]}
    only = labeled.item_ids(text="p0")
    labeled.export_labels(tmp_path / "chosen", "coco", item_ids=only)
    assert exported_names(tmp_path / "chosen") == {"instances_train": ["p0.jpg"]}


def test_a_non_empty_destination_needs_overwrite(labeled: Project, tmp_path: Path) -> None:
    destination = tmp_path / "out"
    destination.mkdir()
    (destination / "keep.txt").write_text("mine")
    with pytest.raises(LabelExportError, match="not empty"):
        labeled.export_labels(destination, "coco")
    assert [p.name for p in destination.iterdir()] == ["keep.txt"]
    labeled.export_labels(destination, "coco", overwrite=True)
    assert not (destination / "keep.txt").exists()
    assert (destination / "annotations").is_dir()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".out")] == []


def test_a_failing_writer_leaves_no_trace(
    labeled: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    destination = tmp_path / "out"
    destination.mkdir()
    (destination / "old.txt").write_text("previous export")

    def broken(*args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(coco, "_document", broken)
    with pytest.raises(OSError, match="disk full"):
        labeled.export_labels(destination, "coco", overwrite=True)
    assert [p.name for p in destination.iterdir()] == ["old.txt"]
    leftovers = [p.name for p in tmp_path.iterdir() if not p.name.startswith("test.studio")]
    assert sorted(leftovers) == ["out", "photos"]


def test_link_and_none_image_modes(labeled: Project, tmp_path: Path) -> None:
    report = labeled.export_labels(tmp_path / "linked", "coco", images="link")
    linked = tmp_path / "linked/images/train/p0.jpg"
    assert report.images_written == 2
    assert linked.is_symlink() or os.stat(linked).st_nlink > 1
    report = labeled.export_labels(tmp_path / "bare", "coco", images="none")
    assert report.images_written == 0
    assert not (tmp_path / "bare/images").exists()
    assert exported_names(tmp_path / "bare")["instances_train"] == ["photos/p0.jpg"]
    with pytest.raises(LabelExportError, match="images must be one of"):
        labeled.export_labels(tmp_path / "x", "coco", images="move")


def test_reimporting_a_labels_only_export_matches_the_items(
    labeled: Project, tmp_path: Path
) -> None:
    labeled.export_labels(tmp_path / "bare", "coco", images="none")
    report = labeled.import_labels(tmp_path / "bare")
    assert (report.items_added, report.items_matched, report.duplicates_skipped) == (0, 2, 2)


def test_annotations_a_format_cannot_hold_are_counted(labeled: Project, tmp_path: Path) -> None:
    item_id = labeled.item_ids(text="p0")[0]
    labeled.set_image_tags(item_id, ["cat"])
    report = labeled.export_labels(tmp_path / "out", "coco")
    assert report.skipped == {"tag annotations (COCO has no place)": 1}
    assert "not exported: 1 tag annotations" in report.summary()


def test_same_file_names_in_two_folders_stay_apart(project: Project, tmp_path: Path) -> None:
    save_image(tmp_path / "a/x.jpg", (64, 48), seed=1)
    save_image(tmp_path / "b/x.jpg", (64, 48), seed=2)
    project.import_media([tmp_path / "a", tmp_path / "b"])
    project.add_classes(["cat"])
    for item_id in project.item_ids():
        project.annotate(item_id, "cat", box=[1, 1, 5, 5])
    project.export_labels(tmp_path / "out", "coco")
    names = exported_names(tmp_path / "out")["instances_default"]
    assert len(set(names)) == 2
    for name in names:
        assert (tmp_path / "out/images/default" / name).is_file()


@pytest.mark.usefixtures("umask_022")
def test_an_export_gets_the_usual_permissions_not_private_ones(
    labeled: Project, tmp_path: Path
) -> None:
    for image in (tmp_path / "photos").iterdir():
        image.chmod(0o600)  # a private source image: its copy is still readable
    destination = tmp_path / "out"
    labeled.export_labels(destination, "coco")
    assert modes(destination) == {("dir", 0o755), ("file", 0o644)}


# Every format writes what the exporter's one choice of annotations hands it; three kinds of
# writer (one file, a file per image, a file per image plus a class list) stand for them.
BOX_FORMATS = ["coco", "labelme", "yolo"]


@pytest.mark.parametrize("format_name", BOX_FORMATS)
def test_pending_suggestions_stay_out_of_every_format_unless_asked_for(
    labeled: Project, tmp_path: Path, format_name: str
) -> None:
    ids = labeled.item_ids()
    labeled.suggest_annotations(
        [
            {"item_id": ids[0], "label": "cat", "box": [20, 20, 8, 8], "source": "model"},
            {"item_id": ids[3], "label": "cat", "box": [5, 5, 8, 8], "source": "model"},
        ]
    )
    left_out = labeled.export_labels(tmp_path / "final", format_name, images="none")
    assert (left_out.items, left_out.annotations) == (2, 2)
    included = labeled.export_labels(
        tmp_path / "pending", format_name, images="none", include_pending=True
    )
    assert (included.items, included.annotations) == (3, 4)
