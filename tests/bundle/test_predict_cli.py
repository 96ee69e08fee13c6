"""predict.py's command line (studio_bundle.predict_cli), run in-process on hand-built bundles."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from studio.bundle import predict_cli
from tests.bundle.builders import (
    BuiltBundle,
    change_mean_and_std,
    edit_manifest,
    image_claiming,
    make_older,
    rename_second_class,
)


def test_json_output_parses_as_one_result_per_image(
    classification_bundle: BuiltBundle, capsys: pytest.CaptureFixture[str]
) -> None:
    images = [str(path) for path in classification_bundle.inputs[:2]]

    status = predict_cli.main([*images, "--json"], folder=classification_bundle.folder)

    results = json.loads(capsys.readouterr().out)
    assert status == 0
    assert [result["image"] for result in results] == images
    assert {"label", "score", "top", "width", "height"} <= set(results[0])


def test_text_output_names_the_image_and_its_label(
    detection_bundle: BuiltBundle, capsys: pytest.CaptureFixture[str]
) -> None:
    image = str(detection_bundle.inputs[0])

    status = predict_cli.main([image], folder=detection_bundle.folder)

    out = capsys.readouterr().out
    assert status == 0
    assert out.startswith(f"{image}: 2 detection(s)\n  circle 0.")


def test_a_bad_image_path_exits_1_naming_the_file_and_the_others_still_run(
    classification_bundle: BuiltBundle, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "missing.png"
    good = str(classification_bundle.inputs[0])

    status = predict_cli.main([str(missing), good, "--json"], folder=classification_bundle.folder)

    captured = capsys.readouterr()
    assert status == 1
    assert f"{missing}: no such file" in captured.err
    assert [result["image"] for result in json.loads(captured.out)] == [good]


def test_selftest_prints_each_case_and_exits_0(
    segmentation_bundle: BuiltBundle, capsys: pytest.CaptureFixture[str]
) -> None:
    status = predict_cli.main(["--selftest"], folder=segmentation_bundle.folder)

    out = capsys.readouterr().out
    assert status == 0
    assert "ok   selftest/inputs/000.png: all 4 detection(s) match" in out
    assert out.rstrip().endswith("self-test passed: 3/3 cases")


def test_a_damaged_bundle_exits_1_naming_the_file(
    classification_bundle: BuiltBundle,
    copy_bundle: Callable[[BuiltBundle], Path],
    capsys: pytest.CaptureFixture[str],
) -> None:
    folder = copy_bundle(classification_bundle)
    (folder / "studio_bundle" / "runtime.py").write_text("# edited\n", encoding="utf-8")

    status = predict_cli.main(["--selftest", "--bundle", str(folder)])

    assert status == 1
    assert "error: studio_bundle/runtime.py: altered or damaged" in capsys.readouterr().err


def test_nothing_to_do_is_a_usage_error(classification_bundle: BuiltBundle) -> None:
    with pytest.raises(SystemExit) as exit_info:
        predict_cli.main([], folder=classification_bundle.folder)
    assert exit_info.value.code == 2


@pytest.mark.parametrize("edit", [rename_second_class, change_mean_and_std])
def test_an_edited_manifest_makes_predict_refuse_to_start_unless_told_to_skip(
    edit: Callable[[dict[str, Any]], None],
    classification_bundle: BuiltBundle,
    copy_bundle: Callable[[BuiltBundle], Path],
    capsys: pytest.CaptureFixture[str],
) -> None:
    folder = copy_bundle(classification_bundle)
    edit_manifest(folder, edit)
    image = str(classification_bundle.inputs[0])

    refused = predict_cli.main([image, "--bundle", str(folder)])
    refusal = capsys.readouterr()
    skipped = predict_cli.main([image, "--bundle", str(folder), "--skip-selftest"])
    ran = capsys.readouterr()

    assert refused == 1
    assert refusal.out == ""
    assert refusal.err.startswith("error: the self-test failed, refusing to start: manifest.json")
    assert "--skip-selftest" in refusal.err
    assert skipped == 0
    assert ran.out.startswith(f"{image}: ")


def test_an_older_bundle_runs_noting_what_its_selftest_could_not_check(
    classification_bundle: BuiltBundle,
    copy_bundle: Callable[[BuiltBundle], Path],
    capsys: pytest.CaptureFixture[str],
) -> None:
    folder = copy_bundle(classification_bundle)
    make_older(folder)

    status = predict_cli.main([str(classification_bundle.inputs[0]), "--bundle", str(folder)])

    captured = capsys.readouterr()
    assert status == 0
    assert captured.err.splitlines() == [
        "note: the self-test could not check the class names "
        "(selftest/expected.json predates them)",
        "note: the self-test could not check the pre-processing "
        "(selftest/expected.json predates it)",
    ]


def test_selftest_prints_a_manifest_difference_as_a_failure(
    classification_bundle: BuiltBundle,
    copy_bundle: Callable[[BuiltBundle], Path],
    capsys: pytest.CaptureFixture[str],
) -> None:
    folder = copy_bundle(classification_bundle)
    edit_manifest(folder, rename_second_class)

    status = predict_cli.main(["--selftest", "--bundle", str(folder)])

    out = capsys.readouterr().out
    assert status == 1
    assert out.startswith("FAIL manifest.json: class 1 is named wolf")
    assert out.rstrip().endswith("self-test FAILED: 3/3 cases")


@pytest.mark.parametrize("image_format", ["PNG", "JPEG"])
def test_an_image_over_max_pixels_is_refused_from_its_header(
    image_format: str,
    classification_bundle: BuiltBundle,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    claiming = tmp_path / f"huge.{image_format.lower()}"
    claiming.write_bytes(image_claiming(12000, 12000, image_format))
    good = str(classification_bundle.inputs[0])

    status = predict_cli.main([str(claiming), good], folder=classification_bundle.folder)
    lowered = predict_cli.main(["--max-pixels", "100", good], folder=classification_bundle.folder)

    err = capsys.readouterr().err
    assert status == 1
    assert (
        f"error: {claiming}: refused before decoding, it has 144,000,000 pixels; "
        "the limit is 89,478,485 (--max-pixels)"
    ) in err
    assert lowered == 1
    assert "it has 360 pixels; the limit is 100" in err


def test_a_bundle_without_its_selftest_refuses_to_start_unless_told_to_skip(
    classification_bundle: BuiltBundle,
    copy_bundle: Callable[[BuiltBundle], Path],
    capsys: pytest.CaptureFixture[str],
) -> None:
    folder = copy_bundle(classification_bundle)
    (folder / "selftest" / "expected.json").unlink()
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    del manifest["files"]["selftest/expected.json"]
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    image = str(classification_bundle.inputs[0])

    refused = predict_cli.main([image, "--bundle", str(folder)])
    skipped = predict_cli.main([image, "--bundle", str(folder), "--skip-selftest"])

    assert (refused, skipped) == (1, 0)
    assert capsys.readouterr().err == (
        "error: the self-test cannot run, refusing to start: selftest/expected.json: missing, "
        "this bundle has no self-test (--skip-selftest to run anyway)\n"
    )
