"""scikit-image's sample photographs and near copies of some, for the duplicate tests."""

from __future__ import annotations

from pathlib import Path

from PIL import Image
from skimage import data

PHOTOGRAPHS = ("astronaut", "coffee", "chelsea", "rocket", "camera", "coins", "moon", "page")
COPIED = ("astronaut", "coffee")  # each gets a resized, re-encoded JPEG copy


def write_photographs(folder: Path) -> dict[str, Path]:
    """Each photograph at 256 pixels wide as PNG, plus for COPIED a 160-pixel, quality-60
    JPEG copy named "<name>_copy.jpg": name → path."""
    folder.mkdir(parents=True, exist_ok=True)
    written = {}
    for name in PHOTOGRAPHS:
        image = Image.fromarray(getattr(data, name)()).convert("RGB")
        image = image.resize((256, round(256 * image.height / image.width)))
        written[name] = folder / f"{name}.png"
        image.save(written[name])
        if name in COPIED:
            copy = image.resize((160, round(160 * image.height / image.width)))
            written[f"{name}_copy"] = folder / f"{name}_copy.jpg"
            copy.save(written[f"{name}_copy"], quality=60)
    return written
