"""The `studio` command line, driven through typer's CliRunner and as a real console script."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
import types
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import Result

from studio.api import Project
from studio.core.errors import ProjectFileError
from studio.core.project_file import head_revision
from tests.cli_helpers import run_cli
from tests.conftest import write_images

STUDIO_SCRIPT = Path(sys.executable).with_name("studio")


def assert_user_error(result: Result, *expected: str) -> str:
    """A user error: exit status 1, exactly one line on stderr holding `expected`, no traceback."""
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.output
    for text in expected:
        assert text in lines[0]
    return lines[0]


def make_project(path: Path, images: list[Path] | None = None) -> Path:
    with Project.create(path, author="tester") as project:
        if images:
            project.import_media(images)
    return path


def make_newer_project(path: Path) -> bytes:
    """A project whose schema revision no Studio of this version knows; returns its bytes."""
    make_project(path)
    connection = sqlite3.connect(path)
    with connection:
        connection.execute("UPDATE alembic_version SET version_num = '9999_from_the_future'")
    connection.close()
    return path.read_bytes()


@pytest.fixture
def fake_gui(monkeypatch: pytest.MonkeyPatch) -> list[Path | None]:
    """Stand in for `studio.gui.app` so no window opens; returns the projects it was given."""
    calls: list[Path | None] = []

    def run_app(project_path: Path | None) -> int:
        calls.append(project_path)
        return 0

    module = types.ModuleType("studio.gui.app")
    module.run_app = run_app
    monkeypatch.setitem(sys.modules, "studio.gui.app", module)
    return calls


# -- new -------------------------------------------------------------------------------------


def test_new_adds_the_suffix_and_creates_an_empty_project(tmp_path: Path) -> None:
    result = run_cli("new", tmp_path / "birds")

    assert result.exit_code == 0, result.output
    path = tmp_path / "birds.studio"
    assert str(path) in result.stdout
    with Project.open(path) as project:
        assert project.count_items() == 0


def test_new_creates_missing_folders(tmp_path: Path) -> None:
    result = run_cli("new", tmp_path / "work" / "2024" / "birds.studio")

    assert result.exit_code == 0, result.output
    assert (tmp_path / "work" / "2024" / "birds.studio").is_file()


def test_new_refuses_an_existing_file_and_leaves_it_alone(tmp_path: Path) -> None:
    path = make_project(tmp_path / "birds.studio", write_images(tmp_path / "images", 2))
    before = path.read_bytes()

    result = run_cli("new", path)

    assert_user_error(result, str(path), "already exists")
    assert path.read_bytes() == before


# -- import ----------------------------------------------------------------------------------


def test_import_skips_broken_files_lists_them_and_exits_zero(
    tmp_path: Path, image_folder: Path
) -> None:
    project = make_project(tmp_path / "p.studio")
    (image_folder / "notes.jpg").write_text("not an image")
    (image_folder / "empty.png").write_bytes(b"")

    result = run_cli("import", project, image_folder)

    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[:3] == ["added       6", "duplicates  0", "failed      2"]
    failed = sorted(lines[3:])
    assert failed[0].startswith(f"  {image_folder / 'empty.png'}: empty")
    assert failed[1].startswith(f"  {image_folder / 'notes.jpg'}: not a")
    with Project.open(project) as opened:
        assert opened.count_items() == 6


def test_import_counts_duplicates_and_accepts_glob_patterns(
    tmp_path: Path, image_folder: Path
) -> None:
    project = make_project(tmp_path / "p.studio")
    assert run_cli("import", project, image_folder).exit_code == 0

    result = run_cli("import", project, f"{image_folder}/*.jpg")

    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[:3] == ["added       0", "duplicates  6", "failed      0"]


def test_import_copy_puts_the_images_in_the_project_store(
    tmp_path: Path, image_folder: Path
) -> None:
    project = make_project(tmp_path / "p.studio")

    result = run_cli("import", project, image_folder, "--copy")

    assert result.exit_code == 0, result.output
    with Project.open(project) as opened:
        paths = [opened.media_path(item) for item in opened.items()]
        store = opened.store_dir / "objects"
    assert len(paths) == 6
    assert all(path.is_file() and store in path.parents for path in paths)


def test_import_of_nothing_importable_fails_and_changes_nothing(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p.studio")

    result = run_cli("import", project, tmp_path / "no-such-folder")

    assert_user_error(result, str(project), "nothing imported")
    assert f"{tmp_path / 'no-such-folder'}: no such file or folder" in result.stdout
    with Project.open(project) as opened:
        assert opened.count_items() == 0
        assert not opened.can_undo()


# -- info ------------------------------------------------------------------------------------


@pytest.fixture
def labeled_project(tmp_path: Path, image_folder: Path) -> Path:
    path = tmp_path / "labeled.studio"
    with Project.create(path, author="tester") as project:
        project.add_classes(["cat", "dog", "bird"])
        ids = project.import_media([image_folder]).added
        project.annotate(ids[0], "cat")
        project.annotate(ids[1], "dog", box=[1, 2, 10, 12])
        project.annotate(ids[1], "cat")
        project.set_status(ids[2], "done_empty")
        project.set_split(ids[:3], "train")
        project.set_split(ids[3], "test")
    return path


def test_info_json_matches_the_api(labeled_project: Path) -> None:
    result = run_cli("info", labeled_project, "--json")

    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    with Project.open(labeled_project) as project:
        expected = project.stats().as_dict()
    assert printed == {"project": str(labeled_project.resolve()), "read_only": False, **expected}
    assert printed["by_status"]["in_progress"] == 2
    assert printed["items_by_class"] == {"cat": 2, "dog": 1, "bird": 0}


def test_info_prints_readable_tables(labeled_project: Path) -> None:
    result = run_cli("info", labeled_project)

    assert result.exit_code == 0, result.output
    lines = [line.split() for line in result.stdout.splitlines()]
    assert "6 items, 3 annotations, 3 classes" in result.stdout
    assert ["done_empty", "│", "1"] in lines
    assert ["train", "│", "3"] in lines
    assert ["none", "│", "2"] in lines
    assert ["cat", "│", "2", "│", "2"] in lines
    assert ["bird", "│", "0", "│", "0"] in lines


def test_info_finds_the_project_from_its_folder_or_bare_name(labeled_project: Path) -> None:
    by_folder = run_cli("info", labeled_project.parent, "--json")
    by_name = run_cli("info", labeled_project.with_suffix(""), "--json")

    assert by_folder.exit_code == 0, by_folder.output
    assert by_name.exit_code == 0, by_name.output
    assert json.loads(by_folder.stdout) == json.loads(by_name.stdout)


# -- relink ----------------------------------------------------------------------------------


def test_relink_after_moving_the_image_folder(tmp_path: Path) -> None:
    images = write_images(tmp_path / "photos", 5)
    (tmp_path / "project").mkdir()
    project = make_project(tmp_path / "project" / "p.studio", images)
    archive = tmp_path / "archive"
    archive.mkdir()
    shutil.move(tmp_path / "photos", archive / "photos")

    result = run_cli("relink", project, archive)

    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == ["relinked       5", "still missing  0"]
    with Project.open(project) as opened:
        resolved = [opened.media_path(item).resolve() for item in opened.items()]
    assert all(path.is_file() and archive.resolve() in path.parents for path in resolved)


def test_relink_lists_the_items_it_could_not_find(tmp_path: Path) -> None:
    images = write_images(tmp_path / "photos", 3)
    (tmp_path / "project").mkdir()
    project = make_project(tmp_path / "project" / "p.studio", images)
    archive = tmp_path / "archive"
    shutil.move(tmp_path / "photos", archive)
    (archive / images[1].name).unlink()

    result = run_cli("relink", project, archive)

    assert_user_error(result, str(project), "1 item is still missing")
    assert result.stdout.splitlines() == [
        "relinked       2",
        "still missing  1",
        f"  ../photos/{images[1].name}",
    ]


def test_relink_refuses_a_search_folder_that_does_not_exist(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p.studio")

    result = run_cli("relink", project, tmp_path / "elsewhere")

    assert_user_error(result, str(tmp_path / "elsewhere"), "no such folder")


# -- errors ----------------------------------------------------------------------------------


COMMANDS_ON_A_PROJECT: list[Callable[[Path, Path], list[str | Path]]] = [
    lambda project, _folder: ["info", project],
    lambda project, _folder: ["info", project, "--json"],
    lambda project, folder: ["import", project, folder],
    lambda project, folder: ["relink", project, folder],
    lambda project, _folder: ["open", project],
]


@pytest.mark.parametrize("command", COMMANDS_ON_A_PROJECT)
def test_a_missing_project_is_one_line_on_stderr(
    command: Callable[[Path, Path], list[str | Path]],
    tmp_path: Path,
    image_folder: Path,
    fake_gui: list[Path | None],
) -> None:
    missing = tmp_path / "missing.studio"

    result = run_cli(*command(missing, image_folder))

    assert_user_error(result, str(missing), "no such project file")
    assert not missing.exists()
    assert fake_gui == []


@pytest.mark.parametrize("command", COMMANDS_ON_A_PROJECT)
def test_a_project_from_a_newer_studio_is_refused_and_untouched(
    command: Callable[[Path, Path], list[str | Path]],
    tmp_path: Path,
    image_folder: Path,
    fake_gui: list[Path | None],
) -> None:
    project = tmp_path / "future.studio"
    before = make_newer_project(project)

    result = run_cli(*command(project, image_folder))

    assert_user_error(result, str(project), "newer Studio", "9999_from_the_future")
    assert project.read_bytes() == before
    assert sorted(tmp_path.iterdir()) == sorted([project, image_folder])
    assert fake_gui == []


def test_a_file_that_is_not_a_project_is_one_line_on_stderr(tmp_path: Path) -> None:
    bogus = tmp_path / "notes.studio"
    bogus.write_text("shopping list: eggs, milk\n" * 100)

    result = run_cli("info", bogus)

    assert_user_error(result, str(bogus), "not a Studio project")


def test_a_folder_without_one_project_is_one_line_on_stderr(tmp_path: Path) -> None:
    make_project(tmp_path / "a.studio")
    make_project(tmp_path / "b.studio")

    result = run_cli("info", tmp_path)

    assert_user_error(result, str(tmp_path), "a.studio, b.studio")


# -- demo ------------------------------------------------------------------------------------


def test_demo_creates_the_photo_demo_in_demo_project_by_default_and_only_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)

    first = run_cli("demo")
    second = run_cli("demo")

    assert first.exit_code == 0, first.output
    path = tmp_path / "demo-project" / "photos.studio"
    assert str(path) in first.stdout
    assert "16 labeled images with 70 shapes in 20 classes, 3 unlabeled photos" in first.stdout
    assert_user_error(second, str(path), "already exists")


def test_demo_kind_digits_creates_the_labeled_digits(tmp_path: Path) -> None:
    result = run_cli("demo", tmp_path, "--kind", "digits")

    assert result.exit_code == 0, result.output
    assert "1,797 labeled digits in 10 classes" in result.stdout
    with Project.open(tmp_path / "demo.studio") as project:
        assert project.count_items(status="done") == 1797


def test_demo_refuses_to_train_on_the_photos(tmp_path: Path) -> None:
    result = run_cli("demo", tmp_path, "--kind", "photos", "--train")

    assert_user_error(result, str(tmp_path), "--kind digits --train")
    assert not (tmp_path / "photos.studio").exists()


# -- the GUI ---------------------------------------------------------------------------------


def test_open_starts_the_gui_on_the_project(tmp_path: Path, fake_gui: list[Path | None]) -> None:
    project = make_project(tmp_path / "birds.studio")

    result = run_cli("open", tmp_path / "birds")

    assert result.exit_code == 0, result.output
    assert fake_gui == [project]


@pytest.mark.parametrize("args", [[], ["open"]], ids=["studio", "studio open"])
def test_without_a_project_the_gui_starts_empty(
    args: list[str], fake_gui: list[Path | None]
) -> None:
    result = run_cli(*args)

    assert result.exit_code == 0, result.output
    assert fake_gui == [None]


def test_the_gui_exit_status_becomes_the_commands(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    module = types.ModuleType("studio.gui.app")
    module.run_app = lambda _project: 3
    monkeypatch.setitem(sys.modules, "studio.gui.app", module)

    assert run_cli("open", make_project(tmp_path / "p.studio")).exit_code == 3


def test_a_gui_that_cannot_start_is_one_line_on_stderr(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "studio.gui.app", None)

    result = run_cli("open", make_project(tmp_path / "p.studio"))

    assert_user_error(result, "cannot start the GUI")


def test_without_a_display_the_gui_is_refused_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake_gui: list[Path | None]
) -> None:
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(sys, "platform", "linux")

    result = run_cli("open", make_project(tmp_path / "p.studio"))

    assert_user_error(result, "no display")
    assert fake_gui == []


def test_a_project_the_gui_cannot_open_is_one_line_on_stderr(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def run_app(project_path: Path | None) -> int:
        raise ProjectFileError(f"{project_path}: is locked by a test")

    module = types.ModuleType("studio.gui.app")
    module.run_app = run_app
    monkeypatch.setitem(sys.modules, "studio.gui.app", module)
    project = make_project(tmp_path / "p.studio")

    result = run_cli("open", project)

    assert_user_error(result, str(project), "is locked by a test")


# -- the installed console script ------------------------------------------------------------


def run_script(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    assert STUDIO_SCRIPT.is_file(), f"{STUDIO_SCRIPT}: the console script is not installed"
    return subprocess.run(
        [str(STUDIO_SCRIPT), *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_console_script_creates_imports_and_reports(tmp_path: Path, image_folder: Path) -> None:
    (image_folder / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 20)

    created = run_script("new", "birds", cwd=tmp_path)
    imported = run_script("import", "birds.studio", image_folder, cwd=tmp_path)
    info = run_script("info", "birds.studio", "--json", cwd=tmp_path)

    assert created.returncode == 0, created.stderr
    assert imported.returncode == 0, imported.stderr
    assert imported.stdout.splitlines()[:3] == ["added       6", "duplicates  0", "failed      1"]
    assert f"{image_folder / 'broken.png'}: " in imported.stdout
    assert info.returncode == 0, info.stderr
    assert json.loads(info.stdout)["by_status"]["new"] == 6


def test_the_console_script_refuses_a_newer_file_in_one_line(tmp_path: Path) -> None:
    project = tmp_path / "future.studio"
    before = make_newer_project(project)

    result = run_script("info", project.name, cwd=tmp_path)

    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"studio: {project.name}: written by a newer Studio (schema 9999_from_the_future; "
        f"this Studio knows up to {head_revision()}). Update Studio to open it; the file was "
        "not changed."
    ]
    assert result.stdout == ""
    assert project.read_bytes() == before


# -- label files ---------------------------------------------------------------------------


def coco_dataset(folder: Path) -> Path:
    """Two images and a COCO file with one box on the first."""
    write_images(folder, 2)
    document = {
        "images": [
            {"id": 1, "file_name": "image_0000.jpg", "width": 64, "height": 48},
            {"id": 2, "file_name": "image_0001.jpg", "width": 64, "height": 48},
        ],
        "categories": [{"id": 4, "name": "cat"}],
        "annotations": [{"id": 1, "image_id": 1, "category_id": 4, "bbox": [1, 2, 10, 20]}],
    }
    path = folder / "instances_train.json"
    path.write_text(json.dumps(document))
    return path


def test_import_labels_dry_run_then_for_real(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p.studio")
    source = coco_dataset(tmp_path / "coco")
    result = run_cli("import-labels", project, source, "--dry-run", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert (report["dry_run"], report["items_added"], report["annotations_added"]) == (True, 2, 1)
    assert report["new_classes"] == ["cat"]
    with Project.open(project) as opened:
        assert opened.count_items() == 0
    result = run_cli("import-labels", project, source, "--map", "cat=kitty")
    assert result.exit_code == 0, result.output
    assert "imported 1 annotations on 2 images" in " ".join(result.stdout.split())
    with Project.open(project) as opened:
        assert [c.name for c in opened.classes()] == ["kitty"]
        assert opened.count_items(status="done") == 1


def test_import_labels_errors_name_the_file_and_record(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p.studio")
    source = coco_dataset(tmp_path / "coco")
    broken = json.loads(source.read_text())
    broken["annotations"][0]["image_id"] = 99
    source.write_text(json.dumps(broken))
    result = run_cli("import-labels", project, source)
    assert_user_error(result, "instances_train.json", "annotation id 1", "image_id 99")
    assert_user_error(run_cli("import-labels", project, source, "--map", "cat"), "--map")


def class_folders_with_a_copy(folder: Path) -> Path:
    """cat/a.jpg and its byte-identical copy dog/a.jpg."""
    (image,) = write_images(folder / "cat", 1)
    (folder / "dog").mkdir()
    shutil.copy(image, folder / "dog" / image.name)
    return folder


def test_import_labels_keep_duplicates_gives_each_copy_its_own_item(tmp_path: Path) -> None:
    source = class_folders_with_a_copy(tmp_path / "pets")
    kept, merged = make_project(tmp_path / "kept.studio"), make_project(tmp_path / "one.studio")
    result = run_cli("import-labels", kept, source, "--keep-duplicates", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["items_added"] == 2
    assert run_cli("import-labels", merged, source).exit_code == 0
    with Project.open(kept) as opened:
        labels = {Path(i.path).parent.name: opened.annotations(i.id) for i in opened.items()}
        assert {folder: [a.label for a in found] for folder, found in labels.items()} == {
            "cat": ["cat"],
            "dog": ["dog"],
        }
    with Project.open(merged) as opened:
        assert opened.count_items() == 1


def test_import_labels_refuses_to_keep_duplicates_it_would_copy(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p.studio")
    source = class_folders_with_a_copy(tmp_path / "pets")
    result = run_cli("import-labels", project, source, "--keep-duplicates", "--copy")
    assert_user_error(result, "byte-identical", "stored once by content")
    with Project.open(project) as opened:
        assert opened.count_items() == 0


def test_export_labels_writes_the_format_and_refuses_a_full_folder(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p.studio")
    assert run_cli("import-labels", project, coco_dataset(tmp_path / "coco")).exit_code == 0
    out = tmp_path / "out"
    result = run_cli("export-labels", project, out, "--format", "coco", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert (report["items"], report["annotations"], report["images_written"]) == (2, 1, 2)
    exported = json.loads((out / "annotations/instances_train.json").read_text())
    assert exported["categories"] == [{"id": 4, "name": "cat", "supercategory": ""}]
    assert_user_error(run_cli("export-labels", project, out, "-f", "coco"), "not empty")
    assert run_cli("export-labels", project, out, "-f", "coco", "--overwrite").exit_code == 0
    result = run_cli("export-labels", project, tmp_path / "val", "-f", "coco", "--split", "val")
    assert result.exit_code == 0
    assert "exported 0 annotations on 0 images" in result.stdout


def test_export_labels_takes_pending_suggestions_only_when_asked(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p.studio")
    assert run_cli("import-labels", project, coco_dataset(tmp_path / "coco")).exit_code == 0
    with Project.open(project) as opened:
        item = opened.item_ids()[0]
        opened.suggest_annotations(
            [{"item_id": item, "label": "cat", "box": [1, 1, 4, 4], "source": "model"}]
        )
    arguments = ("-f", "coco", "--images", "none", "--json")
    result = run_cli("export-labels", project, tmp_path / "final", *arguments)
    assert json.loads(result.stdout)["annotations"] == 1
    pending = run_cli("export-labels", project, tmp_path / "all", *arguments, "--include-pending")
    assert json.loads(pending.stdout)["annotations"] == 2


def test_formats_lists_every_registered_format() -> None:
    result = run_cli("formats")
    assert result.exit_code == 0
    for label_format in Project.label_formats():
        assert label_format.name in result.stdout
