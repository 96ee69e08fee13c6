"""The bundle's self-test: rerun the inputs saved at export and compare with the saved outputs.

`selftest/expected.json`:
    {"tolerances": {"logits": 1e-4, "iou": 0.99, "score": 1e-3},
     "classes": ["cat", "dog", ...],             # class names in model-output order
     "preprocess": [{"op": "load_rgb", ...}, ...],  # the manifest's pre-processing block
     "cases": [{"input": "selftest/inputs/000.png", "outputs": {"logits": [[...]]}}, ...]}
The saved outputs are those of the trained (torch) model on the bundle's own pre-processing of
each input, so the cases check this machine's ONNX Runtime and libraries; the class names and
the pre-processing check that `manifest.json` still says what the model was exported with
(outputs are compared by class index, so a renamed class would pass the cases alone). Bundles
exported before those two fields existed still load; the report lists them as not checked.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .compare import compare_outputs
from .integrity import safe_relative
from .manifest import BundleError
from .preprocess import preprocess

if TYPE_CHECKING:
    from .runtime import Bundle

EXPECTED_NAME = "selftest/expected.json"


def read_expected(folder: Path) -> dict[str, Any]:
    path = Path(folder) / EXPECTED_NAME
    try:
        expected = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BundleError(f"{EXPECTED_NAME}: missing, this bundle has no self-test") from None
    except (OSError, ValueError) as error:
        raise BundleError(f"{EXPECTED_NAME}: cannot be read ({error})") from None
    if not isinstance(expected, dict) or not expected.get("cases"):
        raise BundleError(f"{EXPECTED_NAME}: holds no cases")
    return expected


def run_selftest(bundle: Bundle) -> dict[str, Any]:
    """{"passed", "manifest": [what differs from the export], "unchecked": [what an older
    expected.json cannot tell], "cases": [{"input", "passed", "message", ...}]}.

    It passes when every case passes and the manifest's class names and pre-processing are
    the exported ones.
    """
    expected = read_expected(bundle.folder)
    tolerances = expected.get("tolerances") or {}
    differences, unchecked = _manifest_differences(bundle, expected)
    cases = [_run_case(bundle, case, tolerances) for case in expected["cases"]]
    return {
        "passed": not differences and all(case["passed"] for case in cases),
        "manifest": differences,
        "unchecked": unchecked,
        "cases": cases,
    }


def selftest_failure(report: Mapping[str, Any]) -> str | None:
    """One line saying why a self-test report failed, or None when it passed."""
    if report["passed"]:
        return None
    problems = list(report["manifest"])
    failed = [case for case in report["cases"] if not case["passed"]]
    if failed:
        problems.append(
            f"{len(failed)} of {len(report['cases'])} sample(s) differ, first "
            f"{failed[0]['input']}: {failed[0]['message']}"
        )
    return "; ".join(problems)


def _manifest_differences(bundle: Bundle, expected: dict[str, Any]) -> tuple[list[str], list[str]]:
    differences, unchecked = [], []
    if "classes" in expected:
        differences += _class_differences(bundle.classes, [str(n) for n in expected["classes"]])
    else:
        unchecked.append(f"class names ({EXPECTED_NAME} predates them)")
    if "preprocess" in expected:
        differences += _step_differences(bundle.manifest["preprocess"], expected["preprocess"])
    else:
        unchecked.append(f"pre-processing ({EXPECTED_NAME} predates it)")
    return differences, unchecked


def _class_differences(names: list[str], exported: list[str]) -> list[str]:
    if len(names) != len(exported):
        return [f"manifest.json: {len(names)} classes, the model was exported with {len(exported)}"]
    return [
        f"manifest.json: class {index} is named {name}, the model was exported with {was}"
        for index, (name, was) in enumerate(zip(names, exported, strict=True))
        if name != was
    ]


def _step_differences(steps: list[Any], exported: list[Any]) -> list[str]:
    if len(steps) != len(exported):
        return [
            f"manifest.json: {len(steps)} preprocess steps, the model was exported with "
            f"{len(exported)}"
        ]
    return [
        f"manifest.json: preprocess step {number} differs from the export: {_changes(step, was)}"
        for number, (step, was) in enumerate(zip(steps, exported, strict=True), start=1)
        if step != was
    ]


def _changes(step: Any, was: Any) -> str:
    """What differs between two pre-processing steps, key by key, as JSON values."""
    if not isinstance(step, dict) or not isinstance(was, dict):
        return f"{json.dumps(step)} (exported {json.dumps(was)})"
    keys = sorted(key for key in {**was, **step} if step.get(key) != was.get(key))
    return ", ".join(
        f"{key} {json.dumps(step.get(key))} (exported {json.dumps(was.get(key))})" for key in keys
    )


def _run_case(bundle: Bundle, case: dict[str, Any], tolerances: dict[str, float]) -> dict[str, Any]:
    name = str(case["input"])
    array, _size = preprocess(bundle.folder / safe_relative(name), bundle.manifest["preprocess"])
    reference = {key: np.asarray(value) for key, value in case["outputs"].items()}
    report = compare_outputs(bundle.task, reference, bundle.run(array), tolerances)
    return {"input": name, **report}
