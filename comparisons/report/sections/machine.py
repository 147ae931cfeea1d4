"""REPORT.md's "Machine": where the numbers were measured, and how quiet the machine was.

CPU, memory, OS, the interpreter and its GIL, the packages, the native thread pools'
pinning and the project's commit, all from the first cell's recorded environment; then
the emulated hosts and external clusters the cells used (`sections.clusters`), the
machine's own speed while the cells ran (`comparisons.measure.machine_speed`) and what
other programs took from it.

A cell on an external cluster measures only its driver's process tree: the cluster's
scheduler and workers run its tasks outside it. When those daemons run on this machine
(the cluster's address is on loopback or on the run's emulated hosts, `cluster_here`),
the CPU they take is the cluster's own, not other programs': it is named so, and no
row is marked *busy machine* for it. A run of fault probes alone reads its environment
from the probes.
"""

from __future__ import annotations

import statistics
from typing import Any
from urllib.parse import urlsplit

from comparisons import formatting as fmt
from comparisons.measure.machine_speed import SLOW_BY
from comparisons.records.cells import Cell
from comparisons.report.sections.clusters import cluster_lines, link_share_table
from comparisons.report.sections.context import Cells, Context
from comparisons.report.sections.rows import BUSY_NEIGHBOURS_CORES

TITLE = "Machine"
INTRO = ""


def python_build(python: dict[str, Any]) -> str:
    """The interpreter's GIL as the report states it: a free-threaded build is named,
    and so is one whose GIL an extension switched back on at import."""
    if not python.get("gil_disabled_build"):
        return "GIL enabled"
    if python["gil_enabled"]:
        return "free-threaded build, but the GIL was re-enabled at run time (an extension)"
    return "free-threaded build, GIL disabled"


def on_cluster(r: Cell) -> bool:
    """The row ran on an external cluster (its record names the cluster's address): its
    process tree, and so its CPU use, is the driver's alone."""
    return bool((r.get("cluster") or {}).get("address"))


def cluster_here(r: Cell) -> bool:
    """The row ran on an external cluster whose daemons share this machine: its address
    is on loopback or on one of the run's emulated hosts (network namespaces here)."""
    address = (r.get("cluster") or {}).get("address")
    if not address:
        return False
    host = urlsplit(address if "://" in address else f"//{address}").hostname or ""
    hosts = ((r.get("env") or {}).get("hosts") or {}).get("hosts") or {}
    return host in ("localhost", "::1") or host.startswith("127.") or host in hosts.values()


def render(cells: Cells, context: Context) -> list[str]:
    """One bullet per fact about the machine; a single sentence when no cell (and no
    fault probe) recorded its environment."""
    recorded = [*cells, *context.probes]
    env = next((r["env"] for r in recorded if r.get("env")), None)
    if env is None:
        return ["No cell recorded its environment."]
    return [
        *_environment(env, recorded),
        *_hosts(env.get("hosts"), cells),
        *cluster_lines(cells),
        *machine_speed(cells),
        *_neighbours(cells),
    ]


def _environment(env: dict[str, Any], cells: Cells) -> list[str]:
    python = env["python"]
    gil = python_build(python)
    if "optimizations" in python:
        gil += ", built with " + (" + ".join(python["optimizations"]) or "neither PGO nor LTO")
    packages = ", ".join(f"{k} {v}" for k, v in env["packages"].items() if v)
    git = env.get("git") or {}
    commit = (git.get("commit") or "unknown")[:12] + (" (dirty tree)" if git.get("dirty") else "")
    pinned = env.get("native_thread_variables", {}).get("OMP_NUM_THREADS")
    return [
        f"- **CPU**: {env['cpu_model']}; {env['logical_cores']} logical / "
        f"{env['physical_cores']} physical cores, {env['usable_cores']} usable"
        + (
            f", cgroup limit {env['cgroup_cpu_limit']:g} CPUs"
            if env.get("cgroup_cpu_limit")
            else ""
        )
        + f"; SMT {'on' if env.get('smt') else 'off'}"
        + _frequency(env.get("cpu_frequency") or {}),
        f"- **Memory**: {env['memory_total_bytes'] / 2**30:.1f} GiB; **OS**: {env['os']}",
        f"- **Python**: {python['implementation']} {python['version']} ({gil}); "
        f"multiprocessing start method `{env['multiprocessing_start_method']}`"
        + (f"; cells ran under `{cells[0]['python']}`" if cells[0].get("python") else ""),
        f"- **Packages**: {packages}",
        f"- **Native thread pools**: pinned to {pinned or 'default'} thread(s) per worker "
        "(OMP/OpenBLAS/MKL variables)",
        f"- **Project commit**: {commit}",
    ]


def _frequency(freq: dict[str, Any]) -> str:
    parts = []
    if freq.get("min_mhz") and freq.get("max_mhz"):
        parts.append(f"{freq['min_mhz']}–{freq['max_mhz']} MHz")
    elif freq.get("current_mhz"):
        parts.append(f"{freq['current_mhz']} MHz")
    if freq.get("governor"):
        parts.append(f"governor {freq['governor']}")
    return ("; " + ", ".join(parts)) if parts else ""


def _hosts(hosts: dict[str, Any] | None, cells: Cells) -> list[str]:
    """The emulated hosts a run spread over, said plainly (more network, not more CPU),
    and each transfer against the link's rate."""
    if not hosts:
        return []
    names = ", ".join(f"{name} {address}" for name, address in hosts.get("hosts", {}).items())
    shares = link_share_table(cells, hosts)
    return [
        f"- **Hosts**: {names} (network namespaces on one bridge, each link limited to "
        f"{hosts.get('link_rate', '?')} both ways); {hosts.get('placement', '')}. They share "
        "this machine's cores: more network, not more compute.",
        *(["", "Transfers against the link:", "", *shares, ""] if shares else []),
    ]


def machine_speed(cells: Cells) -> list[str]:
    """How fast the machine itself ran while cells ran (`comparisons.measure.machine_speed`);
    nothing for runs recorded before the probe existed."""
    seen = [m for r in cells if (m := r["machine"])]
    if not seen:
        return []
    runs = [s for m in seen for s in m["run_slowdowns"]]
    usual = statistics.median(m["usual_probe_cpu_s"] for m in seen)
    slow = sum(s > 1 + SLOW_BY / 2 for s in runs)
    share = statistics.fmean(m["slow_share"] for m in seen)
    return [
        f"- **Machine speed**: a fixed loop timed in CPU time {seen[0]['taken']} "
        f"took {fmt.seconds(usual)} as usual; {share * 100:.0f}% of the "
        f"probes ran over {SLOW_BY * 100:.0f}% slower, and {slow} of {len(runs)} "
        f"invocations over {SLOW_BY * 50:.0f}% slow in the median. The vCPU's own slow "
        "spells show there (no load figure sees them), and so does a cell's pressure on "
        "caches the probe shares; rows are as measured, and `make diff` flags a change "
        "the probe moved with during that cell.",
    ]


# What the machine's CPU time less the cells' own is measured as.
OUTSIDE = (
    "the machine's CPU time less the cells' own process trees, their services, the "
    "harness and the kernel's threads"
)


def _neighbours(cells: Cells) -> list[str]:
    """What other programs used while the cells ran, and a warning past
    `BUSY_NEIGHBOURS_CORES`; in a run on a cluster whose daemons share this machine,
    what they used in the cells that ran on it, as the cluster's own."""
    if not any(cluster_here(r) for r in cells):
        return _others([c for r in cells if (c := r["other_cpu_cores"]) is not None], "")
    on_it = [c for r in cells if cluster_here(r) and (c := r["other_cpu_cores"]) is not None]
    rest = [c for r in cells if not cluster_here(r) and (c := r["other_cpu_cores"]) is not None]
    lines = []
    if on_it:
        lines.append(
            "- **The cluster's own CPU**: the cluster's scheduler and workers on this "
            f"machine: {statistics.median(on_it):.2f} cores in the median cell that ran on "
            f"it, {max(on_it):.2f} at most ({OUTSIDE}: a cell on the cluster holds only "
            "its driver, and the cluster's workers run its tasks; the rows' CPU use is "
            "the driver's alone). Not other programs: no row is marked *busy machine* "
            "for it."
        )
    return lines + _others(rest, " that did not run on the cluster")


def _others(neighbours: list[float], which: str) -> list[str]:
    """The other programs' line over `neighbours` (their CPU in each of those cells),
    `which` naming the cells when not all of them."""
    if not neighbours:
        return []
    busiest = max(neighbours)
    idle = ", the cluster's idle daemons included" if which else ""
    lines = [
        f"- **Other programs**: used {statistics.median(neighbours):.2f} cores in the "
        f"median cell{which}, {busiest:.2f} at most ({OUTSIDE}{idle})"
    ]
    if busiest > BUSY_NEIGHBOURS_CORES:
        lines.append(
            f"- **Warning**: other programs used up to {busiest:.2f} cores while cells "
            "ran (rows marked *busy machine*); those numbers may be slower and noisier "
            "than this machine can do. Close other programs and run again."
            if not which
            else f"- **Warning**: up to {busiest:.2f} cores went to other programs or "
            "the cluster's daemons while cells off the cluster ran (rows marked *busy "
            "machine*); those numbers may be slower and noisier than this machine can do."
        )
    return lines


def brief(cells: Cells, context: Context) -> list[str]:
    """The machine in two lines for the front page: what it is, and how steady it was."""
    recorded = [*cells, *context.probes]
    env = next((r["env"] for r in recorded if r.get("env")), None)
    if env is None:
        return ["No cell recorded its environment."]
    python = env["python"]
    packages = ", ".join(
        f"{k} {v}" for k, v in env["packages"].items() if v and k in ("dask", "ray", "trio")
    )
    commit = ((env.get("git") or {}).get("commit") or "unknown")[:7]
    speed = [m for r in cells if (m := r["machine"])]
    quiet = []
    if speed:
        share = statistics.fmean(m["slow_share"] for m in speed)
        quiet.append(
            f"{share * 100:.0f}% of the speed probes (a fixed loop timed between repeats) "
            f"ran over {SLOW_BY:.0%} slower than usual"
        )
    others = [c for r in cells if (c := r["other_cpu_cores"]) is not None]
    if others:
        quiet.append(
            f"programs outside the run took {statistics.median(others):.2f} cores in the median "
            "cell"
        )
    return [
        f"**Machine**: {env['cpu_model']}, {env['usable_cores']} usable cores, "
        f"{env['memory_total_bytes'] / 2**30:.0f} GiB; {python['implementation']} "
        f"{python['version']} ({python_build(python)}); {packages}; commit {commit}.",
        "",
        f"**How steady**: {'; '.join(quiet) or 'not measured'}.",
    ]
