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
single run, from how much work the steady-state winner pays for its start-up.
"""

from __future__ import annotations

import re
from collections import defaultdict

from comparisons import formatting as fmt
from comparisons.records.cells import Cell
from comparisons.records.ranking import (
    Outcome,
    VerdictRow,
    executor_of,
    model,
    one_shot_s,
    speed_s,
    verdict_rows,
)
from comparisons.report.sections.context import Cells, Context
from workloads.vocabulary import OVERHEAD_CATEGORIES, Category

TITLE = "Which model for which work"
INTRO = (
    "One line per kind of work measured: what to use, the models that share that answer "
    "(as run: `trio:parallel` is Trio handing work to a process pool), the evidence and "
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
    Category.SHARED_INPUT: "Many tasks reading one large input",
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
    """One line per category with verdict rows, in the verdict's order."""
    by_kind: dict[str, list[VerdictRow]] = defaultdict(list)
    for v in verdict_rows(cells):
        by_kind[v.category].append(v)
    return [answer_line(kind, rows) for kind, rows in by_kind.items()]


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


def answer_line(kind: str, rows: list[VerdictRow]) -> str:
    """ "- **Pure-Python CPU work**: **a process pool** (processes, trio:parallel): ...
    *decided*"."""
    label = PLAIN.get(kind, kind)
    state = state_of(rows)
    if state == "depends":
        by_level: dict[int, list[VerdictRow]] = defaultdict(list)
        for v in rows:
            by_level[v.in_flight].append(v)
        parts = "; ".join(
            f"at {level} in flight {_winners(at_level)} ({_brief(at_level)})"
            for level, at_level in sorted(by_level.items())
        )
        return f"- **{label}**: {parts}. *{state}*"
    first = max(rows, key=lambda v: len(v.standings))
    return (
        f"- **{label}**: {_winners(rows)}: {_evidence(first)}{_once(first)}"
        f"{_start_up(first)}. *{state}*"
    )


def _winners(rows: list[VerdictRow]) -> str:
    """The winning ways of running the work, each with the models (as run) that won or
    tied that way: "**a process pool** (processes, trio:parallel)"; "no model" where
    every model loses to a plain loop."""
    if all(v.slower_than_serial is not None for v in rows):
        return "**no model**"
    groups: dict[str, list[str]] = {}
    for v in rows:
        if v.slower_than_serial is not None:
            continue
        for r in v.winners:
            names = groups.setdefault(mechanism(r), [])
            if r["backend"] not in names:
                names.append(r["backend"])
    return " or ".join(f"**{how}** ({', '.join(names)})" for how, names in groups.items())


def _brief(rows: list[VerdictRow]) -> str:
    """The evidence at one in-flight count, short: "threads 61.2 ms, next ×1.31"."""
    v = max(rows, key=lambda row: len(row.standings))
    best = v.winners[0]
    text = f"{best['backend']} {fmt.seconds(speed_s(best))}"
    if v.margin is not None:
        text += f", the nearest decided slower ×{v.margin.ratio:.2f}"
    return text


def _evidence(v: VerdictRow) -> str:
    """One clause: the best's time at its in-flight count, the nearest model decided
    slower with its margin, and a plain loop's ratio where one ran."""
    best = v.winners[0]
    if v.slower_than_serial is not None and v.serial is not None:
        behind = v.slower_than_serial.ratio
        return (
            f"a plain loop is faster ({fmt.seconds(speed_s(v.serial))}); the fastest model at "
            f"{v.in_flight} in flight, {best['backend']}, ×{behind:.1f} slower"
        )
    parts = [f"{best['backend']} {fmt.seconds(speed_s(best))} at {v.in_flight} in flight"]
    if v.runner is not None and v.margin is not None:
        parts.append(
            f"the nearest model decided slower, {v.runner['backend']}, ×{v.margin.ratio:.2f}"
        )
    elif v.undecided:
        parts.append("the rest undecided or tied")
    if v.serial is not None and v.slower_than_serial is None:
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
    return f"; start-up {', '.join(paid)}" if paid else ""


def _once(v: VerdictRow) -> str:
    """Where a model that starts faster wins a single run: the break-even."""
    if v.break_even_s is None or not v.once:
        return ""
    return (
        f"; run once, {v.once[0]['backend']} ({fmt.seconds(one_shot_s(v.once[0]))} with "
        f"start-up) until ~{fmt.seconds(v.break_even_s)} of work"
    )
