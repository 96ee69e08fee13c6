"""The self-test's manifest checks: class names and pre-processing recorded at export."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from studio.bundle import Bundle
from tests.bundle.builders import (
    BuiltBundle,
    change_mean_and_std,
    edit_manifest,
    make_older,
    rename_second_class,
)


@pytest.mark.parametrize("fixture", ["classification_bundle", "detection_bundle"])
def test_an_intact_bundle_checks_its_class_names_and_preprocessing(
    fixture: str, request: pytest.FixtureRequest
) -> None:
    built: BuiltBundle = request.getfixturevalue(fixture)

    with Bundle.load(built.folder) as bundle:
        report = bundle.selftest()

    assert report["passed"] is True
    assert (report["manifest"], report["unchecked"]) == ([], [])


@pytest.mark.parametrize("fixture", ["classification_bundle", "detection_bundle"])
def test_a_renamed_class_fails_the_selftest_though_the_outputs_agree(
    fixture: str, request: pytest.FixtureRequest, copy_bundle: Callable[[BuiltBundle], Path]
) -> None:
    folder = copy_bundle(request.getfixturevalue(fixture))
    edit_manifest(folder, rename_second_class)

    with Bundle.load(folder) as bundle:
        report = bundle.selftest()

    assert report["passed"] is False
    assert all(case["passed"] for case in report["cases"])
    assert report["manifest"] == [
        f"manifest.json: class 1 is named wolf, the model was exported with "
        f"{'dog' if fixture == 'classification_bundle' else 'square'}"
    ]


def test_a_changed_mean_and_std_fail_the_selftest_naming_the_step(
    classification_bundle: BuiltBundle, copy_bundle: Callable[[BuiltBundle], Path]
) -> None:
    folder = copy_bundle(classification_bundle)
    edit_manifest(folder, change_mean_and_std)

    with Bundle.load(folder) as bundle:
        report = bundle.selftest()

    assert report["passed"] is False
    (difference,) = report["manifest"]
    assert difference.startswith("manifest.json: preprocess step 4 differs from the export: mean")
    assert "std [0.5, 0.5, 0.5] (exported [0.229, 0.224, 0.225])" in difference


def test_an_older_expected_json_still_passes_saying_what_it_could_not_check(
    classification_bundle: BuiltBundle, copy_bundle: Callable[[BuiltBundle], Path]
) -> None:
    folder = copy_bundle(classification_bundle)
    make_older(folder)

    with Bundle.load(folder) as bundle:
        report = bundle.selftest()

    assert report["passed"] is True
    assert report["manifest"] == []
    assert report["unchecked"] == [
        "class names (selftest/expected.json predates them)",
        "pre-processing (selftest/expected.json predates it)",
    ]
