"""YOLO (Ultralytics) labels: detection, import of real layouts, export, round trips, errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import yaml

from studio.api import LabelImportError, Project
from studio.core.formats.yolo import join_rings, mask_outlines
from tests.cli_helpers import run_cli
from tests.core.formats.helpers import FORMAT_FIXTURES, dump, round_trip, signature
from tests.core.image_files import save_image

DETECTION = FORMAT_FIXTURES / "yolo"
SEGMENTATION = FORMAT_FIXTURES / "yolo_seg"


def _contents(project: Project) -> dict[str, tuple]:
    """Image name → (status, split, sorted (label, kind, geometry))."""
    result = {}
    for item in project.items():
        annotations = sorted((a.label, a.kind, a.geometry) for a in project.annotations(item.id))
        result[Path(item.path).name] = (item.status, item.split, annotations)
    return result


def _dataset(folder: Path, config: str | None, labels: dict[str, str], images: list[str]) -> Path:
    """A YOLO folder: data.yaml text (or none), label files and 64×48 images."""
    for seed, name in enumerate(images):
        save_image(folder / name, (64, 48), seed=seed + 300)
    for name, text in labels.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
    if config is not None:
        (folder / "data.yaml").write_text(config)
    return folder


# -- detection ---------------------------------------------------------------------------------


def test_fixture_folders_and_data_yaml_are_detected_as_yolo() -> None:
    assert Project.detect_label_format(DETECTION) == "yolo"
    assert Project.detect_label_format(SEGMENTATION) == "yolo"
    assert Project.detect_label_format(DETECTION / "data.yaml") == "yolo"


def test_folder_without_data_yaml_is_detected_by_its_labels_folder(tmp_path: Path) -> None:
    folder = _dataset(
        tmp_path / "flat", None, {"labels/a.txt": "0 0.5 0.5 0.2 0.2\n"}, ["images/a.jpg"]
    )
    (folder / "classes.txt").write_text("cat\n")
    assert Project.detect_label_format(folder) == "yolo"


# -- import --------------------------------------------------------------------------------------


def test_import_of_the_detection_fixture(project: Project) -> None:
    report = project.import_labels(DETECTION)
    assert report.format == "yolo"
    assert [c.name for c in project.classes()] == ["cat", "dog", "bird"]
    assert _contents(project) == {
        "cat_and_dog.jpg": (
            "done",
            "train",
            [("cat", "box", [8.0, 12.0, 16.0, 24.0]), ("dog", "box", [36.0, 6.0, 24.0, 36.0])],
        ),
        "empty_street.jpg": ("done_empty", "train", []),
        "unlabeled.jpg": ("new", "train", []),
        "bird.png": ("done", "val", [("bird", "box", [16.0, 12.0, 32.0, 24.0])]),
    }
    assert report.annotations_added == 3
    assert report.per_class == {"cat": 1, "dog": 1, "bird": 1}


def test_import_of_the_segmentation_fixture_mixes_polygons_and_boxes(project: Project) -> None:
    project.import_labels(SEGMENTATION, format="yolo")
    assert [c.name for c in project.classes()] == ["leaf", "stone"]
    assert _contents(project) == {
        "leaf.jpg": (
            "done",
            "train",
            [("leaf", "polygon", [[16.0, 12.0, 48.0, 12.0, 32.0, 36.0]])],
        ),
        "stone.jpg": (
            "done",
            "val",
            [
                ("leaf", "box", [24.0, 18.0, 16.0, 12.0]),
                ("stone", "polygon", [[8.0, 6.0, 24.0, 6.0, 24.0, 18.0, 8.0, 18.0]]),
            ],
        ),
    }


def test_importing_the_data_yaml_file_equals_importing_its_folder(tmp_path: Path) -> None:
    with Project.create(tmp_path / "a.studio") as first:
        first.import_labels(DETECTION / "data.yaml")
        by_file = _contents(first)
    with Project.create(tmp_path / "b.studio") as second:
        second.import_labels(DETECTION)
        assert _contents(second) == by_file


def test_names_dict_with_gaps_keeps_the_indices_on_export(tmp_path: Path) -> None:
    folder = _dataset(
        tmp_path / "gaps",
        "train: images/train\nval: images/train\nnames:\n  5: zebra\n  0: ant\n  2: cow\n",
        {"labels/train/a.txt": "2 0.5 0.5 0.5 0.5\n5 0.25 0.25 0.25 0.25\n0 0.5 0.5 1 1\n"},
        ["images/train/a.jpg"],
    )
    with Project.create(tmp_path / "gaps.studio") as project:
        project.import_labels(folder)
        assert [c.name for c in project.classes()] == ["ant", "cow", "zebra"]
        assert sorted(a.label for a in project.annotations(project.item_ids()[0])) == [
            "ant",
            "cow",
            "zebra",
        ]
        project.add_classes(["yak"])
        project.export_labels(tmp_path / "out", format="yolo")
    config = yaml.safe_load((tmp_path / "out" / "data.yaml").read_text())
    assert config["names"] == {0: "ant", 2: "cow", 5: "zebra", 6: "yak"}
    lines = (tmp_path / "out" / "labels" / "train" / "a.txt").read_text().splitlines()
    assert sorted(line.split()[0] for line in lines) == ["0", "2", "5"]
    assert "5 0.25 0.25 0.25 0.25" in lines


def test_names_list_order_is_the_class_order(tmp_path: Path) -> None:
    folder = _dataset(
        tmp_path / "list",
        "train: images\nnames: [zebra, ant, cow]\n",
        {"labels/a.txt": "1 0.5 0.5 0.5 0.5\n"},
        ["images/a.jpg"],
    )
    with Project.create(tmp_path / "list.studio") as project:
        project.import_labels(folder)
        assert [c.name for c in project.classes()] == ["zebra", "ant", "cow"]
        # The only key naming the folder gives the split.
        assert project.items()[0].split == "train"
        project.export_labels(tmp_path / "out", format="yolo")
    config = yaml.safe_load((tmp_path / "out" / "data.yaml").read_text())
    assert config["names"] == {0: "zebra", 1: "ant", 2: "cow"}
    assert (tmp_path / "out" / "labels" / "train" / "a.txt").read_text() == "1 0.5 0.5 0.5 0.5\n"


def test_flat_layout_with_classes_txt_has_no_split(tmp_path: Path) -> None:
    folder = _dataset(
        tmp_path / "flat",
        None,
        {"classes.txt": "cat\ndog\n", "labels/a.txt": "1 0.5 0.5 0.5 0.5\n", "labels/b.txt": ""},
        ["images/a.jpg", "images/b.jpg", "images/c.jpg"],
    )
    with Project.create(tmp_path / "flat.studio") as project:
        project.import_labels(folder, format="yolo")
        assert _contents(project) == {
            "a.jpg": ("done", None, [("dog", "box", [16.0, 12.0, 32.0, 24.0])]),
            "b.jpg": ("done_empty", None, []),
            "c.jpg": ("new", None, []),
        }


def test_roboflow_layout_with_parent_relative_paths(tmp_path: Path) -> None:
    folder = _dataset(
        tmp_path / "roboflow",
        "train: ../train/images\nval: ../valid/images\nnc: 1\nnames: ['cat']\n",
        {"train/labels/a.txt": "0 0.5 0.5 0.5 0.5\n", "valid/labels/b.txt": ""},
        ["train/images/a.jpg", "valid/images/b.jpg"],
    )
    with Project.create(tmp_path / "rf.studio") as project:
        project.import_labels(folder)
        contents = _contents(project)
    assert contents["a.jpg"] == ("done", "train", [("cat", "box", [16.0, 12.0, 32.0, 24.0])])
    assert contents["b.jpg"] == ("done_empty", "val", [])


def test_image_lists_give_the_split_of_their_key(tmp_path: Path) -> None:
    folder = _dataset(
        tmp_path / "lists",
        "path: .\ntrain: first.txt\nval: second.txt\nnames: {0: cat}\n",
        {
            "first.txt": "./images/set_a/a.jpg\n./images/set_a/b.jpg\n",
            "second.txt": "images/set_b/c.jpg\n",
            "labels/set_a/a.txt": "0 0.5 0.5 0.5 0.5\n",
            "labels/set_a/b.txt": "",
            "labels/set_b/c.txt": "",
        },
        ["images/set_a/a.jpg", "images/set_a/b.jpg", "images/set_b/c.jpg"],
    )
    with Project.create(tmp_path / "lists.studio") as project:
        project.import_labels(folder)
        contents = _contents(project)
    assert {name: (status, split) for name, (status, split, _) in contents.items()} == {
        "a.jpg": ("done", "train"),
        "b.jpg": ("done_empty", "train"),
        "c.jpg": ("done_empty", "val"),
    }


def test_label_files_without_an_image_are_reported(tmp_path: Path) -> None:
    folder = _dataset(
        tmp_path / "orphans",
        "train: images\nnames: [cat]\n",
        {"labels/a.txt": "", "labels/ghost.txt": "0 0.5 0.5 0.1 0.1\n"},
        ["images/a.jpg"],
    )
    with Project.create(tmp_path / "o.studio") as project:
        report = project.import_labels(folder)
    assert any("1 label files have no image" in w and "ghost.txt" in w for w in report.warnings)


# -- errors --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("0 0.5 0.5 0.5", "4 values"),
        ("0 0.5 0.5 0.5 0.5 0.5", "6 values"),
        ("3 0.5 0.5 0.5 0.5", "class index 3 is not in data.yaml"),
        ("0 nan 0.5 0.5 0.5", "not a finite number"),
        ("0 0.5 abc 0.5 0.5", "'abc' is not a number"),
        ("cat 0.5 0.5 0.5 0.5", "'cat' is not a number"),
        ("0.5 0.5 0.5 0.5 0.5", "is not a whole number"),
        ("0 3.5 0.5 0.5 0.5", "outside"),
    ],
)
def test_bad_label_lines_name_the_file_and_line(
    tmp_path: Path, project: Project, line: str, problem: str
) -> None:
    folder = _dataset(
        tmp_path / "bad",
        "train: images\nnames: [cat, dog, bird]\n",
        {"labels/a.txt": f"1 0.5 0.5 0.2 0.2\n\n{line}\n"},
        ["images/a.jpg"],
    )
    before = dump(project.path)
    with pytest.raises(LabelImportError) as caught:
        project.import_labels(folder, format="yolo")
    assert caught.value.file == str(folder / "labels" / "a.txt")
    assert caught.value.record == "line 3"
    assert problem in caught.value.problem
    assert dump(project.path) == before


def test_labels_without_any_class_names_are_refused(tmp_path: Path, project: Project) -> None:
    folder = _dataset(
        tmp_path / "nameless",
        None,
        {"labels/a.txt": "", "labels/b.txt": "0 0.5 0.5 0.2 0.2\n"},
        ["images/a.jpg", "images/b.jpg"],
    )
    with pytest.raises(LabelImportError) as caught:
        project.import_labels(folder, format="yolo")
    assert caught.value.file == str(folder / "labels" / "b.txt")
    assert caught.value.record == "line 1"
    assert "cannot guess class names" in caught.value.problem


def test_paths_outside_the_dataset_are_refused(tmp_path: Path, project: Project) -> None:
    save_image(tmp_path / "elsewhere" / "x.jpg", (64, 48), seed=1)
    folder = _dataset(
        tmp_path / "escape", "train: ../elsewhere\nnames: [cat]\n", {}, ["images/a.jpg"]
    )
    with pytest.raises(LabelImportError) as caught:
        project.import_labels(folder, format="yolo")
    assert caught.value.file == str(folder / "data.yaml")
    assert "outside the dataset folder" in caught.value.problem
    assert project.item_ids() == []


def test_unsafe_yaml_tags_are_refused(tmp_path: Path, project: Project) -> None:
    folder = _dataset(
        tmp_path / "tagged",
        "train: images\nnames: !!python/object/apply:os.system ['echo hacked']\n",
        {},
        ["images/a.jpg"],
    )
    with pytest.raises(LabelImportError) as caught:
        project.import_labels(folder, format="yolo")
    assert caught.value.record == "line 2"
    assert "not valid plain YAML" in caught.value.problem


@pytest.mark.parametrize(
    ("config", "record", "problem"),
    [
        ('train: "images\\0x"\nnames: [cat]\n', "train", "not a usable path"),
        ("train: [images, 7]\nnames: [cat]\n", "train", "should be a path"),
        ("train: images\nnames: cat\n", None, "names should be a list or a mapping"),
        ("train: images\nnames: {-1: cat}\n", None, "not a whole number ≥ 0"),
        ("train: images\nnames: [cat, dog, cat]\n", "names[2]", "also index 0"),
        ("train: images\nnames: [yes, no]\n", "names[0]", "quote it"),
        ("- just\n- a list\n", None, "should be a YAML mapping"),
        ("train: images\nnames: [cat\n", "line 3", "not valid plain YAML"),
    ],
)
def test_bad_data_yaml_is_refused(
    tmp_path: Path, project: Project, config: str, record: str | None, problem: str
) -> None:
    folder = _dataset(tmp_path / "config", config, {"labels/a.txt": ""}, ["images/a.jpg"])
    with pytest.raises(LabelImportError) as caught:
        project.import_labels(folder, format="yolo")
    assert caught.value.file == str(folder / "data.yaml")
    assert caught.value.record == record
    assert problem in caught.value.problem


# -- export ------------------------------------------------------------------------------------


def test_detection_round_trip_keeps_everything_labeled(tmp_path: Path) -> None:
    before, after, exported = round_trip(tmp_path, DETECTION, "yolo")
    # Items nobody labeled are not exported (a trainer would read them as empty images).
    assert before.pop("unlabeled.jpg")[0] == "new"
    assert before == after
    assert set(after) == {"cat_and_dog.jpg", "empty_street.jpg", "bird.png"}
    assert (exported / "labels" / "train" / "cat_and_dog.txt").read_text() == (
        "0 0.25 0.5 0.25 0.5\n1 0.75 0.5 0.375 0.75\n"
    )
    assert (exported / "labels" / "train" / "empty_street.txt").read_text() == ""
    assert (exported / "labels" / "val" / "bird.txt").read_text() == "2 0.5 0.5 0.5 0.5\n"
    assert (exported / "images" / "val" / "bird.png").is_file()
    assert not (exported / "images" / "train" / "unlabeled.jpg").exists()
    assert yaml.safe_load((exported / "data.yaml").read_text()) == {
        "path": ".",
        "train": "images/train",
        "val": "images/val",
        "names": {0: "cat", 1: "dog", 2: "bird"},
    }


def test_segmentation_round_trip(tmp_path: Path) -> None:
    before, after, exported = round_trip(tmp_path, SEGMENTATION, "yolo")
    assert before == after
    assert len(before["stone.jpg"][2]) == 2
    assert (exported / "labels" / "val" / "stone.txt").read_text() == (
        "1 0.125 0.125 0.375 0.125 0.375 0.375 0.125 0.375\n0 0.5 0.5 0.25 0.25\n"
    )


def _project_with_image(tmp_path: Path, name: str = "p") -> tuple[Project, int]:
    save_image(tmp_path / "media" / "photo.jpg", (64, 48), seed=5)
    project = Project.create(tmp_path / f"{name}.studio")
    project.import_media([tmp_path / "media"])
    return project, project.item_ids()[0]


def test_boxes_round_trip_within_a_thousandth_of_a_pixel(tmp_path: Path) -> None:
    project, item = _project_with_image(tmp_path)
    boxes = [[0.123457, 7.777777, 20.333333, 13.567891], [41.1, 0.0, 22.9, 47.999]]
    with project:
        project.add_classes(["thing"])
        for box in boxes:
            project.annotate(item, "thing", box=box)
        project.export_labels(tmp_path / "out", format="yolo")
    with Project.create(tmp_path / "again.studio") as again:
        again.import_labels(tmp_path / "out")
        got = sorted(a.geometry for a in again.annotations(again.item_ids()[0]))
    for expected, box in zip(sorted(boxes), got, strict=True):
        assert np.abs(np.asarray(expected) - np.asarray(box)).max() < 1e-3


def test_masks_become_polygons_and_tags_are_skipped(tmp_path: Path) -> None:
    project, item = _project_with_image(tmp_path)
    mask = np.zeros((48, 64), bool)
    mask[5:25, 10:30] = True
    with project:
        project.add_classes(["blob", "sunny"])
        project.annotate(item, "blob", mask=mask)
        project.annotate(item, "sunny")
        report = project.export_labels(tmp_path / "out", format="yolo")
    assert report.annotations == 1
    assert report.skipped == {"tag annotations (YOLO holds boxes and polygons)": 1}
    (line,) = (tmp_path / "out" / "labels" / "photo.txt").read_text().splitlines()
    values = [float(v) for v in line.split()]
    assert values[0] == 0
    xs, ys = np.asarray(values[1::2]) * 64, np.asarray(values[2::2]) * 48
    assert (xs.min(), xs.max(), ys.min(), ys.max()) == pytest.approx((10, 30, 5, 25), abs=1e-3)
    with Project.create(tmp_path / "again.studio") as again:
        again.import_labels(tmp_path / "out")
        (polygon,) = again.annotations(again.item_ids()[0])
    assert polygon.kind == "polygon"
    assert polygon.label == "blob"


def test_mask_outlines_drop_holes_and_specks() -> None:
    mask = np.zeros((20, 30), bool)
    mask[2:12, 2:12] = True
    mask[5:8, 5:8] = False  # a hole
    mask[15:18, 20:28] = True  # a second part
    mask[0, 29] = True  # a speck smaller than a pixel's outline
    rings = mask_outlines(mask)
    spans = sorted((min(r[0::2]), max(r[0::2]), min(r[1::2]), max(r[1::2])) for r in rings)
    assert spans == [(2, 12, 2, 12), (20, 28, 15, 18)]


def test_join_rings_links_parts_into_one_outline() -> None:
    square = [0.0, 0.0, 2.0, 0.0, 2.0, 2.0, 0.0, 2.0]
    far = [10.0, 0.0, 12.0, 0.0, 12.0, 2.0]
    joined = join_rings([square, far])
    points = list(zip(joined[0::2], joined[1::2], strict=True))
    assert set(points) == {(0, 0), (2, 0), (2, 2), (0, 2), (10, 0), (12, 0), (12, 2)}
    assert len(points) == 4 + 3 + 2  # each part once, plus the bridge back


def test_unsplit_images_use_the_flat_layout_and_come_back_unsplit(tmp_path: Path) -> None:
    project, item = _project_with_image(tmp_path)
    with project:
        project.add_classes(["thing"])
        project.annotate(item, "thing", box=[8, 12, 16, 24])
        project.export_labels(tmp_path / "out", format="yolo")
    config = yaml.safe_load((tmp_path / "out" / "data.yaml").read_text())
    assert (config["train"], config["val"]) == ("images", "images")
    assert (tmp_path / "out" / "labels" / "photo.txt").read_text() == "0 0.25 0.5 0.25 0.5\n"
    with Project.create(tmp_path / "again.studio") as again:
        again.import_labels(tmp_path / "out")
        assert _contents(again) == {
            "photo.jpg": ("done", None, [("thing", "box", [8.0, 12.0, 16.0, 24.0])])
        }


def test_unsplit_images_beside_split_ones_go_to_train(tmp_path: Path) -> None:
    with Project.create(tmp_path / "p.studio") as project:
        project.import_labels(DETECTION)
        bird = next(i.id for i in project.items() if i.path.endswith("bird.png"))
        project.set_split(bird, None)
        report = project.export_labels(tmp_path / "out", format="yolo")
    assert report.warnings == ["1 images without a split were written to the train split"]
    assert (tmp_path / "out" / "labels" / "train" / "bird.txt").is_file()
    config = yaml.safe_load((tmp_path / "out" / "data.yaml").read_text())
    assert (config["train"], config["val"]) == ("images/train", "images/train")


def test_images_differing_only_by_suffix_keep_separate_label_files(tmp_path: Path) -> None:
    save_image(tmp_path / "media" / "a.jpg", (64, 48), seed=1)
    save_image(tmp_path / "media" / "a.png", (64, 48), seed=2)
    with Project.create(tmp_path / "p.studio") as project:
        project.import_media([tmp_path / "media"])
        project.add_classes(["thing"])
        for number, item in enumerate(project.item_ids()):
            project.annotate(item, "thing", box=[number, 0, 10, 10])
        project.set_status(project.item_ids(), "done")
        project.export_labels(tmp_path / "out", format="yolo")
        before = signature(project)
    assert len(list((tmp_path / "out" / "labels").rglob("a.txt"))) == 2
    with Project.create(tmp_path / "again.studio") as again:
        again.import_labels(tmp_path / "out")
        assert signature(again) == before


def test_dry_run_writes_nothing(tmp_path: Path, project: Project) -> None:
    before = dump(project.path)
    report = project.import_labels(DETECTION, dry_run=True)
    assert report.annotations_added == 3
    assert report.items_added == 4
    assert dump(project.path) == before


# -- pose ----------------------------------------------------------------------------------------
# Written after Ultralytics' own pose datasets: coco8-pose.yaml (kpt_shape [17, 3], flip_idx),
# tiger-pose.yaml (kpt_shape [12, 2]), and the kpt_names dict of its newer dataset yamls.


def test_pose_dataset_with_visibility_imports_box_and_named_keypoints(tmp_path: Path) -> None:
    folder = _dataset(
        tmp_path / "coco8-pose",
        "path: ../datasets/coco8-pose\ntrain: images/train\nval: images/val\ntest:\n"
        "kpt_shape: [3, 3]\nflip_idx: [0, 2, 1]\nnames:\n  0: person\n"
        "kpt_names:\n  0: [nose, left_eye, right_eye]\n",
        {
            "labels/train/a.txt": "0 0.5 0.5 0.5 0.5 0.5 0.375 2.000000 0.25 0.5 1.0 0 0 0\n",
            "labels/val/b.txt": "",
        },
        ["images/train/a.jpg", "images/val/b.jpg"],
    )
    with Project.create(tmp_path / "pose.studio") as project:
        report = project.import_labels(folder)
        contents = _contents(project)
        classes = {record.name: dict(record.meta) for record in project.classes()}

    assert contents["a.jpg"] == (
        "done",
        "train",
        [
            ("person", "box", [16.0, 12.0, 32.0, 24.0]),
            ("person", "keypoints", [[32.0, 18.0, 2], [16.0, 24.0, 1], [0.0, 0.0, 0]]),
        ],
    )
    assert contents["b.jpg"] == ("done_empty", "val", [])
    assert classes == {
        "person": {"keypoints": ["nose", "left_eye", "right_eye"], "flip_idx": [0, 2, 1]}
    }
    assert any("../datasets/coco8-pose" in warning for warning in report.warnings)


def test_pose_dataset_of_two_values_a_point_numbers_the_keypoints(tmp_path: Path) -> None:
    folder = _dataset(
        tmp_path / "tiger-pose",
        "path: tiger-pose\ntrain: train\nval: val\nkpt_shape: [2, 2]\nnames:\n  0: tiger\n",
        {"train/labels/a.txt": "0 0.5 0.5 0.5 0.5 0.5 0.25 0 0\n"},
        ["train/images/a.jpg"],
    )
    with Project.create(tmp_path / "tiger.studio") as project:
        project.import_labels(folder, format="yolo")
        contents = _contents(project)
        assert [dict(record.meta) for record in project.classes()] == [{"keypoints": ["1", "2"]}]

    assert contents["a.jpg"][2] == [
        ("tiger", "box", [16.0, 12.0, 32.0, 24.0]),
        ("tiger", "keypoints", [[32.0, 12.0, 2], [0.0, 0.0, 0]]),
    ]


def test_pose_line_of_the_wrong_length_names_kpt_shape(tmp_path: Path, project: Project) -> None:
    folder = _dataset(
        tmp_path / "pose",
        "train: images\nkpt_shape: [2, 3]\nnames: [person]\n",
        {"labels/a.txt": "0 0.5 0.5 0.5 0.5 0.1 0.1 2\n"},
        ["images/a.jpg"],
    )
    with pytest.raises(LabelImportError) as caught:
        project.import_labels(folder)
    assert (caught.value.file, caught.value.record) == (str(folder / "labels/a.txt"), "line 1")
    assert "kpt_shape [2, 3]" in caught.value.problem
    assert project.item_ids() == []


def test_pose_dataset_imports_through_the_cli(tmp_path: Path) -> None:
    folder = _dataset(
        tmp_path / "pose",
        "train: images\nkpt_shape: [1, 3]\nnames: [hand]\n",
        {"labels/a.txt": "0 0.5 0.5 0.5 0.5 0.5 0.5 2\n"},
        ["images/a.jpg"],
    )
    Project.create(tmp_path / "p.studio").close()
    result = run_cli("import-labels", tmp_path / "p.studio", folder, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["annotations_per_class"] == {"hand": 2}
