"""`python predict.py IMAGE... [--json] [--selftest] [--batch-size N]`: the bundle's command line.

The bundle's self-test runs before any image (`--skip-selftest` leaves it out). Exit status 0
when every image was predicted, 1 when an image could not be read, the bundle is damaged or
the self-test failed (messages on stderr name the file), 2 for a usage error.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from .manifest import BundleError
from .preprocess import DEFAULT_MAX_PIXELS, pixel_limit_from_header_only
from .runtime import Bundle
from .selftest import selftest_failure


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
    add_loading_arguments(parser)
    return parser


def add_loading_arguments(parser: argparse.ArgumentParser) -> None:
    """The options predict.py and serve.py share: which bundle, and the checks made on it."""
    parser.add_argument("--bundle", type=Path, default=None, help="the bundle folder or zip")
    parser.add_argument(
        "--no-verify", action="store_true", help="skip the sha256 check of the bundle's files"
    )
    parser.add_argument(
        "--skip-selftest",
        action="store_true",
        help="start without running the self-test (only if you know why it fails)",
    )
    parser.add_argument(
        "--max-pixels",
        type=int,
        default=DEFAULT_MAX_PIXELS,
        help=f"refuse images with more pixels, from their header (default {DEFAULT_MAX_PIXELS:,})",
    )


def check_loading_arguments(parser: argparse.ArgumentParser, options: argparse.Namespace) -> None:
    if options.max_pixels < 1:
        parser.error("--max-pixels must be at least 1")


def load_checked(folder: Path, options: argparse.Namespace) -> Bundle:
    """The bundle, loaded and (unless --skip-selftest) self-tested; BundleError when it fails.

    What the self-test could not check (an older bundle's expected.json) is noted on stderr.
    """
    bundle = Bundle.load(folder, not options.no_verify, options.max_pixels)
    if options.skip_selftest:
        return bundle
    try:
        report = bundle.selftest()
    except BundleError as error:
        bundle.close()
        raise BundleError(
            f"the self-test cannot run, refusing to start: {error} (--skip-selftest to run anyway)"
        ) from None
    failure = selftest_failure(report)
    if failure is not None:
        bundle.close()
        raise BundleError(
            f"the self-test failed, refusing to start: {failure} (--skip-selftest to run anyway)"
        )
    for unchecked in report["unchecked"]:
        print(f"note: the self-test could not check the {unchecked}", file=sys.stderr)
    return bundle


def main(argv: list[str] | None = None, folder: Path | None = None) -> int:
    """Entry point of `predict.py`; returns the exit status."""
    parser = build_parser()
    options = parser.parse_args(argv)
    if not options.images and not options.selftest:
        parser.error("give at least one IMAGE, or --selftest")
    if options.batch_size < 1:
        parser.error("--batch-size must be at least 1")
    if options.selftest and options.skip_selftest:
        parser.error("--selftest and --skip-selftest contradict each other")
    check_loading_arguments(parser, options)
    folder = options.bundle or folder or default_folder()
    with pixel_limit_from_header_only():
        try:
            # --selftest runs it below, printing every case.
            bundle = (
                Bundle.load(folder, not options.no_verify, options.max_pixels)
                if options.selftest
                else load_checked(folder, options)
            )
        except BundleError as error:
            _fail(str(error))
            return 1
        with bundle:
            if options.selftest and _selftest(bundle, options.json):
                return 1
            return _predict(bundle, options) if options.images else 0


def _selftest(bundle: Bundle, as_json: bool) -> int:
    try:
        report = bundle.selftest()
    except BundleError as error:
        _fail(str(error))
        return 1
    if as_json:
        print(json.dumps({"selftest": report}, indent=2))
    else:
        for difference in report["manifest"]:
            print(f"FAIL {difference}")
        for unchecked in report["unchecked"]:
            print(f"note: not checked: the {unchecked}")
        for case in report["cases"]:
            mark = "ok  " if case["passed"] else "FAIL"
            print(f"{mark} {case['input']}: {case['message']}")
        passed = sum(case["passed"] for case in report["cases"])
        verdict = "passed" if report["passed"] else "FAILED"
        print(f"self-test {verdict}: {passed}/{len(report['cases'])} cases")
    failure = selftest_failure(report)
    if failure is not None:
        _fail(f"the self-test failed: {failure}")
    return 0 if failure is None else 1


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
