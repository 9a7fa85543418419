"""What the benchmark scripts share: the best of several timed runs, and a whole build in a fresh process."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent


def best(repeat: int, run: Callable[[], Any]) -> tuple[float, Any]:
    """Return the fastest of `repeat` runs of `run` (seconds) and the last run's result."""
    fastest, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = run()
        fastest = min(fastest, time.perf_counter() - start)
    return fastest, result


def build_seconds(layers: Path, repeat: int) -> float:
    """Time ``scripts/build_maps.py --layers LAYERS`` into a temporary folder, fresh process, best of `repeat`."""

    def run() -> None:
        with tempfile.TemporaryDirectory() as tmp:
            args = [sys.executable, "scripts/build_maps.py", "--layers", str(layers), "--out", f"{tmp}/maps"]
            subprocess.run(args, cwd=REPO, check=True, capture_output=True)

    return best(repeat, run)[0]
