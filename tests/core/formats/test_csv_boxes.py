"""Detection CSVs (VoTT, TensorFlow object detection, Roboflow): detection apart from class
CSVs, import of the three layouts, export and round trip, errors."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from studio.api import LabelImportError, Project
from studio.core.formats.csv_boxes import CsvBoxesFormat
from studio.core.formats.csv_labels import CsvLabelsFormat
from tests.cli_helpers import run_cli
from tests.core.formats.helpers import dump, round_trip
from tests.core.image_files import save_image


def boxes(project: Project) -> dict[str, list[tuple]]:
    """Image name → sorted (label, box) of its annotations."""
    return {
        Path(item.path).name: sorted(
            (a.label, a.kind, a.geometry) for a in project.annotations(item.id)
        )
        for item in project.items()
    }


def vott_export(folder: Path) -> Path:
    """VoTT 2's CSV export: every cell quoted, one row per box, images beside the file."""
    save_image(folder / "car_1.jpg", (64, 48), seed=31)
    save_image(folder / "car_2.jpg", (64, 48), seed=32)
    (folder / "Cars-export.csv").write_text(
        '"image","xmin","ymin","xmax","ymax","label"\n'
        '"car_1.jpg",2.5,3,30.25,20,"car"\n'
        '"car_1.jpg",33,5,60,40,"person"\n'
        '"car_2.jpg",0,0,64,48,"car"\n'
    )
    return folder


def tensorflow_csv(folder: Path) -> Path:
    """The CSV of TensorFlow's object detection tutorials (xml_to_csv.py), images in images/."""
    save_image(folder / "images/raccoon-1.jpg", (64, 48), seed=33)
    save_image(folder / "images/raccoon-2.png", (40, 30), seed=34)
    (folder / "train_labels.csv").write_text(
        "filename,width,height,class,xmin,ymin,xmax,ymax\n"
        "raccoon-1.jpg,64,48,raccoon,10,5,50,40\n"
        "raccoon-2.png,40,30,raccoon,1,2,20,28\n"
        "raccoon-2.png,40,30,raccoon,22,2,39,28\n"
    )
    return folder / "train_labels.csv"


def roboflow_export(folder: Path) -> Path:
    """Roboflow's "TensorFlow Object Detection CSV": _annotations.csv beside the images of
    each split folder."""
    for split, seed in (("train", 35), ("valid", 36)):
        name = f"dog_jpg.rf.{seed}.jpg"
        save_image(folder / split / name, (64, 48), seed=seed)
        (folder / split / "_annotations.csv").write_text(
            "filename,width,height,class,xmin,ymin,xmax,ymax\n"
            f"{name},64,48,dog,4,4,{20 + seed},30\n"
        )
    return folder


# -- detection -------------------------------------------------------------------------------


def test_a_box_csv_is_detected_as_boxes_and_not_as_image_classes(tmp_path: Path) -> None:
    folder = vott_export(tmp_path / "vott-csv-export")
    file = folder / "Cars-export.csv"

    assert Project.detect_label_format(file) == "csv_boxes"
    assert Project.detect_label_format(folder) == "csv_boxes"
    assert CsvLabelsFormat().detect(file) == 0
    assert CsvLabelsFormat().detect(folder) == 0
    assert Project.detect_label_format(tensorflow_csv(tmp_path / "tf")) == "csv_boxes"
    assert Project.detect_label_format(roboflow_export(tmp_path / "rf")) == "csv_boxes"


def test_a_class_csv_is_not_taken_for_boxes(tmp_path: Path) -> None:
    (tmp_path / "labels.csv").write_text("path,label\na.jpg,cat\n")
    assert CsvBoxesFormat().detect(tmp_path / "labels.csv") == 0
    assert Project.detect_label_format(tmp_path / "labels.csv") == "csv_labels"


# -- import ----------------------------------------------------------------------------------


def test_a_vott_export_imports_its_boxes_through_the_cli(tmp_path: Path) -> None:
    folder = vott_export(tmp_path / "vott-csv-export")
    project_file = tmp_path / "p.studio"
    Project.create(project_file).close()

    result = run_cli("import-labels", project_file, folder)

    assert result.exit_code == 0, result.output
    with Project.open(project_file) as project:
        assert boxes(project) == {
            "car_1.jpg": [
                ("car", "box", [2.5, 3.0, 27.75, 17.0]),
                ("person", "box", [33.0, 5.0, 27.0, 35.0]),
            ],
            "car_2.jpg": [("car", "box", [0.0, 0.0, 64.0, 48.0])],
        }
        assert [c.name for c in project.classes()] == ["car", "person"]
        assert project.count_items(status="done") == 2


def test_a_tensorflow_csv_imports_with_its_split_and_declared_sizes(
    tmp_path: Path, project: Project
) -> None:
    report = project.import_labels(tensorflow_csv(tmp_path / "tf"))

    assert (report.format, report.images, report.annotations_added) == ("csv_boxes", 2, 3)
    assert report.warnings == []
    assert {item.split for item in project.items()} == {"train"}
    assert boxes(project)["raccoon-2.png"] == [
        ("raccoon", "box", [1.0, 2.0, 19.0, 26.0]),
        ("raccoon", "box", [22.0, 2.0, 17.0, 26.0]),
    ]


def test_a_roboflow_export_takes_the_split_of_each_folder(tmp_path: Path, project: Project) -> None:
    project.import_labels(roboflow_export(tmp_path / "rf"))

    assert sorted((Path(item.path).parent.name, item.split) for item in project.items()) == [
        ("train", "train"),
        ("valid", "val"),
    ]


def test_a_declared_size_that_differs_from_the_image_is_an_error(
    tmp_path: Path, project: Project
) -> None:
    file = tensorflow_csv(tmp_path / "tf")
    file.write_text(file.read_text().replace("raccoon-1.jpg,64,48", "raccoon-1.jpg,640,480"))
    before = dump(project.path)

    with pytest.raises(LabelImportError) as caught:
        project.import_labels(file)

    assert caught.value.file == str(file)
    assert caught.value.record == "line 2"
    assert "declared 640×480 but the file is 64×48" in caught.value.problem
    assert dump(project.path) == before


def test_an_inverted_box_names_the_file_and_line(tmp_path: Path, project: Project) -> None:
    folder = vott_export(tmp_path / "vott")
    file = folder / "Cars-export.csv"
    file.write_text(file.read_text().replace("33,5,60,40", "60,5,33,40"))

    with pytest.raises(LabelImportError) as caught:
        project.import_labels(folder)

    assert (caught.value.file, caught.value.record) == (str(file), "line 3")
    assert "inverted or empty" in caught.value.problem


# -- export ----------------------------------------------------------------------------------


def test_round_trip_keeps_boxes_splits_and_empty_images(tmp_path: Path) -> None:
    source = roboflow_export(tmp_path / "rf")
    save_image(source / "train/empty.jpg", (64, 48), seed=37)
    with open(source / "train/_annotations.csv", "a") as stream:
        stream.write("empty.jpg,64,48,,,,,\n")

    before, after, exported = round_trip(tmp_path, source, "csv_boxes")

    assert before == after
    assert before["empty.jpg"] == ("done_empty", "train", [])
    rows = list(csv.reader(io.StringIO((exported / "labels.csv").read_text())))
    assert rows[0] == [
        "filename", "width", "height", "class", "xmin", "ymin", "xmax", "ymax", "split"
    ]  # fmt: skip
    assert ["images/empty.jpg", "64", "48", "", "", "", "", "", "train"] in rows


def test_export_counts_what_a_box_csv_cannot_hold(tmp_path: Path, project: Project) -> None:
    save_image(tmp_path / "images/a.png", (64, 48), seed=38)
    project.import_media([tmp_path / "images"])
    (item_id,) = project.item_ids()
    project.add_classes(["cat"])
    project.annotate(item_id, "cat", box=[1, 2, 10, 20])
    project.annotate(item_id, "cat")

    report = project.export_labels(tmp_path / "out", format="csv_boxes")

    assert report.annotations == 1
    assert dict(report.skipped) == {"tag annotations (a box CSV holds boxes)": 1}
