"""`python -m benchmarks [--quick] [--only NAME] [--json FILE] [--profile]`."""

from __future__ import annotations

import argparse
import json
import os
import platform
import sqlite3
import sys
from collections.abc import Sequence
from pathlib import Path

from benchmarks.harness import format_profiles, format_table
from benchmarks.runner import BENCHMARKS, RunResult, run_benchmarks


def parse_arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Time Studio against minimal baselines measured in the same run.",
    )
    parser.add_argument("--quick", action="store_true", help="small sizes (seconds, for tests)")
    parser.add_argument(
        "--only",
        action="append",
        choices=list(BENCHMARKS),
        metavar="NAME",
        help=f"run only this benchmark (repeatable): {', '.join(BENCHMARKS)}",
    )
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the results here")
    parser.add_argument("--seed", type=int, default=0, help="seed of the generated data")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="run Studio's side under cProfile and print its hottest functions "
        "(Studio's figures then include the profiler's overhead)",
    )
    return parser.parse_args(argv)


def environment() -> dict[str, object]:
    return {
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
    }


def write_json(path: Path, result: RunResult, arguments: argparse.Namespace) -> None:
    document = {
        "quick": arguments.quick,
        "seed": arguments.seed,
        "profiled": arguments.profile,
        "seconds": result.seconds,
        "environment": environment(),
        "results": [row.as_json() for row in result.measurements],
    }
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    result = run_benchmarks(
        arguments.only or (), quick=arguments.quick, seed=arguments.seed, profile=arguments.profile
    )
    print(format_table(result.measurements))
    facts = ", ".join(f"{key} {value}" for key, value in environment().items())
    print(f"\n{facts}; seed {arguments.seed}; {result.seconds:.0f} s in all")
    if arguments.profile and result.session is not None:
        print("\n" + format_profiles(result.session.profiles))
    if arguments.json is not None:
        write_json(arguments.json, result, arguments)
    return 0


if __name__ == "__main__":
    sys.exit(main())
