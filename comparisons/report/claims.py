"""The tutorial's claims, checked against this run's data.

`shared/seed-tutorial.txt`, the tutorial this project grew from, makes testable claims
about threading, multiprocessing and asyncio. Each claim below is a rule over the
records: it finds the cells that bear on it, and says *holds*, *does not hold*,
*depends* (holds for some of the cells, not others) or *not measured* (this run has no
cell that bears on it), with the numbers that decided. Nothing here is written by hand
beyond the claim's wording and its rule.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from comparisons.report import formatting as fmt

Records = list[dict[str, Any]]
Finding = tuple[str, str]  # (verdict, evidence)

PARALLEL_SHARE = 0.7  # "true parallelism": speedup at least 70% of the worker count


def _ok(records: Records, **match: Any) -> Records:
    return [
        r for r in records if r["status"] == "ok" and all(r.get(k) == v for k, v in match.items())
    ]


def _speedup(r: dict[str, Any]) -> float | None:
    return (r.get("baseline") or {}).get("speedup")


def _verdict(results: list[bool]) -> str:
    if not results:
        return "not measured"
    if all(results):
        return "holds"
    if not any(results):
        return "does not hold"
    return "depends"


def threads_do_not_speed_up_gil_bound_cpu(records: Records) -> Finding:
    rows = [
        r
        for r in _ok(records, backend="threads", category="GIL-bound CPU")
        if r["workers"] > 1 and _speedup(r) is not None
    ]
    checks = [(r["baseline"]["speedup_ci95"][0] <= 1.1) for r in rows]
    evidence = "; ".join(
        f"{r['workload']} with {r['workers']} threads: {fmt.ratio(_speedup(r))}" for r in rows
    )
    return _verdict(checks), evidence or "no threads cell on GIL-bound CPU with >1 worker"


def processes_give_true_parallelism(records: Records) -> Finding:
    rows = [
        r
        for r in _ok(records, backend="processes")
        if r.get("category") in ("GIL-bound CPU", "GIL-releasing CPU")
        and r["workers"] > 1
        and _speedup(r) is not None
    ]
    checks = [_speedup(r) >= PARALLEL_SHARE * min(r["workers"], _cores(r)) for r in rows]
    evidence = "; ".join(
        f"{r['workload']} with {r['workers']} processes: {fmt.ratio(_speedup(r))} "
        f"(efficiency {fmt.percent(_speedup(r) / r['workers'])})"
        for r in rows
    )
    return _verdict(checks), evidence or "no processes cell on CPU work with >1 worker"


def _size(nbytes: int) -> str:
    return f"{nbytes / 2**20:g} MiB" if nbytes >= 2**20 else f"{nbytes / 2**10:g} KiB"


def _cores(r: dict[str, Any]) -> int:
    return (r.get("env") or {}).get("usable_cores") or r["workers"]


def processes_cost_more_per_task(records: Records) -> Finding:
    """Two costs: per message (empty tasks) and per byte (arrays sent to the worker)."""
    checks, notes = [], []
    noop = {r["backend"]: r for r in _ok(records, category="tiny tasks")}
    if "processes" in noop and "threads" in noop:
        per = {b: noop[b]["stats"]["median"] / noop[b]["tasks"] for b in ("processes", "threads")}
        checks.append(per["processes"] > per["threads"])
        notes.append(
            f"per empty task (Pool.map chunks them): processes "
            f"{fmt.seconds(per['processes'])}, threads {fmt.seconds(per['threads'])}"
        )
    sent: dict[tuple, dict[str, dict]] = {}
    for r in _ok(records, category="data transfer"):
        sent.setdefault((r["tasks"], tuple(sorted(r["params"].items()))), {})[r["backend"]] = r
    for rows in sent.values():
        if "processes" in rows and "threads" in rows:
            rate = {
                b: rows[b]["bytes_per_task"] * rows[b]["tasks"] / rows[b]["stats"]["median"]
                for b in ("processes", "threads")
            }
            checks.append(rate["processes"] < rate["threads"])
            notes.append(
                f"{_size(rows['threads']['bytes_per_task'])} arrays: processes "
                f"{rate['processes'] / 1e9:.3g} GB/s, threads "
                f"{rate['threads'] / 1e9:.3g} GB/s"
            )
    return _verdict(checks), "; ".join(notes) or "needs overhead.noop or overhead.transfer"


def threads_help_io(records: Records) -> Finding:
    rows = [
        r
        for r in _ok(records, backend="threads", kind="io")
        if r["workers"] > 1 and _speedup(r) is not None
    ]
    checks = [r["baseline"]["speedup_ci95"][0] > 1.5 for r in rows]
    evidence = "; ".join(
        f"{r['workload']} ({r['tasks']} tasks, {r['workers']} threads): {fmt.ratio(_speedup(r))}"
        for r in rows
    )
    return _verdict(checks), evidence or "no threads cell on I/O with a serial baseline"


def asyncio_suits_high_concurrency_io(records: Records) -> Finding:
    io_rows = [r for r in _ok(records, kind="io") if r.get("category") != "file I/O"]
    if not io_rows:
        return "not measured", "no network or sleep I/O cell"
    top = max(r["workers"] for r in io_rows)
    at_top = [r for r in io_rows if r["workers"] == top]
    groups: dict[tuple, list] = {}
    for r in at_top:
        groups.setdefault((r["workload"], r["tasks"]), []).append(r)
    checks, notes = [], []
    for (workload, _tasks), rows in sorted(groups.items()):
        rows.sort(key=lambda r: r["stats"]["median"])
        asyncio_row = next((r for r in rows if r["backend"] == "asyncio"), None)
        if asyncio_row is None:
            continue
        gap = asyncio_row["stats"]["median"] / rows[0]["stats"]["median"]
        checks.append(gap <= 1.10)
        notes.append(
            f"{workload}, {top} in flight: asyncio {fmt.seconds(asyncio_row['stats']['median'])}"
            f", fastest {rows[0]['backend']} {fmt.seconds(rows[0]['stats']['median'])}"
        )
    return _verdict(checks), "; ".join(notes) or f"no asyncio cell at {top} in flight"


def asyncio_blocks_on_cpu(records: Records) -> Finding:
    rows = [
        r
        for r in _ok(records, backend="asyncio")
        if r.get("blocks_event_loop")
        and r.get("category") in ("GIL-bound CPU", "GIL-releasing CPU")
        and r["workers"] > 1
        and _speedup(r) is not None
    ]
    checks = [_speedup(r) < 1.2 for r in rows]
    evidence = "; ".join(
        f"{r['workload']} with a limit of {r['workers']}: {fmt.ratio(_speedup(r))}" for r in rows
    )
    return _verdict(checks), evidence or "no asyncio cell running CPU work"


def _memory_pairs(records: Records, heavier: str, lighter: str) -> tuple[list[bool], list[str]]:
    by_cell: dict[tuple, dict[str, dict]] = {}
    for r in _ok(records):
        key = (r["workload"], r["tasks"], r["workers"], tuple(sorted(r["params"].items())))
        by_cell.setdefault(key, {})[r["backend"]] = r
    checks, notes = [], []
    for key, rows in sorted(by_cell.items(), key=lambda item: str(item[0])):
        if heavier in rows and lighter in rows:
            a, b = rows[heavier]["peak_rss_bytes"], rows[lighter]["peak_rss_bytes"]
            checks.append(a > b)
            notes.append(
                f"{key[0]} ({key[2]} workers): {heavier} {fmt.mebibytes(a)}, "
                f"{lighter} {fmt.mebibytes(b)}"
            )
    return checks, notes


def processes_use_more_memory(records: Records) -> Finding:
    checks, notes = _memory_pairs(records, "processes", "threads")
    return _verdict(checks), "; ".join(notes[:4]) + (" …" if len(notes) > 4 else "")


def asyncio_memory_is_low(records: Records) -> Finding:
    rows = [r for r in _ok(records, backend="asyncio", kind="io") if r["workers"] >= 10]
    threads = {
        (r["workload"], r["tasks"], r["workers"]): r for r in _ok(records, backend="threads")
    }
    checks, notes = [], []
    for r in rows:
        other = threads.get((r["workload"], r["tasks"], r["workers"]))
        if other is None:
            continue
        checks.append(r["peak_rss_bytes"] <= other["peak_rss_bytes"] * 1.05)
        notes.append(
            f"{r['workload']} ({r['workers']} in flight): asyncio "
            f"{fmt.mebibytes(r['peak_rss_bytes'])}, threads "
            f"{fmt.mebibytes(other['peak_rss_bytes'])}"
        )
    if not checks:
        return "not measured", "no I/O cell with 10 or more in flight on asyncio and threads"
    return _verdict(checks), "; ".join(notes[:4]) + (" …" if len(notes) > 4 else "")


def tutorial_examples_take_two_seconds(records: Records) -> Finding:
    rows = [
        r for r in _ok(records, workload="io.sleep", tasks=3) if r["params"].get("latency") == 2.0
    ]
    if not rows:
        return "not measured", "no 3 x 2 s io.sleep cell"
    checks = [
        (abs(r["stats"]["median"] - 6.0) < 0.3)
        if r["backend"] == "serial"
        else (abs(r["stats"]["median"] - 2.0) < 0.3)
        for r in rows
    ]
    evidence = ", ".join(
        f"{r['backend']} {fmt.seconds(r['stats']['median'])}"
        for r in sorted(rows, key=lambda r: r["stats"]["median"])
    )
    return _verdict(checks), evidence


@dataclass(frozen=True)
class Claim:
    text: str
    check: Callable[[Records], Finding]


CLAIMS = (
    Claim(
        "Three tasks that each wait 2 s take about 2 s with threads, processes or "
        "asyncio (the tutorial's own examples), against 6 s one after another.",
        tutorial_examples_take_two_seconds,
    ),
    Claim(
        "Threads do not speed up CPU-bound Python: the GIL lets one thread run bytecode at a time.",
        threads_do_not_speed_up_gil_bound_cpu,
    ),
    Claim("Threading is useful for I/O-bound tasks.", threads_help_io),
    Claim(
        "Multiprocessing gives true parallelism for CPU-bound tasks.",
        processes_give_true_parallelism,
    ),
    Claim(
        "Multiprocessing adds inter-process communication overhead.", processes_cost_more_per_task
    ),
    Claim(
        "Asyncio suits I/O-bound tasks that need high concurrency.",
        asyncio_suits_high_concurrency_io,
    ),
    Claim("Blocking work inside coroutines stalls asyncio (avoid it).", asyncio_blocks_on_cpu),
    Claim(
        "Multiprocessing has a higher memory footprint than threading.", processes_use_more_memory
    ),
    Claim(
        "Asyncio's memory footprint is relatively low (here: against threads, at 10 or "
        "more tasks in flight).",
        asyncio_memory_is_low,
    ),
)


def render_claims(records: Records) -> list[str]:
    lines = ["| claim (from the tutorial) | here | evidence |", "|---|---|---|"]
    for claim in CLAIMS:
        verdict, evidence = claim.check(records)
        lines.append(f"| {claim.text} | **{verdict}** | {evidence} |")
    return lines
