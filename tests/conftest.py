"""Shared test fixtures: a guard that no Ray or Dask process outlives the test session.

Tests run real backends (Ray daemons, Dask scheduler and workers) in real subprocesses;
this guard lists such processes that exist at the start and fails the session if new
ones are still alive at the end, naming them, so a leak is found where it is made.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import psutil
import pytest

ENGINE_MARKERS = (
    "raylet",
    "gcs_server",
    "ray::",
    "ray/_private",
    "ray/dashboard",
    "distributed.cli",
    "dask-worker",
    "dask-scheduler",
    "dask worker",
    "dask scheduler",
    "distributed/nanny",
    "multiprocessing.spawn",
)
PROJECT_ROOT = Path(__file__).resolve().parent.parent


def engine_processes() -> dict[int, str]:
    found = {}
    for proc in psutil.process_iter(["pid", "name", "cmdline"]):
        try:
            text = " ".join([proc.info["name"] or "", *(proc.info["cmdline"] or [])])
        except psutil.Error:
            continue
        if any(marker in text for marker in ENGINE_MARKERS):
            found[proc.info["pid"]] = text[:160]
    return found


@pytest.fixture(scope="session", autouse=True)
def no_engine_process_left_behind():
    before = engine_processes()
    yield
    deadline = time.monotonic() + 10
    while True:
        left = {pid: text for pid, text in engine_processes().items() if pid not in before}
        if not left or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert not left, f"Ray/Dask processes outlived the tests: {left}"


@pytest.fixture
def python() -> str:
    return sys.executable
