"""Real external clusters on 127.0.0.1 for the tests, started with the engines' own CLIs.

`dask_cluster` runs `dask scheduler` and two `dask worker` processes; `ray_cluster` runs
`ray start --head --block`. Every process carries a fresh token in its environment
(`comparisons.measure.process_tree.TOKEN_VARIABLE`), so teardown can end exactly what it started,
by process id, after asking each one to stop (SIGTERM) first. All servers, dashboards
included, listen on 127.0.0.1 only.

A second Ray node is not started: a Ray worker node on Linux needs multi-node mode, in
which Ray binds its servers to the machine's routable address and every interface
(ray/_private/services.py `get_node_ip_address`), and this project's servers stay on
loopback. Dask's two workers exercise the multi-worker path.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from comparisons.measure.process_tree import TOKEN_VARIABLE, end_processes, processes_with_token

BIN = Path(sys.executable).parent
START_TIMEOUT_S = 60.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait(condition, what: str, procs: list[subprocess.Popen], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while not condition():
        dead = [p for p in procs if p.poll() is not None]
        if dead or time.monotonic() > deadline:
            tail = log.read_text(errors="replace")[-1500:] if log.exists() else ""
            raise RuntimeError(f"{what} did not start: {tail}")
        time.sleep(0.2)


@contextmanager
def _processes(env_extra: dict[str, str]) -> Iterator[tuple[dict[str, str], list]]:
    token = secrets.token_hex(8)
    env = {**os.environ, **env_extra, TOKEN_VARIABLE: token}
    started: list[subprocess.Popen] = []
    try:
        yield env, started
    finally:
        for proc in reversed(started):
            if proc.poll() is None:
                proc.terminate()
        for proc in reversed(started):
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                pass
        # Whatever the CLIs' own shutdown left (their children carry the token).
        end_processes(lambda: processes_with_token(token))
        for proc in started:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


@contextmanager
def dask_cluster(directory: Path, workers: int = 2) -> Iterator[str]:
    """A scheduler and `workers` one-thread workers; yields the scheduler address."""
    scheduler_file = directory / "scheduler.json"
    log = directory / "dask.log"
    loopback_only = ["--no-dashboard", "--dashboard-address", "127.0.0.1:0"]
    with _processes({}) as (env, started), open(log, "ab") as output:

        def spawn(*args: str) -> None:
            started.append(
                subprocess.Popen(
                    [str(BIN / "dask"), *args],
                    cwd=directory,
                    env=env,
                    stdin=subprocess.DEVNULL,
                    stdout=output,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )

        spawn(
            "scheduler",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--scheduler-file",
            str(scheduler_file),
            *loopback_only,
        )
        _wait(scheduler_file.exists, "dask scheduler", started, log)
        address = json.loads(scheduler_file.read_text())["address"]
        for index in range(workers):
            spawn(
                "worker",
                address,
                "--host",
                "127.0.0.1",
                "--nthreads",
                "1",
                "--name",
                f"w{index}",
                "--local-directory",
                str(directory / f"w{index}"),
                *loopback_only,
            )

        def all_joined() -> bool:
            data = json.loads(scheduler_file.read_text())
            return data.get("address") == address and _dask_workers(address) >= workers

        _wait(all_joined, "dask workers", started, log)
        yield address


def _dask_workers(address: str) -> int:
    from distributed import Client

    try:
        with Client(address, timeout=5) as client:
            return len(client.scheduler_info(n_workers=-1)["workers"])
    except OSError:
        return 0


@contextmanager
def ray_cluster(cpus: int = 2) -> Iterator[tuple[str, dict[str, str]]]:
    """A one-node Ray cluster with token authentication; yields its address and the
    variables a driver needs (the token) to connect."""
    port = free_port()
    auth = {"RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": secrets.token_hex(32)}
    # Ray's socket paths must fit in 107 characters: a short directory under /tmp.
    temp_dir = tempfile.mkdtemp(prefix="rc-", dir="/tmp")
    loopback = {"RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0", "RAY_USAGE_STATS_ENABLED": "0"}
    log = Path(temp_dir, "ray-start.log")
    try:
        with _processes({**loopback, **auth}) as (env, started), open(log, "ab") as output:
            started.append(
                subprocess.Popen(
                    [
                        str(BIN / "ray"),
                        "start",
                        "--head",
                        "--node-ip-address=127.0.0.1",
                        f"--port={port}",
                        f"--num-cpus={cpus}",
                        "--include-dashboard=false",
                        "--disable-usage-stats",
                        f"--temp-dir={temp_dir}",
                        "--block",
                    ],
                    env=env,
                    stdin=subprocess.DEVNULL,
                    stdout=output,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
            _wait(
                lambda: "Ray runtime started" in log.read_text(errors="replace"),
                "ray start --head",
                started,
                log,
            )
            yield f"127.0.0.1:{port}", auth
    finally:
        shutil.rmtree(temp_dir, ignore_errors=True)


def main(argv: list[str]) -> int:
    """Run a command against fresh loopback clusters, then tear them down:

        .venv/bin/python tests/external_clusters.py make compare SUITE=quick BACKENDS=dask,ray

    The command gets DASK_ADDRESS, RAY_ADDRESS and Ray's token variables.
    """
    if not argv:
        print(main.__doc__, file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="dc-") as scratch:
        with dask_cluster(Path(scratch)) as dask_address, ray_cluster() as (ray_address, auth):
            env = {**os.environ, **auth, "DASK_ADDRESS": dask_address, "RAY_ADDRESS": ray_address}
            print(f"dask {dask_address}, ray {ray_address}: {' '.join(argv)}", file=sys.stderr)
            return subprocess.run(argv, env=env).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
