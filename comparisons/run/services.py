"""Services a workload needs (the latency server), run beside a cell, never inside it.

A workload names the services it needs (`Workload.services`); the harness starts each
in a process of its own, outside the cell's process tree so that its CPU and memory are
not charged to the model being measured, waits until it reports its address, passes
the address to the cell as `COMPARISONS_SERVICE_<NAME>=host:port`, and stops it when the
cell ends. Services bind 127.0.0.1 unless the run names another address of this machine
(`SERVICE_HOST`, for workers of an external cluster on other machines).
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psutil

from comparisons.measure.environment import PROJECT_ROOT
from comparisons.run.worker_env import worker_environment

REGISTRY: dict[str, str] = {"latency_server": "workloads.latency_server"}
START_TIMEOUT_S = 30.0
STOP_GRACE_S = 5.0


class ServiceError(RuntimeError):
    """A service did not start; the cell that needs it is recorded as an error."""


def variable_name(service: str) -> str:
    return f"COMPARISONS_SERVICE_{service.upper()}"


class Services:
    """The running services of one cell: where they are, and the CPU they have used."""

    def __init__(self) -> None:
        self.variables: dict[str, str] = {}
        self.processes: list[psutil.Process] = []

    def cpu_seconds(self) -> float:
        total = 0.0
        for proc in self.processes:
            try:
                times = proc.cpu_times()
            except psutil.Error:
                continue
            total += times.user + times.system
        return total


@contextmanager
def running_services(
    names: tuple[str, ...], python: str, scratch: Path, host: str = "127.0.0.1"
) -> Iterator[Services]:
    """Start `names` listening on `host`, yield them (addresses in `.variables`), then
    stop them."""
    started: list[subprocess.Popen] = []
    services = Services()
    variables = services.variables
    env = worker_environment(pinned=False)
    try:
        for name in names:
            if name not in REGISTRY:
                raise ServiceError(f"unknown service {name!r} (valid: {', '.join(REGISTRY)})")
            ready = scratch / f"{name}.address"
            log = scratch / f"{name}.log"
            with open(log, "wb") as output:
                proc = subprocess.Popen(
                    [python, "-m", REGISTRY[name], "--host", host, "--ready-file", str(ready)],
                    stdin=subprocess.DEVNULL,
                    stdout=output,
                    stderr=subprocess.STDOUT,
                    cwd=PROJECT_ROOT,
                    env=env,
                    start_new_session=True,
                )
            started.append(proc)
            variables[variable_name(name)] = _wait_ready(name, proc, ready, log)
            try:
                services.processes.append(psutil.Process(proc.pid))
            except psutil.Error:
                pass
        yield services
    finally:
        for proc in started:
            _stop(proc)


def _wait_ready(name: str, proc: subprocess.Popen, ready: Path, log: Path) -> str:
    deadline = time.monotonic() + START_TIMEOUT_S
    while not ready.exists():
        if proc.poll() is not None:
            tail = log.read_text(errors="replace")[-500:].strip()
            raise ServiceError(f"service {name} exited with code {proc.returncode}: {tail}")
        if time.monotonic() > deadline:
            raise ServiceError(f"service {name} did not start within {START_TIMEOUT_S:g} s")
        time.sleep(0.02)
    return ready.read_text().strip()


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(STOP_GRACE_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
