"""`studio models ...`, `studio export-model` and `studio predict`."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image

from studio.api import Project
from studio.plugins.manager import StudioPlugins
from tests import plugin_fixtures
from tests.cli_helpers import assert_user_error, run_cli
from tests.jobs.projects import copy_of, digits_project, finished_run
from tests.ml.export.helpers import seeded_run
from tests.plugin_fixtures import install_plugin

isolated_plugin_config = plugin_fixtures.isolated_plugin_config  # autouse
parent_plugins = plugin_fixtures.parent_plugins


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project with two finished (fabricated) runs, "first" and "second"."""
    path = digits_project(tmp_path, 20)
    with Project.open(path, author="tester") as opened:
        finished_run(opened, "first", accuracy=0.75)
        finished_run(opened, "second", accuracy=0.5)
    return path


def test_register_alias_and_both_list_forms(project: Path) -> None:
    registered = run_cli("models", "register", project, "first", "--name", "digits",
                         "--notes", "baseline")  # fmt: skip
    assert registered.exit_code == 0, registered.output
    assert "registered digits:1 (run first, best.pt, test accuracy 0.7500)" in registered.stdout
    as_json = run_cli("models", "register", project, "second", "--name", "digits", "--json")
    assert json.loads(as_json.stdout)["ref"] == "digits:2"
    aliased = run_cli("models", "alias", project, "digits", "1", "production")
    assert aliased.exit_code == 0, aliased.output
    assert "digits:production → digits:1" in aliased.stdout

    bare = run_cli("models", project, "--json")
    listed = run_cli("models", "list", project, "--json")
    assert bare.exit_code == 0, bare.output
    assert bare.stdout == listed.stdout
    versions = json.loads(bare.stdout)
    assert [(v["ref"], v["aliases"], v["notes"]) for v in versions] == [
        ("digits:1", ["production"], "baseline"),
        ("digits:2", [], ""),
    ]
    table = run_cli("models", project).stdout
    assert "digits:1" in table
    assert "production" in table
    assert "accuracy 0.7500" in table


def test_unalias_and_lineage(project: Path) -> None:
    run_cli("models", "register", project, "first", "--name", "digits")
    run_cli("models", "alias", project, "digits", "1", "production")
    lineage = run_cli("models", "lineage", project, "digits:production", "--json")
    assert lineage.exit_code == 0, lineage.output
    found = json.loads(lineage.stdout)
    assert found["run"]["name"] == "first"
    assert found["dataset_version"]["name"] == "v1"
    assert sum(len(ids) for ids in found["items"].values()) == 20
    text = run_cli("models", "lineage", project, "digits").stdout
    assert "digits:1" in text
    assert "version v1" in text
    removed = run_cli("models", "unalias", project, "digits", "production")
    assert removed.exit_code == 0, removed.output
    assert_user_error(run_cli("models", "lineage", project, "digits:production"), "production")


def test_registry_errors_are_one_line_naming_the_problem(project: Path, tmp_path: Path) -> None:
    assert_user_error(run_cli("models", "register", project, "nobody"), "nobody")
    assert_user_error(
        run_cli("models", "register", project, "first", "--name", "bad name"), "bad name"
    )
    assert_user_error(run_cli("models", "alias", project, "digits", "1", "prod"), "digits")
    run_cli("models", "register", project, "first", "--name", "digits")
    assert_user_error(run_cli("models", "alias", project, "digits", "1", "latest"), "latest")
    assert_user_error(run_cli("models", "alias", project, "digits", "7", "prod"), "no version 7")
    assert_user_error(run_cli("models", "unalias", project, "digits", "prod"), "prod")
    assert_user_error(run_cli("models", tmp_path / "missing.studio"), "missing.studio")
    empty = run_cli("models", "list", digits_project(tmp_path / "other", 5))
    assert "no registered models yet" in empty.stdout


def test_models_without_arguments_shows_help() -> None:
    result = run_cli("models")
    for command in ("register", "alias", "unalias", "lineage", "list"):
        assert command in result.output


def test_export_model_of_an_unknown_model_writes_nothing(project: Path, tmp_path: Path) -> None:
    out = tmp_path / "bundle"
    assert_user_error(run_cli("export-model", project, "digits:production", out), "digits")
    assert_user_error(run_cli("export-model", project, "first", out, "--nms", "x"), "--nms")
    assert not out.exists()


def test_export_model_with_a_plugin_target_runs_it_in_the_worker(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    parent_plugins: Callable[..., StudioPlugins],
) -> None:
    plugin = "tests.ml.export.torchscript_plugin"
    install_plugin(tmp_path / "site", "torchscript", plugin, monkeypatch)
    parent_plugins(only=({"name": "torchscript", "source": "installed"},))  # none of the others
    path = digits_project(tmp_path, 12)
    with Project.open(path, author="tester") as opened:
        seeded_run(opened, "classification", "mobilenet_v3_small", 32)
    out = tmp_path / "scripted"
    result = run_cli("export-model", path, "1", out, "--target", "torchscript", "--json")
    assert result.exit_code == 0, result.output
    exported = json.loads(result.stdout)
    assert (exported["target"], exported["parity"], exported["folder"]) == (
        "torchscript",
        None,
        str(out.resolve()),
    )
    assert [entry.name for entry in out.iterdir()] == ["model.pt"]
    unknown = run_cli("export-model", path, "1", tmp_path / "other", "--target", "tflite")
    assert_user_error(unknown, "unknown export target 'tflite'", "torchscript")


def test_predict_refuses_missing_bundles_and_images(tmp_path: Path) -> None:
    images = tmp_path / "images"
    images.mkdir()
    Image.new("RGB", (8, 8)).save(images / "a.png")
    assert_user_error(run_cli("predict", tmp_path / "nowhere", images), "nowhere")
    not_a_bundle = tmp_path / "empty"
    not_a_bundle.mkdir()
    assert_user_error(run_cli("predict", not_a_bundle, images), "manifest.json")
    assert_user_error(run_cli("predict", not_a_bundle), "no images given")
    assert_user_error(run_cli("predict", not_a_bundle, tmp_path / "x.png"), "x.png")
    assert_user_error(run_cli("predict", not_a_bundle, not_a_bundle), "no images in")


@pytest.fixture(scope="module")
def exported(registered_digits: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A trained digits classifier exported from the command line to `bundle/` (+ .zip)."""
    path = copy_of(registered_digits, tmp_path_factory.mktemp("exported"))
    folder = path.parent
    result = run_cli("export-model", path, "tiny", folder / "bundle", "--zip")
    assert result.exit_code == 0, result.output
    assert "parity   parity gate passed" in result.stdout
    assert "max_abs_diff" in result.stdout
    assert f"zip      {folder / 'bundle.zip'}" in result.stdout
    return folder


@pytest.mark.slow
def test_predict_a_folder_bundle_and_its_zip_alike(exported: Path) -> None:
    images = sorted((exported / "digits").glob("*.png"))[:5]
    from_folder = run_cli("predict", exported / "bundle", *images, "--json")
    assert from_folder.exit_code == 0, from_folder.output
    results = json.loads(from_folder.stdout)
    assert [result["image"] for result in results] == [str(image) for image in images]
    assert all(result["label"] in [str(digit) for digit in range(10)] for result in results)
    from_zip = run_cli("predict", exported / "bundle.zip", *images, "--json", "--selftest")
    assert from_zip.exit_code == 0, from_zip.output
    assert [r["label"] for r in json.loads(from_zip.stdout)] == [r["label"] for r in results]
    assert "self-test passed" in from_zip.stderr
    table = run_cli("predict", exported / "bundle", exported / "digits")
    assert table.exit_code == 0, table.output
    assert "digit_0000.png" in table.stdout


@pytest.mark.slow
def test_predict_names_a_tampered_file_and_an_unreadable_image(exported: Path) -> None:
    bundle = exported / "bundle"
    broken = exported / "broken.png"
    broken.write_bytes(b"not an image")
    image = exported / "digits" / "digit_0001.png"
    partly = run_cli("predict", bundle, image, broken, "--json")
    assert_user_error(partly, "broken.png", "1 of 2 images")
    assert len(json.loads(partly.stdout)) == 1
    readme = bundle / "README.md"
    original = readme.read_bytes()
    try:
        readme.write_bytes(original + b"\nchanged\n")
        assert_user_error(run_cli("predict", bundle, image), "README.md")
    finally:
        readme.write_bytes(original)
