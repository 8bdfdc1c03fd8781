"""How long ``rse-bot --help`` takes, start to exit, over repeated runs (target: < 0.5 s)."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

RUNS = 10


def main() -> None:
    durations = []
    for _ in range(RUNS):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "bot.cli", "--help"], check=True, capture_output=True)
        durations.append(time.perf_counter() - started)
    print(
        f"rse-bot --help over {RUNS} runs: median {statistics.median(durations):.3f} s, "
        f"max {max(durations):.3f} s (target < 0.5 s)"
    )


if __name__ == "__main__":
    main()
