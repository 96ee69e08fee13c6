"""Label Studio JSON: the task list Label Studio exports, and one it can import.

Import reads the "JSON" export (a list of tasks), a file or a folder holding one. Each task
names its image in `data.image`: an upload path (`/data/upload/1/3fa2b1c4-photo.jpg`), a URL
(`http://…`, `s3://…`, `/data/local-files/?d=…`) or a plain relative name. Only the last path
part of an upload path or URL is used: the image is looked for as named, then without the
8-hex-digit prefix Label Studio gives uploads, beside the JSON file and in its `images/`
folder; an image not found there is matched with a project item of that name.

Results: `rectanglelabels` (percent of the image size; a rectangle with a `rotation` becomes a
rotated box: Label Studio turns it clockwise about its top-left corner, Studio about its
centre, and the corners are the same), `polygonlabels`, `keypointlabels` (one point each) and
`choices` (image tags). Other result types (brushes, text areas, ratings…) are not imported and
are counted in the report's warnings. Of several annotations of a task (several annotators) the
most recent one that was not cancelled is imported, with a warning; a task with no annotation
is not labeled, one whose annotation has an empty result is labeled empty. Drafts (work not
submitted) are counted in the warnings. Predictions become model labels with their scores. The
JSON-MIN export (flat records without `data`) is detected and refused with its name.

Export writes `tasks.json` with each image copied to `images/`, human labels as the task's
annotation and model labels as its prediction, plus `config.xml`, the labeling config of a
matching project. To continue in Label Studio: create a project, paste `config.xml` under
Settings → Labeling Interface → Code, then import `tasks.json` with its images served by a
local-files storage (or uploaded). Controls are named `label` (rectangles), `polygon`,
`keypoint` and `choice` (tags), all on the image `image`. A rotated box is a `rectanglelabels`
result with its `rotation`. Masks are not exported (Label Studio's brush encoding is its own)
and polylines have no Label Studio control: both are counted as skipped; a polygon of several parts
becomes one polygon per part; a Studio split is kept in `data.split`, annotation attributes
in the result's `meta.attributes`.

Attributes of regions: Label Studio asks them with per-region controls (`perRegion="true"`
on `<Choices>`, `<Number>`, `<TextArea>`), whose answers are results carrying the id of
their region. On import an answer becomes a user attribute of its shape, named by the
control, and the controls in `config.xml` become the attribute schema of the classes they
ask about (those `whenLabelValue` names, else every class the config labels regions with): a
`<Choices>` is a choice (its values true and false: a check box; its `selected` choice the
default), a `<Number>` a number with its `min`, `max` and `defaultValue`, a `<TextArea>` text
(its `value` the default). Export declares each class's schema as such
controls (a check box as the choices true and false) and writes the declared values of each
shape as answers to them; an attribute named like one of the writer's own controls is
written in `meta.attributes` only.
"""

from __future__ import annotations

import json
import math
import re
import xml.etree.ElementTree as ElementTree
from collections import Counter
from pathlib import Path, PurePosixPath, PureWindowsPath
from statistics import fmean
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from studio.core.attributes import (
    AttributeSpec,
    attribute_schema,
    checked_schema,
    split_attributes,
    typed_user_values,
    with_user_values,
)
from studio.core.enums import LABELED_STATUSES, AnnotationKind, AnnotationSource
from studio.core.errors import InvalidEditError, LabelImportError
from studio.core.formats.exporter import ExportTarget
from studio.core.formats.model import ExportItem, ExportSet, ImageLabels, LabelRecord, LabelSet
from studio.core.formats.reading import (
    SPLIT_ALIASES,
    Control,
    expect,
    find_image,
    flat_points,
    head,
    is_image_name,
    load_json,
    load_xml,
    number,
    safe_relative_name,
    whole_number,
)
from studio.core.formats.registry import LabelFormat
from studio.core.geometry import rotated_box_corners
from studio.core.records import AnnotationRecord

TASKS_FILE = "tasks.json"
CONFIG_FILE = "config.xml"
IMAGE_NAME = "image"
# Label Studio renames uploads to "<first 8 hex digits of a uuid4>-<original name>".
UPLOAD_PREFIX = re.compile(r"^[0-9a-f]{8}-(.+)$")
RESULT_KINDS = {
    "rectanglelabels": AnnotationKind.BOX,
    "rectangle": AnnotationKind.BOX,
    "polygonlabels": AnnotationKind.POLYGON,
    "polygon": AnnotationKind.POLYGON,
    "keypointlabels": AnnotationKind.KEYPOINTS,
    "keypoint": AnnotationKind.KEYPOINTS,
    "choices": AnnotationKind.TAG,
}
SHAPE_TYPES = frozenset(
    name for name, kind in RESULT_KINDS.items() if kind is not AnnotationKind.TAG
) | {"brushlabels", "brush", "ellipselabels", "ellipse"}
# Kind → (result type, control name, control tag, option tag) of what the writer produces.
CONTROLS = {
    AnnotationKind.BOX: ("rectanglelabels", "label", "RectangleLabels", "Label"),
    AnnotationKind.ROTATED_BOX: ("rectanglelabels", "label", "RectangleLabels", "Label"),
    AnnotationKind.POLYGON: ("polygonlabels", "polygon", "PolygonLabels", "Label"),
    AnnotationKind.KEYPOINTS: ("keypointlabels", "keypoint", "KeyPointLabels", "Label"),
    AnnotationKind.TAG: ("choices", "choice", "Choices", "Choice"),
}


# Per-region answers: result type → the key of its value, and the control tags the schema
# comes from (their attribute type).
ANSWER_KEYS = {"choices": "choices", "number": "number", "textarea": "text"}
ATTRIBUTE_CONTROLS = {"Choices": "choice", "Number": "number", "TextArea": "text"}
CHECKBOX_VALUES = ("true", "false")


class LabelStudioFormat(LabelFormat):
    name = "label_studio"
    title = "Label Studio JSON"
    kinds = frozenset(CONTROLS)
    suffixes = (".json",)

    def detect(self, path: Path) -> float:
        if path.is_dir():
            return 0.8 if _task_files(path) else 0.0
        if path.suffix.lower() != ".json":
            return 0.0
        return 0.9 if _looks_like_tasks(path) or _looks_like_json_min(path) else 0.0

    def read(self, path: Path, control: Control) -> LabelSet:
        files = _task_files(path) if path.is_dir() else [path]
        if not files:
            raise LabelImportError(path, "no Label Studio JSON export (a list of tasks) found")
        reader = _Reader(LabelSet(self.name, path), control)
        for file in files:
            reader.read_file(file)
        reader.label_set.warnings.extend(reader.warnings())
        return reader.label_set

    def write(self, export: ExportSet, target: ExportTarget) -> None:
        tasks = []
        kinds_used: set[AnnotationKind] = set()
        split_polygons = 0
        schemas = {record.name: _asked(record.meta) for record in export.classes}
        for done, entry in enumerate(export.items, start=1):
            target.control.step(done, len(export.items))
            task, kinds, parts = _task(entry, target, schemas)
            tasks.append(task)
            kinds_used |= kinds
            split_polygons += parts
        with open(target.path(TASKS_FILE), "w", encoding="utf-8") as stream:
            json.dump(tasks, stream, indent=1, ensure_ascii=False)
        config = labeling_config(export, kinds_used, schemas)
        target.path(CONFIG_FILE).write_text(config, encoding="utf-8")
        if split_polygons:
            target.report.warnings.append(
                f"{split_polygons:,} polygons of several parts were written as one Label "
                "Studio polygon per part"
            )


def _looks_like_tasks(path: Path) -> bool:
    text = head(path).lstrip()
    return (
        text.startswith("[")
        and '"data"' in text
        and ('"annotations"' in text or '"predictions"' in text)
    )


def _looks_like_json_min(path: Path) -> bool:
    """Label Studio's JSON-MIN export: flat records (image, label, annotator) without tasks."""
    text = head(path).lstrip()
    keys = ('"annotation_id"', '"annotator"')
    return text.startswith("[") and '"data"' not in text and any(key in text for key in keys)


def _refuse_json_min(tasks: list, file: Path) -> None:
    first = tasks[0] if tasks else None
    if (
        isinstance(first, dict)
        and "data" not in first
        and ("annotation_id" in first or "annotator" in first)
    ):
        raise LabelImportError(
            file,
            "a Label Studio JSON-MIN export, which Studio does not read (it leaves out the "
            "image sizes and the result types); export the project as JSON instead",
        )


def _task_files(folder: Path) -> list[Path]:
    return sorted(path for path in folder.glob("*.json") if _looks_like_tasks(path))


# -- reading ---------------------------------------------------------------------------------


class _Reader:
    """Reads task files into one label set, counting what it leaves out for the warnings."""

    def __init__(self, label_set: LabelSet, control: Control) -> None:
        self.label_set = label_set
        self.control = control
        self.ignored_types: Counter[str] = Counter()
        self.several_annotations = 0
        self.ignored_annotations = 0
        self.ignored_predictions = 0
        self.cancelled_tasks = 0
        self.drafts = 0
        self.per_region: Counter[str] = Counter()
        self.schemas: dict[str, list[AttributeSpec]] = {}  # class → its per-region controls

    def read_file(self, file: Path) -> None:
        self._read_config(file.parent / CONFIG_FILE)
        tasks = expect(load_json(file), list, file, "top level", "a Label Studio export")
        _refuse_json_min(tasks, file)
        roots = [file.parent, file.parent / "images"]
        for position, raw in enumerate(tasks):
            self.control.step(position + 1, len(tasks))
            self.label_set.images.append(self._read_task(file, position, raw, roots))

    def _read_config(self, config: Path) -> None:
        """Classes in the labeling config's order (with those no task uses yet), and the
        attribute schema its per-region controls declare."""
        if not config.is_file():
            return
        root = load_xml(config)
        region_classes = []
        for element in root.iter():
            value = element.get("value")
            if element.tag in ("Label", "Choice") and value and value.strip():
                if not _is_per_region(element, root):
                    self.label_set.add_class(value.strip())
                if element.tag == "Label":
                    region_classes.append(value.strip())
        asked: dict[str, list[dict[str, Any]]] = {}
        for element in root.iter():
            spec = _control_attribute(element)
            if spec is not None:
                wanted = element.get("whenLabelValue") or ""
                names = [name.strip() for name in wanted.split(",") if name.strip()]
                for name in names or region_classes:
                    asked.setdefault(name, []).append(spec)
        for name, specs in asked.items():
            try:
                schema = checked_schema(specs)
            except InvalidEditError as error:
                raise LabelImportError(config, f"class {name!r}: {error}") from None
            self.schemas[name] = schema
            self.label_set.class_meta.setdefault(
                name, {"attributes": [spec.to_meta() for spec in schema]}
            )

    def _read_task(self, file: Path, position: int, raw: Any, roots: list[Path]) -> ImageLabels:
        task = expect(raw, dict, file, f"tasks[{position}]", "a task")
        where = f"task id {task['id']}" if "id" in task else f"tasks[{position}]"
        data = expect(task.get("data"), dict, file, where, '"data"')
        relative = _image_name(_image_reference(data, file, where), file, where)
        name, path = _find(relative, roots)
        image = ImageLabels(
            file_name=name, path=path, split=_split(data), where=where, source_file=file
        )
        annotations = expect(task.get("annotations", []), list, file, where, '"annotations"')
        chosen = self._chosen_annotation(annotations, file, where)
        drafts = task.get("drafts")
        if isinstance(drafts, list):
            self.drafts += len(drafts)
        image.labeled = chosen is not None
        sizes: set[tuple[int, int]] = set()
        if chosen is not None:
            label = f"annotation id {chosen['id']}" if "id" in chosen else "annotation"
            self._read_results(image, sizes, chosen, file, where, label, AnnotationSource.HUMAN)
        predictions = expect(task.get("predictions", []), list, file, where, '"predictions"')
        prediction = self._chosen_prediction(predictions, file, where)
        if prediction is not None:
            score = prediction.get("score")
            score = None if score is None else number(score, file, where, "prediction score")
            self._read_results(
                image, sizes, prediction, file, where, "prediction", AnnotationSource.MODEL, score
            )
        if len(sizes) > 1:
            found = ", ".join(f"{w}×{h}" for w, h in sorted(sizes))
            raise LabelImportError(file, f"the results disagree on the image size ({found})", where)
        if sizes:
            image.width, image.height = sizes.pop()
        return image

    def _chosen_annotation(self, annotations: list, file: Path, where: str) -> dict | None:
        """The most recent annotation not cancelled (several annotators: one is kept)."""
        valid = [
            (position, expect(raw, dict, file, where, "an annotation"))
            for position, raw in enumerate(annotations)
        ]
        kept = [(position, raw) for position, raw in valid if not raw.get("was_cancelled")]
        if valid and not kept:
            self.cancelled_tasks += 1
            return None
        if len(kept) > 1:
            self.several_annotations += 1
            self.ignored_annotations += len(kept) - 1
        return max(kept, key=_recency)[1] if kept else None

    def _chosen_prediction(self, predictions: list, file: Path, where: str) -> dict | None:
        valid = [
            (position, expect(raw, dict, file, where, "a prediction"))
            for position, raw in enumerate(predictions)
        ]
        self.ignored_predictions += max(len(valid) - 1, 0)
        return max(valid, key=_recency)[1] if valid else None

    def _read_results(
        self,
        image: ImageLabels,
        sizes: set[tuple[int, int]],
        holder: dict,
        file: Path,
        task_where: str,
        label: str,
        source: AnnotationSource,
        score: float | None = None,
    ) -> None:
        results = expect(holder.get("result", []), list, file, f"{task_where}, {label}", "result")
        regions = _region_ids(results)
        shapes: dict[str, list[LabelRecord]] = {}
        answers: dict[str, dict[str, Any]] = {}
        for position, raw in enumerate(results):
            where = f"{label}, result {position}"
            result = expect(raw, dict, file, f"{task_where}, {where}", "a result")
            size = _declared_size(result, file, f"{task_where}, {where}")
            if size is not None:
                sizes.add(size)
            if not _is_shape(result) and str(result.get("id")) in regions:
                answer = _answer(result)
                if answer is None:
                    self.per_region[str(result.get("type"))] += 1
                else:
                    answers.setdefault(str(result["id"]), {}).update(answer)
                continue
            records = self._records(result, file, task_where, where, score, size)
            for record in records:
                record.source = source.value
                self.label_set.add_class(record.label)
            shapes.setdefault(str(result.get("id")), []).extend(records)
            image.labels.extend(records)
        for region, values in answers.items():
            for record in shapes.get(region, []):
                stored = with_user_values(record.attributes, values, ())
                record.attributes = typed_user_values(stored, self.schemas.get(record.label, ()))

    def _records(
        self,
        result: dict,
        file: Path,
        task_where: str,
        where: str,
        score: float | None,
        size: tuple[int, int] | None,
    ) -> list[LabelRecord]:
        full_where = f"{task_where}, {where}"
        result_type = result.get("type")
        kind = RESULT_KINDS.get(result_type) if isinstance(result_type, str) else None
        if kind is None:
            self.ignored_types[str(result_type)] += 1
            return []
        rotation = number(result.get("image_rotation", 0) or 0, file, full_where, "image_rotation")
        if rotation % 360:
            raise LabelImportError(
                file,
                f"the image was rotated by {rotation:g}° in Label Studio; rotated images are "
                "not supported (undo the rotation there and export again)",
                full_where,
            )
        value = expect(result.get("value"), dict, file, full_where, '"value"')
        if result.get("score") is not None:
            score = number(result["score"], file, full_where, "score")
        names = _label_names(value, result_type, kind, file, full_where)
        kind, geometry = _shape(kind, value, size, file, full_where)
        attributes = _attributes(result, file, full_where)
        return [
            LabelRecord(
                name,
                kind,
                geometry,
                relative=True,
                attributes=dict(attributes),
                score=score,
                where=where,
            )
            for name in names
        ]

    def warnings(self) -> list[str]:
        found = []
        if self.ignored_types:
            counts = ", ".join(
                f"{kind} ×{count:,}" for kind, count in sorted(self.ignored_types.items())
            )
            found.append(
                f"Label Studio results of types Studio does not import were left out: {counts}"
            )
        if self.several_annotations:
            found.append(
                f"{self.several_annotations:,} tasks have several annotations (several "
                f"annotators): the most recent was imported, {self.ignored_annotations:,} "
                "others were ignored"
            )
        if self.ignored_predictions:
            found.append(
                f"{self.ignored_predictions:,} older predictions were ignored (only the most "
                "recent prediction of a task is imported)"
            )
        if self.per_region:
            counts = ", ".join(
                f"{kind} ×{count:,}" for kind, count in sorted(self.per_region.items())
            )
            found.append(
                "Label Studio per-region results (attached to a shape, not to the image) were "
                f"left out: {counts}"
            )
        if self.drafts:
            found.append(
                f"{self.drafts:,} drafts (work not submitted in Label Studio) were not imported"
            )
        if self.cancelled_tasks:
            found.append(
                f"{self.cancelled_tasks:,} tasks have only cancelled (skipped) annotations: "
                "imported as not labeled"
            )
        return found


def _region_ids(results: list) -> set[str]:
    """The ids of a result list's shapes: a choice or text result with one of them is a
    per-region answer about that shape, not an image tag."""
    return {
        str(result["id"])
        for result in results
        if isinstance(result, dict) and _is_shape(result) and result.get("id")
    }


def _is_shape(result: dict) -> bool:
    kind = result.get("type")
    return isinstance(kind, str) and kind in SHAPE_TYPES


def _answer(result: dict) -> dict[str, Any] | None:
    """A per-region answer as {control name: value}; None for a kind Studio does not keep."""
    key = ANSWER_KEYS.get(str(result.get("type")))
    value = result.get("value")
    name = result.get("from_name")
    if key is None or not isinstance(value, dict) or not isinstance(name, str):
        return None
    answer = value.get(key)
    if isinstance(answer, list):
        answer = (
            answer[0]
            if len(answer) == 1
            else ("\n" if key == "text" else ", ").join(str(part) for part in answer)
        )
    return {name: answer}


def _is_per_region(element: Any, root: Any) -> bool:
    """Whether `element` (a Choice) belongs to a per-region control."""
    return any(
        control.get("perRegion") == "true" and element in list(control)
        for control in root.iter("Choices")
    )


def _control_attribute(element: Any) -> dict[str, Any] | None:
    """The attribute a per-region control asks for, in the schema's JSON form (its default:
    a Choice `selected`, a Number's `defaultValue`, a TextArea's `value`)."""
    kind = ATTRIBUTE_CONTROLS.get(element.tag)
    name = (element.get("name") or "").strip()
    if kind is None or element.get("perRegion") != "true" or not name:
        return None
    spec: dict[str, Any] = {"name": name, "type": kind}
    if kind == "choice":
        choices = element.findall("Choice")
        values = [choice.get("value", "") for choice in choices]
        selected = [choice.get("value") for choice in choices if choice.get("selected") == "true"]
        spec["default"] = selected[0] if selected else None
        if sorted(values) == sorted(CHECKBOX_VALUES):
            spec["type"] = "checkbox"
        else:
            spec["values"] = values
    elif kind == "number":
        spec.update({key: element.get(key) for key in ("min", "max") if element.get(key)})
        spec["default"] = element.get("defaultValue")
    else:
        spec["default"] = element.get("value", "")
    return spec


def _recency(entry: tuple[int, dict]) -> tuple[str, int, int]:
    position, raw = entry
    stamp = raw.get("updated_at") or raw.get("created_at") or ""
    number_id = raw.get("id") if isinstance(raw.get("id"), int) else -1
    return (str(stamp), number_id, position)


def _image_reference(data: dict, file: Path, where: str) -> str:
    """data.image, or the one value of the task's data that names an image."""
    if IMAGE_NAME in data:
        return expect(data[IMAGE_NAME], str, file, where, "data.image")
    found = [
        value
        for value in data.values()
        if isinstance(value, str) and is_image_name(value.split("?")[0].split("#")[0])
    ]
    if len(found) != 1:
        raise LabelImportError(file, "the task names no image (data.image is missing)", where)
    return found[0]


def _image_name(reference: str, file: Path, where: str) -> PurePosixPath:
    """The name to look for: the last part of a URL or absolute path, else the relative name.

    A relative name goes through `safe_relative_name`, so it cannot leave the dataset folder.
    """
    try:
        parts = urlsplit(reference)
    except ValueError as error:  # a malformed URL, such as an unclosed IPv6 address
        message = f"the image URL {reference!r} is invalid ({error})"
        raise LabelImportError(file, message, where) from None
    if len(parts.scheme) > 1 or reference.startswith("/"):
        local = parse_qs(parts.query).get("d")  # local-files storage: /data/local-files/?d=…
        text = _last_part(unquote(local[0] if local else parts.path))
    elif reference.startswith("\\") or PureWindowsPath(reference).drive:
        text = _last_part(reference)
    else:
        text = reference
    return safe_relative_name(text, file, where)


def _last_part(path: str) -> str:
    return path.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1]


def _find(relative: PurePosixPath, roots: list[Path]) -> tuple[str, Path | None]:
    """The image file (as named, then without the upload prefix) and the name to report."""
    names = [relative]
    match = UPLOAD_PREFIX.match(relative.name)
    if match:
        names.append(relative.with_name(match.group(1)))
    for name in names:
        path = find_image(name, roots)
        if path is not None:
            return str(name), path
    return str(names[-1]), None


def _split(data: dict) -> str | None:
    split = data.get("split")
    return SPLIT_ALIASES.get(split.lower()) if isinstance(split, str) else None


def _declared_size(result: dict, file: Path, where: str) -> tuple[int, int] | None:
    if result.get("original_width") is None and result.get("original_height") is None:
        return None
    width = whole_number(result.get("original_width"), file, where, "original_width")
    height = whole_number(result.get("original_height"), file, where, "original_height")
    if width <= 0 or height <= 0:
        raise LabelImportError(file, f"the image size {width}×{height} is not positive", where)
    return width, height


def _label_names(
    value: dict, result_type: str, kind: AnnotationKind, file: Path, where: str
) -> list[str]:
    key = "choices" if kind is AnnotationKind.TAG else result_type
    names = value.get(key, value.get("labels"))
    names = expect(names, list, file, where, f"value.{key}")
    if not names:
        raise LabelImportError(file, f"the {result_type} result has no label", where)
    cleaned = []
    for name in names:
        name = expect(name, str, file, where, "a label").strip()
        if not name:
            raise LabelImportError(file, "a label is empty", where)
        cleaned.append(name)
    return cleaned


def _shape(
    kind: AnnotationKind, value: dict, size: tuple[int, int] | None, file: Path, where: str
) -> tuple[AnnotationKind, Any]:
    """The geometry in fractions of the image size (Label Studio gives percents)."""

    def percent(key: str) -> float:
        return number(value.get(key), file, where, key) / 100

    if kind is AnnotationKind.TAG:
        return kind, None
    if kind is AnnotationKind.KEYPOINTS:
        return kind, [[percent("x"), percent("y"), 2]]
    if kind is AnnotationKind.POLYGON:
        flat = flat_points(value.get("points"), file, where)
        return kind, [[coordinate / 100 for coordinate in flat]]
    box = [percent("x"), percent("y"), percent("width"), percent("height")]
    rotation = number(value.get("rotation", 0) or 0, file, where, "rotation")
    if not rotation % 360:
        return kind, box
    if size is None:
        raise LabelImportError(
            file, "a rotated rectangle needs original_width and original_height", where
        )
    return AnnotationKind.ROTATED_BOX, _rotated_corners(box, rotation, *size)


def _rotated_corners(box: list[float], degrees: float, width: int, height: int) -> list[float]:
    """Corners of a rectangle Label Studio rotated clockwise about its top-left corner, from
    that corner on, clockwise: a rotated box's corners (`rotated_box_corners`' order).

    The rotation happens in pixels (percents of a non-square image are not isotropic), so
    the box goes to pixels and the corners come back as fractions.
    """
    x, y, w, h = box[0] * width, box[1] * height, box[2] * width, box[3] * height
    cos, sin = math.cos(math.radians(degrees)), math.sin(math.radians(degrees))
    ring = []
    for dx, dy in ((0, 0), (w, 0), (w, h), (0, h)):
        ring += [(x + dx * cos - dy * sin) / width, (y + dx * sin + dy * cos) / height]
    return ring


def _attributes(result: dict, file: Path, where: str) -> dict[str, Any]:
    meta = result.get("meta")
    if not isinstance(meta, dict) or "attributes" not in meta:
        return {}
    return expect(meta["attributes"], dict, file, where, "meta.attributes")


# -- writing ---------------------------------------------------------------------------------


def _task(
    entry: ExportItem, target: ExportTarget, schemas: dict[str, list[AttributeSpec]]
) -> tuple[dict, set[AnnotationKind], int]:
    """One task, the kinds it holds, and how many polygons had to be split into parts."""
    item = entry.item
    data: dict[str, Any] = {IMAGE_NAME: target.place_image(entry, "images")}
    if item.split:
        data["split"] = item.split
    human: list[dict] = []
    model: list[dict] = []
    kinds: set[AnnotationKind] = set()
    parts = 0
    for annotation in entry.annotations:
        results, reason = _results(annotation, item.width, item.height)
        results += _answers(results, annotation, schemas.get(annotation.label, []))
        if reason:
            target.skip(annotation, reason)
            continue
        is_model = annotation.source == AnnotationSource.MODEL.value
        (model if is_model else human).extend(results)
        kind = AnnotationKind(annotation.kind)
        kinds.add(AnnotationKind.BOX if kind is AnnotationKind.ROTATED_BOX else kind)
        parts += int(annotation.kind == AnnotationKind.POLYGON.value and len(results) > 1)
        target.exported()
    task: dict[str, Any] = {"id": item.id, "data": data, "annotations": [], "predictions": []}
    if human or item.status in LABELED_STATUSES:
        result = _merged_choices(human)
        task["annotations"] = [{"id": item.id, "result": result, "was_cancelled": False}]
    if model:
        task["predictions"] = [_prediction(_merged_choices(model))]
    return task, kinds, parts


def _prediction(results: list[dict]) -> dict[str, Any]:
    prediction: dict[str, Any] = {"model_version": "studio", "result": results}
    scores = [result["score"] for result in results if "score" in result]
    if scores:
        prediction["score"] = fmean(scores)
    return prediction


def _results(
    annotation: AnnotationRecord, width: int, height: int
) -> tuple[list[dict], str | None]:
    """The Label Studio results of one annotation, or why it cannot be written."""
    kind = annotation.kind
    geometry = annotation.geometry
    if kind == AnnotationKind.BOX.value:
        x, y, w, h = geometry
        values = [
            {
                "x": x / width * 100,
                "y": y / height * 100,
                "width": w / width * 100,
                "height": h / height * 100,
                "rotation": 0,
            }
        ]
    elif kind == AnnotationKind.ROTATED_BOX.value:
        left, top = rotated_box_corners(geometry)[:2]
        _, _, w, h, angle = geometry
        values = [
            {
                "x": left / width * 100,
                "y": top / height * 100,
                "width": w / width * 100,
                "height": h / height * 100,
                "rotation": angle,
            }
        ]
    elif kind == AnnotationKind.POLYGON.value:
        values = [
            {
                "points": [
                    [ring[i] / width * 100, ring[i + 1] / height * 100]
                    for i in range(0, len(ring), 2)
                ],
                "closed": True,
            }
            for ring in geometry
        ]
    elif kind == AnnotationKind.KEYPOINTS.value:
        if len(geometry) != 1 or geometry[0][2] == 0:
            return [], "keypoint sets of several or absent points (Label Studio has single points)"
        x, y, _ = geometry[0]
        values = [{"x": x / width * 100, "y": y / height * 100}]
    elif kind == AnnotationKind.TAG.value:
        values = [{}]
    elif kind == AnnotationKind.POLYLINE.value:
        return [], "polylines (Label Studio has no polyline control)"
    else:
        return [], f"{kind} annotations (Label Studio's brush format is not written)"
    result_type, control, _, _ = CONTROLS[AnnotationKind(kind)]
    results = []
    for part, value in enumerate(values):
        value[result_type] = [annotation.label]
        result: dict[str, Any] = {
            "id": f"{annotation.id}" if len(values) == 1 else f"{annotation.id}-{part}",
            "type": result_type,
            "from_name": control,
            "to_name": IMAGE_NAME,
            "value": value,
        }
        if kind != AnnotationKind.TAG.value:
            result.update(original_width=width, original_height=height, image_rotation=0)
        if annotation.score is not None and annotation.source == AnnotationSource.MODEL.value:
            result["score"] = annotation.score
        if annotation.attributes:
            result["meta"] = {"attributes": dict(annotation.attributes)}
        results.append(result)
    return results, None


def _asked(meta: dict[str, Any]) -> list[AttributeSpec]:
    """A class's attributes that become per-region controls (none clash with the writer's
    own control names; a malformed schema asks nothing)."""
    try:
        schema = attribute_schema(meta)
    except InvalidEditError:
        return []
    own = {IMAGE_NAME, *(control[1] for control in CONTROLS.values())}
    return [spec for spec in schema if spec.name not in own]


def _answers(results: list[dict], annotation: AnnotationRecord, asked: list) -> list[dict]:
    """Per-region answers of a shape's declared attribute values, one per region part."""
    if annotation.kind == AnnotationKind.TAG.value or not asked:
        return []
    values = split_attributes(annotation.attributes)[1]
    answers = []
    for region in results:
        for spec in asked:
            if spec.name not in values:
                continue
            value = values[spec.name]
            if spec.type == "checkbox":
                answer: dict[str, Any] = {"choices": ["true" if value is True else "false"]}
            elif spec.type == "choice":
                answer = {"choices": [str(value)]}
            elif spec.type == "number":
                answer = {"number": value}
            else:
                answer = {"text": [str(value)]}
            answers.append(
                {
                    "id": region["id"],
                    "type": next(kind for kind, key in ANSWER_KEYS.items() if key in answer),
                    "from_name": spec.name,
                    "to_name": IMAGE_NAME,
                    "value": answer,
                }
            )
    return answers


def _merged_choices(results: list[dict]) -> list[dict]:
    """Tags with the same score and attributes as one `choices` result, as Label Studio has."""
    merged: list[dict] = []
    groups: dict[str, dict] = {}
    tag_control = CONTROLS[AnnotationKind.TAG][1]
    for result in results:
        if result["type"] != "choices" or result["from_name"] != tag_control:
            merged.append(result)  # a shape, or a per-region answer
            continue
        key = json.dumps([result.get("score"), result.get("meta")], sort_keys=True)
        if key in groups:
            groups[key]["value"]["choices"] += result["value"]["choices"]
            continue
        groups[key] = result
        merged.append(result)
    return merged


def labeling_config(
    export: ExportSet,
    kinds: set[AnnotationKind],
    schemas: dict[str, list[AttributeSpec]] | None = None,
) -> str:
    """The `<View>` of a Label Studio project that shows these tasks and their labels, with
    a per-region control for each attribute the classes declare."""
    view = ElementTree.Element("View")
    ElementTree.SubElement(view, "Image", name=IMAGE_NAME, value=f"${IMAGE_NAME}")
    for kind in (AnnotationKind.BOX, AnnotationKind.POLYGON, AnnotationKind.KEYPOINTS):
        if kind in kinds or (kind is AnnotationKind.BOX and not kinds - {AnnotationKind.TAG}):
            _control(view, kind, export)
    if AnnotationKind.TAG in kinds:
        _control(view, AnnotationKind.TAG, export).set("choice", "multiple")
    _attribute_controls(view, schemas or {})
    ElementTree.indent(view)
    return ElementTree.tostring(view, encoding="unicode") + "\n"


def _attribute_controls(view: ElementTree.Element, schemas: dict[str, list[AttributeSpec]]) -> None:
    """One per-region control per attribute name, shown for a selected region of the class
    that declares it (of any class when several do; the first declaration gives its type and
    bounds, choices gather every class's values)."""
    declared: dict[str, tuple[AttributeSpec, list[str], list[str]]] = {}
    for class_name, schema in schemas.items():
        for spec in schema:
            _first, values, classes = declared.setdefault(spec.name, (spec, [], []))
            classes.append(class_name)
            values.extend(value for value in spec.values if value not in values)
    for name, (spec, values, classes) in declared.items():
        common = {"name": name, "toName": IMAGE_NAME, "perRegion": "true"}
        common["visibleWhen"] = "region-selected"
        if len(classes) == 1:  # Label Studio matches one label value
            common["whenLabelValue"] = classes[0]
        if spec.type in ("choice", "checkbox"):
            control = ElementTree.SubElement(view, "Choices", common)
            default = str(spec.default).lower() if spec.type == "checkbox" else spec.default
            for value in CHECKBOX_VALUES if spec.type == "checkbox" else values:
                choice = ElementTree.SubElement(control, "Choice", value=value)
                if value == default:
                    choice.set("selected", "true")
        elif spec.type == "number":
            bounds = {"min": spec.minimum, "max": spec.maximum, "defaultValue": spec.default}
            common.update({key: f"{value:g}" for key, value in bounds.items() if value is not None})
            ElementTree.SubElement(view, "Number", common)
        else:
            common.update(editable="true", maxSubmissions="1", value=str(spec.default))
            ElementTree.SubElement(view, "TextArea", common)


def _control(view: ElementTree.Element, kind: AnnotationKind, export: ExportSet) -> Any:
    _, name, tag, option = CONTROLS[kind]
    control = ElementTree.SubElement(view, tag, name=name, toName=IMAGE_NAME)
    for record in export.classes:
        attributes = {"value": record.name}
        if option == "Label" and record.color:
            attributes["background"] = record.color
        ElementTree.SubElement(control, option, attributes)
    return control


FORMAT = LabelStudioFormat()
