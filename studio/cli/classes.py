"""`studio class-schema`: show or set a class's attributes and named keypoints."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from studio.cli.common import ProjectArgument, app, fail, opened_project

SCHEMA_KEYS = ("attributes", "keypoints", "skeleton")


@app.command("class-schema")
def class_schema(
    project: ProjectArgument,
    label: Annotated[str, typer.Argument(help="The class, by name.", show_default=False)],
    set_from: Annotated[
        Path | None,
        typer.Option(
            "--set",
            help='A JSON file {"attributes": [...], "keypoints": [...], "skeleton": [...]}; '
            "the parts it gives replace the class's (one undo step).",
        ),
    ] = None,
) -> None:
    """Print a class's attributes, keypoints and skeleton as JSON, or set them from a file.

    An attribute is {"name", "type": text | number | choice | checkbox, "default", "min",
    "max", "values"}; skeleton edges are pairs of 1-based keypoint numbers.
    """
    schema = _read_schema(set_from) if set_from is not None else None
    with opened_project(project) as opened:
        if schema is not None:
            opened.set_class_schema(label, **schema)
        record = next((c for c in opened.classes() if c.name == label), None)
        if record is None:
            fail(f"{project}: no class is named {label!r}")
    shown = {key: record.meta[key] for key in SCHEMA_KEYS if key in record.meta}
    typer.echo(json.dumps(shown, indent=2))


def _read_schema(path: Path) -> dict[str, Any]:
    """The schema parts a JSON file gives; a file that is not one fails naming it."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        fail(f"{path}: {error.strerror or error}")
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        fail(f"{path}: not valid JSON ({error})")
    if not isinstance(raw, dict) or not set(raw) <= set(SCHEMA_KEYS):
        fail(f"{path}: expected an object with only {', '.join(SCHEMA_KEYS)}")
    if "skeleton" in raw and "keypoints" not in raw:
        fail(f"{path}: a skeleton needs its keypoints beside it")
    return raw
