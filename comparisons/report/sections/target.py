"""REPORT.md's "Your function": the opening for a run on the user's own function
(`make compare TARGET=...`); left out of a suite run.

It states what the characterisation probe found (task time, CPU share, GIL, sizes,
memory), how asyncio and Trio ran the function, that correctness is checked against
the serial results, how the suite was sized to the budget, and the verdict in one
sentence per concurrency level, phrased for the function: which model to use, by how
much, and what threads say about the GIL. The rows it reads are the verdict's
(`comparisons.records.ranking.verdict_rows`, as in `sections.verdict`), so the sentence
and the table never disagree. `display_name` is how every part of the report names
the function.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from comparisons import formatting as fmt
from comparisons.backends import BASELINE
from comparisons.cell.outcome import Status
from comparisons.measure.stats import ratio_of_medians
from comparisons.records.cells import Cell, median_s, samples_of
from comparisons.records.ranking import model, verdict_rows
from comparisons.report.sections.context import Cells, Context
from comparisons.run.budget import SKIP_PREFIX, STOP_PREFIX
from comparisons.target.placement import MAPPED_KINDS, nearest_winners
from workloads.target import WORK, TargetSpec, is_target

TITLE = "Your function"
INTRO = ""
# (how the report names the event loop, the probe's key for its native async form)
ASYNC_MODELS = (("asyncio", "asyncio"), ("Trio", "trio"))


def display_name(workload: str) -> str:
    """`blur (examples/blur.py)` for a target, the name itself otherwise."""
    if not is_target(workload):
        return workload
    where, _, function = TargetSpec.parse(workload).function.rpartition(":")
    return f"{function} ({where})"


def shown(cell: Cell) -> Cell:
    """The cell as the report shows it: a user's function by its name and file, not its
    full target spec."""
    copy = cell.copy()
    copy["workload"] = display_name(cell["workload"])
    return copy


def cells_wall_s(records: list[Cell]) -> float:
    """From the first cell's start to the last one's end."""
    starts = [datetime.fromisoformat(r["started_at"]) for r in records if r.get("started_at")]
    ends = [datetime.fromisoformat(r["finished_at"]) for r in records if r.get("finished_at")]
    return (max(ends) - min(starts)).total_seconds() if starts and ends else 0.0


def _listed(names: list[str]) -> str:
    """`a`, `a and b`, `a, b and c`."""
    return " and ".join([", ".join(names[:-1]), names[-1]] if len(names) > 1 else names)


def _threads_sentence(records: list[Cell], level: int) -> str:
    serial = next((r for r in records if r["backend"] == BASELINE and r.get("stats")), None)
    threads = next(
        (
            r
            for r in records
            if r["backend"] == "threads" and r.get("stats") and r.get("in_flight") == level
        ),
        None,
    )
    if serial is None or threads is None or level < 2:
        return ""  # one thread in flight says nothing about the GIL
    speed = ratio_of_medians(samples_of(serial), samples_of(threads))
    if not speed.meaningful:
        return f"threads tie serial ({speed.ratio:.2f}x): the work holds the GIL"
    if speed.ratio < 1:
        return f"threads are slower than serial ({speed.ratio:.2f}x)"
    return f"threads run {speed.ratio:.2f}x serial: the work lets go of the GIL or waits"


def verdict_sentences(records: list[Cell], function: str) -> list[str]:
    """One sentence per in-flight level: the winner(s) with speedup, the runner-up,
    the cheapest to run once, and what threads show."""
    sentences = []
    for v in verdict_rows(records):
        best = v.winners[0]
        names = _listed(list(dict.fromkeys(r["backend"] for r in v.winners)))
        tie = " tie" if len(v.winners) > 1 else ""
        base = best["baseline"]
        speedup = base.speedup if base and not base.unreliable else None
        speed = f", {speedup:.2f}x serial" if speedup else ""
        parts = [f"{names}{tie} ({fmt.seconds(median_s(best))}{speed})"]
        if v.runner is not None and v.margin is not None:
            parts.append(f"then {v.runner['backend']}, {v.margin.ratio:.2f}x slower")
        threads = _threads_sentence(records, v.in_flight)
        if threads:
            parts.append(threads)
        once = list(dict.fromkeys(model(r) for r in v.once))
        parts.append(
            f"run once, {_listed(once)} cost{'s' if len(once) == 1 else ''} least "
            "(set-up and teardown counted)"
        )
        sentences.append(
            f"- **For `{function}` at {v.in_flight} in flight**: " + "; ".join(parts) + "."
        )
    return sentences or [f"- No two models ran `{function}` successfully at the same concurrency."]


# What each kind's map ran, for a race that disagrees with it.
MAP_WORK = {"gil": "counting primes", "released": "hashing"}


def on_the_map(found: dict[str, Any], placed: dict[str, Any] | None, cells: Cells) -> list[str]:
    """Where the function's task time falls on this machine's task-size map (found when
    the run started, `comparisons.target.placement`), what the map recommends there, and
    whether the function's own race agrees."""
    if found.get("work") not in MAPPED_KINDS:
        return [
            f"- **On the map**: not placed: {WORK[found['work']][1]} has no task-size map "
            "(the maps of CPU work are by task size; waiting work's, by requests in flight, "
            "is in `make compare SUITE=map`)."
        ]
    if not placed:
        which = "GIL-bound" if found["work"] == "gil" else "GIL-releasing"
        return [
            f"- **On the map**: no task-size map of {which} work on this machine yet; "
            "`make compare SUITE=map` draws one and the next TARGET run places your "
            "function on it."
        ]
    task_s = found["task_s"]
    pays = list(placed["throughout"]) + [
        b["model"] for b in placed["boundaries"] if b["above"] and b["at"] <= task_s
    ]
    not_yet = [b for b in placed["boundaries"] if b["above"] and b["at"] > task_s]
    text = (
        f"- **On the map** (run {placed['run']}, {placed['work']}): your "
        f"{fmt.seconds(task_s)} a task"
    )
    low, high = placed["grid"]
    if not low <= task_s <= high:
        text += f" lies outside its grid ({fmt.seconds(low)}–{fmt.seconds(high)})"
    if pays:
        text += f"; beating a plain loop there: {', '.join(pays)}"
    if not_yet:
        text += "; not yet: " + ", ".join(
            f"{b['model']} (from {fmt.seconds(b['at'])}, {fmt.seconds(b['low'])}–"
            f"{fmt.seconds(b['high'])})"
            for b in not_yet
        )
    near = nearest_winners(task_s, placed)
    if near is not None:
        x, names = near
        text += f"; at its nearest size ({fmt.seconds(x)}) the map's winner is {_listed(names)}"
        raced = {model(r) for v in verdict_rows(cells) for r in v.winners}
        if raced:
            agree = bool(raced & set(names))
            text += (
                "; your own race agrees"
                if agree
                else f"; your own race crowned {_listed(sorted(raced))} instead, and this report "
                "trusts the race: it ran your function, with its own bytes and GIL share, where "
                f"the map ran {MAP_WORK.get(placed.get('kind', 'gil'), 'its own work')}"
            )
    return [text + "."]


def front(cells: Cells, context: Context) -> list[str]:
    """The front page's part for a run on the user's function: its verdict sentences and
    its place on the map (the probe's table and the rest stay in the details)."""
    found = context.target
    if not found:
        return []
    function = TargetSpec.parse(found["target"]).function_name
    return [
        *verdict_sentences(cells, function),
        *on_the_map(found, context.suite.get("map"), cells),
    ]


def _probe(found: dict[str, Any], spec: TargetSpec, kind: str) -> list[str]:
    """What the characterisation probe found, as a one-row table."""
    return [
        f"`{spec.function}`, characterised by one serial probe before the race "
        f"({found['probe_tasks']} tasks in one thread, then on two):",
        "",
        "| task time | first call | CPU share of one core | two threads vs one | filed as "
        "| input | result | memory growth |",
        "|---|---|---|---|---|---|---|---|",
        f"| {fmt.seconds(found['task_s'])} | {fmt.seconds(found['first_call_s'])} "
        f"| {fmt.percent(found['cpu_share'])} | {found['two_thread_speedup']:.2f}x | {kind} "
        f"| {fmt.size(found.get('input_bytes'))} | {fmt.size(found.get('result_bytes'))} "
        f"| {fmt.size(found.get('peak_rss_growth_bytes'))} |",
    ]


def _async_forms(found: dict[str, Any]) -> list[str]:
    """Which event loops ran the user's own `async def`, and which a thread behind one."""
    forms = found.get("async_forms") or {}
    native = [label for label, key in ASYNC_MODELS if forms.get(key)]
    threaded = [label for label, key in ASYNC_MODELS if not forms.get(key)]
    lines = []
    if native:
        lines.append(f"- **Async forms**: {' and '.join(native)} ran your own `async def`.")
    if threaded:
        lines.append(
            f"- **No async form**: {' and '.join(threaded)} ran the plain function through "
            f"`to_thread`, so {'their rows measure' if len(threaded) > 1 else 'its rows measure'} "
            "a thread pool behind an event loop, not native async I/O."
        )
    return lines


def _at(cell: Cell) -> str:
    return f"{cell['backend']} at {cell['workers']}"


def _budget(suite: dict[str, Any], cells: Cells) -> list[str]:
    budget = suite.get("budget_s")
    if not budget:
        return []
    trimmed = suite.get("trimmed") or []
    costs = suite.get("costs_from")
    lines = [
        f"- **Budget**: {budget:g} s; the cells were planned at about "
        f"{suite.get('estimate_s', 0):.0f} s"
        + (f" (each model's costs from {costs})" if costs else "")
        + f" and took {cells_wall_s(cells):.0f} s"
        + (f"; to fit it: {'; '.join(trimmed)}" if trimmed else "")
        + "."
    ]
    left_out = [
        c for c in cells if c["status"] == Status.SKIPPED and SKIP_PREFIX in (c["error"] or "")
    ]
    short = [
        c for c in cells if c["status"] == Status.OK and c["invocations_done"] < c["invocations"]
    ]
    stopped = [
        c for c in cells if c["status"] == Status.TIMEOUT and STOP_PREFIX in (c["error"] or "")
    ]
    if left_out or short or stopped:
        parts = [
            f"{len(group)} {what}: {', '.join(sorted({_at(c) for c in group}))}"
            for group, what in (
                (left_out, "not started"),
                (stopped, "stopped at its end"),
                (short, "with fewer fresh processes than planned"),
            )
            if group
        ]
        lines.append(
            "- **Kept within the budget** as the cells ran (their estimates ran over): "
            + "; ".join(parts)
            + "."
        )
    return lines


def render(cells: Cells, context: Context) -> list[str]:
    """The verdict in sentences, the probe's findings, then how the run treated the
    function; nothing for a suite run."""
    found = context.target
    if not found:
        return []
    spec = TargetSpec.parse(found["target"])
    kind = WORK[found["work"]][1]
    lines = [
        *verdict_sentences(cells, spec.function_name),
        *on_the_map(found, context.suite.get("map"), cells),
        "",
        *_probe(found, spec, kind),
        "",
        f"- **Why {kind}**: {found['why']}.",
        "- **Correctness** is relative to serial: every model's results are checked against "
        "the serial run's"
        + (f", within a relative {spec.tolerance:g}" if spec.tolerance is not None else "")
        + (f", by `{spec.matches}`" if spec.matches else "")
        + ".",
        *_async_forms(found),
    ]
    if found.get("crossing_problem"):
        lines.append(
            f"- **Not sent to other processes**: {found['crossing_problem']}; those models' "
            "rows are skipped with the reason."
        )
    return [*lines, *_budget(context.suite, cells)]
