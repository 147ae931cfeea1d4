"""REPORT.md's front answer, "Which model for which work": one line per kind of work, in
the words a developer uses, with its evidence in one clause and its state.

Read off the verdict's rows (`comparisons.records.ranking.verdict_rows`), grouped by
category of work: what runs the winning model's work (`executor_of`, in general words: "a
pool of processes", "threads", "an event loop"), the models that share that answer, the
evidence (the best's time against the nearest model decided slower, and against a plain
loop where one ran), and the line's state:

- *decided*: in every row of that kind the best and the models tied with it run the work
  the same way, and no model is undecided against them;
- *tied*: models that run the work in different ways are tied in some row;
- *undecided*: some model's interval straddles the tie band's edge in some row;
- *depends*: the answer changes with the in-flight count (the rows' winners differ).

A line adds what running the job once changes: where a model that starts faster wins a
single run, from how much work the steady-state winner pays for its start-up; where a
variant won and its model's default way ties with it, that the default does as well;
for data sent to workers, what not moving it at all costs (the in-process rows); for a
shared input handed over by fork, what changes under another start method. The lines
end with what each variant name they use means (`names`).
"""

from __future__ import annotations

import re
from collections import defaultdict

from comparisons import formatting as fmt
from comparisons.backends import REGISTRY, backend_class
from comparisons.measure.stats import PRACTICAL_THRESHOLD
from comparisons.records.cells import Cell, is_measured, median_s
from comparisons.records.maps import BYTES_PARAM
from comparisons.records.ranking import (
    Outcome,
    VerdictRow,
    executor_of,
    model,
    one_shot_s,
    speed_s,
    verdict_rows,
    work_key,
)
from comparisons.report.sections.context import Cells, Context
from workloads.vocabulary import OVERHEAD_CATEGORIES, Category

TITLE = "Which model for which work"
INTRO = (
    "One line per kind of work measured: what to use, the models that share that answer "
    "(as run; the names after a colon are variants, defined below the lines), the "
    "evidence and "
    "whether this run decided it: *decided*; *tied* (different ways of running the work "
    "within 10% of each other); *undecided* (some model's 95% interval straddles that "
    "10% edge: the run cannot tell); *depends* (on how many tasks are in flight, i.e. "
    "running at once). Models are compared at the same number of tasks in flight, by "
    "the lower quartile of their repeats; *a plain loop* is the same work run serially, "
    "with no concurrency; *start-up* is the engine's set-up, paid once per job "
    "(teardown apart)."
)

# A kind of work, as a developer would name the job.
PLAIN: dict[str, str] = {
    Category.GIL_BOUND_CPU: "Pure-Python CPU work (a CPU-heavy batch job)",
    Category.GIL_RELEASING_CPU: (
        "NumPy or hashing, C code that releases the GIL (a NumPy pipeline; BLAS pinned "
        "to one thread per worker)"
    ),
    Category.WAITING_IO: "Waiting on timers",
    Category.NETWORK_IO: "Many network calls (a web scraper, an API client)",
    Category.FILE_IO: "Reading and writing files",
    Category.MIXED: "Fetch, then crunch",
    Category.SHARED_INPUT: (
        "Many tasks reading one large input (NumPy sums over it: they release the GIL)"
    ),
    Category.TINY_TASKS: "Many tiny tasks",
    Category.DATA_TRANSFER: "Sending large data to workers",
    Category.YOUR_FUNCTION: "Your function",
}


def mechanism(row: Cell) -> str:
    """What runs a row's work, without its counts: "a process pool", "threads", "an
    event loop"; how tasks reach it ("tasks sent in batches") only where the work is the
    per-task cost itself."""
    words = re.sub(r"\b\d[\d,]*\s*", "", executor_of(row))
    if row.get("category") not in OVERHEAD_CATEGORIES:
        words = words.split(",")[0]
    return words.replace("a pool of processes", "a process pool").strip()


def render(cells: Cells, context: Context) -> list[str]:
    """One line per category with verdict rows, in the verdict's order, then what the
    variant names in them mean."""
    by_kind: dict[str, list[VerdictRow]] = defaultdict(list)
    for v in verdict_rows(cells):
        by_kind[v.category].append(v)
    lines = [answer_line(kind, rows, cells) for kind, rows in by_kind.items()]
    return [*lines, "", names(lines)] if names(lines) else lines


def names(lines: list[str]) -> str:
    """ "Variants named above: `asyncio:uvloop`, the same asyncio code on uvloop's event
    loop (libuv); ...", each from its backend's own summary; "" when none is used."""
    used = sorted(
        {n for line in lines for n in re.findall(r"[a-z]+:[a-z-]+", line) if n in REGISTRY}
    )
    if not used:
        return ""
    return (
        "Variants named above: "
        + "; ".join(f"`{n}`, {backend_class(n).summary}" for n in used)
        + "."
    )


def winning_ways(rows: list[VerdictRow], common: bool = False) -> dict[int, set[str]]:
    """Per in-flight count, the ways of running the work that won or tied in any of the
    kind's rows there (several workloads of one kind can crown different models); with
    `common`, only among the ways measured at every in-flight count, so that a model the
    run did not try at some count does not make the answer change with it."""
    ways: dict[int, set[str]] = defaultdict(set)
    tried: dict[int, set[str]] = defaultdict(set)
    for v in rows:
        ways[v.in_flight] |= {mechanism(r) for r in v.winners}
        tried[v.in_flight] |= {mechanism(s.cell) for s in v.standings}
    if not common:
        return dict(ways)
    everywhere = set.intersection(*tried.values())
    return {level: won & everywhere or won for level, won in ways.items()}


def state_of(rows: list[VerdictRow]) -> str:
    """The line's state (see the module's docstring)."""
    if len({frozenset(w) for w in winning_ways(rows, common=True).values()}) > 1:
        return "depends"
    if any(v.undecided for v in rows):
        return "undecided"
    if any(len(w) > 1 for w in winning_ways(rows).values()):
        return "tied"
    return "decided"


def answer_line(kind: str, rows: list[VerdictRow], cells: list[Cell] | None = None) -> str:
    """ "- **Pure-Python CPU work**: **a process pool** (processes, trio:parallel): ...
    *decided*"."""
    label = PLAIN.get(kind, kind)
    state = state_of(rows)
    if state == "depends":
        by_level: dict[int, list[VerdictRow]] = defaultdict(list)
        for v in rows:
            by_level[v.in_flight].append(v)
        parts = "; ".join(
            f"at {level} in flight {_winners(at_level, cells)} ({_brief(at_level)})"
            for level, at_level in sorted(by_level.items())
        )
        return f"- **{label}**: {parts}. *{state}*"
    # The row with the most models leads; among equals, the largest tasks (a sweep's
    # smaller sizes are quoted after it).
    first = max(rows, key=lambda v: (len(v.standings), _task_s(v) or 0.0))
    return (
        f"- **{label}**: {_winners(rows, cells)}: {_evidence(first, _name(first, rows))}"
        f"{_elsewhere(rows, first)}{_once(first)}{_start_up(first)}"
        f"{_in_place(first, cells or [])}{_by_fork(first)}. *{state}*"
    )


def _elsewhere(rows: list[VerdictRow], first: VerdictRow) -> str:
    """The kind's other rows, briefly: another in-flight count or another workload can
    crown a faster model or leave some model unmeasured."""
    others = [v for v in rows if v is not first]
    return "".join(
        f"; {_name(v, rows)} at {v.in_flight} in flight: {_brief([v])}" + _unmeasured(v, first)
        for v in others
    )


def _name(v: VerdictRow, rows: list[VerdictRow]) -> str:
    """The row's work as the line names it: the workload, or with its sizes where the
    kind has several rows of one workload (a sweep); "" for a kind of one row."""
    if len(rows) == 1:
        return ""
    short = v.work.split(" (")[0]
    if len({r.work for r in rows if r.work.startswith(short + " (")}) == 1:
        return short
    task_s = _task_s(v)
    if not task_s:
        return v.work
    # The bytes a task carries to and from its worker, where the workload sends any (a
    # buffer each worker builds for itself, as cpu.hash's, is the task's size, not bytes
    # sent).
    params = v.rows[0]["params"] or {}
    sent = v.rows[0]["bytes_per_task"] if v.rows[0]["kind"] == "cpu" else None
    payload = params.get(BYTES_PARAM) if sent else None
    carried = f" with {fmt.size(payload * 1024)} each way" if payload else ""
    return f"{short}, {v.rows[0]['tasks']} tasks of {fmt.seconds(task_s)}{carried}"


def _task_s(v: VerdictRow) -> float | None:
    """A plain loop's time per task on the row's work, where the row has one."""
    return median_s(v.serial) / v.serial["tasks"] if v.serial is not None else None


def _unmeasured(v: VerdictRow, first: VerdictRow) -> str:
    """Models of the line's main row that this row did not run."""
    here = {model(s.cell) for s in v.standings}
    missing = sorted({model(s.cell) for s in first.standings} - here)
    return f" ({', '.join(missing)} not run there)" if missing else ""


def _winners(rows: list[VerdictRow], cells: list[Cell] | None = None) -> str:
    """The winning ways of running the work, each with the models (as run) that won or
    tied that way: "**a process pool** (processes, trio:parallel)"; "no model" where
    every model loses to a plain loop. A row whose best is undecided against a plain
    loop names no winner; one whose best is no faster than a plain loop (within the tie
    band) crowns the loop, the models that tied with it named as such: threads that run
    pure Python one at a time are not a way to speed it up. Where the kind has several
    rows, a model that won in some of the kind's rows only is named with those rows
    ("processes; at cpu.primes, tasks of 14.6 ms: processes:executor"), so that a winner
    at large tasks is not read as one at small tasks too."""
    if all(v.slower_than_serial is not None for v in rows):
        return "**no model**"
    # A row whose best is undecided against a plain loop crowns no one: it is named by
    # the evidence, not among the winners.
    counted = [
        v for v in rows if v.slower_than_serial is None and v.undecided_against_serial is None
    ]
    if not counted:
        return "**no model decided faster than a plain loop**"
    groups: dict[str, list[str]] = {}
    # Rows each model won, by the way of running the work they are named under.
    won_in: dict[tuple[str, str], list[VerdictRow]] = defaultdict(list)
    # Rows where a model's default way tied with its winning variant, by the mention.
    stock_tied: dict[str, list[VerdictRow]] = defaultdict(list)
    for v in counted:
        for r in v.winners:
            how = PLAIN_LOOP if _no_faster(v) else mechanism(r)
            named = groups.setdefault(how, [])
            won_in[how, r["backend"]].append(v)
            if r["backend"] not in named:
                named.append(r["backend"])
            stock = model(r)
            mention = f"stock {stock} tied"
            if stock in v.defaults_tied and stock not in named:
                if v not in stock_tied[mention]:
                    stock_tied[mention].append(v)
                if mention not in named:
                    named.append(mention)

    levels = {v.in_flight for v in counted}

    def where(v: VerdictRow) -> str:
        named = _name(v, rows) or v.work
        return f"{named} at {v.in_flight} in flight" if len(levels) > 1 else named

    def ran(name: str, v: VerdictRow) -> bool:
        key = work_key(v.rows[0])
        return any(
            c["backend"] == name and work_key(c) == key and c["in_flight"] == v.in_flight
            for c in [*(cells or []), *v.rows]
        )

    def listed(how: str, named: list[str]) -> str:
        partly: dict[str, list[str]] = defaultdict(list)
        everywhere = []
        for n in named:
            if n in stock_tied:
                # Tied where its variant won, not in every row the variant won: say where.
                variant_rows = [
                    v for v in counted for w in v.winners if f"stock {model(w)} tied" == n
                ]
                lost = [v for v in variant_rows if v not in stock_tied[n]]
                won_rows = stock_tied[n]
            else:
                won_rows = won_in.get((how, n), [])
                # A model's default way tied with the best counts, though its best idiom
                # stands.
                lost = [
                    v
                    for v in counted
                    if ran(n, v)
                    and v not in won_rows
                    and not (":" not in n and n in v.defaults_tied)
                ]
            if lost and won_rows:
                # Past a few rows a list of them is no longer read: count them instead.
                at = (
                    "at " + "; ".join(where(v) for v in won_rows)
                    if len(won_rows) <= 3
                    else f"in {len(won_rows)} of the {len(counted)} rows a model won"
                )
                partly[at].append(n)
            else:
                everywhere.append(n)
        parts = [", ".join(everywhere)] if everywhere else []
        parts += [f"{at}: {', '.join(ns)}" for at, ns in partly.items()]
        return "; ".join(parts)

    return " or ".join(
        f"**{how}** ({'tied with it: ' if how == PLAIN_LOOP else ''}{listed(how, named)})"
        for how, named in groups.items()
    )


PLAIN_LOOP = "a plain loop"


def _no_faster(v: VerdictRow) -> bool:
    """Whether the row's best is within the tie band of a plain loop (not behind it:
    that row crowns no model at all)."""
    if v.serial is None or v.slower_than_serial is not None:
        return False
    return speed_s(v.serial) / speed_s(v.winners[0]) < 1 + PRACTICAL_THRESHOLD


def _brief(rows: list[VerdictRow]) -> str:
    """The evidence at one in-flight count, short: "threads 61.2 ms, next ×1.31"."""
    v = max(rows, key=lambda row: len(row.standings))
    best = v.winners[0]
    text = f"{best['backend']} {fmt.seconds(speed_s(best))}"
    if v.margin is not None and v.runner is not None:
        text += f", the nearest decided slower, {v.runner['backend']}, ×{v.margin.ratio:.2f}"
    return text + _against_loop(v)


def _against_loop(v: VerdictRow) -> str:
    """Where the best of a row is no faster than a plain loop by the tie band (or the
    run cannot tell), the loop's ratio, so that the row is not read as a win."""
    if v.serial is None:
        return ""
    loop = speed_s(v.serial) / speed_s(v.winners[0])
    if v.slower_than_serial is not None:
        return f", but a plain loop is faster ({loop:.2f}x)"
    if v.undecided_against_serial is not None:
        return f", {loop:.2f}x a plain loop: undecided against it"
    if loop < 1 + PRACTICAL_THRESHOLD:
        return f", {loop:.2f}x a plain loop: no faster"
    return ""


def _evidence(v: VerdictRow, named: str = "") -> str:
    """One clause: the best's time at its in-flight count (on the work `named`, when the
    kind has several rows), the nearest model decided slower with its margin, and a
    plain loop's ratio where one ran."""
    best = v.winners[0]
    if v.slower_than_serial is not None and v.serial is not None:
        behind = v.slower_than_serial.ratio
        return (
            f"a plain loop is faster ({fmt.seconds(speed_s(v.serial))}); the fastest model at "
            f"{v.in_flight} in flight, {best['backend']}, ×{behind:.1f} slower"
        )
    where = f" on {named}" if named else ""
    parts = [f"{best['backend']} {fmt.seconds(speed_s(best))}{where} at {v.in_flight} in flight"]
    if v.runner is not None and v.margin is not None:
        parts.append(
            f"the nearest model decided slower, {v.runner['backend']}, ×{v.margin.ratio:.2f}"
        )
    elif v.undecided:
        parts.append("the rest undecided or tied")
    base = best.get("baseline")
    if base is not None and base.unreliable:
        # A speedup above the cores exposed the loop as measured slow: no ratio to it.
        parts.append("no ratio to a plain loop (its time was exposed as unreliable)")
    elif v.serial is not None and v.slower_than_serial is None:
        loop = speed_s(v.serial) / speed_s(best)
        parts.append(f"{loop:.1f}x a plain loop")
    undecided = [s for s in v.standings if s.outcome is Outcome.UNDECIDED]
    if undecided:
        parts.append("undecided: " + ", ".join(s.cell["backend"] for s in undecided))
    return "; ".join(parts)


# The engines whose start-up a line states: seconds a developer weighs against the work.
ENGINES = ("dask", "ray")


def _start_up(v: VerdictRow) -> str:
    """The engines' start-up in this row: "start-up: dask 0.65 s, ray 2.6 s"."""
    paid = [
        f"{model(s.cell)} {fmt.seconds(s.cell['setup_s'])}"
        for s in v.standings
        if model(s.cell) in ENGINES and s.cell["setup_s"]
    ]
    return f"; start-up for {v.in_flight} workers {', '.join(paid)}" if paid else ""


def _in_place(v: VerdictRow, cells: list[Cell]) -> str:
    """For data sent to workers: the fastest in-process row of the same work, where the
    data never moves (a thread reads the caller's object): the alternative to weigh
    before choosing how to move it."""
    best = v.winners[0]
    if not best["measures_transfer"]:
        return ""
    stay = [
        c
        for c in cells
        if c["in_process"]
        and is_measured(c)
        and work_key(c) == work_key(best)
        and c["backend"] != "serial"
    ]
    if not stay:
        return ""
    fastest = min(stay, key=speed_s)
    return (
        f"; not moving the data at all, {fastest['backend']} reads it in place in "
        f"{fmt.seconds(speed_s(fastest))}"
    )


def _by_fork(v: VerdictRow) -> str:
    """Where a winner received a shared input by fork (a pool's initializer): the
    answer holds where fork is the start method."""
    forked = [
        r["backend"]
        for r in v.winners
        if r["shared_input"] is not None and r["shared_input"]["crossing"] == "inherited"
    ]
    if not forked:
        return ""
    return (
        f"; {', '.join(forked)} inherited the input by fork (under spawn, the default on "
        "macOS and Windows, or forkserver, Linux's from Python 3.14, each worker gets a "
        "pickled copy)"
    )


def _once(v: VerdictRow) -> str:
    """Where a model that starts faster wins a single run: the break-even."""
    if v.break_even_s is None or not v.once:
        return ""
    return (
        f"; run once, {v.once[0]['backend']} ({fmt.seconds(one_shot_s(v.once[0]))} with "
        f"start-up) wins until the job takes ~{fmt.seconds(v.break_even_s)} of "
        f"{v.winners[0]['backend']}'s running time"
    )
