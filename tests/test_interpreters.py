"""Cells under another interpreter: its environment is prepared by `make python-env`,
the record states which Python ran the cell (version, build, GIL), and an interpreter
that cannot run the project is refused in one line.

The second CPython is any `python3.X` on this machine other than the one running the
tests (pyenv's, /usr/bin's); without one, the tests that need it are skipped, saying so.
"""

from __future__ import annotations

import glob
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from cli_helper import run_cli

from comparisons.environment import PROJECT_ROOT
from comparisons.python_env import PythonEnvError, describe_interpreter, environment_dir


def other_cpython() -> str | None:
    mine = f"{sys.version_info[0]}.{sys.version_info[1]}"
    candidates = sorted(glob.glob("/root/.pyenv/versions/3.1[2-9]*/bin/python3"))
    candidates += [p for v in ("3.12", "3.13", "3.14") if (p := shutil.which(f"python{v}"))]
    for path in candidates:
        try:
            if describe_interpreter(path)["version"] != mine:
                return path
        except PythonEnvError:
            continue
    return None


OTHER = other_cpython()
needs_other = pytest.mark.skipif(OTHER is None, reason="no second CPython 3.12+ here")


cli = run_cli


def test_something_that_is_not_an_interpreter_is_refused_in_one_line(tmp_path):
    fake = tmp_path / "python"
    fake.write_text("#!/bin/sh\nexit 1\n")
    fake.chmod(0o755)
    with pytest.raises(PythonEnvError, match="is not a working Python interpreter"):
        environment_dir(str(fake))
    done = subprocess.run(
        [sys.executable, "-m", "comparisons.python_env", str(fake)],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
    )
    assert done.returncode == 2
    assert done.stderr.strip() == f"error: PYTHON={fake} is not a working Python interpreter"


@needs_other
def test_a_bare_interpreter_is_refused_with_how_to_prepare_it():
    done = cli("run", "--workload", "cpu.primes", "--backend", "serial", "--python", OTHER)
    assert done.returncode == 2
    [line] = done.stderr.strip().splitlines()
    assert line.startswith(f"error: --python {OTHER} cannot run the project")
    assert line.endswith(f"make python-env PYTHON={OTHER}")


@needs_other
def test_a_cell_runs_under_a_prepared_second_cpython_and_says_so():
    info = describe_interpreter(OTHER)
    prepared = subprocess.run(
        ["make", "--no-print-directory", "python-env", f"PYTHON={OTHER}"],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        timeout=900,
    )
    assert prepared.returncode == 0, prepared.stderr
    env_python = prepared.stdout.strip().splitlines()[-1]
    assert Path(env_python).parent.parent.name == f"cpython-{info['version']}"
    done = cli(
        "run",
        "--workload",
        "cpu.primes",
        "--backend",
        "processes",
        "--workers",
        "2",
        "--tasks",
        "4",
        "--param",
        "span=500",
        "--repeats",
        "2",
        "--python",
        env_python,
        "--json",
    )
    assert done.returncode == 0, done.stderr
    record = json.loads(done.stdout)
    assert record["status"] == "ok" and record["verification"]["ok"]
    assert record["python"] == env_python
    python = record["env"]["python"]
    assert python["version"] == info["full"]
    assert python["gil_enabled"] is not info["free_threaded"]
    assert python["gil_disabled_build"] is info["free_threaded"]
