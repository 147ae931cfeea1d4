"""`REPORT.md`: the machine, the verdict, the tutorial's claims, plots, then the tables.

Everything is derived from the loaded records (with baselines attached), so rebuilding
from the same `records.jsonl` gives the same bytes. Groups are cells that do the same
work at the same size (workload, tasks, params); within a group, rows are ranked by
median work time, and a row whose ratio to the fastest one is not significant (its 95%
interval includes 1) is marked as indistinguishable rather than declared slower.
"""

from __future__ import annotations

import json
import statistics
from collections import defaultdict
from typing import Any

from comparisons.records import baseline_key
from comparisons.report import formatting as fmt
from comparisons.report.claims import render_claims
from comparisons.report.clusters_section import render_clusters
from comparisons.report.faults_table import render_faults
from comparisons.report.variants_section import render_variants
from comparisons.report.verdict import render_verdict
from comparisons.stats import UNSTABLE_CV, ratio_of_medians

LOOP_NOTE = "CPU work runs on the event-loop thread"
# Other programs' CPU use, in cores, above which a cell's numbers are marked as suspect.
BUSY_NEIGHBOURS_CORES = 0.25


def _groups(records: list[dict[str, Any]]) -> list[tuple[str, list[dict[str, Any]]]]:
    grouped: dict[tuple, list[dict[str, Any]]] = defaultdict(list)
    for record in records:
        grouped[baseline_key(record)].append(record)
    ordered = sorted(grouped.items(), key=lambda item: json.dumps(item[0], default=str))
    return [(fmt.group_title(rows[0]), _rank(rows)) for _, rows in ordered]


def _rank(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Models ranked by median, then reference yardsticks (the ceiling), then failures."""

    def order(r: dict[str, Any]) -> tuple:
        return (r["stats"]["median"], r["backend"], r["workers"])

    ok = [r for r in rows if r["status"] == "ok"]
    models = sorted((r for r in ok if not r.get("reference")), key=order)
    references = sorted((r for r in ok if r.get("reference")), key=order)
    failed = sorted((r for r in rows if r["status"] != "ok"), key=lambda r: r["backend"])
    return models + references + failed


def _indistinguishable(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """True when the interval of the ratio of the two medians includes 1."""
    return not ratio_of_medians(a["samples_s"], b["samples_s"])["significant"]


def _machine(records: list[dict[str, Any]]) -> list[str]:
    env = next((r["env"] for r in records if r.get("env")), None)
    if env is None:
        return ["No cell recorded its environment."]
    python = env["python"]
    gil = "GIL enabled" if python["gil_enabled"] else "GIL disabled"
    if "optimizations" in python:
        gil += ", built with " + (" + ".join(python["optimizations"]) or "neither PGO nor LTO")
    packages = ", ".join(f"{k} {v}" for k, v in env["packages"].items() if v)
    git = env.get("git") or {}
    commit = (git.get("commit") or "unknown")[:12] + (" (dirty tree)" if git.get("dirty") else "")
    pinned = env.get("native_thread_variables", {}).get("OMP_NUM_THREADS")
    lines = [
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
        + (f"; cells ran under `{records[0]['python']}`" if records[0].get("python") else ""),
        f"- **Packages**: {packages}",
        f"- **Native thread pools**: pinned to {pinned or 'default'} thread(s) per worker "
        "(OMP/OpenBLAS/MKL variables)",
        f"- **Project commit**: {commit}",
        *render_clusters(records),
    ]
    neighbours = [r["other_cpu_cores"] for r in records if r.get("other_cpu_cores") is not None]
    if neighbours:
        busiest = max(neighbours)
        lines.append(
            f"- **Other programs**: used {statistics.median(neighbours):.2f} cores in the "
            f"median cell, {busiest:.2f} at most (CPU time outside the cells' own process "
            "trees, the harness's sampling included)"
        )
        if busiest > BUSY_NEIGHBOURS_CORES:
            lines.append(
                f"- **Warning**: other programs used up to {busiest:.2f} cores while cells "
                "ran (rows marked *busy machine*); those numbers may be slower and noisier "
                "than this machine can do. Close other programs and run again."
            )
    return lines


def _frequency(freq: dict[str, Any]) -> str:
    parts = []
    if freq.get("min_mhz") and freq.get("max_mhz"):
        parts.append(f"{freq['min_mhz']}–{freq['max_mhz']} MHz")
    elif freq.get("current_mhz"):
        parts.append(f"{freq['current_mhz']} MHz")
    if freq.get("governor"):
        parts.append(f"governor {freq['governor']}")
    return ("; " + ", ".join(parts)) if parts else ""


def _glance(groups: list[tuple[str, list[dict[str, Any]]]]) -> list[str]:
    lines = [
        "| work | fastest here | median | speedup vs serial | runner-up |",
        "|---|---|---|---|---|",
    ]
    for title, rows in groups:
        ok = [r for r in rows if r["status"] == "ok" and not r.get("reference")]
        if not ok:
            lines.append(f"| {title} | no successful cell | – | – | – |")
            continue
        best = ok[0]
        speed = (best.get("baseline") or {}).get("speedup")
        others = [r for r in ok if r["backend"] != best["backend"]]
        if others:
            second = others[0]  # the runner-up is another model, not more workers
            gap = second["stats"]["median"] / best["stats"]["median"]
            tie = " (indistinguishable)" if _indistinguishable(best, second) else ""
            runner = f"{second['backend']} ×{gap:.2f} slower{tie}"
        else:
            runner = "–"
        lines.append(
            f"| {title} | **{best['backend']}** ({best['workers']} workers) | "
            f"{fmt.seconds(best['stats']['median'])} | {fmt.ratio(speed)} | {runner} |"
        )
    return lines


def _table(rows: list[dict[str, Any]]) -> list[str]:
    lines = [
        "| # | backend | workers | median | 95% CI | IQR | CV | tasks/s | per task "
        "| speedup (95% CI) | efficiency | CPU use | set-up | teardown | peak RSS | notes |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    fastest = rows[0] if rows and rows[0]["status"] == "ok" else None
    for rank, r in enumerate(rows, start=1):
        if r.get("reference"):
            rank = "–"  # a yardstick, not a contender
        if r["status"] != "ok":
            why = "see failures below" if r["status"] != "skipped" else r["error"]
            lines.append(
                f"| – | {r['backend']} | {r['workers']} | **{r['status']}** | | | | | | | | | "
                f"{fmt.seconds(r.get('setup_s'))} | | {fmt.mebibytes(r.get('peak_rss_bytes'))} "
                f"| {why} |"
            )
            continue
        s = r["stats"]
        base = r.get("baseline") or {}
        low, high = base.get("speedup_ci95") or (None, None)
        speed = f"{fmt.ratio(base['speedup'])} ({low:.2f}–{high:.2f})" if base else "no baseline"
        notes = []
        if r.get("reference"):
            notes.append("the machine's ceiling: pre-forked processes, no model (reference)")
        elif base.get("ceiling_efficiency") is not None:
            notes.append(f"{fmt.percent(base['ceiling_efficiency'])} of the machine's ceiling")
        if r.get("reference"):
            pass
        elif r is not fastest and fastest is not None and _indistinguishable(r, fastest):
            notes.append("≈ fastest")
        if s["unstable"]:
            notes.append("⚠ " + "; ".join(s["warnings"]))
        if s["outliers"]:
            notes.append(f"{s['outliers']} outlier(s)")
        if r.get("bytes_per_task"):
            rate = r["bytes_per_task"] * r["tasks"] / s["median"]
            notes.append(f"{rate / 1e9:.3g} GB/s")
        if r.get("blocks_event_loop"):
            notes.append(LOOP_NOTE)
        if (r.get("other_cpu_cores") or 0) > BUSY_NEIGHBOURS_CORES:
            notes.append(f"busy machine ({r['other_cpu_cores']:.2f} cores used by others)")
        if r.get("leftover_processes"):
            notes.append(f"left {len(r['leftover_processes'])} process(es), ended by harness")
        lines.append(
            f"| {rank} | {r['backend']} | {r['workers']} | {fmt.seconds(s['median'])} | "
            f"{fmt.seconds(s['ci95_low'])} – {fmt.seconds(s['ci95_high'])} | "
            f"{fmt.seconds(s['iqr'])} | {fmt.percent(s['cv'])} | "
            f"{fmt.rate(r['throughput_tasks_per_s'])} | {fmt.seconds(s['median'] / r['tasks'])} | "
            f"{speed} | "
            f"{fmt.percent(base.get('efficiency'))} | {fmt.percent(r.get('cpu_utilisation'))} | "
            f"{fmt.seconds(r.get('setup_s'))} | {fmt.seconds(r.get('teardown_s'))} | "
            f"{fmt.mebibytes(r.get('peak_rss_bytes'))} | {'; '.join(notes)} |"
        )
    return lines


def _failures(records: list[dict[str, Any]]) -> list[str]:
    failed = [r for r in records if r["status"] not in ("ok", "skipped")]
    if not failed:
        skipped = sum(r["status"] == "skipped" for r in records)
        return [
            "Every cell that ran completed and every repeat's results were verified."
            + (f" {skipped} cell(s) were skipped; their rows say why." if skipped else "")
        ]
    lines = []
    for r in sorted(failed, key=lambda r: r["key"]):
        reason = (r.get("error") or "no reason recorded").strip()
        last = reason.splitlines()[-1] if reason else ""
        lines.append(f"- `{r['key']}`: **{r['status']}**: {last}")
    return lines


HOW_TO_READ = [
    "- **% of the machine's ceiling**: efficiency against the core count blames a model "
    "for what the machine does (shared cores, frequency scaling, neighbours); the "
    "*ceiling* row runs the same tasks on pre-forked processes released together, the "
    "best any model could do here, and a model's share of it is what it leaves on the "
    "table.",
    "- **median** is the work time of one repeat (all tasks), measured in a fresh process "
    "after warm-up; set-up (pool, loop, cluster start) and teardown are timed apart.",
    "- **95% CI** is a bootstrap interval for the median. A row is marked *≈ fastest* "
    "when the 95% interval of its median's ratio to the fastest row's includes 1: the "
    "data cannot tell them apart, so neither should be called the winner.",
    f"- **CV** is stdev / mean of the repeats. ⚠ marks a row whose CV exceeds "
    f"{UNSTABLE_CV * 100:.0f}%, whose min or max lies 50% or more from the mean, or whose "
    "repeats last under 1 ms (pyperf's warnings): such a median can move between runs, "
    "so close other programs or raise REPEATS before trusting a ranking built on it.",
    "- **speedup** is the serial baseline's median divided by this row's, with its own "
    "interval; **efficiency** is speedup / workers (1.0 = perfect use of every worker).",
    "- **CPU use** is CPU seconds of the cell's whole process tree per second of work "
    "time (2.0 = two cores busy); **peak RSS** sums resident memory over that tree, so "
    "pages shared between forked processes count once per process.",
    f"- *{LOOP_NOTE}*: asyncio and Trio run CPU work on their one thread, as plain code "
    "does; the row shows what that costs, not a fault of the harness.",
]


def _granularity(records: list[dict[str, Any]]) -> list[str]:
    """Per model, the smallest task at which it reaches 80% of its own best efficiency."""
    sweeps: dict[tuple, list[dict[str, Any]]] = defaultdict(list)
    for r in records:
        if r["status"] == "ok" and r.get("baseline") and r["kind"] == "cpu":
            sweeps[(r["workload"], r["workers"])].append(r)
    lines = []
    for (workload, workers), rows in sorted(sweeps.items()):
        sizes = sorted({r["baseline"]["median_s"] / r["tasks"] for r in rows})
        if len(sizes) < 3 or workers < 2:
            continue
        if not lines:
            lines = [
                "| work | model | best efficiency | smallest task reaching 80% of it |",
                "|---|---|---|---|",
            ]
        for backend in sorted({r["backend"] for r in rows} - {"serial"}):
            mine = sorted(
                (r for r in rows if r["backend"] == backend),
                key=lambda r: r["baseline"]["median_s"] / r["tasks"],
            )
            best = max(r["baseline"]["efficiency"] for r in mine)
            good = [r for r in mine if r["baseline"]["efficiency"] >= 0.8 * best]
            smallest = good[0]["baseline"]["median_s"] / good[0]["tasks"]
            lines.append(
                f"| {workload}, {workers} workers | {backend} | {fmt.percent(best)} | "
                f"{fmt.seconds(smallest)} of serial work per task |"
            )
    return lines


def render_markdown(
    records: list[dict[str, Any]], figures: list[tuple[str, str]] | None = None
) -> str:
    """The whole REPORT.md for the records of one run; `figures` are (path, caption)."""
    probes = [r for r in records if r.get("fault")]
    records = [r for r in records if not r.get("fault")]
    run_ids = sorted({str(r["run_id"]) for r in records})
    suites = sorted({str(r["suite"]) for r in records})
    groups = _groups(records)
    ok = sum(r["status"] == "ok" for r in records)
    commands = sorted({r["command"] for r in records if r.get("command")})
    lines = [
        f"# Concurrency comparison: {', '.join(run_ids)}",
        "",
        f"Suite `{', '.join(suites)}`: {len(records)} cells, {ok} completed and verified, "
        f"{len(records) - ok} failed or timed out.",
        "",
        "## Machine",
        "",
        *_machine(records),
        "",
        "## Verdict",
        "",
        "For each kind of work in this run: the fastest model here, the runner-up, the "
        "margin (runner-up's median / best's, with its 95% interval) and when the answer "
        "changes. Generated from the records below.",
        "",
        *render_verdict(records),
        "",
        "## Fastest per workload",
        "",
        *_glance(groups),
        "",
    ]
    granularity = _granularity(records)
    if granularity:
        lines += [
            "## How small a task can each model afford?",
            "",
            "From the granularity sweep (a fixed amount of work split into tasks of each "
            "size): the smallest task, in serial seconds, at which each model reaches 80% "
            "of its own best efficiency. Below it, per-task overhead eats the gain.",
            "",
            *granularity,
            "",
        ]
    lines += [
        "## The tutorial's claims, checked",
        "",
        "The claims of the tutorial this project grew from (`shared/seed-tutorial.txt`), "
        "each checked by a rule over this run's cells.",
        "",
        *render_claims([r for r in records if not r.get("reference")]),
        "",
    ]
    if figures:
        lines += ["## Plots", ""]
        for path, caption in figures:
            lines += [f"![{caption}]({path})", "", f"*{caption}*", ""]
    if probes:
        lines += [
            "## When things go wrong",
            "",
            "Fault probes: in each batch one task raises, kills its own process, or never "
            "returns, while the others work for a second; the caller waits with the "
            "model's own deadline tools. What reached the caller, how fast, and what was "
            "left:",
            "",
            *render_faults(probes),
            "",
        ]
    variants = render_variants(records)
    if variants:
        lines += ["## Which way of using each model", "", *variants]
    lines += ["## Results by workload", ""]
    for title, rows in groups:
        lines += [f"### {title}", "", *_table(rows), ""]
    lines += [
        "## Failed cells",
        "",
        *_failures(records),
        "",
        "## How to read this report",
        "",
        *HOW_TO_READ,
        "",
    ]
    if commands:
        lines += ["## Reproduce", "", *(f"    {c}" for c in commands), ""]
    return "\n".join(lines)
