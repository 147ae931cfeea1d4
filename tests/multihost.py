"""Real Dask and Ray clusters spread over the hosts of a `netns.TestNetwork`.

`dask_on(network)` runs `dask scheduler` on the head host and one `dask worker` (one
thread) on each worker host; `ray_on(network)` runs `ray start --head` on the head host
with no CPUs of its own, `ray start --address ...` with one CPU on each worker host, and
a node with no CPUs on the driver host (a Ray driver runs on a node of its cluster), so
the tasks of both engines run on the worker hosts and every task, input and result
crosses the emulated network. The machine still has its 2 cores: the hosts share them, so
this is more network, not more compute.

Every server binds inside the namespaces (multi-node Ray binds every interface, which in
a namespace is only `lo` and its `eth0`). Processes end with the network (`TestNetwork.stop`
ends everything inside the hosts); the helpers stop them first, SIGTERM then SIGKILL.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from netns import TestNetwork

BIN = Path(sys.executable).parent
PROJECT_ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT_S = 90.0
DASK_PORT = 8786
RAY_PORT = 6379


def _wait(condition: Callable[[], bool], what: str, procs: list, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while not condition():
        if any(p.poll() is not None for p in procs) or time.monotonic() > deadline:
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise RuntimeError(f"{what} did not start: {tail}")
        time.sleep(0.3)


def _stop(procs: list[subprocess.Popen]) -> None:
    """SIGTERM to every process the CLIs started and all their children at once (one
    by one, `ray start --block` takes seconds per child), SIGKILL what is left."""
    import psutil

    tree = []
    for proc in procs:
        try:
            parent = psutil.Process(proc.pid)
            tree += [parent, *parent.children(recursive=True)]
        except psutil.Error:
            continue
    for member in tree:
        try:
            member.terminate()
        except psutil.Error:
            continue
    _, alive = psutil.wait_procs(tree, timeout=5)
    for member in alive:
        try:
            member.kill()
        except psutil.Error:
            continue
    for proc in procs:
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextmanager
def dask_on(network: TestNetwork, workers: tuple[str, ...] = ("w1", "w2")) -> Iterator[str]:
    """A scheduler on `head`, a worker on each of `workers`; yields the scheduler address."""
    head = network.addresses["head"]
    address = f"tcp://{head}:{DASK_PORT}"
    no_dashboard = ["--no-dashboard"]
    with tempfile.TemporaryDirectory(prefix="mh-dask-") as scratch:
        log = Path(scratch, "dask.log")
        procs: list[subprocess.Popen] = []
        output = open(log, "ab")  # noqa: SIM115 - held for the cluster's life
        try:

            def spawn(host: str, *args: str) -> None:
                procs.append(
                    network.popen(
                        host,
                        [str(BIN / "dask"), *args],
                        cwd=scratch,
                        stdin=subprocess.DEVNULL,
                        stdout=output,
                        stderr=subprocess.STDOUT,
                        start_new_session=True,
                    )
                )

            spawn("head", "scheduler", "--host", head, "--port", str(DASK_PORT), *no_dashboard)
            _wait(
                lambda: "Scheduler at:" in log.read_text(errors="replace"), "scheduler", procs, log
            )
            for name in workers:
                ip = network.addresses[name]
                spawn(
                    name, "worker", address, "--host", ip, "--nthreads", "1", "--name", name,
                    "--local-directory", str(Path(scratch, name)), *no_dashboard,
                )  # fmt: skip

            def joined() -> bool:
                return log.read_text(errors="replace").count("Registered to:") >= len(workers)

            _wait(joined, "dask workers", procs, log)
            yield address
        finally:
            _stop(procs)
            output.close()


@contextmanager
def ray_on(
    network: TestNetwork,
    workers: tuple[str, ...] = ("w1", "w2"),
    system_config: dict[str, int] | None = None,
) -> Iterator[tuple[str, dict[str, str]]]:
    """A Ray head on `head` (0 CPUs) and a one-CPU node on each of `workers`; yields the
    GCS address and the variables a driver needs (token authentication).
    `system_config` goes to the head (`--system-config`), e.g. a faster health check."""
    head = network.addresses["head"]
    auth = {"RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": secrets.token_hex(32)}
    env = {**os.environ, **auth, "RAY_USAGE_STATS_ENABLED": "0"}
    # A temp dir per host, as separate machines have: in a shared one, a driver reads the
    # node address another node wrote (session_latest/node_ip_address.json) and registers
    # its objects' owner at the wrong host. Short, for Ray's socket paths.
    temp_dir = tempfile.mkdtemp(prefix="mh-", dir="/tmp")
    log = Path(temp_dir, "ray-start.log")
    procs: list[subprocess.Popen] = []
    output = open(log, "ab")  # noqa: SIM115 - held for the cluster's life

    def own_dir(host: str) -> str:
        return f"--temp-dir={temp_dir}/{host}"

    common = ["--disable-usage-stats"]
    try:

        def start(host: str, *args: str) -> None:
            procs.append(
                network.popen(
                    host,
                    [str(BIN / "ray"), "start", *args, "--block"],
                    env=env,
                    stdin=subprocess.DEVNULL,
                    stdout=output,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )

        start(
            "head", "--head", f"--node-ip-address={head}", f"--port={RAY_PORT}",
            "--num-cpus=0", "--include-dashboard=false", own_dir("head"), *common,
            *([f"--system-config={json.dumps(system_config)}"] if system_config else []),
        )  # fmt: skip
        _wait(
            lambda: "Ray runtime started" in log.read_text(errors="replace"), "ray head", procs, log
        )
        # A Ray driver runs on a node of its cluster: the driver host joins with no CPUs.
        # One node at a time: three starting at once overrun their start-up timeout here.
        nodes = {"driver": 0, **{name: 1 for name in workers}}
        for started, (name, cpus) in enumerate(nodes.items(), start=2):
            start(
                name, f"--address={head}:{RAY_PORT}",
                f"--node-ip-address={network.addresses[name]}", f"--num-cpus={cpus}",
                own_dir(name), *common,
            )  # fmt: skip
            _wait(
                lambda n=started: log.read_text(errors="replace").count("Ray runtime started") >= n,
                f"ray node on {name}",
                procs,
                log,
            )
        # The driver's node address: Ray would read the head's from the shared /tmp.
        yield f"{head}:{RAY_PORT}", {**auth, "COMPARISONS_RAY_NODE_IP": network.addresses["driver"]}
    finally:
        _stop(procs)
        output.close()
        subprocess.run(["rm", "-rf", temp_dir], check=False)


def run_in_driver(
    network: TestNetwork, args: list[str], env: dict[str, str] | None = None, timeout: float = 600
) -> subprocess.CompletedProcess:
    """`python -m comparisons <args>` on the driver host, from the project root."""
    return network.run(
        "driver",
        [sys.executable, "-m", "comparisons", *args],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )


def record_of(done: subprocess.CompletedProcess) -> dict:
    """The JSON record `comparisons run --json` printed."""
    if not done.stdout.strip():
        raise AssertionError(f"no record (exit {done.returncode}): {done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


RAY_MARKERS = ("ray", "gcs_server", "plasma")
PLACEMENT = (
    "the harness on driver; the Dask scheduler and a Ray head with no CPUs on head; one "
    "1-thread Dask worker and one 1-CPU Ray node on each of w1 and w2"
)


def lose(namespace: str, engine: str) -> int:
    """Kill, at once (SIGKILL: a host does not shut down politely), every process of
    `engine` inside the host `namespace`; the other engine's processes stay."""
    import psutil
    from netns import _run

    killed = 0
    for pid in (int(p) for p in _run("ip", "netns", "pids", namespace).split()):
        try:
            proc = psutil.Process(pid)
            is_ray = any(m in " ".join(proc.cmdline()) for m in RAY_MARKERS)
            if is_ray == (engine == "ray"):
                proc.kill()
                killed += 1
        except psutil.Error:
            continue
    print(f"killed {killed} {engine} processes in {namespace}")
    return 0 if killed else 1


def host_loss_command(network: TestNetwork, host: str = "w2") -> str:
    """What `COMPARISONS_HOST_LOSS` holds: lose `host`'s processes of `{engine}`."""
    return f"{sys.executable} {Path(__file__).resolve()} lose {network.namespace(host)} {{engine}}"


def main(argv: list[str]) -> int:
    """Run a command on the driver host of a fresh test network, with Dask and Ray
    clusters on the other hosts, then tear everything down:

        .venv/bin/python tests/multihost.py [--rate 1gbit] make compare SUITE=multihost

    The command gets DASK_ADDRESS, RAY_ADDRESS, Ray's token variables, SERVICE_HOST
    (the driver's address, where the latency server then listens for the workers) and
    COMPARISONS_HOST_LOSS (how the `fault.host_loss` probe removes host w2). Run the
    host-loss probe last: it leaves each engine one worker host short.
    """
    from netns import available, rate_bytes_per_s, test_network

    if argv[:1] == ["lose"]:
        return lose(argv[1], argv[2])
    rate = "1gbit"
    if argv[:1] == ["--rate"]:
        rate, argv = argv[1], argv[2:]
    if not argv:
        print(main.__doc__, file=sys.stderr)
        return 2
    reason = available()
    if reason:
        print(f"error: {reason}", file=sys.stderr)
        return 2
    with test_network(rate=rate) as network:
        with dask_on(network) as dask_address, ray_on(network) as (ray_address, auth):
            env = {
                **os.environ,
                **auth,
                "DASK_ADDRESS": dask_address,
                "RAY_ADDRESS": ray_address,
                "SERVICE_HOST": network.addresses["driver"],
                "COMPARISONS_HOST_LOSS": host_loss_command(network),
                "COMPARISONS_HOSTS": json.dumps(
                    {
                        "hosts": network.addresses,
                        "link_rate": rate,
                        "link_bytes_per_s": rate_bytes_per_s(rate),
                        "placement": PLACEMENT,
                    }
                ),
            }
            print(f"hosts {network.addresses} at {rate}: {' '.join(argv)}", file=sys.stderr)
            return network.run("driver", argv, env=env, cwd=PROJECT_ROOT).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
