"""The thumbnail disk cache: keys, draft-mode decoding, EXIF orientation, errors, worker pool."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from studio.core import thumbnails
from studio.core.thumbnails import (
    ThumbnailCache,
    ThumbnailError,
    cache_dir,
    decode_for_thumbnail,
    generate_thumbnails,
)
from tests.conftest import write_images

EXIF_ORIENTATION = 0x0112


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_cache_lives_in_the_overridden_cache_dir(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("STUDIO_CACHE_DIR", str(tmp_path / "elsewhere"))
    source = write_images(tmp_path / "images", 1)[0]
    sha = sha256_of(source)

    made = ThumbnailCache().thumbnail(source, sha, 128)

    assert cache_dir() == tmp_path / "elsewhere"
    assert made == tmp_path / "elsewhere" / "thumbnails" / sha[:2] / f"{sha}-128.jpg"
    with Image.open(made) as image:
        assert image.format == "JPEG"
        assert max(image.size) == 64  # a 64×48 source is never enlarged
        assert image.size == (64, 48)


def test_thumbnail_fits_the_requested_size(tmp_path: Path) -> None:
    source = tmp_path / "wide.png"
    Image.new("RGB", (900, 300), (10, 120, 200)).save(source)

    made = ThumbnailCache(tmp_path / "cache").thumbnail(source, sha256_of(source), 150)

    with Image.open(made) as image:
        assert image.size == (150, 50)
        pixel = image.getpixel((75, 25))
    assert pixel == pytest.approx((10, 120, 200), abs=8)


def test_second_call_uses_the_cache_without_decoding(tmp_path: Path, monkeypatch) -> None:
    source = write_images(tmp_path / "images", 1)[0]
    sha = sha256_of(source)
    cache = ThumbnailCache(tmp_path / "cache")
    decoded: list[Path] = []
    real_render = thumbnails.render_thumbnail

    def counting_render(path: Path, size: int = thumbnails.DEFAULT_SIZE) -> Image.Image:
        decoded.append(path)
        return real_render(path, size)

    monkeypatch.setattr(thumbnails, "render_thumbnail", counting_render)
    first = cache.thumbnail(source, sha, 96)
    written_at = first.stat().st_mtime_ns
    second = cache.thumbnail(source, sha, 96)

    assert second == first
    assert decoded == [source]
    assert first.stat().st_mtime_ns == written_at
    cache.thumbnail(source, sha, 48)  # another size is another entry
    assert decoded == [source, source]


def test_an_empty_leftover_is_rebuilt(tmp_path: Path) -> None:
    source = write_images(tmp_path / "images", 1)[0]
    sha = sha256_of(source)
    cache = ThumbnailCache(tmp_path / "cache")
    leftover = cache.path_for(sha, 64)
    leftover.parent.mkdir(parents=True)
    leftover.write_bytes(b"")

    made = cache.thumbnail(source, sha, 64)

    assert made == leftover
    with Image.open(made) as image:
        assert image.size == (64, 48)


def test_draft_mode_decodes_a_large_jpeg_at_reduced_scale(tmp_path: Path) -> None:
    source = tmp_path / "large.jpg"
    rng = np.random.default_rng(1)
    pixels = rng.integers(0, 255, size=(2400, 3200, 3), dtype=np.uint8)
    Image.fromarray(pixels).save(source, quality=80)

    decoded = decode_for_thumbnail(source, 256)

    # 3200×2400 at 1/8 scale is 400×300: both sides stay at least 256.
    assert decoded.size == (400, 300)
    made = ThumbnailCache(tmp_path / "cache").thumbnail(source, sha256_of(source), 256)
    with Image.open(made) as image:
        assert image.size == (256, 192)


def test_png_is_decoded_at_full_size(tmp_path: Path) -> None:
    source = tmp_path / "large.png"
    Image.new("RGB", (1200, 800), (0, 0, 0)).save(source)

    assert decode_for_thumbnail(source, 256).size == (1200, 800)


def test_exif_orientation_is_applied(tmp_path: Path) -> None:
    source = tmp_path / "rotated.jpg"
    pixels = np.zeros((40, 120, 3), dtype=np.uint8)  # stored landscape: 120 wide, 40 high
    pixels[:, :60] = (250, 0, 0)  # left half red, right half blue
    pixels[:, 60:] = (0, 0, 250)
    exif = Image.Exif()
    exif[EXIF_ORIENTATION] = 6  # shown rotated 90° clockwise
    Image.fromarray(pixels).save(source, quality=95, exif=exif.tobytes())

    made = ThumbnailCache(tmp_path / "cache").thumbnail(source, sha256_of(source), 256)

    with Image.open(made) as image:
        assert image.size == (40, 120)  # portrait on display
        top = image.getpixel((20, 10))
        bottom = image.getpixel((20, 110))
    assert top == pytest.approx((250, 0, 0), abs=40)  # the stored left (red) is now on top
    assert bottom == pytest.approx((0, 0, 250), abs=40)


def test_transparent_png_is_flattened_on_white(tmp_path: Path) -> None:
    source = tmp_path / "alpha.png"
    Image.new("RGBA", (32, 32), (0, 0, 0, 0)).save(source)

    made = ThumbnailCache(tmp_path / "cache").thumbnail(source, sha256_of(source), 32)

    with Image.open(made) as image:
        assert image.mode == "RGB"
        assert min(image.getpixel((16, 16))) > 245


def test_sixteen_bit_grey_is_scaled_to_eight_bits(tmp_path: Path) -> None:
    source = tmp_path / "deep.png"
    ramp = np.tile(np.linspace(0, 4000, 64, dtype=np.uint16), (16, 1))
    Image.fromarray(ramp).save(source)

    made = ThumbnailCache(tmp_path / "cache").thumbnail(source, sha256_of(source), 64)

    with Image.open(made) as image:
        left, right = image.getpixel((1, 8)), image.getpixel((62, 8))
    assert left[0] < 20
    assert right[0] > 235


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"", "unreadable or corrupt"),
        (b"this is not an image at all", "unreadable or corrupt"),
    ],
)
def test_corrupt_source_raises_a_clear_error(tmp_path: Path, content: bytes, problem: str) -> None:
    source = tmp_path / "broken.jpg"
    source.write_bytes(content)
    cache = ThumbnailCache(tmp_path / "cache")
    sha = sha256_of(source)

    with pytest.raises(ThumbnailError, match=problem) as raised:
        cache.thumbnail(source, sha, 64)

    assert str(source) in str(raised.value)
    assert cache.cached(sha, 64) is None
    assert not any(path.is_file() for path in cache.root.rglob("*"))


def test_truncated_jpeg_raises_a_clear_error(tmp_path: Path) -> None:
    good = write_images(tmp_path / "images", 1, size=(400, 300))[0]
    source = tmp_path / "truncated.jpg"
    source.write_bytes(good.read_bytes()[:600])

    with pytest.raises(ThumbnailError, match=r"truncated\.jpg"):
        ThumbnailCache(tmp_path / "cache").thumbnail(source, sha256_of(source), 64)


def test_missing_source_raises_a_clear_error(tmp_path: Path) -> None:
    source = tmp_path / "gone.jpg"

    with pytest.raises(ThumbnailError, match=r"gone\.jpg: the file is missing"):
        ThumbnailCache(tmp_path / "cache").thumbnail(source, "a" * 64, 64)


def test_keys_must_be_sha256_digests(tmp_path: Path) -> None:
    cache = ThumbnailCache(tmp_path / "cache")

    with pytest.raises(ValueError, match="not a sha256"):
        cache.path_for("../../etc/passwd", 64)
    with pytest.raises(ValueError, match="must be positive"):
        cache.path_for("b" * 64, 0)


def test_generate_thumbnails_with_a_worker_pool(tmp_path: Path) -> None:
    sources = write_images(tmp_path / "images", 12, size=(120, 90))
    broken = tmp_path / "images" / "broken.jpg"
    broken.write_bytes(b"\xff\xd8 not really a jpeg")
    jobs = [(path, sha256_of(path)) for path in [*sources, broken]]
    cache = ThumbnailCache(tmp_path / "cache")
    seen: list[tuple[int, int]] = []

    report = generate_thumbnails(
        jobs, size=64, cache=cache, workers=3, progress=lambda d, t: seen.append((d, t))
    )

    assert set(report.made) == {sha for path, sha in jobs if path != broken}
    assert all(path.is_file() for path in report.made.values())
    assert [path for path, _reason in report.failed] == [broken]
    assert "broken.jpg" in report.failed[0][1]
    assert seen == [(done, 13) for done in range(1, 14)]
    with Image.open(report.made[jobs[0][1]]) as image:
        assert image.size == (64, 48)
