"""Where the Dask and Ray cells ran: one line per external cluster, for REPORT.md and diff.

A record's `cluster` is None for a cell that started its own engine on this machine,
else what the backend saw of the cluster (`comparisons.backends.dask_distributed`,
`ray_tasks`): address, workers or nodes, threads or CPUs each, versions, warnings.
"""

from __future__ import annotations

from typing import Any

from comparisons.outcome import Status

LOCAL = "started per cell on this machine"


def placements(records: list[dict[str, Any]]) -> dict[str, str]:
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


def render_clusters(records: list[dict[str, Any]]) -> list[str]:
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


def render_link_share(records: list[dict[str, Any]], hosts: dict[str, Any] | None) -> list[str]:
    """On emulated hosts, each cluster transfer row's rate against the link's: every
    byte of the tasks' inputs leaves through the driver's one link, so that link's rate
    is the physical limit (100% would be the wire itself)."""
    link = (hosts or {}).get("link_bytes_per_s")
    rows = [
        r
        for r in records
        if link
        and r.get("measures_transfer")
        and r.get("cluster")
        and r.get("bytes_per_task")
        and r["status"] == Status.OK
        and r.get("stats")
    ]
    if not rows:
        return []
    lines = [
        "| transfer | engine | median | bytes through the driver's link per run | "
        "effective rate | share of the link |",
        "|---|---|---|---|---|---|",
    ]
    for r in sorted(rows, key=lambda r: (r["bytes_per_task"], r["backend"])):
        moved = r["bytes_per_task"] * r["tasks"]
        rate = moved / r["stats"]["median"]
        lines.append(
            f"| {r['tasks']} x {r['bytes_per_task'] / 2**20:g} MiB | {r['backend']} "
            f"| {r['stats']['median'] * 1e3:.0f} ms | {moved / 2**20:g} MiB "
            f"| {rate * 8 / 1e6:.0f} Mbit/s | {rate / link:.0%} |"
        )
    return lines
