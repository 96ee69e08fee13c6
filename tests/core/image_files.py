"""Real image files for import tests: good ones in every format, and every way a file goes bad."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np
from PIL import Image

EXIF_ORIENTATION = 0x0112
FORMAT_OF_SUFFIX = {
    ".jpg": "JPEG",
    ".jpeg": "JPEG",
    ".png": "PNG",
    ".bmp": "BMP",
    ".tif": "TIFF",
    ".tiff": "TIFF",
    ".webp": "WEBP",
    ".gif": "GIF",
}


def pixels(width: int, height: int, seed: int) -> np.ndarray:
    """Seeded RGB noise over a gradient: every seed gives different bytes in every format."""
    rng = np.random.default_rng(seed)
    gradient = np.linspace(0, 180, width, dtype=np.float32)[None, :, None]
    noise = rng.integers(0, 75, size=(height, width, 3)).astype(np.float32)
    return np.clip(gradient + noise, 0, 255).astype(np.uint8)


def save_image(
    path: Path,
    size: tuple[int, int] = (40, 30),
    seed: int = 0,
    orientation: int | None = None,
) -> Path:
    """Write a real image whose format follows the suffix; optionally with an EXIF orientation."""
    path.parent.mkdir(parents=True, exist_ok=True)
    image = Image.fromarray(pixels(*size, seed))
    options = {}
    if orientation is not None:
        exif = Image.Exif()
        exif[EXIF_ORIENTATION] = orientation
        options["exif"] = exif
    image.save(path, FORMAT_OF_SUFFIX[path.suffix.lower()], **options)
    return path


def truncated_copy(source: Path, target: Path, keep: float = 0.6) -> Path:
    data = source.read_bytes()
    target.write_bytes(data[: int(len(data) * keep)])
    return target


def corrupted_copy(source: Path, target: Path) -> Path:
    """The same file with a run of bytes in the middle of the pixel data inverted."""
    data = bytearray(source.read_bytes())
    middle = len(data) // 2
    for index in range(middle, middle + 16):
        data[index] ^= 0xFF
    target.write_bytes(bytes(data))
    return target


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def png_bomb(path: Path, width: int, height: int) -> Path:
    """A tiny, well-formed PNG whose header claims `width`×`height` RGB pixels."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    pixels_row = zlib.compress(b"\0" * 64)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", pixels_row)
        + _png_chunk(b"IEND", b"")
    )
    return path
