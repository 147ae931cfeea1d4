"""Shared test fixtures: a guard that no Ray or Dask process outlives the test session.

Tests run real backends (Ray daemons, Dask scheduler and workers) in real subprocesses;
this guard lists such processes that exist at the start and fails the session if new
ones are still alive at the end, naming them, so a leak is found where it is made.
"""

from __future__ import annotations

import os
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
def own_cache_folder(tmp_path_factory: pytest.TempPathFactory):
    """The tests' cache entries (`comparisons.records.cache`) go to a folder of their
    own, not the user's ~/.cache, and start empty."""
    saved = os.environ.get("XDG_CACHE_HOME")
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("cache"))
    yield
    if saved is None:
        os.environ.pop("XDG_CACHE_HOME", None)
    else:
        os.environ["XDG_CACHE_HOME"] = saved


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


@pytest.fixture(scope="module")
def ray_address():
    """A one-node Ray cluster on 127.0.0.1 (`external_clusters.ray_cluster`) for one
    module's cells; its token is in the environment, as a user's shell would pass it."""
    from external_clusters import ray_cluster

    with ray_cluster(cpus=2) as (address, auth):
        saved = {name: os.environ.get(name) for name in auth}
        os.environ.update(auth)
        try:
            yield address
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
