"""The bundle's self-test: rerun the inputs saved at export and compare with the saved outputs.

`selftest/expected.json`:
    {"tolerances": {"logits": 1e-4, "iou": 0.99, "score": 1e-3},
     "cases": [{"input": "selftest/inputs/000.png", "outputs": {"logits": [[...]]}}, ...]}
The saved outputs are those of the trained (torch) model on the bundle's own pre-processing of
each input, so the self-test checks this machine's ONNX Runtime and libraries, nothing else.
"""

from __future__ import annotations

import json
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
    """{"passed": every case passed, "cases": [{"input", "passed", "message", ...}]}."""
    expected = read_expected(bundle.folder)
    tolerances = expected.get("tolerances") or {}
    cases = [_run_case(bundle, case, tolerances) for case in expected["cases"]]
    return {"passed": all(case["passed"] for case in cases), "cases": cases}


def _run_case(bundle: Bundle, case: dict[str, Any], tolerances: dict[str, float]) -> dict[str, Any]:
    name = str(case["input"])
    array, _size = preprocess(bundle.folder / safe_relative(name), bundle.manifest["preprocess"])
    reference = {key: np.asarray(value) for key, value in case["outputs"].items()}
    report = compare_outputs(bundle.task, reference, bundle.run(array), tolerances)
    return {"input": name, **report}
