"""The thumbnail loader: worker threads, batches, missing and broken files, dropping."""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

from PySide6.QtCore import QSize
from pytestqt.qtbot import QtBot

from studio.core.thumbnails import ThumbnailCache
from studio.gui.gallery import thumbnail_loader
from studio.gui.gallery.thumbnail_loader import (
    ThumbnailLoader,
    ThumbnailResult,
    ThumbnailState,
    cache_size_for,
)
from tests.conftest import write_images


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def collect(loader: ThumbnailLoader) -> list[ThumbnailResult]:
    results: list[ThumbnailResult] = []
    loader.batch_ready.connect(results.extend)
    return results


def test_results_arrive_scaled_to_the_display_box(qtbot: QtBot, tmp_path: Path) -> None:
    images = write_images(tmp_path / "images", 8, size=(200, 100))
    loader = ThumbnailLoader(QSize(50, 50), cache=ThumbnailCache(tmp_path / "cache"))
    results = collect(loader)

    for item_id, path in enumerate(images):
        loader.request(item_id, sha256_of(path), path)
    qtbot.waitUntil(lambda: len(results) == 8, timeout=20_000)
    loader.shutdown()

    assert sorted(result.request.item_id for result in results) == list(range(8))
    assert {result.state for result in results} == {ThumbnailState.READY}
    assert {result.image.size().toTuple() for result in results} == {(50, 25)}
    assert len(list((tmp_path / "cache").rglob("*-256.jpg"))) == 8


def test_missing_and_broken_files_are_reported(qtbot: QtBot, tmp_path: Path) -> None:
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"nothing like a JPEG")
    loader = ThumbnailLoader(QSize(50, 50), cache=ThumbnailCache(tmp_path / "cache"))
    results = collect(loader)

    loader.request(1, "1" * 64, tmp_path / "gone.jpg")
    loader.request(2, sha256_of(broken), broken)
    qtbot.waitUntil(lambda: len(results) == 2, timeout=20_000)
    loader.shutdown()

    by_id = {result.request.item_id: result for result in results}
    assert by_id[1].state is ThumbnailState.MISSING
    assert "gone.jpg" in by_id[1].message
    assert by_id[2].state is ThumbnailState.FAILED
    assert "broken.jpg" in by_id[2].message


def test_newest_requests_come_first_and_the_oldest_are_dropped(
    qtbot: QtBot, tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.setattr(thumbnail_loader, "MAX_WAITING", 3)
    images = write_images(tmp_path / "images", 11)
    started, release = threading.Event(), threading.Event()
    served: list[int] = []
    real_load = thumbnail_loader.load_thumbnail

    def held_load(request, cache, display, pixel_ratio):
        served.append(request.item_id)
        started.set()
        release.wait(timeout=30)  # the first job holds the only worker
        return real_load(request, cache, display, pixel_ratio)

    monkeypatch.setattr(thumbnail_loader, "load_thumbnail", held_load)
    monkeypatch.setattr(thumbnail_loader, "MAX_THREADS", 1)
    loader = ThumbnailLoader(QSize(50, 50), cache=ThumbnailCache(tmp_path / "cache"))
    results = collect(loader)

    loader.request(0, sha256_of(images[0]), images[0])
    assert started.wait(timeout=30)
    for item_id, path in enumerate(images[1:], start=1):
        loader.request(item_id, sha256_of(path), path)
    release.set()
    qtbot.waitUntil(lambda: len(results) == 11, timeout=20_000)
    loader.shutdown()

    states = {result.request.item_id: result.state for result in results}
    dropped = sorted(i for i, state in states.items() if state is ThumbnailState.DROPPED)
    assert dropped == list(range(1, 8))
    assert served == [0, 10, 9, 8]
    assert {states[i] for i in (0, 8, 9, 10)} == {ThumbnailState.READY}


def test_high_density_screens_get_more_pixels(qtbot: QtBot, tmp_path: Path) -> None:
    source = write_images(tmp_path / "images", 1, size=(800, 400))[0]
    loader = ThumbnailLoader(
        QSize(160, 120), cache=ThumbnailCache(tmp_path / "cache"), pixel_ratio=2.0
    )
    results = collect(loader)

    loader.request(1, sha256_of(source), source)
    qtbot.waitUntil(lambda: len(results) == 1, timeout=20_000)
    loader.shutdown()

    image = results[0].image
    assert image.size().toTuple() == (320, 160)  # physical pixels
    assert image.devicePixelRatio() == 2.0
    assert image.deviceIndependentSize().toSize().toTuple() == (160, 80)
    assert [path.name[-8:] for path in (tmp_path / "cache").rglob("*.jpg")] == ["-512.jpg"]


def test_the_disk_cache_holds_two_sizes_whatever_the_slider_says() -> None:
    assert cache_size_for(QSize(160, 160), 1.0) == 256
    assert cache_size_for(QSize(256, 256), 1.0) == 256
    assert cache_size_for(QSize(272, 272), 1.0) == 512
    assert cache_size_for(QSize(320, 320), 2.0) == 512  # drawn enlarged from the 512 one


def test_an_unexpected_worker_error_is_reported_not_lost(
    qtbot: QtBot, tmp_path: Path, monkeypatch
) -> None:
    def exploding_load(*_args: object) -> ThumbnailResult:
        raise MemoryError("out of memory while decoding")

    monkeypatch.setattr(thumbnail_loader, "load_thumbnail", exploding_load)
    loader = ThumbnailLoader(QSize(50, 50), cache=ThumbnailCache(tmp_path / "cache"))
    results = collect(loader)

    loader.request(4, "4" * 64, tmp_path / "any.jpg")
    qtbot.waitUntil(lambda: len(results) == 1, timeout=20_000)
    loader.shutdown()

    assert results[0].state is ThumbnailState.FAILED
    assert "out of memory while decoding" in results[0].message


def test_held_workers_start_nothing_until_resumed(
    qtbot: QtBot, tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.setattr(thumbnail_loader, "MAX_THREADS", 1)  # one worker: a known order
    images = write_images(tmp_path / "images", 3)
    loader = ThumbnailLoader(QSize(50, 50), cache=ThumbnailCache(tmp_path / "cache"))
    results = collect(loader)

    loader.hold(60_000)
    for item_id, path in enumerate(images):
        loader.request(item_id, sha256_of(path), path)
    qtbot.wait(300)
    assert results == []
    assert list((tmp_path / "cache").rglob("*.jpg")) == []
    loader.resume()
    qtbot.waitUntil(lambda: len(results) == 3, timeout=20_000)
    loader.shutdown()

    assert [result.request.item_id for result in results] == [2, 1, 0]  # newest first


def test_a_result_made_for_cancelled_requests_is_thrown_away(
    qtbot: QtBot, tmp_path: Path, monkeypatch
) -> None:
    images = write_images(tmp_path / "images", 2)
    started, release = threading.Event(), threading.Event()
    real_load = thumbnail_loader.load_thumbnail

    def held_load(request, cache, display, pixel_ratio):
        started.set()
        release.wait(timeout=30)
        return real_load(request, cache, display, pixel_ratio)

    monkeypatch.setattr(thumbnail_loader, "load_thumbnail", held_load)
    loader = ThumbnailLoader(QSize(50, 50), cache=ThumbnailCache(tmp_path / "cache"))
    results = collect(loader)
    loader.request(1, sha256_of(images[0]), images[0])
    assert started.wait(timeout=30)

    loader.cancel_waiting()  # e.g. another project opens while the worker decodes
    release.set()
    loader.wait_for_workers()
    loader.request(2, sha256_of(images[1]), images[1])
    qtbot.waitUntil(lambda: len(results) == 1, timeout=20_000)
    loader.shutdown()

    assert results[0].request.item_id == 2


def test_a_small_image_is_enlarged_pixel_by_pixel_and_a_large_one_shrunk_smoothly(
    qtbot: QtBot, tmp_path: Path
) -> None:
    small = write_images(tmp_path / "small", 1, size=(32, 16))[0]
    large = write_images(tmp_path / "large", 1, size=(800, 400), seed=1)[0]
    loader = ThumbnailLoader(QSize(128, 128), cache=ThumbnailCache(tmp_path / "cache"))
    results = collect(loader)

    loader.request(1, sha256_of(small), small)
    loader.request(2, sha256_of(large), large)
    qtbot.waitUntil(lambda: len(results) == 2, timeout=20_000)
    loader.shutdown()

    images = {result.request.item_id: result.image for result in results}
    assert images[1].size().toTuple() == (128, 64)
    assert images[2].size().toTuple() == (128, 64)
    block = [images[1].pixel(x, y) for x in range(4) for y in range(4)]
    assert len(set(block)) == 1  # one source pixel became a 4×4 square of one colour
