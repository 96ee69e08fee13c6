"""A disk cache of JPEG thumbnails, keyed by the image's sha256 and the thumbnail size.

Thumbnails live in `<cache>/thumbnails/ab/<sha256>-<size>.jpg`, where `<cache>` is the user
cache folder (`platformdirs.user_cache_dir("studio")`) or `$STUDIO_CACHE_DIR`. Because the key
is the content hash, a thumbnail stays valid when its file moves and is shared by every project
that holds the same image.

Big JPEGs are decoded at reduced scale (`Image.draft` lets libjpeg skip up to 7/8 of the
work), EXIF orientation is applied, and the file is written atomically (temporary file, then
`os.replace`), so a reader never sees half a thumbnail. Nothing here touches Qt: the GUI calls
`ThumbnailCache.thumbnail` from its worker threads, headless tools call `generate_thumbnails`.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import platformdirs
from PIL import Image, ImageOps

from studio.core.errors import StudioError

CACHE_DIR_ENV = "STUDIO_CACHE_DIR"
DEFAULT_SIZE = 256
JPEG_QUALITY = 85
BACKGROUND = (255, 255, 255)
_SHA256 = re.compile(r"[0-9a-f]{64}")
_WORKERS = min(8, (os.cpu_count() or 2) + 2)

Progress = Callable[[int, int], None]


class ThumbnailError(StudioError):
    """A thumbnail cannot be made; the message names the file and the problem."""


def cache_dir() -> Path:
    """Studio's cache folder: `$STUDIO_CACHE_DIR`, else the platform's user cache folder."""
    override = os.environ.get(CACHE_DIR_ENV)
    return Path(override) if override else Path(platformdirs.user_cache_dir("studio"))


def decode_for_thumbnail(source: Path, size: int) -> Image.Image:
    """Decode `source` just large enough for a `size` thumbnail, EXIF orientation applied.

    For a JPEG, `draft` picks the smallest DCT scale (1/2, 1/4, 1/8) that keeps both sides at
    least `size`, so a 24-megapixel photograph decodes as 1.5 megapixels.
    """
    try:
        with Image.open(source) as image:
            image.draft("RGB", (size, size))
            image.load()
            return ImageOps.exif_transpose(image)
    except FileNotFoundError:
        raise ThumbnailError(f"cannot make a thumbnail of {source}: the file is missing") from None
    except Image.DecompressionBombError as error:
        raise ThumbnailError(
            f"cannot make a thumbnail of {source}: refused as a decompression bomb ({error})"
        ) from None
    except (OSError, SyntaxError, ValueError, EOFError) as error:
        raise ThumbnailError(
            f"cannot make a thumbnail of {source}: unreadable or corrupt image ({error})"
        ) from None


def _to_rgb(image: Image.Image) -> Image.Image:
    """An RGB copy for JPEG: transparency over white, high-bit-depth grey scaled to 8 bits."""
    if image.mode in ("I", "I;16", "I;16B", "I;16L", "F"):
        pixels = np.asarray(image, dtype=np.float32)
        low, high = float(pixels.min()), float(pixels.max())
        scaled = (pixels - low) * (255.0 / (high - low)) if high > low else pixels * 0
        image = Image.fromarray(scaled.astype(np.uint8), "L")
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        flattened = Image.new("RGB", rgba.size, BACKGROUND)
        flattened.paste(rgba, mask=rgba.getchannel("A"))
        return flattened
    return image.convert("RGB")


def render_thumbnail(source: Path, size: int = DEFAULT_SIZE) -> Image.Image:
    """An RGB image of `source` that fits in `size`×`size`, aspect ratio kept."""
    image = _to_rgb(decode_for_thumbnail(source, size))
    image.thumbnail((size, size), Image.Resampling.BICUBIC)
    return image


def _write_atomically(image: Image.Image, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            image.save(stream, "JPEG", quality=JPEG_QUALITY, optimize=True)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


class ThumbnailCache:
    """Thumbnails on disk under `root` (by default `cache_dir() / "thumbnails"`)."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = Path(root) if root is not None else cache_dir() / "thumbnails"

    def path_for(self, sha256: str, size: int = DEFAULT_SIZE) -> Path:
        if not _SHA256.fullmatch(sha256):
            raise ValueError(f"not a sha256 hex digest: {sha256!r}")
        if size <= 0:
            raise ValueError(f"thumbnail size must be positive, not {size}")
        return self.root / sha256[:2] / f"{sha256}-{size}.jpg"

    def cached(self, sha256: str, size: int = DEFAULT_SIZE) -> Path | None:
        """The thumbnail's path if it is already on disk (an empty leftover does not count)."""
        path = self.path_for(sha256, size)
        try:
            return path if path.stat().st_size > 0 else None
        except FileNotFoundError:
            return None

    def thumbnail(self, source: Path, sha256: str, size: int = DEFAULT_SIZE) -> Path:
        """The path of the thumbnail of `source` (whose content hash is `sha256`).

        Decodes `source` only when the cache does not hold it yet; raises ThumbnailError
        when the file is missing or cannot be decoded.
        """
        found = self.cached(sha256, size)
        if found is not None:
            return found
        target = self.path_for(sha256, size)
        try:
            _write_atomically(render_thumbnail(Path(source), size), target)
        except OSError as error:
            raise ThumbnailError(
                f"cannot write the thumbnail of {source} to {target}: {error}"
            ) from None
        return target


@dataclass
class ThumbnailReport:
    made: dict[str, Path] = field(default_factory=dict)  # sha256 -> thumbnail path
    failed: list[tuple[Path, str]] = field(default_factory=list)


def generate_thumbnails(
    sources: Iterable[tuple[Path, str]],
    size: int = DEFAULT_SIZE,
    cache: ThumbnailCache | None = None,
    workers: int | None = None,
    progress: Progress | None = None,
) -> ThumbnailReport:
    """Make (or find cached) thumbnails for many `(path, sha256)` pairs with a thread pool.

    Pillow releases the GIL while decoding and resizing, so threads use every core. A file
    that fails is listed in the report with its reason; the others are still made.
    """
    cache = cache or ThumbnailCache()
    jobs = list(sources)
    report = ThumbnailReport()

    def make(job: tuple[Path, str]) -> tuple[Path, str, Path | str]:
        path, sha256 = job
        try:
            return path, sha256, cache.thumbnail(path, sha256, size)
        except ThumbnailError as error:
            return path, sha256, str(error)

    with ThreadPoolExecutor(max_workers=workers or _WORKERS) as pool:
        for done, (path, sha256, outcome) in enumerate(pool.map(make, jobs), start=1):
            if isinstance(outcome, Path):
                report.made[sha256] = outcome
            else:
                report.failed.append((path, outcome))
            if progress is not None:
                progress(done, len(jobs))
    return report
