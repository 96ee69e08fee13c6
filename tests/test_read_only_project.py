"""A read-only project file, or one in a read-only folder, through the API and the CLI.

Each case runs in a child process without root's override of file permissions (see
`tests.unprivileged`), and checks that the folders hold the same files, byte for byte,
afterwards: no `-wal`, `-shm` or backup beside the project.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from studio.api import Project
from tests.conftest import write_images
from tests.core.test_migrations import GOLDEN
from tests.unprivileged import read_only, read_only_copies, run_python, snapshot

LOOK_AND_TRY_A_CHANGE = """
import json, sys
from pathlib import Path
from studio.api import Project, ProjectFileError, ReadOnlyProjectError
seen = []
for path in sys.argv[2:]:
    with Project.open(path) as project:
        case = {
            "read_only": project.read_only,
            "reason": project.read_only_reason,
            "classes": [label.name for label in project.classes()],
            "items": len(project.item_ids()),
        }
        try:
            project.add_classes(["bird"])
        except ReadOnlyProjectError as error:
            case["refused"] = str(error)
    seen.append(case)
try:
    Project.create(Path(sys.argv[1]))
except ProjectFileError as error:
    seen.append({"new_refused": str(error)})
print(json.dumps(seen))
"""


def _closed_project(tmp_path: Path) -> Path:
    """A closed project with two classes and three images."""
    write_images(tmp_path / "images", 3)
    path = tmp_path / "birds.studio"
    with Project.create(path, author="tester") as project:
        project.add_classes(["sparrow", "crow"])
        project.import_media([tmp_path / "images"])
    return path


def test_the_api_reads_a_read_only_project_and_refuses_a_change(tmp_path: Path) -> None:
    """Also: a new project in a read-only folder is refused with "cannot write FOLDER"."""
    with read_only_copies(_closed_project(tmp_path), tmp_path) as (read_only_file, in_folder):
        before = [snapshot(read_only_file.parent), snapshot(in_folder.parent)]
        new_project = in_folder.with_name("new.studio")
        result = run_python("-c", LOOK_AND_TRY_A_CHANGE, new_project, read_only_file, in_folder)
        after = [snapshot(read_only_file.parent), snapshot(in_folder.parent)]
    assert result.returncode == 0, result.stderr
    reasons = ["the file is read-only", f"cannot write {in_folder.parent}"]
    assert json.loads(result.stdout) == [
        {
            "read_only": True,
            "reason": reason,
            "classes": ["sparrow", "crow"],
            "items": 3,
            "refused": f"{path}: the project is open read-only ({reason}); the change was not made",
        }
        for path, reason in zip((read_only_file, in_folder), reasons, strict=True)
    ] + [{"new_refused": f"{new_project}: cannot write {in_folder.parent}"}]
    assert after == before


def test_the_cli_shows_a_project_in_a_read_only_folder_with_a_notice(tmp_path: Path) -> None:
    with read_only_copies(_closed_project(tmp_path), tmp_path) as (_, in_folder):
        before = snapshot(in_folder.parent)
        shown = run_python("-m", "studio.cli", "info", in_folder)
        assert snapshot(in_folder.parent) == before
    assert shown.returncode == 0, shown.stderr
    assert f"read-only: cannot write {in_folder.parent}" in shown.stdout
    assert "3 items" in shown.stdout


def test_the_cli_refuses_a_change_to_a_read_only_file_in_one_line(tmp_path: Path) -> None:
    with read_only_copies(_closed_project(tmp_path), tmp_path) as (read_only_file, _):
        before = snapshot(read_only_file.parent)
        refused = run_python("-m", "studio.cli", "import", read_only_file, tmp_path / "images")
        assert snapshot(read_only_file.parent) == before
    assert refused.returncode == 1
    assert refused.stderr == (
        f"studio: {read_only_file}: the project is open read-only (the file is read-only); "
        "the change was not made\n"
    )


def test_a_read_only_project_from_an_older_studio_says_to_copy_it(tmp_path: Path) -> None:
    old = tmp_path / "old.studio"
    shutil.copyfile(GOLDEN, old)
    before = snapshot(tmp_path)
    with read_only(old):
        result = run_python("-m", "studio.cli", "info", old)
    assert result.returncode == 1
    assert result.stderr == (
        f"studio: {old} is read-only and from an older Studio; copy it somewhere writable "
        "to upgrade\n"
    )
    assert snapshot(tmp_path) == before
