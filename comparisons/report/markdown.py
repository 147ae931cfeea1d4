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

from comparisons import formatting as fmt
from comparisons.cell.outcome import Status
from comparisons.measure.machine_speed import PROBE_EVERY_S, SLOW_BY
from comparisons.measure.stats import PRACTICAL_THRESHOLD, UNSTABLE_CV, ratio_of_medians
from comparisons.records.cells import baseline_key, is_measured, memory_bytes, samples_of
from comparisons.records.ranking import best_per_model, first_run_s, levels, rank
from comparisons.report.claims import render_claims
from comparisons.report.clusters_section import render_clusters, render_link_share
from comparisons.report.faults_table import render_faults
from comparisons.report.shared_input_table import render_shared_input
from comparisons.report.target_section import display_name, render_target
from comparisons.report.variants_section import render_variants
from comparisons.report.verdict import render_verdict

LOOP_NOTE = "CPU work runs on the event-loop thread"
# Other programs' CPU use, in cores, above which a cell's numbers are marked as suspect.
BUSY_NEIGHBOURS_CORES = 0.25
# A service (the latency server, one process) busy this share of a core during a repeat
# is the limit of the cell, not the client being measured.
SERVER_BOUND_SHARE = 0.8


def _groups(records: list[dict[str, Any]]) -> list[tuple[str, list[dict[str, Any]]]]:
    grouped: dict[tuple, list[dict[str, Any]]] = defaultdict(list)
    for record in records:
        grouped[baseline_key(record)].append(record)
    ordered = sorted(grouped.items(), key=lambda item: json.dumps(item[0], default=str))
    return [(fmt.group_title(rows[0]), _rank(rows)) for _, rows in ordered]


def _rank(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """By in-flight level; within it, contenders by median, then yardsticks, then
    failures."""

    def order(r: dict[str, Any]) -> tuple:
        return (r["stats"]["median"], r["backend"], r["workers"])

    ranked = []
    for _level, at_level in levels(rows).items():
        ok = [r for r in at_level if is_measured(r)]
        contenders = sorted((r for r in ok if not r.get("yardstick")), key=order)
        yardsticks = sorted((r for r in ok if r.get("yardstick")), key=order)
        failed = sorted((r for r in at_level if r not in ok), key=lambda r: r["backend"])
        ranked += contenders + yardsticks + failed
    return ranked


def _tied(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """True when the two medians do not differ meaningfully (a tie)."""
    return not ratio_of_medians(samples_of(a), samples_of(b))["meaningful"]


def _measured_only(lines: list[str], target: dict[str, Any] | None) -> list[str]:
    """On a user's function, the claims its cells did not test are left out."""
    if not target:
        return lines
    kept = [line for line in lines if "| **not measured** |" not in line]
    return kept if len(kept) > 2 else ["None of the claims is about this kind of work."]


def _hosts(hosts: dict[str, Any] | None, records: list[dict[str, Any]]) -> list[str]:
    """The emulated hosts a run spread over, said plainly (more network, not more CPU),
    and each transfer against the link's rate."""
    if not hosts:
        return []
    names = ", ".join(f"{name} {address}" for name, address in hosts.get("hosts", {}).items())
    shares = render_link_share(records, hosts)
    return [
        f"- **Hosts**: {names} (network namespaces on one bridge, each link limited to "
        f"{hosts.get('link_rate', '?')} both ways); {hosts.get('placement', '')}. They share "
        "this machine's cores: more network, not more compute.",
        *(["", "Transfers against the link:", "", *shares, ""] if shares else []),
    ]


def python_build(python: dict[str, Any]) -> str:
    """The interpreter's GIL as the report states it: a free-threaded build is named,
    and so is one whose GIL an extension switched back on at import."""
    if not python.get("gil_disabled_build"):
        return "GIL enabled"
    if python["gil_enabled"]:
        return "free-threaded build, but the GIL was re-enabled at run time (an extension)"
    return "free-threaded build, GIL disabled"


def _machine(records: list[dict[str, Any]]) -> list[str]:
    env = next((r["env"] for r in records if r.get("env")), None)
    if env is None:
        return ["No cell recorded its environment."]
    python = env["python"]
    gil = python_build(python)
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
        *_hosts(env.get("hosts"), records),
        *render_clusters(records),
    ]
    lines.extend(_machine_speed(records))
    neighbours = [r["other_cpu_cores"] for r in records if r.get("other_cpu_cores") is not None]
    if neighbours:
        busiest = max(neighbours)
        lines.append(
            f"- **Other programs**: used {statistics.median(neighbours):.2f} cores in the "
            f"median cell, {busiest:.2f} at most (the machine's CPU time less the cells' "
            "own process trees, their services, the harness and the kernel's threads)"
        )
        if busiest > BUSY_NEIGHBOURS_CORES:
            lines.append(
                f"- **Warning**: other programs used up to {busiest:.2f} cores while cells "
                "ran (rows marked *busy machine*); those numbers may be slower and noisier "
                "than this machine can do. Close other programs and run again."
            )
    return lines


def _machine_speed(records: list[dict[str, Any]]) -> list[str]:
    """How fast the machine itself ran while cells ran (`comparisons.measure.machine_speed`);
    nothing for runs recorded before the probe existed."""
    seen = [r["machine"] for r in records if r.get("machine")]
    if not seen:
        return []
    runs = [s for m in seen for s in m["run_slowdowns"]]
    usual = statistics.median(m["usual_probe_cpu_s"] for m in seen)
    slow = sum(s > 1 + SLOW_BY / 2 for s in runs)
    share = statistics.fmean(m["slow_share"] for m in seen)
    return [
        f"- **Machine speed**: a fixed loop timed in CPU time every {PROBE_EVERY_S:g} s "
        f"beside each cell took {fmt.seconds(usual)} as usual; {share * 100:.0f}% of the "
        f"probes ran over {SLOW_BY * 100:.0f}% slower, and {slow} of {len(runs)} "
        f"invocations over {SLOW_BY * 50:.0f}% slow in the median. The vCPU's own slow "
        "spells show there (no load figure sees them), and so does a cell's pressure on "
        "caches the probe shares; rows are as measured, and `make diff` flags a change "
        "the probe moved with during that cell.",
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


def _glance(groups: list[tuple[str, list[dict[str, Any]]]]) -> list[str]:
    lines = [
        "| work | in flight | fastest here (ties named) | median | speedup vs serial | runner-up |",
        "|---|---|---|---|---|---|",
    ]
    for title, rows in groups:
        for level, at_level in levels(rows).items():
            ranked = rank(best_per_model(at_level))
            if ranked is None:
                continue
            best = ranked["winners"][0]
            names = ", ".join(f"**{r['backend']}**" for r in ranked["winners"])
            speed = (best.get("baseline") or {}).get("speedup")
            runner = ranked["runner"]
            gap = f"{runner['backend']} ×{ranked['margin']['ratio']:.2f} slower" if runner else "–"
            lines.append(
                f"| {title} | {level} | {names} | {fmt.seconds(best['stats']['median'])} | "
                f"{fmt.ratio(speed)} | {gap} |"
            )
    return lines


def _io_ceiling(rows: list[dict[str, Any]]) -> list[str]:
    """For I/O work: the best any client could do here, per in-flight level, and which
    rows the server limited."""
    lines = []
    for level, at_level in levels(rows).items():
        measured = [r for r in at_level if is_measured(r)]
        if not measured or measured[0].get("ideal_s") is None:
            continue
        ideal = measured[0]["ideal_s"]
        per_request = [p for r in measured if (p := server_cpu_per_request(r)) is not None]
        text = f"At {level} in flight the waits alone take {fmt.seconds(ideal)}"
        if per_request:
            server = min(per_request) * measured[0]["tasks"]
            text += (
                f"; the latency server needs at least {fmt.seconds(server)} of CPU for "
                f"these {measured[0]['tasks']} requests (its cheapest, one core)"
            )
            ideal = max(ideal, server)
        lines.append(f"- {text}: **I/O ceiling {fmt.seconds(ideal)}**.")
    if lines:
        lines.append(
            f"- Rows marked *server-bound* had the one-process server busy "
            f"{fmt.percent(SERVER_BOUND_SHARE)} of a core or more during a repeat: the "
            "server, sharing this machine's cores, limited them, not the model."
        )
    return lines


def server_cpu_per_request(r: dict[str, Any]) -> float | None:
    if not r.get("service_requests") or r.get("service_cpu_s") is None:
        return None
    return r["service_cpu_s"] / r["service_requests"]


def server_share(r: dict[str, Any]) -> float | None:
    """Share of a core the service used during one repeat of this row."""
    per_request = server_cpu_per_request(r)
    if per_request is None or not r.get("stats"):
        return None
    return per_request * r["tasks"] / r["stats"]["median"]


def _table(rows: list[dict[str, Any]]) -> list[str]:
    lines = [
        "| # | backend | in flight | median | 95% CI | IQR | CV | tasks/s | per task "
        "| speedup (95% CI) | efficiency | CPU use | set-up | first run | teardown "
        "| peak PSS | RSS sum | notes |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    fastest: dict[int, dict[str, Any]] = {}
    position: dict[int, int] = {}
    for r in rows:
        level = r.get("in_flight") or r["workers"]
        if r["status"] != Status.OK or r.get("yardstick"):
            place: int | str = "–"  # a yardstick or a failure, not a contender
        else:
            position[level] = position.get(level, 0) + 1
            place = position[level]
            fastest.setdefault(level, r)
        if r["status"] != Status.OK:
            why = "see failures below" if r["status"] != Status.SKIPPED else r["error"]
            lines.append(
                f"| – | {r['backend']} | {level} | **{r['status']}** | | | | | | | | | | "
                f"{fmt.seconds(r.get('setup_s'))} | | {fmt.mebibytes(memory_bytes(r))} | | "
                f"{why} |"
            )
            continue
        s = r["stats"]
        base = r.get("baseline") or {}
        first_run = first_run_s(r)
        low, high = base.get("speedup_ci95") or (None, None)
        speed = f"{fmt.ratio(base['speedup'])} ({low:.2f}–{high:.2f})" if base else "no baseline"
        notes = []
        if r.get("yardstick"):
            notes.append(r.get("yardstick_reason") or "reference")
            if r.get("ceiling_beaten_by"):
                notes.append(f"beaten by {r['ceiling_beaten_by']} beyond its interval")
        elif base.get("ceiling_efficiency") is not None:
            low, high = base.get("ceiling_efficiency_ci95") or (None, None)
            notes.append(
                f"{fmt.percent(base['ceiling_efficiency'])} of the machine's ceiling"
                + (f" ({fmt.percent(low)}–{fmt.percent(high)})" if low is not None else "")
            )
        best = fastest.get(level)
        if not r.get("yardstick") and best is not None and r is not best and _tied(r, best):
            notes.append("tie with the fastest")
        share = server_share(r)
        if share is not None and share >= SERVER_BOUND_SHARE:
            notes.append(f"server-bound (server busy {fmt.percent(share)} of a core)")
        if r.get("caveat"):
            notes.append(r["caveat"])
        lag = (r.get("backend_info") or {}).get("loop_lag_max_s")
        if lag is not None:
            notes.append(f"event loop's worst lag {fmt.seconds(lag)}")
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
            f"| {place} | {r['backend']} | {level} | {fmt.seconds(s['median'])} | "
            f"{fmt.seconds(s['ci95_low'])} – {fmt.seconds(s['ci95_high'])} | "
            f"{fmt.seconds(s['iqr'])} | {fmt.percent(s['cv'])} | "
            f"{fmt.rate(r['throughput_tasks_per_s'])} | {fmt.seconds(s['median'] / r['tasks'])} | "
            f"{speed} | "
            f"{fmt.percent(base.get('efficiency'))} | {fmt.percent(r.get('cpu_utilisation'))} | "
            f"{fmt.seconds(r.get('setup_s'))} | {fmt.seconds(first_run)} | "
            f"{fmt.seconds(r.get('teardown_s'))} | "
            f"{fmt.mebibytes(memory_bytes(r))} | {fmt.mebibytes(r.get('peak_rss_bytes'))} | "
            f"{'; '.join(notes)} |"
        )
    return lines


def _failures(records: list[dict[str, Any]]) -> list[str]:
    failed = [r for r in records if r["status"] not in (Status.OK, Status.SKIPPED)]
    if not failed:
        skipped = sum(r["status"] == Status.SKIPPED for r in records)
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
    "- **in flight** is how many tasks can run at once: the pool size or concurrency "
    "limit, or the tasks for a thread or process per task. Rows are ranked, and the "
    "verdict compares models, only at the same in-flight count.",
    "- **median** is the work time of one repeat (all tasks). Each cell runs as several "
    "fresh processes in a seeded, interleaved order; in each, set-up (pool, loop, "
    "cluster start), a first (warm-up) run and teardown are timed apart from the measured "
    "repeats.",
    "- **95% CI** is a two-level bootstrap interval for the median: it resamples the "
    "processes, then the repeats within each, so it covers run-to-run variance, not only "
    "the repeats inside one process.",
    f"- A **tie**: two rows whose ratio's interval includes 1, or which differ by less "
    f"than {PRACTICAL_THRESHOLD * 100:.0f}%, are not ranked apart; the verdict names "
    "every co-winner.",
    "- **run once** is set-up + first run + teardown: what a job run once waits for. "
    "The break-even says from how much work the steady-state winner pays for its "
    "start-up.",
    "- **% of the machine's ceiling**: the *ceiling* row runs the same tasks on "
    "pre-forked, warmed processes that share one task counter, the least any model must "
    "pay here; a model's share of it (with its interval) is what it leaves on the table. "
    "A model that beats the ceiling beyond the interval is named and stands for it.",
    f"- **CV** is stdev / mean of the repeats. ⚠ marks a row whose CV exceeds "
    f"{UNSTABLE_CV * 100:.0f}%, whose min or max lies 50% or more from the mean, whose "
    "processes' medians differ by more than that, or whose repeats last under 1 ms "
    "(pyperf's warnings): close other programs or raise REPEATS before trusting it.",
    "- **speedup** is the serial baseline's median divided by this row's, with its own "
    "interval; **efficiency** is speedup / workers (1.0 = perfect use of every worker).",
    "- **CPU use** is CPU seconds of the cell's whole process tree per second over the "
    "same window (exited children included). **peak PSS** is the tree's proportional set "
    "size at its peak: pages shared between processes (a forked parent's, Ray's object "
    "store) are split among them, so each is counted once; **RSS sum** counts them once "
    "per process and is kept for comparison.",
    "- *yardsticks* (the serial loop, the ceiling, in-process rows of a transfer "
    "workload, which move no bytes) are shown but never ranked.",
    f"- *{LOOP_NOTE}*: asyncio and Trio run CPU work on their one thread, as plain code "
    "does; the row shows what that costs, and asyncio rows show the loop's worst lag "
    "(how long a heartbeat coroutine waited beyond its time).",
]


def _granularity(records: list[dict[str, Any]]) -> list[str]:
    """Per model, the smallest task at which it reaches 80% of its own best efficiency."""
    sweeps: dict[tuple, list[dict[str, Any]]] = defaultdict(list)
    for r in records:
        if r["status"] == Status.OK and r.get("baseline") and r["kind"] == "cpu":
            sweeps[(r["workload"], r["workers"])].append(r)
    lines: list[str] = []
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


def _extra_invocations(records: list[dict[str, Any]]) -> list[str]:
    """A line naming the cells that got extra processes because their verdict row was
    in doubt after the planned ones (`comparisons.run.adaptive`), if any did."""
    extra = [
        r
        for r in records
        if (r.get("invocations_done") or 0) > (r.get("invocations") or 1) and r.get("stats")
    ]
    if not extra:
        return []
    added = sum(r["invocations_done"] - r["invocations"] for r in extra)
    names = ", ".join(
        f"{r['workload']} {r['backend']} at {r.get('in_flight') or r['workers']}"
        for r in sorted(extra, key=lambda r: (r["workload"], r["backend"]))
    )
    return [
        "",
        f"Extra processes: {added} more, for {len(extra)} cells whose verdict row was in "
        f"doubt after the planned ones (a ratio's interval across the {PRACTICAL_THRESHOLD:.0%} "
        f"edge): {names}.",
    ]


def render_markdown(
    records: list[dict[str, Any]],
    figures: list[tuple[str, str]] | None = None,
    suite: dict[str, Any] | None = None,
) -> str:
    """The whole REPORT.md for the records of one run; `figures` are (path, caption);
    `suite` is the run's suite settings, which for a user's function hold its probe."""
    probes = [r for r in records if r.get("fault")]
    records = [
        {**r, "workload": display_name(r["workload"])} for r in records if not r.get("fault")
    ]
    target = (suite or {}).get("target")
    run_ids = sorted({str(r["run_id"]) for r in records})
    suites = sorted({str(r["suite"]) for r in records})
    groups = _groups(records)
    ok = sum(r["status"] == Status.OK for r in records)
    skipped = sum(r["status"] == Status.SKIPPED for r in records)
    commands = sorted({r["command"] for r in records if r.get("command")})
    lines = [
        f"# Concurrency comparison: {', '.join(run_ids)}",
        "",
        f"Suite `{', '.join(suites)}`: {len(records)} cells, {ok} completed and verified, "
        f"{skipped} skipped (each row says why), {len(records) - ok - skipped} failed or "
        "timed out.",
        "",
        *(render_target(target, suite or {}, records) if target else []),
        "## Machine",
        "",
        *_machine(records),
        "",
        "## Verdict",
        "",
        "For each kind of work and each in-flight count (models are compared only at the "
        "same concurrency, each by its best idiom): the fastest model here when the job "
        "runs many times, every model tied with it (a difference under "
        f"{PRACTICAL_THRESHOLD * 100:.0f}% or within the interval is a tie), the runner-up "
        "with its margin (its median / the best's, 95% interval over fresh processes), and "
        "the cheapest model when the job runs once. Yardsticks (serial, the ceiling, "
        "in-process transfer) are never ranked. Generated from the records below.",
        "",
        *render_verdict(records),
        *_extra_invocations(records),
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
        "and PEP 734's for subinterpreters, each checked by a rule over this run's cells.",
        "",
        *_measured_only(render_claims([r for r in records if not r.get("reference")]), target),
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
    shared = render_shared_input(records)
    if shared:
        lines += [
            "## Which idiom for a shared input",
            "",
            "Every task reads one large read-only object. Each model's idiom for getting "
            "it to the workers once, against passing it with every task (the naive form, "
            "`per_task=1`); bytes copied are those the idiom implies by construction. "
            "In-process models share it for free and are the reference.",
            "",
            *shared,
            "",
        ]
    variants = render_variants(records)
    if variants:
        lines += ["## Which way of using each model", "", *variants]
    lines += ["## Results by workload", ""]
    for title, rows in groups:
        ceiling = _io_ceiling(rows)
        lines += [f"### {title}", "", *ceiling, *([""] if ceiling else []), *_table(rows), ""]
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
