"""`python -m comparisons ...` as a user runs it: a real subprocess from the project root."""

from __future__ import annotations

import os
import subprocess
import sys

from comparisons.measure.environment import PROJECT_ROOT


def run_cli(
    *args: str, env: dict[str, str] | None = None, timeout: float = 600
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "comparisons", *args],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )
