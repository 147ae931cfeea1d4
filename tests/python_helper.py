"""Other interpreters on this machine, for the tests that run cells under them.

`other_cpython()` finds a CPython 3.12+ other than the one running the tests, newest
first (3.13 before 3.12: it is the one that can also run subinterpreters), from pyenv or
PATH. `prepared(python)` runs `make python-env` for it once per session, as a user does,
and returns the environment's interpreter. `model_params()` are the models as pytest
parameters, each skipped with the reason when the tests' own Python is too old for it.
"""

from __future__ import annotations

import glob
import shutil
import subprocess
import sys
from functools import cache

import pytest

from comparisons.backends import backend_class, model_names
from comparisons.measure.environment import PROJECT_ROOT
from comparisons.run.python_env import PythonEnvError, describe_interpreter


def _version(path: str) -> tuple[int, ...] | None:
    try:
        return tuple(int(part) for part in str(describe_interpreter(path)["version"]).split("."))
    except (PythonEnvError, ValueError):
        return None


@cache
def other_cpython(minimum: tuple[int, int] = (3, 12)) -> str | None:
    """The newest CPython here at `minimum` or later that is not the tests' own."""
    candidates = glob.glob("/root/.pyenv/versions/3.1[2-9]*/bin/python3")
    candidates += [p for v in ("3.12", "3.13", "3.14") if (p := shutil.which(f"python{v}"))]
    found = []
    for path in candidates:
        version = _version(path)
        if version and version >= minimum and version != sys.version_info[:2]:
            found.append((version, path))
    return max(found)[1] if found else None


@cache
def prepared(python: str) -> str:
    """`make python-env PYTHON=python` (installs only when stale); its interpreter."""
    done = subprocess.run(
        ["make", "--no-print-directory", "python-env", f"PYTHON={python}"],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


def model_params() -> list:
    """Every model, skipped (with the reason) where this Python is too old for it."""
    return [
        pytest.param(
            name,
            marks=pytest.mark.skipif(
                bool(reason := backend_class(name).too_old(sys.version_info[:3])),
                reason=reason or "",
            ),
        )
        for name in model_names()
    ]
