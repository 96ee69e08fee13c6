"""The labels service: the flat methods delegate to it, and a plugin's label format runs
under its plugin's guard, so one that crashes is disabled and changes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from studio.api import (
    PLUGIN_API_VERSION,
    AnnotationKind,
    LabelFormat,
    PluginError,
    Project,
    hookimpl,
)
from studio.core.formats.exporter import ExportTarget
from studio.core.formats.model import ExportSet, ImageLabels, LabelRecord, LabelSet
from studio.core.formats.reading import Control
from studio.plugins.manager import StudioPlugins
from tests.api.plugins import EventRecorder
from tests.conftest import write_images
from tests.test_api import file_state


class BoxLines(LabelFormat):
    """One line per box: `IMAGE LABEL X Y W H`; `write` writes the same lines."""

    name = "box_lines"
    title = "Box lines"
    kinds = frozenset({AnnotationKind.BOX})
    suffixes = (".boxes",)

    def detect(self, path: Path) -> float:
        return 1.0 if path.suffix == ".boxes" else 0.0

    def read(self, path: Path, control: Control) -> LabelSet:
        label_set = LabelSet(self.name, path)
        images: dict[str, ImageLabels] = {}
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            image, label, *box = line.split()
            label_set.add_class(label)
            record = LabelRecord(label, AnnotationKind.BOX, [float(v) for v in box])
            record.where = f"line {number}"
            entry = images.setdefault(image, ImageLabels(image, path.parent / image))
            entry.labels.append(record)
        label_set.images = list(images.values())
        return label_set

    def write(self, export: ExportSet, target: ExportTarget) -> None:
        lines = []
        for entry in export.items:
            name = target.place_image(entry)
            classes = {record.id: record.name for record in export.classes}
            for annotation in entry.annotations:
                box = " ".join(f"{value:g}" for value in annotation.geometry)
                lines.append(f"{name} {classes[annotation.class_id]} {box}")
        target.path("labels.boxes").write_text("\n".join(lines))
        target.exported(len(export.items))


class BoxLinesPlugin:
    STUDIO_PLUGIN_API = PLUGIN_API_VERSION

    def __init__(self, label_format: LabelFormat) -> None:
        self.label_format = label_format

    @hookimpl
    def studio_label_formats(self) -> list[LabelFormat]:
        return [self.label_format]


class BrokenWriter(BoxLines):
    """Writes the images, then fails on the labels, as a buggy writer would."""

    def write(self, export: ExportSet, target: ExportTarget) -> None:
        for entry in export.items:
            target.place_image(entry)
        raise KeyError("class_id")


@pytest.fixture
def project(tmp_path: Path) -> Project:
    with Project.create(tmp_path / "birds.studio", author="tester") as opened:
        opened.add_classes(["crow", "sparrow"])
        opened.import_media(write_images(tmp_path / "images", 3))
        yield opened


def test_the_labels_service_and_the_flat_methods_agree(project: Project) -> None:
    first, second, _ = project.item_ids()
    flat = project.annotate(first, "crow", box=[1, 2, 10, 10])
    served = project.labels.annotate(second, "sparrow", box=[3, 4, 5, 6])
    assert project.labels.annotations(first)[0].id == flat
    assert project.annotations(second)[0].id == served
    assert project.labels.items() == project.items()
    assert project.labels.stats() == project.stats()
    assert project.labels.undo() == project.redo() == project.undo()


def test_a_plugin_format_imports_and_exports(
    project: Project, tmp_path: Path, studio_plugins: StudioPlugins
) -> None:
    studio_plugins.register(BoxLinesPlugin(BoxLines()), "box_lines_plugin")
    source = tmp_path / "images" / "labels.boxes"
    source.write_text("image_0000.jpg crow 1 2 10 10\nimage_0001.jpg heron 0 0 8 8\n")
    report = project.import_labels(source)
    assert (report.format, report.annotations_added, report.new_classes) == (
        "box_lines",
        2,
        ["heron"],
    )
    exported = project.export_labels(tmp_path / "out", "box_lines", images="none")
    assert exported.items == 2
    assert sorted((tmp_path / "out" / "labels.boxes").read_text().splitlines()) == [
        "images/image_0000.jpg crow 1 2 10 10",
        "images/image_0001.jpg heron 0 0 8 8",
    ]


def test_a_plugin_format_that_crashes_while_reading_changes_nothing(
    project: Project, tmp_path: Path, studio_plugins: StudioPlugins
) -> None:
    studio_plugins.register(BoxLinesPlugin(BoxLines()), "box_lines_plugin")
    source = tmp_path / "images" / "labels.boxes"
    source.write_text("image_0000.jpg crow 1 2 10 10\nimage_0001.jpg heron 0 0 eight 8\n")
    before = file_state(project)
    with pytest.raises(PluginError, match=r"'box_lines_plugin' failed in read.*ValueError"):
        project.import_labels(source, replace=True)
    assert file_state(project) == before
    assert "box_lines" not in [label_format.name for label_format in project.label_formats()]
    project.export_labels(tmp_path / "coco", "coco", images="none")  # Studio's own still work


def test_a_plugin_format_that_crashes_while_writing_leaves_no_folder(
    project: Project, tmp_path: Path, studio_plugins: StudioPlugins
) -> None:
    studio_plugins.register(BoxLinesPlugin(BrokenWriter()), "broken_writer")
    project.annotate(project.item_ids()[0], "crow", box=[1, 2, 10, 10])
    before = file_state(project)
    with pytest.raises(PluginError, match=r"'broken_writer' failed in write.*KeyError"):
        project.export_labels(tmp_path / "out", "box_lines")
    assert not (tmp_path / "out").exists()
    assert file_state(project) == before
    [info] = [info for info in studio_plugins.infos() if info.name == "broken_writer"]
    assert info.failed


# -- suggestions ---------------------------------------------------------------------------


def test_suggesting_accepting_and_rejecting_are_announced_after_commit(
    project: Project, studio_plugins: StudioPlugins
) -> None:
    recorder = EventRecorder()
    studio_plugins.register(recorder, "recorder")
    first, second, _ = project.item_ids()
    box = {"label": "crow", "box": [1, 2, 10, 10], "source": "sam"}
    kept, dropped = project.suggest_annotations(
        [{"item_id": first, **box}, {"item_id": second, **box}]
    )
    project.accept_suggestions([kept])
    project.reject_suggestions([dropped])
    events = [
        (arguments["item_ids"], arguments["description"])
        for arguments in recorder.named("studio_annotations_committed")
    ]
    assert events == [
        ([first, second], "Suggest 2 shapes on 2 images"),
        ([first], "Accept 1 suggestion"),
        ([second], "Reject 1 suggestion"),
    ]


def test_the_labels_service_reviews_suggestions_like_the_project(project: Project) -> None:
    first = project.item_ids()[0]
    spec = {"item_id": first, "label": "crow", "box": [1, 2, 10, 10], "source": "model"}
    (by_service,) = project.labels.suggest_annotations([spec])
    (by_project,) = project.suggest_annotations([spec])
    project.labels.accept_suggestions([by_service])
    project.reject_suggestions([by_project])
    assert [a.review for a in project.labels.annotations(first)] == ["accepted"]
    shown = project.annotations(first, include_rejected=True)
    assert [a.review for a in shown] == ["accepted", "rejected"]
