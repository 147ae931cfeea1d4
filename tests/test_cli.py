"""The command line: listings, one-cell runs, and one clear line for every user mistake."""

from __future__ import annotations

import json
import subprocess

import pytest
from cli_helper import run_cli

from comparisons.backends import REGISTRY as BACKENDS
from comparisons.records.schema import REQUIRED_FIELDS
from workloads import REGISTRY as WORKLOADS


def cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return run_cli(*args, timeout=timeout)


def test_list_names_every_workload_backend_and_suite():
    done = cli("list")
    assert done.returncode == 0
    for name in [*WORKLOADS, *BACKENDS, "smoke", "quick", "default"]:
        assert f"  {name} " in done.stdout


def test_run_prints_one_json_record_on_stdout():
    done = cli(
        "run",
        "--workload",
        "io.sleep",
        "--backend",
        "asyncio",
        "--workers",
        "3",
        "--tasks",
        "3",
        "--param",
        "latency=0.01",
        "--repeats",
        "2",
        "--json",
    )
    assert done.returncode == 0, done.stderr
    record = json.loads(done.stdout)
    assert set(REQUIRED_FIELDS) <= set(record)
    assert record["status"] == "ok" and record["verification"]["ok"]
    assert record["params"] == {"latency": 0.01} and len(record["samples_s"]) == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "--workload", "cpu.nope", "--backend", "serial"], "unknown workload 'cpu.nope'"),
        (["run", "--workload", "cpu.primes", "--backend", "rayy"], "unknown backend 'rayy'"),
        (
            ["run", "--workload", "cpu.primes", "--backend", "threads", "--workers", "0"],
            "workers must be",
        ),
        (
            ["run", "--workload", "cpu.primes", "--backend", "threads", "--tasks", "-2"],
            "tasks must be",
        ),
        (
            ["run", "--workload", "io.sleep", "--backend", "threads", "--param", "latency=-1"],
            "below its minimum",
        ),
        (
            ["run", "--workload", "io.sleep", "--backend", "threads", "--param", "latency"],
            "not NAME=VALUE",
        ),
        (
            ["run", "--workload", "io.sleep", "--backend", "serial", "--workers", "4"],
            "exactly 1 worker",
        ),
        (
            ["run", "--workload", "io.sleep", "--backend", "threads", "--workers", "two"],
            "invalid int value",
        ),
        (["compare", "--suite", "nightly"], "unknown suite 'nightly'"),
        (["compare", "--suite", "smoke", "--backends", "threads,fibers"], "unknown backend"),
        (["compare", "--suite", "smoke", "--repeats", "0"], "repeats must be"),
        (["report", "/nonexistent/run"], "is not a run directory"),
        (["frobnicate"], "invalid choice"),
    ],
)
def test_user_mistakes_get_one_line_and_exit_2(args, message):
    done = cli(*args)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1, done.stderr
    assert done.stderr.startswith("error: ") and message in done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""
