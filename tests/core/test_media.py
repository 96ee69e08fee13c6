"""Media import: good files in every format beside every kind of bad file, paths, duplicates,
EXIF orientation, the content-addressed copy mode, and relinking moved files."""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
from pathlib import Path

import pytest

from studio.api import Project
from studio.core.media import CHANGED_FILE, expand_paths
from tests.core.image_files import corrupted_copy, png_bomb, save_image, truncated_copy

GOOD_FILES = {
    "good.jpg": "JPEG",
    "good.png": "PNG",
    "good.bmp": "BMP",
    "good.tif": "TIFF",
    "good.webp": "WEBP",
}


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _bad_files(folder: Path) -> dict[str, str]:
    """Write every kind of bad file into `folder`; returns name → words its reason must hold."""
    source_jpeg = save_image(folder / "source" / "big.jpg", size=(64, 48), seed=90)
    source_png = save_image(folder / "source" / "big.png", size=(64, 48), seed=91)
    truncated_copy(source_jpeg, folder / "cut.jpg")
    truncated_copy(source_png, folder / "cut.png")
    corrupted_copy(source_png, folder / "damaged.png")
    shutil.rmtree(folder / "source")
    (folder / "empty.jpg").write_bytes(b"")
    (folder / "readme.txt").write_text("not an image")
    (folder / "fake.jpg").write_bytes(b"\xff\xd8\xff\xe0" + b"\x00" * 300)
    png_bomb(folder / "bomb.png", 20_000, 20_000)
    save_image(folder / "anim.gif", seed=92)
    return {
        "cut.jpg": "truncated",
        "cut.png": "truncated",
        "damaged.png": "corrupt",
        "empty.jpg": "empty",
        "readme.txt": "not an image",
        "fake.jpg": "not an image",
        "bomb.png": "decompression bomb",
        "anim.gif": "unsupported image format GIF",
    }


def test_good_files_import_and_each_bad_file_is_reported_with_its_reason(
    project: Project, tmp_path: Path
) -> None:
    folder = tmp_path / "mixed"
    for index, name in enumerate(GOOD_FILES):
        save_image(folder / name, size=(40, 30), seed=index)
    expected_reasons = _bad_files(folder)

    report = project.import_media([folder])

    assert len(report.added) == len(GOOD_FILES)
    assert report.duplicates == []
    failed = {path.name: reason for path, reason in report.failed}
    assert set(failed) == set(expected_reasons)
    for name, words in expected_reasons.items():
        assert words in failed[name], (name, failed[name])
    items = {Path(item.path).name: item for item in project.items()}
    assert {name: item.format for name, item in items.items()} == GOOD_FILES
    for name, item in items.items():
        assert (item.width, item.height) == (40, 30)
        assert item.sha256 == _sha256(folder / name)
        assert item.size_bytes == (folder / name).stat().st_size
        assert item.status == "new"
    assert report.summary() == "5 added, 0 duplicates skipped, 8 failed"


def test_paths_are_stored_relative_to_the_project_file(tmp_path: Path) -> None:
    save_image(tmp_path / "photos" / "a.jpg")
    (tmp_path / "work").mkdir()
    with Project.create(tmp_path / "work" / "p.studio") as project:
        project.import_media([tmp_path / "photos"])
        (item,) = project.items()
        assert item.path == "../photos/a.jpg"
        assert project.media_path(item) == (tmp_path / "photos" / "a.jpg").resolve()


def test_unicode_and_spaces_in_folder_and_file_names(project: Project, tmp_path: Path) -> None:
    folder = tmp_path / "Fotos del año" / "été 2024"
    names = ["chat noir.jpg", "狗 1.png", "ça va (2).webp"]
    for index, name in enumerate(names):
        save_image(folder / name, seed=index)
    report = project.import_media([tmp_path / "Fotos del año"])
    assert report.failed == []
    paths = sorted(item.path for item in project.items())
    assert paths == sorted(f"Fotos del año/été 2024/{name}" for name in names)
    for item in project.items():
        assert project.media_path(item).is_file()


def test_folders_are_searched_recursively_and_hidden_entries_skipped(
    project: Project, tmp_path: Path
) -> None:
    root = tmp_path / "deep"
    save_image(root / "a.jpg", seed=1)
    save_image(root / "one" / "b.png", seed=2)
    save_image(root / "one" / "two" / "three" / "c.webp", seed=3)
    save_image(root / ".cache" / "hidden.jpg", seed=4)
    save_image(root / ".hidden.jpg", seed=5)
    report = project.import_media(root)  # a single path, not a list
    assert len(report.added) == 3
    assert report.failed == []
    names = sorted(Path(item.path).name for item in project.items())
    assert names == ["a.jpg", "b.png", "c.webp"]


def test_glob_patterns_select_files(project: Project, tmp_path: Path) -> None:
    root = tmp_path / "g"
    save_image(root / "a.jpg", seed=1)
    save_image(root / "b.png", seed=2)
    save_image(root / "sub" / "c.jpg", seed=3)
    save_image(root / "sub" / "d.png", seed=4)
    report = project.import_media([f"{root}/*.png"])
    assert [Path(i.path).name for i in project.items()] == ["b.png"]
    assert report.failed == []
    project.import_media([f"{root}/**/*.jpg"])
    names = sorted(Path(i.path).name for i in project.items())
    assert names == ["a.jpg", "b.png", "c.jpg"]


def test_missing_paths_and_empty_globs_are_reported(project: Project, tmp_path: Path) -> None:
    report = project.import_media([tmp_path / "absent", f"{tmp_path}/*.jpg"])
    assert report.added == []
    reasons = {str(path): reason for path, reason in report.failed}
    assert reasons == {
        str(tmp_path / "absent"): "no such file or folder",
        f"{tmp_path}/*.jpg": "the pattern matches no file",
    }


def test_expand_paths_lists_each_file_once(tmp_path: Path) -> None:
    a = save_image(tmp_path / "a.jpg")
    files, problems = expand_paths([tmp_path, a, f"{tmp_path}/*.jpg"])
    assert files == [a]
    assert problems == []


def test_duplicates_by_content_are_skipped_and_counted(project: Project, tmp_path: Path) -> None:
    first = save_image(tmp_path / "in" / "first.jpg", seed=7)
    shutil.copyfile(first, tmp_path / "in" / "same content.jpg")
    save_image(tmp_path / "in" / "other.jpg", seed=8)
    report = project.import_media([tmp_path / "in"])
    assert len(report.added) == 2
    assert [path.name for path in report.duplicates] == ["same content.jpg"]

    again = project.import_media([tmp_path / "in"])
    assert again.added == []
    assert sorted(path.name for path in again.duplicates) == [
        "first.jpg",
        "other.jpg",
        "same content.jpg",
    ]
    assert project.count_items() == 2


def test_a_file_changed_since_import_is_reported(project: Project, tmp_path: Path) -> None:
    path = save_image(tmp_path / "a.jpg", seed=1)
    project.import_media([path])
    save_image(path, seed=2)  # same name, new content
    report = project.import_media([path])
    assert report.failed == [(path, CHANGED_FILE)]
    assert project.count_items() == 1


@pytest.mark.parametrize(("orientation", "size"), [(1, (40, 30)), (3, (40, 30)), (6, (30, 40))])
def test_exif_orientation_gives_the_displayed_size(
    project: Project, tmp_path: Path, orientation: int, size: tuple[int, int]
) -> None:
    path = save_image(tmp_path / f"o{orientation}.jpg", size=(40, 30), orientation=orientation)
    project.import_media([path])
    (item,) = project.items()
    assert (item.width, item.height) == size
    assert item.meta == ({} if orientation == 1 else {"orientation": orientation})


def test_orientation_8_swaps_width_and_height(project: Project, tmp_path: Path) -> None:
    path = save_image(tmp_path / "o8.jpg", size=(64, 16), orientation=8)
    project.import_media([path])
    (item,) = project.items()
    assert (item.width, item.height, item.meta["orientation"]) == (16, 64, 8)
    project.add_classes(["x"])
    project.annotate(item.id, "x", box=[0, 0, 16, 64])  # fits the displayed image only


def test_copy_mode_stores_files_by_content(project: Project, tmp_path: Path) -> None:
    sources = [save_image(tmp_path / "in" / f"{n}.JPG", seed=n) for n in range(3)]
    report = project.import_media([tmp_path / "in"], copy=True)
    assert len(report.added) == 3
    objects = project.store_dir / "objects"
    assert project.store_dir == project.path.with_name("test.studio.d")
    for source in sources:
        sha = _sha256(source)
        (item,) = [i for i in project.items() if i.sha256 == sha]
        stored = objects / sha[:2] / f"{sha[2:]}.jpg"
        assert item.path == f"test.studio.d/objects/{sha[:2]}/{sha[2:]}.jpg"
        assert project.media_path(item) == stored
        assert stored.read_bytes() == source.read_bytes()
        assert stat.S_IMODE(stored.stat().st_mode) == 0o644
    shutil.rmtree(tmp_path / "in")  # the project no longer needs the originals
    assert all(project.media_path(item).is_file() for item in project.items())
    leftovers = [p for p in objects.rglob("*") if p.is_file() and p.name.startswith(".")]
    assert leftovers == []


def test_copy_mode_reimport_is_a_duplicate_and_copies_nothing(
    project: Project, tmp_path: Path
) -> None:
    source = save_image(tmp_path / "a.png", seed=3)
    project.import_media([source], copy=True)
    stored = project.media_path(project.items()[0])
    mtime = stored.stat().st_mtime_ns
    report = project.import_media([source], copy=True)
    assert (report.added, report.duplicates) == ([], [source])
    assert stored.stat().st_mtime_ns == mtime
    assert len([p for p in (project.store_dir / "objects").rglob("*") if p.is_file()]) == 1


def test_relink_repoints_moved_files_by_content(tmp_path: Path) -> None:
    with Project.create(tmp_path / "p.studio") as project:
        for n in range(4):
            save_image(tmp_path / "old" / "sub" / f"img {n}.jpg", seed=n)
        added = project.import_media([tmp_path / "old"]).added
        moved = tmp_path / "new place"
        shutil.move(tmp_path / "old", moved)
        (moved / "sub" / "img 3.jpg").unlink()  # this one is gone for good
        save_image(moved / "unrelated.jpg", seed=50)
        progress: list[tuple[int, int]] = []

        report = project.relink(
            [moved], progress=lambda done, total: progress.append((done, total))
        )

        assert sorted(report.relinked) == sorted(added[:3])
        assert report.still_missing == [added[3]]
        for item in project.items_by_ids(added[:3]):
            assert item.path.startswith("new place/sub/img ")
            assert project.media_path(item).is_file()
            assert _sha256(project.media_path(item)) == item.sha256
        assert progress
        assert progress[-1][0] == progress[-1][1]
        assert project.relink([moved]).relinked == []


def test_relink_with_nothing_missing_reads_no_file(project: Project, image_folder: Path) -> None:
    project.import_media([image_folder])
    report = project.relink([image_folder], progress=lambda *_: pytest.fail("hashed a file"))
    assert (report.relinked, report.still_missing) == ([], [])


def test_relink_skips_unreadable_candidates(project: Project, tmp_path: Path) -> None:
    path = save_image(tmp_path / "a" / "x.jpg")
    (item_id,) = project.import_media([path]).added
    path.unlink()
    os.symlink(tmp_path / "nowhere.jpg", tmp_path / "a" / "broken.jpg")
    report = project.relink([tmp_path / "a"])
    assert report.still_missing == [item_id]


def test_import_progress_reaches_the_total(project: Project, image_folder: Path) -> None:
    seen: list[tuple[int, int]] = []
    project.import_media([image_folder], progress=lambda done, total: seen.append((done, total)))
    assert seen == [(n, 6) for n in range(1, 7)]


def test_import_of_the_same_files_by_another_writer_counts_duplicates(
    tmp_path: Path, image_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another process imports the same files between this import's read and its write."""
    from studio.core import media

    path = tmp_path / "shared.studio"
    with Project.create(path) as mine, Project.open(path) as theirs:
        probe = media._probe

        def let_the_other_import_then_probe(path: str) -> object:
            monkeypatch.setattr(media, "_probe", probe)
            assert len(theirs.import_media([image_folder]).added) == 6
            return probe(path)

        monkeypatch.setattr(media, "_probe", let_the_other_import_then_probe)
        report = mine.import_media([image_folder])
        assert report.added == []
        assert len(report.duplicates) == 6
        assert mine.count_items() == 6


def _kept_copies(project: Project, tmp_path: Path) -> dict[str, int]:
    """Items cat/b.jpg and dog/a.jpg with one content (kept duplicates), moved into new/:
    file name → item id."""
    save_image(tmp_path / "pets/cat/b.jpg", seed=7)
    (tmp_path / "pets/dog").mkdir()
    shutil.copy(tmp_path / "pets/cat/b.jpg", tmp_path / "pets/dog/a.jpg")
    project.import_labels(tmp_path / "pets", format="class_folders", keep_duplicates=True)
    (tmp_path / "new").mkdir()
    for item in project.items():
        shutil.move(project.media_path(item), tmp_path / "new")
    return {Path(item.path).name: item.id for item in project.items()}


def test_relink_gives_items_of_one_content_each_its_own_file_name(
    project: Project, tmp_path: Path
) -> None:
    ids = _kept_copies(project, tmp_path)
    report = project.relink([tmp_path / "new"])
    assert sorted(report.relinked) == sorted(ids.values())
    assert {name: project.item(item_id).path for name, item_id in ids.items()} == {
        "a.jpg": "new/a.jpg",
        "b.jpg": "new/b.jpg",
    }


def test_relink_leaves_an_item_missing_when_its_content_has_no_file_left(
    project: Project, tmp_path: Path
) -> None:
    ids = _kept_copies(project, tmp_path)
    (tmp_path / "new/b.jpg").unlink()
    report = project.relink([tmp_path / "new"])
    assert (report.relinked, report.still_missing) == ([ids["a.jpg"]], [ids["b.jpg"]])
    assert project.item(ids["a.jpg"]).path == "new/a.jpg"


def test_media_import_skips_content_that_kept_duplicates_already_have(
    project: Project, tmp_path: Path
) -> None:
    save_image(tmp_path / "pets/cat/a.jpg", seed=7)
    (tmp_path / "pets/dog").mkdir()
    shutil.copy(tmp_path / "pets/cat/a.jpg", tmp_path / "pets/dog/a.jpg")
    shutil.copy(tmp_path / "pets/cat/a.jpg", tmp_path / "a third copy.jpg")
    project.import_labels(tmp_path / "pets", format="class_folders", keep_duplicates=True)
    report = project.import_media([tmp_path / "a third copy.jpg"])
    assert (report.added, [path.name for path in report.duplicates]) == ([], ["a third copy.jpg"])
    assert project.count_items() == 2
