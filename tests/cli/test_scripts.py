"""`studio script run FILE PROJECT [-- ARGS]`: a script with the project open."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

from studio.api import Project
from tests.cli_helpers import run_cli
from tests.conftest import write_images

pytestmark = pytest.mark.usefixtures("isolated_plugins")


@pytest.fixture
def project_file(tmp_path: Path) -> Path:
    path = tmp_path / "birds.studio"
    with Project.create(path, author="tester") as project:
        project.import_media(write_images(tmp_path / "images", 3))
    return path


def write_script(folder: Path, source: str, name: str = "script.py") -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(source), encoding="utf-8")
    return path


def test_a_script_gets_the_open_project_and_its_arguments_as_globals(
    project_file: Path, tmp_path: Path
) -> None:
    script = write_script(
        tmp_path,
        """
        import sys

        print(__name__, project.count_items(), args, sys.argv[1:])
        project.add_classes(args)
        """,
    )

    result = run_cli("script", "run", script, project_file, "--", "crow", "--raven")

    assert result.exit_code == 0, result.output
    assert result.stdout == "__main__ 3 ['crow', '--raven'] ['crow', '--raven']\n"
    with Project.open(project_file) as project:
        assert [label.name for label in project.classes()] == ["crow", "--raven"]


def test_a_script_that_defines_main_has_it_called_with_project_and_args(
    project_file: Path, tmp_path: Path
) -> None:
    script = write_script(
        tmp_path,
        """
        def main(project, args):
            print(f"{project.count_items()} items, limit {args[0]}")
        """,
    )

    result = run_cli("script", "run", script, project_file, "--", "2")

    assert result.exit_code == 0, result.output
    assert result.stdout == "3 items, limit 2\n"


def test_a_script_imports_modules_beside_it(project_file: Path, tmp_path: Path) -> None:
    write_script(tmp_path, "GREETING = 'hello from a helper'\n", name="helper_for_script.py")
    script = write_script(tmp_path, "import helper_for_script\nprint(helper_for_script.GREETING)\n")

    result = run_cli("script", "run", script, project_file)

    assert result.stdout == "hello from a helper\n"
    assert str(tmp_path) not in sys.path
    sys.modules.pop("helper_for_script", None)


def test_a_script_error_is_one_line_naming_the_file_and_line_and_the_project_closes(
    project_file: Path, tmp_path: Path
) -> None:
    script = write_script(
        tmp_path,
        """
        project.add_classes(["kept"])

        def check(count):
            raise ValueError(f"expected 5 items, found {count}")

        check(project.count_items())
        """,
    )

    result = run_cli("script", "run", script, project_file)

    assert result.exit_code == 1
    assert result.stderr == f"studio: {script}:5: ValueError: expected 5 items, found 3\n"
    assert not Path(f"{project_file}-wal").exists()  # closed: the last connection removed it
    with Project.open(project_file) as project:
        assert [label.name for label in project.classes()] == ["kept"]


def test_traceback_prints_the_whole_traceback_before_the_line(
    project_file: Path, tmp_path: Path
) -> None:
    script = write_script(tmp_path, "project.item(999)\n")

    result = run_cli("script", "run", "--traceback", script, project_file)

    assert result.exit_code == 1
    assert result.stderr.startswith("Traceback (most recent call last)")
    assert result.stderr.splitlines()[-1].startswith(f"studio: {script}:1: ")


def test_a_syntax_error_names_the_file_and_line(project_file: Path, tmp_path: Path) -> None:
    script = write_script(tmp_path, "print('fine')\nprint('unclosed'\n")

    result = run_cli("script", "run", script, project_file)

    assert result.exit_code == 1
    assert result.stderr.startswith(f"studio: {script}:2: SyntaxError: ")
    assert result.stdout == ""


def test_a_script_exit_status_becomes_the_commands(project_file: Path, tmp_path: Path) -> None:
    script = write_script(tmp_path, "import sys\nsys.exit(3)\n")

    result = run_cli("script", "run", script, project_file)

    assert result.exit_code == 3
    assert not Path(f"{project_file}-wal").exists()


def test_a_missing_script_or_project_is_a_one_line_error(
    project_file: Path, tmp_path: Path
) -> None:
    script = write_script(tmp_path, "print('never')\n")

    missing_script = run_cli("script", "run", tmp_path / "nothing.py", project_file)
    missing_project = run_cli("script", "run", script, tmp_path / "nothing.studio")

    assert missing_script.exit_code == missing_project.exit_code == 1
    assert missing_script.stderr == f"studio: {tmp_path / 'nothing.py'}: no such file\n"
    assert "nothing.studio" in missing_project.stderr
    assert "never" not in missing_project.stdout
