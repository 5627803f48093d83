"""Benchmark: cold start of `summarize --help` (target: at most 0.15 s).

Runs each command N times, side by side in one run, and prints medians:
the bare interpreter (the floor), `summarize --help`, and — for contrast —
importing the library stack that --help must not import.

    python bench/cli_startup.py --runs 20
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path


def median_seconds(command: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    beside = Path(sys.executable).parent / "summarize"  # the venv's script
    script = str(beside) if beside.exists() else shutil.which("summarize") or "summarize"
    commands = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "summarize --help": [script, "--help"],
        "python -m summarize --help": [sys.executable, "-m", "summarize", "--help"],
        "import openai, instructor (not done by --help)": [
            sys.executable,
            "-c",
            "import openai, instructor",
        ],
    }
    print(f"| command | median of {args.runs} (s) |\n|---|---|")
    for name, command in commands.items():
        print(f"| `{name}` | {median_seconds(command, args.runs):.3f} |")


if __name__ == "__main__":
    main()
