"""Interrupting the harness loses nothing and leaves nothing running; a run can resume.

Each test starts a real `python -m comparisons compare`, waits until a Ray or Dask cell
is running under it, signals the harness (Ctrl-C, SIGTERM, or SIGKILL, which it cannot
catch), and checks that every process of that tree is gone, that the records already
written still parse, and that `--resume` runs only what is missing.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import psutil
import pytest

from comparisons.measure.environment import PROJECT_ROOT
from comparisons.records.store import load_records

SUITE = """
description = "interruption test"
# A fixed order: the test reads the records in the order the cells ran.
seed = 20261125
timeout_s = 120

[[cells]]
workload = "io.sleep"
backends = ["serial", "threads"]
workers = 2
tasks = 2
repeats = 1
params = {{ latency = 0.01 }}

[[cells]]
workload = "io.sleep"
backends = ["{engine}"]
workers = 2
tasks = 2
repeats = 1
warmups = 0
min_repeat_s = 0
params = {{ latency = 3.0 }}
"""


def _ctrl_c_as_in_a_terminal() -> None:
    # A shell starts background jobs with SIGINT ignored, and Python keeps an ignored
    # SIGINT ignored: a test run from such a job (as a CI script may be) would otherwise
    # send a Ctrl-C the harness never sees.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def compare(*args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "comparisons", "compare", *args],
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_ctrl_c_as_in_a_terminal,
    )


def wait_for_engine(harness: subprocess.Popen, marker: str, timeout: float = 90) -> list:
    """Wait until a process whose command line has `marker` runs under the harness."""
    deadline = time.monotonic() + timeout
    root = psutil.Process(harness.pid)
    while time.monotonic() < deadline:
        for proc in root.children(recursive=True):
            try:
                if marker in " ".join(proc.cmdline()):
                    time.sleep(1.0)  # let the engine start its other processes too
                    return root.children(recursive=True)
            except psutil.Error:
                continue
        assert harness.poll() is None, harness.communicate()
        time.sleep(0.1)
    raise AssertionError(f"no {marker} process appeared under the harness")


@pytest.mark.parametrize(
    ("engine", "marker", "how"),
    [
        # Ray for the signal the harness cannot catch (its daemons must still end; the
        # harness ending a Ray cell's tree itself is test_harness's timed-out cell).
        ("dask", "spawn_main", signal.SIGINT),
        ("dask", "spawn_main", signal.SIGTERM),
        ("ray", "raylet", signal.SIGKILL),
    ],
)
def test_signal_mid_cell_keeps_records_ends_every_process_and_resume_finishes(
    tmp_path, engine, marker, how
):
    suite = tmp_path / "suite.toml"
    suite.write_text(SUITE.format(engine=engine))
    out = tmp_path / "out"
    harness = compare("--suite", str(suite), "--results", str(out))
    tree = wait_for_engine(harness, marker)
    harness.send_signal(how)
    _, err = harness.communicate(timeout=60)

    _, alive = psutil.wait_procs(tree, timeout=30)
    assert not alive, [(p.pid, p.name()) for p in alive]
    run_dir = next(p for p in out.iterdir() if p.is_dir() and not p.is_symlink())
    before = load_records(run_dir / "records.jsonl")
    assert [r["backend"] for r in before] == ["serial", "threads"]
    if how != signal.SIGKILL:
        assert harness.returncode == 130
        assert f"make compare RESUME={run_dir.name}" in err
        assert (run_dir / "REPORT.md").is_file()
    if how == signal.SIGTERM:
        return  # the harness turns it into Ctrl-C: the SIGINT case resumes that path

    resumed = compare("--resume", run_dir.name, "--results", str(out))
    _, err = resumed.communicate(timeout=180)
    assert resumed.returncode == 0, err
    after = load_records(run_dir / "records.jsonl")
    assert after[:2] == before
    assert [r["backend"] for r in after] == ["serial", "threads", engine]
    assert after[2]["status"] == "ok" and after[2]["verification"]["ok"]


def test_resume_of_something_that_is_not_a_run_is_refused(tmp_path):
    done = compare("--resume", "no-such-run", "--results", str(tmp_path))
    _, err = done.communicate(timeout=60)
    assert (
        done.returncode == 2 and "is not a run that can be resumed" in err and err.count("\n") == 1
    )


def test_two_runs_at_once_keep_to_their_own_directories(tmp_path):
    suite = tmp_path / "suite.toml"
    first_table = SUITE.format(engine="unused").split("[[cells]]")[1]
    suite.write_text("[[cells]]" + first_table)
    runs = [compare("--suite", str(suite), "--results", str(tmp_path / "out")) for _ in range(2)]
    for run in runs:
        _, err = run.communicate(timeout=120)
        assert run.returncode == 0, err
    run_dirs = sorted(p for p in (tmp_path / "out").iterdir() if p.is_dir() and not p.is_symlink())
    assert len(run_dirs) == 2
    for run_dir in run_dirs:
        records = load_records(run_dir / "records.jsonl")
        assert len(records) == 2 and {r["run_id"] for r in records} == {run_dir.name}
    assert (tmp_path / "out" / "latest").resolve() in run_dirs
