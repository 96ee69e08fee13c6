"""A bundle runs in a fresh virtual environment that has only onnxruntime, numpy and pillow."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from studio.bundle import postprocess
from tests.bundle.builders import BuiltBundle, clean_environment, create_fresh_venv, expected_cases


@pytest.fixture(scope="module")
def fresh_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return create_fresh_venv(tmp_path_factory.mktemp("fresh"))


def _run(python: Path, *arguments: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(python), *arguments],
        capture_output=True,
        text=True,
        env=clean_environment(),
        cwd=cwd,
        timeout=120,
    )


def test_the_fresh_environment_has_the_runtime_but_neither_torch_nor_studio(
    fresh_python: Path, tmp_path: Path
) -> None:
    assert (
        _run(fresh_python, "-c", "import onnxruntime, numpy, PIL.Image", cwd=tmp_path).returncode
        == 0
    )
    for module in ("torch", "studio", "onnx", "torchvision"):
        done = _run(fresh_python, "-c", f"import {module}", cwd=tmp_path)
        assert done.returncode == 1
        assert f"No module named '{module}'" in done.stderr


@pytest.mark.parametrize("fixture", ["classification_bundle", "detection_bundle"])
def test_predict_py_reproduces_the_selftest_expectations_without_studio(
    fixture: str, fresh_python: Path, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    built: BuiltBundle = request.getfixturevalue(fixture)
    folder = tmp_path / "delivered"
    shutil.copytree(built.folder, folder)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()

    selftest = _run(fresh_python, str(folder / "predict.py"), "--selftest", cwd=elsewhere)
    assert selftest.returncode == 0, selftest.stderr
    assert "self-test passed: 3/3 cases" in selftest.stdout

    cases = expected_cases(folder)
    images = [str(case["input"]) for case in cases]
    predicted = _run(fresh_python, str(folder / "predict.py"), *images, "--json", cwd=elsewhere)
    assert predicted.returncode == 0, predicted.stderr
    results = json.loads(predicted.stdout)
    for case, result in zip(cases, results, strict=True):
        expected = postprocess(case["outputs"], built.manifest, (result["width"], result["height"]))
        _assert_same_result(result, expected)
    assert not list(folder.rglob("__pycache__")), "the launcher must leave the bundle unchanged"


def _assert_same_result(result: dict, expected: dict) -> None:
    if "label" in expected:
        assert result["label"] == expected["label"]
        for found, wanted in zip(result["top"], expected["top"], strict=True):
            assert found["class"] == wanted["class"]
            assert found["score"] == pytest.approx(wanted["score"], abs=1e-5)
        return
    assert len(result["detections"]) == len(expected["detections"]) > 0
    for found, wanted in zip(result["detections"], expected["detections"], strict=True):
        assert found["class"] == wanted["class"]
        assert found["score"] == pytest.approx(wanted["score"], abs=1e-5)
        assert found["box"] == pytest.approx(wanted["box"], abs=1e-3)
