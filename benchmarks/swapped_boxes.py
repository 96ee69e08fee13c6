"""A synthetic box project with 5 % of its box classes swapped (seeded): the label-error finder's
box tests and its "label-errors boxes" benchmark measure how many of the swapped boxes it raises.

Each image is coloured noise with three to four shapes on a grid of cells (so no two boxes
overlap): a square, a disc or a cross, each drawn in a colour near its class's own (the shapes
differ in both form and colour, with jitter in size, position and shade). Every shape is one
human box with its class, except the swapped ones, which carry another class.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from studio.api import Project

SHAPE_CLASSES = ("square", "disc", "cross")
CLASS_COLOURS = {"square": (200, 60, 60), "disc": (60, 170, 70), "cross": (70, 90, 210)}
COLOUR_JITTER = 100  # per channel: the classes' colours overlap, so form matters too
SWAPPED_SHARE = 0.05
IMAGE_SIDE = 96
CELL = 32  # the image is a 3 × 3 grid of cells; a shape fills most of one cell


@dataclass(frozen=True)
class SwappedBoxes:
    """The project file; every box's true and given class (by annotation id), its item, and
    the swapped annotation ids."""

    path: Path
    truth: dict[int, str]
    given: dict[int, str]
    item_of: dict[int, int]
    swapped: frozenset[int]


@dataclass(frozen=True)
class DrawnShape:
    """One shape of a synthetic image: its class and its box [x, y, width, height]."""

    label: str
    box: tuple[int, int, int, int]


def draw_image(generator: np.random.Generator) -> tuple[np.ndarray, list[DrawnShape]]:
    """One noise image with three or four shapes in distinct cells."""
    pixels = generator.integers(0, 256, (IMAGE_SIDE, IMAGE_SIDE, 3), dtype=np.uint8)
    pixels = (pixels // 2 + 64).astype(np.uint8)
    image = Image.fromarray(pixels)
    draw = ImageDraw.Draw(image)
    cells = generator.choice(9, int(generator.integers(3, 5)), replace=False)
    shapes = []
    for cell in cells:
        label = SHAPE_CLASSES[int(generator.integers(len(SHAPE_CLASSES)))]
        side = int(generator.integers(18, 29))
        x = int(cell % 3) * CELL + int(generator.integers(0, CELL - side + 1))
        y = int(cell // 3) * CELL + int(generator.integers(0, CELL - side + 1))
        shade = generator.integers(-COLOUR_JITTER, COLOUR_JITTER + 1, 3)
        base = CLASS_COLOURS[label]
        colour = tuple(int(np.clip(c + s, 0, 255)) for c, s in zip(base, shade, strict=True))
        corners = (x, y, x + side - 1, y + side - 1)
        if label == "square":
            draw.rectangle(corners, fill=colour)
        elif label == "disc":
            draw.ellipse(corners, fill=colour)
        else:
            bar = side // 3
            draw.rectangle((x + bar, y, x + 2 * bar, y + side - 1), fill=colour)
            draw.rectangle((x, y + bar, x + side - 1, y + 2 * bar), fill=colour)
        shapes.append(DrawnShape(label, (x, y, side, side)))
    return np.asarray(image), shapes


def swapped_boxes_project(folder: Path, seed: int = 0, images: int = 120) -> SwappedBoxes:
    """`images` synthetic PNGs under `folder/shapes`, each shape a box whose class is swapped
    to another shape's class for 5 % of the boxes (seeded)."""
    generator = np.random.default_rng(seed)
    drawn, paths = [], []
    shapes_folder = folder / "shapes"
    shapes_folder.mkdir(parents=True)
    for index in range(images):
        pixels, shapes = draw_image(generator)
        path = shapes_folder / f"shapes_{index:04d}.png"
        Image.fromarray(pixels).save(path, compress_level=1)
        paths.append(path)
        drawn.append(shapes)
    flat = [(position, shape) for position, shapes in enumerate(drawn) for shape in shapes]
    swapped = set(generator.choice(len(flat), round(SWAPPED_SHARE * len(flat)), replace=False))
    given = []
    for index, (_position, shape) in enumerate(flat):
        label = shape.label
        if index in swapped:
            others = [name for name in SHAPE_CLASSES if name != shape.label]
            label = others[int(generator.integers(len(others)))]
        given.append(label)
    project_path = folder / "shapes.studio"
    with Project.create(project_path, author="tester") as project:
        project.add_classes(SHAPE_CLASSES)
        project.import_media(paths)
        ids = {Path(item.path).name: item.id for item in project.items()}
        item_ids = [ids[path.name] for path in paths]
        annotation_ids = project.add_annotations(
            {"item_id": item_ids[position], "label": label, "box": list(shape.box)}
            for (position, shape), label in zip(flat, given, strict=True)
        )
    return SwappedBoxes(
        project_path,
        {a: shape.label for a, (_, shape) in zip(annotation_ids, flat, strict=True)},
        dict(zip(annotation_ids, given, strict=True)),
        {a: item_ids[position] for a, (position, _) in zip(annotation_ids, flat, strict=True)},
        frozenset(annotation_ids[index] for index in swapped),
    )
