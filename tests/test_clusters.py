"""Dask and Ray cells on external clusters: real `dask scheduler`/`dask worker` and
`ray start --head` processes on 127.0.0.1, verified results, bounded failures, a
local-vs-cluster diff, and every cluster process gone afterwards."""

from __future__ import annotations

import os
import socket
import time
from pathlib import Path

import pytest
from backend_matrix import RAY_ON_CLUSTER, run_verified
from cli_helper import run_cli
from external_clusters import dask_cluster, free_port

from comparisons.backends.clusters import check_addresses, dask_endpoint, ray_endpoint
from comparisons.cell.contract import CellSpec
from comparisons.errors import UserError
from comparisons.run.harness import run_cell

SUITE = """
description = "local vs cluster"
# A fixed order, as every run of this test had before runs drew their own.
seed = 20261125
repeats = 2
warmups = 1
timeout_s = 180

[[cells]]
workload = "cpu.primes"
backends = ["serial", "dask", "ray"]
workers = 2
tasks = 4
params = { span = 2000 }
"""


def cell(workload: str, backend: str, address: str | None, **overrides) -> CellSpec:
    values = {"workers": 2, "tasks": 4, "repeats": 2, "warmups": 1, "timeout_s": 180.0}
    values |= overrides
    params = values.pop("params", {"span": 2000} if workload == "cpu.primes" else {})
    return CellSpec(workload, backend, params=params, address=address, **values)


cli = run_cli


@pytest.fixture(scope="module")
def dask_address(tmp_path_factory):
    with dask_cluster(tmp_path_factory.mktemp("dask-cluster"), workers=2) as address:
        yield address


@pytest.mark.parametrize(
    ("engine", "address", "message"),
    [
        ("dask", "http://h:1", "is not scheme://host:port"),
        ("dask", "tcp://host", "is not scheme://host:port"),
        ("dask", "tcp://host:99999", "is not scheme://host:port"),
        ("ray", "host", "is not host:port"),
        ("ray", "ray://host:port", "is not host:port"),
    ],
)
def test_a_malformed_address_is_one_line_naming_the_valid_form(engine, address, message):
    with pytest.raises(UserError, match=message):
        check_addresses({engine: address})


def test_well_formed_addresses_parse():
    assert dask_endpoint("tcp://10.0.0.5:8786").port == 8786
    assert dask_endpoint("127.0.0.1:8786").loopback
    assert ray_endpoint("ray://head:10001").host == "head"
    assert not ray_endpoint("10.1.2.3:6379").loopback


def test_dask_cells_run_verified_on_an_external_cluster(dask_address):
    record = run_cell(cell("cpu.primes", "dask", dask_address))
    assert record["status"] == "ok", record["error"]
    assert record["verification"]["ok"] and record["verification"]["repeats_checked"] >= 3
    cluster = record["cluster"]
    assert cluster["address"] == dask_address and cluster["workers"] == 2
    assert len(cluster["used_workers"]) == 2 and cluster["threads_per_worker"] == 1
    assert cluster["warnings"] == []
    # The code the tasks ran came from the archive the backend shipped, not the repository.
    locations = cluster["workloads_imported_from"]  # one per worker's local directory
    assert len(locations) == 2
    for location in locations:
        assert "comparisons-workloads-" in location
        assert location.endswith(".zip/workloads/__init__.py")


def test_the_latency_server_reaches_dask_workers_on_loopback(dask_address):
    record = run_cell(
        cell("io.http", "dask", dask_address, tasks=6, params={"delay": 0.05, "kilobytes": 1})
    )
    assert record["status"] == "ok", record["error"]
    assert record["verification"]["ok"]


def test_the_external_dask_cluster_survives_its_cells(dask_address):
    from distributed import Client

    run_cell(cell("cpu.primes", "dask", dask_address, repeats=1))
    with Client(dask_address, timeout=10) as client:
        assert len(client.scheduler_info(n_workers=-1)["workers"]) == 2


def test_a_cell_wanting_more_workers_than_the_cluster_has_is_skipped(dask_address):
    record = run_cell(cell("cpu.primes", "dask", dask_address, workers=3))
    assert record["status"] == "skipped"
    assert "has 2 worker(s); this cell needs 3" in record["error"]


def test_fault_probes_are_not_sent_to_an_external_cluster(dask_address):
    record = run_cell(cell("fault.hang", "dask", dask_address, params={}))
    assert record["status"] == "skipped" and "fault probes" in record["error"]


def test_a_remote_cluster_with_a_loopback_latency_server_is_skipped_with_the_fix():
    record = run_cell(cell("io.http", "dask", "tcp://192.0.2.10:8786"))
    assert record["status"] == "skipped" and "set SERVICE_HOST" in record["error"]


def test_an_unreachable_address_fails_the_cell_at_once_with_one_line():
    port = free_port()  # nothing listens there
    started = time.monotonic()
    record = run_cell(cell("cpu.primes", "ray", f"127.0.0.1:{port}"))
    assert record["status"] == "error"
    assert (
        record["error"] == f"cannot reach the ray cluster at 127.0.0.1:{port}: Connection refused"
    )
    assert time.monotonic() - started < 30  # bounded: no cell process was even started


def test_an_address_that_is_not_a_cluster_gives_up_after_the_connect_timeout(monkeypatch):
    monkeypatch.setenv("COMPARISONS_CONNECT_TIMEOUT_S", "3")
    with socket.socket() as listener:  # accepts TCP, speaks nothing
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        address = f"tcp://127.0.0.1:{listener.getsockname()[1]}"
        first = run_cell(cell("cpu.primes", "dask", address))
        second = run_cell(cell("cpu.primes", "dask", address, tasks=5))
    assert first["status"] == "error"
    assert first["error"].startswith("set-up did not finish within 3 s: no working cluster")
    assert first["leftover_processes"] == []
    assert "not tried again" in second["error"] and second["cell_wall_s"] == 0.0


def test_ray_cells_run_verified_on_an_external_cluster(ray_address):
    record = run_cell(cell("cpu.primes", "ray", ray_address))
    assert record["status"] == "ok", record["error"]
    assert record["verification"]["ok"]
    cluster = record["cluster"]
    assert cluster["nodes"] == 1 and cluster["cpus"] == 2
    assert cluster["placement"] == "2 one-CPU bundles, SPREAD"
    assert cluster["warnings"] == []
    [location] = cluster["workloads_imported_from"]
    assert "py_modules_files" in location  # shipped through runtime_env


@pytest.mark.parametrize("workload", RAY_ON_CLUSTER)
def test_ray_runs_the_backend_matrix_on_a_cluster(workload, ray_address):
    """The rest of `test_backends.py`'s Ray row (see `backend_matrix.LOCAL_RAY`)."""
    run_verified(workload, "ray", ray_address)


def test_the_latency_server_reaches_ray_workers_on_loopback(ray_address):
    record = run_cell(
        cell("io.http", "ray", ray_address, tasks=6, params={"delay": 0.05, "kilobytes": 1})
    )
    assert record["status"] == "ok", record["error"]


def test_a_ray_cell_wanting_more_cpus_than_the_cluster_has_is_skipped(ray_address):
    record = run_cell(cell("cpu.primes", "ray", ray_address, workers=3))
    assert record["status"] == "skipped" and "this cell needs 3" in record["error"]


def test_local_and_cluster_runs_compare_with_make_diff(dask_address, ray_address, tmp_path):
    suite = tmp_path / "mini.toml"
    suite.write_text(SUITE)
    local = cli("compare", "--suite", str(suite), "--results", str(tmp_path / "local"))
    assert local.returncode == 0, local.stderr
    remote = cli(
        "compare",
        "--suite",
        str(suite),
        "--results",
        str(tmp_path / "cluster"),
        "--dask-address",
        dask_address,
        "--ray-address",
        ray_address,
    )
    assert remote.returncode == 0, remote.stderr
    cluster_run = (tmp_path / "cluster" / "latest").resolve()
    report = (cluster_run / "DETAILS.md").read_text()
    assert f"**Dask cluster** `{dask_address}`: 2 workers on 1 host(s), 1 thread(s) each" in report
    assert f"**Ray cluster** `{ray_address}`: 1 node(s), 2 CPUs" in report
    done = cli("diff", str((tmp_path / "local" / "latest").resolve()), str(cluster_run))
    assert done.returncode == 0, done.stderr
    assert f"dask cells: started per cell on this machine -> {dask_address}" in done.stdout
    assert f"ray cells: started per cell on this machine -> {ray_address}" in done.stdout
    # Only serial ran in the same place in both runs: the drift is read from it alone.
    assert "the median B/A over 1 of 3 cells, those that ran in the same place" in done.stdout


def test_make_compare_goes_on_past_an_unreachable_cluster(tmp_path):
    suite = tmp_path / "mini.toml"
    suite.write_text(SUITE.replace('"ray"', '"threads"'))
    port = free_port()
    done = cli(
        "compare",
        "--suite",
        str(suite),
        "--results",
        str(tmp_path),
        env={"DASK_ADDRESS": f"tcp://127.0.0.1:{port}"},
    )
    assert done.returncode == 0, done.stderr
    assert f"error: cannot reach the dask cluster at tcp://127.0.0.1:{port}" in done.stderr
    report = Path(tmp_path, "latest", "DETAILS.md").read_text()
    assert f"**Dask cluster** `tcp://127.0.0.1:{port}`: not used; cannot reach" in report
    assert "threads" in report


@pytest.mark.parametrize("engine", ["dask", "ray"])
def test_a_users_function_is_shipped_to_an_external_cluster(engine, request, monkeypatch):
    """The clusters started without examples/ on their path: the file reaches the
    workers only because the backend ships it, as it ships `workloads`."""
    examples = str(Path(__file__).resolve().parent.parent / "examples")
    monkeypatch.setenv("PYTHONPATH", os.environ.get("PYTHONPATH", ""))
    monkeypatch.setattr("sys.path", list(__import__("sys").path))
    assert examples not in os.environ["PYTHONPATH"].split(os.pathsep)
    address = request.getfixturevalue(f"{engine}_address")
    record = run_cell(
        CellSpec(
            "target:examples/blur.py:blur",
            engine,
            2,
            tasks=4,
            repeats=1,
            warmups=1,
            timeout_s=180.0,
            address=address,
        )
    )
    assert record["status"] == "ok", record["error"]
    assert record["verification"]["ok"]


def test_dask_hands_data_from_worker_to_worker_not_through_the_client(dask_address):
    """Across workers, every run sends each 1 MiB array from one worker to the other
    (the workers' own counters, in the record); on one worker nothing crosses."""
    for same_worker in (0, 1):
        spec = cell("overhead.handoff", "dask", dask_address,
                    params={"kilobytes": 1024, "same_worker": same_worker})  # fmt: skip
        record = run_cell(spec)
        assert record["status"] == "ok" and record["verification"]["ok"], record["error"]
        sent = record["backend_info"]["handoff_peer_bytes"]
        runs = record["verification"]["repeats_checked"]
        if same_worker:
            assert sent < 2**20, sent
        else:
            assert sent >= runs * 4 * 2**20, (sent, runs)


def test_ray_hands_object_references_between_bundles(ray_address):
    record = run_cell(cell("overhead.handoff", "ray", ray_address, params={"kilobytes": 256}))
    assert record["status"] == "ok" and record["verification"]["ok"], record["error"]
    assert record["cluster"]["bundle_nodes"] == ["127.0.0.1", "127.0.0.1"]  # one node here


def test_models_whose_workers_cannot_hand_off_skip_the_handoff_with_the_reason():
    record = run_cell(cell("overhead.handoff", "processes", None, params={"kilobytes": 1}))
    assert record["status"] == "skipped" and "dask and ray run it" in record["error"]
    record = run_cell(cell("overhead.handoff", "dask", None, workers=1, params={"kilobytes": 1}))
    assert record["status"] == "skipped" and "at least 2 workers" in record["error"]
    for variant in ("dask:bag", "ray:actors", "ray:batched"):
        record = run_cell(cell("overhead.handoff", variant, None, params={"kilobytes": 1}))
        assert record["status"] == "skipped", variant
