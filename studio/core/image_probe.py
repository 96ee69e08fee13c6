"""Reading what Studio needs of an image file without decoding its pixels.

Pillow's `Image.open` parses only the header, which gives the format and size. The EXIF
orientation tells whether width and height swap on display. Truncation is caught cheaply
where the format allows (JPEG must end with its EOI marker; PNG's chunks carry CRCs that
`verify()` checks); a deeper corruption shows when the image is first decoded (thumbnail),
which reports it instead of crashing.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PIL import Image, UnidentifiedImageError

SUPPORTED_FORMATS = ("JPEG", "PNG", "BMP", "TIFF", "WEBP")
EXIF_ORIENTATION = 0x0112
TRANSPOSED_ORIENTATIONS = {5, 6, 7, 8}


class ProbeError(Exception):
    """The file cannot be imported; the message says why, in words for the user."""


@dataclass(frozen=True)
class ImageInfo:
    format: str
    width: int  # after EXIF orientation
    height: int
    orientation: int
    size_bytes: int


def _check_jpeg_end(path: Path, size: int) -> None:
    with path.open("rb") as stream:
        stream.seek(max(0, size - 64))
        tail = stream.read()
    if b"\xff\xd9" not in tail:
        raise ProbeError("truncated JPEG (no end-of-image marker)")


def probe_image(path: Path) -> ImageInfo:
    path = Path(path)
    size = path.stat().st_size
    if size == 0:
        raise ProbeError("empty file")
    try:
        with Image.open(path, formats=SUPPORTED_FORMATS) as image:
            image_format = image.format or "unknown"
            width, height = image.size
            if width * height > Image.MAX_IMAGE_PIXELS:
                raise ProbeError(
                    f"refused as a decompression bomb: {width}×{height} = {width * height:,} "
                    f"pixels exceeds the limit of {Image.MAX_IMAGE_PIXELS:,}"
                )
            orientation = int(image.getexif().get(EXIF_ORIENTATION, 1) or 1)
            if image_format == "PNG":
                image.verify()
        if image_format == "JPEG":
            _check_jpeg_end(path, size)
    except UnidentifiedImageError:
        raise ProbeError("not a supported image (JPEG, PNG, BMP, TIFF or WebP)") from None
    except Image.DecompressionBombError as error:
        raise ProbeError(f"refused as a decompression bomb: {error}") from None
    except ProbeError:
        raise
    except (OSError, SyntaxError, ValueError, EOFError) as error:
        raise ProbeError(f"corrupt or truncated image ({error})") from None
    if orientation not in range(1, 9):
        orientation = 1
    if orientation in TRANSPOSED_ORIENTATIONS:
        width, height = height, width
    return ImageInfo(image_format, width, height, orientation, size)
