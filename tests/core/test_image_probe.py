"""Reading format, size and orientation from image headers; refusing bad files with a reason."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import (
    BmpImagePlugin,
    Image,
    ImageFile,
    ImageOps,
    JpegImagePlugin,
    PngImagePlugin,
    TiffImagePlugin,
    WebPImagePlugin,
)

from studio.core.image_probe import ProbeError, probe_image
from tests.core.image_files import (
    corrupted_copy,
    pixels,
    png_bomb,
    save_image,
    truncated_copy,
)

GOOD = [
    ("a.jpg", "JPEG"),
    ("b.png", "PNG"),
    ("c.bmp", "BMP"),
    ("d.tif", "TIFF"),
    ("e.webp", "WEBP"),
]


@pytest.mark.parametrize(("name", "image_format"), GOOD)
def test_probe_reads_format_size_and_bytes(tmp_path: Path, name: str, image_format: str) -> None:
    path = save_image(tmp_path / name, size=(40, 30))
    info = probe_image(path)
    assert (info.format, info.width, info.height) == (image_format, 40, 30)
    assert info.orientation == 1
    assert info.size_bytes == path.stat().st_size


@pytest.mark.parametrize("suffix", [".jpg", ".png", ".webp", ".tif"])
@pytest.mark.parametrize("orientation", range(1, 9))
def test_exif_orientation_swaps_width_and_height_when_rotated(
    tmp_path: Path, suffix: str, orientation: int
) -> None:
    path = save_image(tmp_path / f"o{orientation}{suffix}", size=(40, 30), orientation=orientation)
    info = probe_image(path)
    assert info.orientation == orientation
    expected = (30, 40) if orientation in (5, 6, 7, 8) else (40, 30)
    assert (info.width, info.height) == expected
    with Image.open(path) as image:
        assert ImageOps.exif_transpose(image).size == expected


@pytest.mark.parametrize(("name", "image_format"), GOOD)
def test_probe_never_decodes_pixels(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, image_format: str
) -> None:
    path = save_image(tmp_path / name, orientation=6)

    def refuse_decoding(self: Image.Image) -> None:
        raise AssertionError(f"probe_image decoded the pixels of {self.format}")

    plugins = [
        Image.Image,
        ImageFile.ImageFile,
        PngImagePlugin.PngImageFile,
        JpegImagePlugin.JpegImageFile,
        BmpImagePlugin.BmpImageFile,
        TiffImagePlugin.TiffImageFile,
        WebPImagePlugin.WebPImageFile,
    ]
    for plugin in plugins:
        if "load" in vars(plugin):
            monkeypatch.setattr(plugin, "load", refuse_decoding)
    info = probe_image(path)
    displayed = (40, 30) if image_format == "BMP" else (30, 40)  # BMP holds no EXIF
    assert (info.format, info.width, info.height) == (image_format, *displayed)


def _reason(path: Path) -> str:
    with pytest.raises(ProbeError) as raised:
        probe_image(path)
    return str(raised.value)


def test_empty_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "empty.jpg").write_bytes(b"")
    assert _reason(tmp_path / "empty.jpg") == "empty file"


@pytest.mark.parametrize("suffix", [".jpg", ".png"])
def test_truncated_file_is_refused(tmp_path: Path, suffix: str) -> None:
    good = save_image(tmp_path / f"good{suffix}", size=(64, 48))
    assert "truncated" in _reason(truncated_copy(good, tmp_path / f"cut{suffix}"))


@pytest.mark.parametrize(
    "options", [{}, {"progressive": True}, {"restart_marker_blocks": 1}], ids=str
)
def test_jpeg_with_data_after_the_image_is_complete(tmp_path: Path, options: dict) -> None:
    """Phones append a video after the image ("motion photos"): still a whole JPEG."""
    path = tmp_path / "motion.jpg"
    Image.fromarray(pixels(64, 48, 3)).save(path, "JPEG", **options)
    path.write_bytes(path.read_bytes() + b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 8)
    assert probe_image(path).format == "JPEG"
    truncated = truncated_copy(path, tmp_path / "cut.jpg", keep=0.3)
    assert "truncated" in _reason(truncated)


def test_jpeg_cut_short_is_refused_even_with_an_end_marker_in_its_metadata(
    tmp_path: Path,
) -> None:
    good = save_image(tmp_path / "good.jpg", size=(64, 48)).read_bytes()
    thumbnail = b"Exif\x00\x00\xff\xd8" + b"tiny thumbnail" + b"\xff\xd9"
    app1 = b"\xff\xe1" + (len(thumbnail) + 2).to_bytes(2, "big") + thumbnail
    with_metadata = good[:2] + app1 + good[2:]
    (tmp_path / "cut.jpg").write_bytes(with_metadata[: len(with_metadata) * 2 // 3])
    assert "truncated" in _reason(tmp_path / "cut.jpg")


def test_png_without_its_end_chunk_is_refused(tmp_path: Path) -> None:
    good = save_image(tmp_path / "good.png")
    data = good.read_bytes()
    assert data.endswith(b"IEND\xaeB`\x82")
    (tmp_path / "no_end.png").write_bytes(data[:-12])
    assert "truncated" in _reason(tmp_path / "no_end.png")


def test_png_with_damaged_pixel_data_is_refused(tmp_path: Path) -> None:
    good = save_image(tmp_path / "good.png", size=(64, 48))
    reason = _reason(corrupted_copy(good, tmp_path / "bad.png"))
    assert reason.startswith("corrupt")


def test_text_file_is_not_an_image(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("not a picture\n")
    assert _reason(tmp_path / "notes.txt").startswith("not an image")


def test_random_bytes_behind_a_jpeg_signature_are_not_an_image(tmp_path: Path) -> None:
    (tmp_path / "fake.jpg").write_bytes(b"\xff\xd8\xff" + bytes(range(256)) * 4)
    assert _reason(tmp_path / "fake.jpg").startswith("not an image")


def test_unsupported_format_is_named(tmp_path: Path) -> None:
    reason = _reason(save_image(tmp_path / "anim.gif"))
    assert reason.startswith("unsupported image format GIF")


def test_header_claiming_more_than_twice_the_pixel_limit_is_a_bomb(tmp_path: Path) -> None:
    side = 20_000  # 4e8 pixels: over twice Pillow's default limit
    assert side * side > 2 * Image.MAX_IMAGE_PIXELS
    bomb = png_bomb(tmp_path / "bomb.png", side, side)
    assert bomb.stat().st_size < 200
    assert "decompression bomb" in _reason(bomb)


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
def test_header_between_the_limit_and_twice_it_is_also_a_bomb(tmp_path: Path) -> None:
    """Pillow only warns in this range; Studio refuses."""
    side = int((1.5 * Image.MAX_IMAGE_PIXELS) ** 0.5)
    assert Image.MAX_IMAGE_PIXELS < side * side < 2 * Image.MAX_IMAGE_PIXELS
    reason = _reason(png_bomb(tmp_path / "bomb.png", side, side))
    assert "decompression bomb" in reason
    assert f"{side}×{side}" in reason


def test_missing_file_raises_os_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        probe_image(tmp_path / "gone.jpg")
