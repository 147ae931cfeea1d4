"""The report's transfers against an emulated link (`render_link_share`): which link
a row's bytes cross, the hand-off's rate with and without its same-worker baseline,
and nothing where no hosts were emulated."""

from __future__ import annotations

from dataclasses import replace

import made_up

from comparisons.measure.stats import summarize
from comparisons.records.cells import Cell
from comparisons.report.sections.clusters import link_share_table as render_link_share

MIB = 2**20
HOSTS = {"link_bytes_per_s": 125_000_000}  # 1 Gbit/s


def row(workload: str, backend: str, median_s: float, kilobytes: int = 4096, **params) -> Cell:
    same = params.get("same_worker", 0)
    stats = replace(summarize([median_s]), ci95_low=0.95 * median_s, ci95_high=1.05 * median_s)
    return made_up.cell(
        [[median_s]],
        workload=workload,
        backend=backend,
        tasks=8,
        workers=2,
        params={"kilobytes": kilobytes, **params},
        bytes_per_task=0 if same else kilobytes * 1024,
        measures_transfer=True,
        cluster={"engine": backend},
        stats=stats,
    )


def test_a_transfer_crosses_the_drivers_link_with_every_byte():
    [_, _, line] = render_link_share([row("overhead.transfer", "dask", 0.5)], HOSTS)
    # 32 MiB in 0.5 s: 537 Mbit/s of the 1,000.
    assert "| driver -> workers | dask | 500 ms | - | 32 MiB | 537 Mbit/s | 54% |" in line


def test_a_handoff_loads_each_worker_link_with_its_share_beside_its_same_worker_time():
    records = [
        row("overhead.handoff", "ray", 0.3, same_worker=0),
        row("overhead.handoff", "ray", 0.1, same_worker=1),
    ]
    [_, _, line] = render_link_share(records, HOSTS)
    # 8 hand-offs round 2 workers: 4 x 4 MiB leave each worker's link; 16 MiB in 0.3 s
    # is 447 Mbit/s.
    assert "| worker -> worker | ray | 300 ms | 100 ms (crossing adds 200 ms) | 16 MiB |" in line
    assert "| 447 Mbit/s | 45% |" in line


def test_a_difference_within_the_intervals_is_not_called_a_crossing_cost():
    records = [
        row("overhead.handoff", "dask", 0.069, same_worker=0),
        row("overhead.handoff", "dask", 0.066, same_worker=1),
    ]
    [_, _, line] = render_link_share(records, HOSTS)
    assert "| 66 ms (no difference beyond the intervals) |" in line


def test_a_handoff_without_its_baseline_says_so_and_other_engines_baselines_do_not_count():
    records = [
        row("overhead.handoff", "dask", 0.3, same_worker=0),
        row("overhead.handoff", "ray", 0.1, same_worker=1),
    ]
    [_, _, line] = render_link_share(records, HOSTS)
    assert "| dask | 300 ms | - | 16 MiB | 447 Mbit/s | 45% |" in line


def test_nothing_is_said_without_emulated_hosts_or_a_cluster():
    records = [row("overhead.transfer", "dask", 0.5)]
    assert render_link_share(records, None) == []
    local = [{**records[0], "cluster": None}]
    assert render_link_share(local, HOSTS) == []
