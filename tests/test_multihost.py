"""Dask and Ray across several hosts: network namespaces on one bridge with rate-limited
links (`netns.py`), real multi-node engines on them (`multihost.py`), the harness's
driver on its own host. Skipped with the reason where namespaces cannot be made (not
root, no iproute2); CI runs as root and runs them."""

from __future__ import annotations

import subprocess

import pytest
from multihost import dask_on, host_loss_command, ray_on, record_of, run_in_driver
from netns import available, leftovers, rate_bytes_per_s, test_network

pytestmark = pytest.mark.skipif(available() is not None, reason=str(available()))

PRIMES = ["--workload", "cpu.primes", "--workers", "2", "--tasks", "8", "--param", "span=3000"]
QUICK = ["--repeats", "2", "--warmups", "1", "--timeout", "240", "--json"]


@pytest.fixture(scope="module")
def network():
    with test_network(rate="1gbit") as net:
        yield net
    assert leftovers() == []


@pytest.fixture(scope="module")
def dask_address(network):
    with dask_on(network) as address:
        yield address


@pytest.fixture(scope="module")
def ray_cluster(network):
    fast_check = {"health_check_period_ms": 1000, "health_check_failure_threshold": 3}
    with ray_on(network, system_config=fast_check) as found:
        yield found


def _machine_links() -> str:
    return subprocess.run(["ip", "-br", "link"], capture_output=True, text=True).stdout


def test_a_network_is_torn_down_with_everything_started_in_it():
    before = _machine_links()
    with test_network(hosts=("a", "b")) as net:
        # The machine's own namespace gets no interface: everything is inside.
        assert _machine_links() == before
        sleeper = net.popen("b", ["sleep", "600"])
        assert net.pids("b") == [sleeper.pid]
        code = f"import socket; socket.create_connection(('{net.addresses['b']}', 9), 2)"
        reached = net.run("a", ["python3", "-c", code], capture_output=True, text=True)
        assert "ConnectionRefusedError" in reached.stderr  # b answered: nothing on port 9
    assert sleeper.wait(5) is not None
    assert leftovers() == [] and _machine_links() == before


def test_dask_cells_run_verified_on_workers_on_two_hosts(network, dask_address):
    done = run_in_driver(network, ["run", "--backend", "dask", *PRIMES, *QUICK,
                                   "--dask-address", dask_address])  # fmt: skip
    record = record_of(done)
    assert record["status"] == "ok" and record["verification"]["ok"], record["error"]
    used = record["backend_info"]["cluster"]["used_workers"]
    hosts = {worker.split("//")[1].rsplit(":", 1)[0] for worker in used}
    assert hosts == {network.addresses["w1"], network.addresses["w2"]}


def test_ray_cells_run_verified_on_nodes_on_two_hosts(network, ray_cluster):
    address, auth = ray_cluster
    done = run_in_driver(network, ["run", "--backend", "ray", *PRIMES, *QUICK,
                                   "--ray-address", address], env=auth)  # fmt: skip
    record = record_of(done)
    assert record["status"] == "ok" and record["verification"]["ok"], record["error"]
    cluster = record["backend_info"]["cluster"]
    assert cluster["nodes"] == 4 and cluster["cpus"] == 2
    # The cell's tasks run only in its bundles: one on each worker host.
    assert sorted(cluster["bundle_nodes"]) == [network.addresses["w1"], network.addresses["w2"]]


@pytest.mark.parametrize("workload", ["overhead.transfer", "overhead.handoff"])
@pytest.mark.parametrize("engine", ["dask", "ray"])
def test_a_transfer_cannot_beat_the_link(network, engine, workload, request):
    """2 tasks of 4 MiB each over 100 Mbit/s links. A transfer sends both from the
    driver, through its one link: 8 MiB; a hand-off sends one from each worker host to
    the other: 4 MiB through each worker's link. A run cannot take less than its busiest
    link's bytes at the link's rate."""
    if engine == "dask":
        place, env = ["--dask-address", request.getfixturevalue("dask_address")], {}
    else:
        address, env = request.getfixturevalue("ray_cluster")
        place = ["--ray-address", address]
    network.set_rate("100mbit")
    try:
        done = run_in_driver(
            network,
            ["run", "--backend", engine, "--workload", workload, "--workers", "2",
             "--tasks", "2", "--param", "kilobytes=4096", "--repeats", "1", "--warmups", "0",
             "--timeout", "240", "--json", *place],
            env=env,
        )  # fmt: skip
    finally:
        network.set_rate("1gbit")
    record = record_of(done)
    assert record["status"] == "ok" and record["verification"]["ok"], record["error"]
    busiest_link = (2 if workload == "overhead.transfer" else 1) * 4 * 2**20
    floor_s = busiest_link / rate_bytes_per_s("100mbit")
    assert min(record["samples_s"]) >= 0.9 * floor_s, (record["samples_s"], floor_s)
    if workload == "overhead.handoff" and engine == "dask":
        assert record["backend_info"]["handoff_peer_bytes"] >= 2 * 4 * 2**20


HOST_LOSS = ["run", "--workload", "fault.host_loss", "--workers", "2", "--tasks", "4",
             "--repeats", "1", "--warmups", "0", "--timeout", "240", "--json"]  # fmt: skip


# Last in this module, on the module's clusters: each leaves its engine one worker
# host short, which no test after them may need.


def test_dask_reschedules_a_lost_hosts_tasks(network, dask_address):
    env = {"COMPARISONS_HOST_LOSS": host_loss_command(network)}
    done = run_in_driver(network, [*HOST_LOSS, "--backend", "dask",
                                   "--dask-address", dask_address], env=env)  # fmt: skip
    finding = record_of(done)["fault"]
    assert finding["host_loss"]["exit_code"] == 0, finding
    assert finding["outcome"] == "returned" and finding["results_correct"], finding


def test_ray_retries_a_lost_hosts_tasks_once_it_notices(network, ray_cluster):
    """Ray notices a dead node by missed health checks (about 15 s by default; the
    module's cluster checks every 1 s, 3 misses, to keep the test short), then retries
    its tasks on the nodes left."""
    address, auth = ray_cluster
    env = {**auth, "COMPARISONS_HOST_LOSS": host_loss_command(network)}
    done = run_in_driver(network, [*HOST_LOSS, "--backend", "ray",
                                   "--ray-address", address], env=env)  # fmt: skip
    finding = record_of(done)["fault"]
    assert finding["host_loss"]["exit_code"] == 0, finding
    assert finding["outcome"] == "returned" and finding["results_correct"], finding
