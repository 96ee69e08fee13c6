"""`python predict.py IMAGE... [--json] [--selftest] [--batch-size N]`: the bundle's command line.

Exit status 0 when every image was predicted (and the self-test passed), 1 when an image could
not be read, the bundle is damaged or the self-test failed (messages on stderr name the file),
2 for a usage error.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from .manifest import BundleError
from .runtime import Bundle


def default_folder() -> Path:
    """The bundle this runtime was copied into: the folder holding `studio_bundle/`."""
    return Path(__file__).resolve().parent.parent


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="predict.py", description="Run this bundle's model on images."
    )
    parser.add_argument("images", nargs="*", type=Path, help="image files (any type Pillow reads)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    parser.add_argument(
        "--selftest", action="store_true", help="check this machine reproduces the saved outputs"
    )
    parser.add_argument("--batch-size", type=int, default=16, help="images per model call")
    parser.add_argument("--bundle", type=Path, default=None, help="the bundle folder or zip")
    parser.add_argument(
        "--no-verify", action="store_true", help="skip the sha256 check of the bundle's files"
    )
    return parser


def main(argv: list[str] | None = None, folder: Path | None = None) -> int:
    """Entry point of `predict.py`; returns the exit status."""
    parser = build_parser()
    options = parser.parse_args(argv)
    if not options.images and not options.selftest:
        parser.error("give at least one IMAGE, or --selftest")
    if options.batch_size < 1:
        parser.error("--batch-size must be at least 1")
    try:
        bundle = Bundle.load(options.bundle or folder or default_folder(), not options.no_verify)
    except BundleError as error:
        _fail(str(error))
        return 1
    with bundle:
        status = _selftest(bundle, options.json) if options.selftest else 0
        if options.images:
            status = max(status, _predict(bundle, options))
    return status


def _selftest(bundle: Bundle, as_json: bool) -> int:
    try:
        report = bundle.selftest()
    except BundleError as error:
        _fail(str(error))
        return 1
    if as_json:
        print(json.dumps({"selftest": report}, indent=2))
    else:
        for case in report["cases"]:
            mark = "ok  " if case["passed"] else "FAIL"
            print(f"{mark} {case['input']}: {case['message']}")
        passed = sum(case["passed"] for case in report["cases"])
        verdict = "passed" if report["passed"] else "FAILED"
        print(f"self-test {verdict}: {passed}/{len(report['cases'])} cases")
    if not report["passed"]:
        _fail("the self-test failed: this machine does not reproduce the exported outputs")
    return 0 if report["passed"] else 1


def _predict(bundle: Bundle, options: argparse.Namespace) -> int:
    failures = []

    def report(image: Any, error: BundleError) -> None:
        failures.append(image)
        _fail(str(error))

    try:
        results = bundle.predict_many(options.images, options.batch_size, on_error=report)
    except BundleError as error:
        _fail(str(error))
        return 1
    if options.json:
        print(json.dumps(results, indent=2))
    else:
        for result in results:
            print(describe(result))
    return 1 if failures else 0


def describe(result: dict[str, Any]) -> str:
    """One human-readable block for a result."""
    name = result.get("image", "image")
    if "label" in result:
        others = ", ".join(f"{top['class']} {top['score']:.3f}" for top in result["top"][1:])
        return f"{name}: {result['label']} {result['score']:.3f}" + (
            f" (then {others})" if others else ""
        )
    if "labels" in result:
        chosen = ", ".join(f"{label} {result['scores'][label]:.3f}" for label in result["labels"])
        return f"{name}: {chosen or 'no label above the threshold'}"
    lines = [f"{name}: {len(result['detections'])} detection(s)"]
    for detection in result["detections"]:
        x, y, width, height = detection["box"]
        lines.append(
            f"  {detection['class']} {detection['score']:.3f} at x={x:.1f} y={y:.1f} "
            f"w={width:.1f} h={height:.1f}"
        )
    return "\n".join(lines)


def _fail(message: str) -> None:
    print(f"error: {message}", file=sys.stderr)
