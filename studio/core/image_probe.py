"""Reading what Studio needs of an image file without decoding its pixels.

Pillow's `Image.open` parses only the header, which gives the format and size. The EXIF
orientation tells whether width and height swap on display. Truncation is caught cheaply
where the format allows (JPEG must end with its EOI marker; PNG's chunks carry CRCs that
`verify()` checks without inflating the pixels); a deeper corruption shows when the image is
first decoded (thumbnail), which reports it instead of crashing.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, UnidentifiedImageError

SUPPORTED_FORMATS = ("JPEG", "PNG", "BMP", "TIFF", "WEBP")
EXIF_ORIENTATION = 0x0112
TIFF_IMAGE_WIDTH, TIFF_IMAGE_LENGTH = 256, 257
TRANSPOSED_ORIENTATIONS = {5, 6, 7, 8}
JPEG_TAIL_BYTES = 64


class ProbeError(Exception):
    """The file cannot be imported; the message says why, in words for the user."""


@dataclass(frozen=True)
class ImageInfo:
    """What import records: `width`×`height` as displayed, EXIF orientation applied.

    That is the size of `ImageOps.exif_transpose(image)`, the pixels every tool shows.
    """

    format: str
    width: int
    height: int
    orientation: int
    size_bytes: int


def _refuse_bomb(width: int, height: int) -> None:
    """Pillow only warns between its limit and twice its limit; Studio refuses both."""
    if width * height > Image.MAX_IMAGE_PIXELS:
        raise ProbeError(
            f"refused as a decompression bomb: {width}×{height} = {width * height:,} "
            f"pixels exceeds the limit of {Image.MAX_IMAGE_PIXELS:,}"
        )


def _orientation(image: Image.Image) -> int:
    """The EXIF orientation (1 to 8), read from the header only.

    A PNG's `getexif()` decodes the whole image when the eXIf chunk was not met before the
    pixel data, so for PNG only an eXIf chunk that precedes the pixels counts (as the PNG
    specification requires).
    """
    if image.format == "PNG" and "exif" not in image.info:
        return 1
    try:
        value = int(image.getexif().get(EXIF_ORIENTATION, 1) or 1)
    except (TypeError, ValueError):
        return 1
    return value if value in range(1, 9) else 1


def _check_jpeg_end(data: bytes) -> None:
    """A JPEG must end with EOI: at the very end (the usual case, checked cheaply), or where its
    marker segments say, for files with data after the image (phones append video there)."""
    if b"\xff\xd9" in data[-JPEG_TAIL_BYTES:]:
        return
    if not _jpeg_reaches_end(data):
        raise ProbeError("truncated JPEG (no end-of-image marker)")


def _jpeg_reaches_end(data: bytes) -> bool:
    """Walk the marker segments from SOI until EOI; False if the data stops first.

    Segments are skipped by their length, so an EOI inside metadata (an EXIF thumbnail)
    does not count; after each SOS the entropy-coded data runs to the next real marker.
    """
    position = 2
    while position + 1 < len(data):
        if data[position] != 0xFF:
            return False
        marker = data[position + 1]
        if marker == 0xFF:  # fill byte before a marker
            position += 1
        elif marker == 0xD9:
            return True
        elif 0xD0 <= marker <= 0xD7 or marker == 0x01:  # markers without a length
            position += 2
        else:
            position += 2 + int.from_bytes(data[position + 2 : position + 4], "big")
            if marker == 0xDA:
                position = _end_of_entropy_coded_data(data, position)
    return False


def _end_of_entropy_coded_data(data: bytes, position: int) -> int:
    """The position of the first marker after scan data (0xFF00 and restarts are data)."""
    while True:
        position = data.find(b"\xff", position)
        if position < 0 or position + 1 >= len(data):
            return len(data)
        following = data[position + 1]
        if following == 0xFF:
            position += 1
        elif following == 0x00 or 0xD0 <= following <= 0xD7:
            position += 2
        else:
            return position


def _check_png_chunks(data: bytes) -> None:
    """Walk every chunk and check its CRC; a truncated or damaged PNG fails here."""
    with Image.open(io.BytesIO(data), formats=("PNG",)) as image:
        image.verify()


def _check_complete(data: bytes, image_format: str) -> None:
    if image_format == "JPEG":
        _check_jpeg_end(data)
    elif image_format == "PNG":
        _check_png_chunks(data)


def _stored_size(image: Image.Image) -> tuple[int, int]:
    """The pixel grid as stored in the file, before orientation.

    Pillow's TIFF reader already reports (and decodes) a TIFF turned by its orientation tag,
    so its stored size comes from the tags themselves.
    """
    if image.format == "TIFF":
        tags = image.tag_v2
        return int(tags.get(TIFF_IMAGE_WIDTH, image.width)), int(
            tags.get(TIFF_IMAGE_LENGTH, image.height)
        )
    return image.size


def _read_header(data: bytes) -> tuple[str, int, int, int]:
    with Image.open(io.BytesIO(data), formats=SUPPORTED_FORMATS) as image:
        image_format = image.format or "unknown"
        width, height = _stored_size(image)
        _refuse_bomb(width, height)
        return image_format, width, height, _orientation(image)


def _unsupported_reason(data: bytes) -> str:
    """Name the format Pillow sees in a file Studio does not import, if it sees one."""
    supported = "JPEG, PNG, BMP, TIFF or WebP"
    try:
        with Image.open(io.BytesIO(data)) as image:
            found = image.format
    except Exception:
        found = None
    if found:
        return f"unsupported image format {found} (Studio imports {supported})"
    return f"not an image ({supported})"


def probe_image(path: Path) -> ImageInfo:
    """Format, displayed size and orientation of an image file; ProbeError says why not."""
    return probe_image_data(Path(path).read_bytes())


def probe_image_data(data: bytes) -> ImageInfo:
    """`probe_image` for a file already read into memory (import reads each file once)."""
    if not data:
        raise ProbeError("empty file")
    try:
        image_format, width, height, orientation = _read_header(data)
        _check_complete(data, image_format)
    except UnidentifiedImageError:
        raise ProbeError(_unsupported_reason(data)) from None
    except Image.DecompressionBombError as error:
        raise ProbeError(f"refused as a decompression bomb: {error}") from None
    except ProbeError:
        raise
    except (OSError, SyntaxError, EOFError) as error:
        raise ProbeError(f"corrupt or truncated image ({error})") from None
    except Exception as error:
        # A damaged header can trip any parser error (struct.error, SyntaxError, IndexError…);
        # one bad file must become a line of the import report, never stop the import.
        raise ProbeError(f"corrupt image ({type(error).__name__}: {error})") from None
    if orientation in TRANSPOSED_ORIENTATIONS:
        width, height = height, width
    return ImageInfo(image_format, width, height, orientation, len(data))
