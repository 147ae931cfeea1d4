"""Where the Dask and Ray cells ran: a part of REPORT.md's "Machine" section
(`sections.machine`), not a section of its own, and what `make diff` compares
(`comparisons.report.diff` reads `placements` and `LOCAL`).

A record's `cluster` is None for a cell that started its own engine on this machine,
else what the backend saw of the cluster (`comparisons.backends.dask_distributed`,
`ray_tasks`): address, workers or nodes, threads or CPUs each, versions, warnings.
`cluster_lines` gives one bullet per external cluster; `link_share_table`, on emulated
hosts, each transfer's rate against the link's.
"""

from __future__ import annotations

from typing import Any

from comparisons.cell.outcome import Status
from comparisons.measure.stats import Summary
from comparisons.records.cells import Cell, median_s, stats_of

LOCAL = "started per cell on this machine"


def placements(records: list[Cell]) -> dict[str, str]:
    """Engine -> where its cells ran, for every engine some record used a cluster for."""
    engines: dict[str, set[str]] = {}
    for r in records:
        cluster = r.get("cluster")
        if cluster and cluster.get("address"):
            engines.setdefault(cluster.get("engine") or r["backend"], set()).add(cluster["address"])
    return {engine: ", ".join(sorted(addresses)) for engine, addresses in sorted(engines.items())}


def _describe(cluster: dict[str, Any]) -> str:
    if cluster.get("engine") == "dask":
        versions = cluster["versions"]["scheduler"]
        shape = (
            f"{cluster['workers']} workers on {cluster['hosts']} host(s), "
            f"{cluster['threads_per_worker']} thread(s) each"
        )
        software = f"dask {versions.get('dask')}, distributed {versions.get('distributed')}"
    else:
        versions = cluster["versions"]["driver"]
        shape = (
            f"{cluster['nodes']} node(s), {cluster['cpus']:g} CPUs "
            f"({'/'.join(f'{c:g}' for c in cluster['cpus_per_node'])} per node); "
            f"cells reserve {cluster['placement']}"
        )
        software = f"ray {versions.get('ray')}"
    return f"{shape}; {software}, Python {versions.get('python')}"


def cluster_lines(records: list[Cell]) -> list[str]:
    """Markdown bullets for the Machine section; empty when every engine ran locally."""
    seen: dict[tuple[str, str], dict[str, Any]] = {}
    unreached: dict[tuple[str, str], str] = {}
    for r in records:
        cluster = r.get("cluster") or {}
        address = cluster.get("address")
        if not address:
            continue
        engine = cluster.get("engine") or r["backend"]
        if "versions" in cluster:
            seen.setdefault((engine, address), cluster)
        elif r["status"] == Status.ERROR:
            unreached.setdefault((engine, address), (r.get("error") or "").splitlines()[0])
    lines = []
    for (engine, address), cluster in sorted(seen.items()):
        lines.append(f"- **{engine.capitalize()} cluster** `{address}`: {_describe(cluster)}")
        lines += [f"- **Warning** ({engine} cluster): {w}" for w in cluster.get("warnings", [])]
    for (engine, address), error in sorted(unreached.items()):
        if (engine, address) not in seen:
            lines.append(f"- **{engine.capitalize()} cluster** `{address}`: not used; {error}")
    return lines


HANDOFF = "overhead.handoff"


def _link_bytes(r: Cell) -> int:
    """Bytes one run sends through the busiest link: a transfer's inputs all leave
    through the driver's link; hand-offs go round the workers (task i from worker i mod
    n to the next), so each worker's link sends about 1/n of them."""
    per_task = r["bytes_per_task"] or 0
    if r["workload"] == HANDOFF:
        return -(-r["tasks"] // r["workers"]) * per_task
    return per_task * r["tasks"]


def _baseline(r: Cell, records: list[Cell]) -> Summary | None:
    """The stats of the same hand-off with both stages on one worker (nothing crosses),
    from the same run and engine, or None."""
    for other in records:
        if (
            other["workload"] == HANDOFF
            and other["backend"] == r["backend"]
            and other["tasks"] == r["tasks"]
            and other["workers"] == r["workers"]
            and other.get("params", {}).get("same_worker")
            and other["params"].get("kilobytes") == r["params"].get("kilobytes")
            and other["status"] == Status.OK
            and other["stats"]
        ):
            return other["stats"]
    return None


def _crossing(stats: Summary, baseline: Summary | None) -> str:
    """The same-worker median, and what crossing between workers added to it: only
    when the two medians' intervals are apart, else the difference is within noise.
    Not turned into a rate: the crossings overlap with other tasks' work, so the
    added time is less than the time the bytes spent on the wire."""
    if baseline is None:
        return "-"
    same = f"{baseline.median * 1e3:.0f} ms"
    if stats.ci95_low > baseline.ci95_high:
        return f"{same} (crossing adds {(stats.median - baseline.median) * 1e3:.0f} ms)"
    return f"{same} (no difference beyond the intervals)"


def link_share_table(records: list[Cell], hosts: dict[str, Any] | None) -> list[str]:
    """On emulated hosts, each cluster transfer row's rate against the link's, the
    physical limit (100% would be the wire itself; tbf's bucket lets a short burst
    pass faster): a transfer's inputs leave through the driver's link; a hand-off
    (`overhead.handoff`) crosses between worker hosts, and beside its time stands the
    same job with both stages on one worker, where nothing crosses."""
    link = (hosts or {}).get("link_bytes_per_s")
    if not link:
        return []
    rows = [
        r
        for r in records
        if r.get("measures_transfer")
        and r.get("cluster")
        and r.get("bytes_per_task")
        and r["status"] == Status.OK
        and r.get("stats")
    ]
    if not rows:
        return []
    lines = [
        "| transfer | path | engine | median | same worker (no crossing) | bytes through "
        "the busiest link per run | effective rate | share of the link |",
        "|---|---|---|---|---|---|---|---|",
    ]
    order = sorted(rows, key=lambda r: (r["workload"], r["bytes_per_task"], r["backend"]))
    for r in order:
        median = float(median_s(r))
        through = _link_bytes(r)
        handoff = r["workload"] == HANDOFF
        rate = through / median
        lines.append(
            f"| {r['tasks']} x {(r['bytes_per_task'] or 0) / 2**20:g} MiB "
            f"| {'worker -> worker' if handoff else 'driver -> workers'} | {r['backend']} "
            f"| {median * 1e3:.0f} ms "
            f"| {_crossing(stats_of(r), _baseline(r, records)) if handoff else '-'} "
            f"| {through / 2**20:g} MiB | {rate * 8 / 1e6:.0f} Mbit/s | {rate / link:.0%} |"
        )
    return lines
