"""The scripting guide's examples (docs/examples/) run with `studio script run` against a real
project, run the same from a notebook, and are shown in docs/scripting.md as they are on disk."""

from __future__ import annotations

import csv
import runpy
from pathlib import Path

import pytest

from studio.api import Project
from tests.cli_helpers import run_cli
from tests.conftest import write_images

DOCS = Path(__file__).parents[2] / "docs"
EXAMPLES = DOCS / "examples"
# Boxes [x, y, width, height] per image of the project: two wide birds, two narrow ones.
BOXES = {
    "image_0000.jpg": [("bird", [2, 2, 40, 30]), ("bird", [30, 10, 10, 8])],
    "image_0001.jpg": [("bird", [4, 4, 12, 12])],
    "image_0002.jpg": [("bird", [0, 0, 60, 44])],
}


@pytest.fixture
def birds(tmp_path: Path) -> Path:
    """A project of four real images, three with boxes, two of them in the train split."""
    path = tmp_path / "birds.studio"
    with Project.create(path, author="tester") as project:
        project.import_media(write_images(tmp_path / "images", 4))
        ids = {Path(item.path).name: item.id for item in project.items()}
        project.add_classes(["bird"])
        project.add_annotations(
            {"item_id": ids[name], "label": label, "box": box}
            for name, boxes in BOXES.items()
            for label, box in boxes
        )
        project.set_split([ids["image_0000.jpg"], ids["image_0001.jpg"]], "train")
    return path


def labels_by_width(path: Path) -> list[tuple[str, float]]:
    with Project.open(path) as project:
        return sorted(
            (annotation.label, annotation.geometry[2])
            for item_id in project.item_ids()
            for annotation in project.annotations(item_id)
        )


def test_relabel_by_rule_moves_the_narrow_boxes_to_the_new_class(birds: Path) -> None:
    script = EXAMPLES / "relabel_by_rule.py"

    result = run_cli(
        "script", "run", script, birds, "--", "bird", "distant bird", "--max-width", "20"
    )

    assert result.exit_code == 0, result.output
    assert result.stdout == "relabelled 2 boxes from 'bird' to 'distant bird'\n"
    assert labels_by_width(birds) == [
        ("bird", 40.0),
        ("bird", 60.0),
        ("distant bird", 10.0),
        ("distant bird", 12.0),
    ]


def write_survey(folder: Path, *rows: str) -> Path:
    path = folder / "survey.csv"
    path.write_text("file;species;left;top;right;bottom\n" + "".join(f"{row}\n" for row in rows))
    return path


def test_import_custom_csv_adds_every_box_as_one_undo_step(birds: Path, tmp_path: Path) -> None:
    survey = write_survey(tmp_path, "image_0003.jpg;crow;10;5;30;25", "image_0001.jpg;owl;0;0;8;6")

    result = run_cli("script", "run", EXAMPLES / "import_custom_csv.py", birds, "--", survey)

    assert result.exit_code == 0, result.output
    assert result.stdout == "added 2 boxes from survey.csv\n"
    with Project.open(birds) as project:
        crow = project.annotations(project.item_ids(text="image_0003")[0])
        assert [(a.label, a.geometry) for a in crow] == [("crow", [10.0, 5.0, 20.0, 20.0])]
        project.undo()
        assert project.stats().annotations == 4


def test_import_custom_csv_with_an_unknown_image_names_the_row_and_changes_nothing(
    birds: Path, tmp_path: Path
) -> None:
    survey = write_survey(tmp_path, "image_0003.jpg;crow;10;5;30;25", "missing.jpg;owl;0;0;8;6")

    result = run_cli("script", "run", EXAMPLES / "import_custom_csv.py", birds, "--", survey)

    assert result.exit_code == 1
    assert f"{survey}:3: no image named 'missing.jpg'" in result.stderr
    assert len(result.stderr.splitlines()) == 1
    with Project.open(birds) as project:
        assert project.stats().annotations == 4
        assert [label.name for label in project.classes()] == ["bird"]


def test_class_report_counts_images_boxes_and_median_size_per_class_and_split(
    birds: Path, tmp_path: Path
) -> None:
    report = tmp_path / "report.csv"

    result = run_cli("script", "run", EXAMPLES / "class_report.py", birds, "--", report)

    assert result.exit_code == 0, result.output
    with report.open(newline="") as file:
        rows = list(csv.DictReader(file))
    assert rows == [
        {"class": "bird", "split": "none", "images": "1", "boxes": "1", "median box side": "51.4"},
        {"class": "bird", "split": "train", "images": "2", "boxes": "3", "median box side": "12.0"},
    ]


def test_the_examples_run_from_a_notebook_with_the_project_opened_there(
    birds: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    relabel = runpy.run_path(str(EXAMPLES / "relabel_by_rule.py"))["main"]

    with Project.open(birds) as project:
        relabel(project, ["bird", "small bird", "--max-width", "11"])
        runpy.run_path(str(EXAMPLES / "class_report.py"), {"project": project, "args": []})

    assert capsys.readouterr().out.splitlines() == [
        "relabelled 1 boxes from 'bird' to 'small bird'",
        "class,split,images,boxes,median box side",
        "bird,none,1,1,51.4",
        "bird,train,2,2,23.3",
        "small bird,train,1,1,8.9",
    ]


@pytest.mark.parametrize("example", sorted(EXAMPLES.glob("*.py")), ids=lambda path: path.name)
def test_the_guide_shows_each_example_as_it_is_on_disk(example: Path) -> None:
    guide = (DOCS / "scripting.md").read_text(encoding="utf-8")

    assert f"```python\n{example.read_text(encoding='utf-8')}```" in guide
