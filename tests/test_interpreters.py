"""Cells under another interpreter: its environment is prepared by `make python-env`,
the record states which Python ran the cell (version, build, GIL), and an interpreter
that cannot run the project is refused in one line.

The second CPython is the newest `python3.X` (3.12+) on this machine other than the one
running the tests (pyenv's, /usr/bin's; see `python_helper`); without one, the tests
that need it are skipped, saying so.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from cli_helper import run_cli
from python_helper import other_cpython, prepared

from comparisons.measure.environment import PROJECT_ROOT
from comparisons.run.python_env import PythonEnvError, describe_interpreter, environment_dir

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
        [sys.executable, "-m", "comparisons.run.python_env", str(fake)],
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
    env_python = prepared(OTHER)
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
