"""REPORT.md's "Verdict": for each kind of work, which model to use here, run many times or
once; and which cells got extra processes to settle it.

Derived from the records alone, by the ranking in `comparisons.records.ranking`: rows
compared only at the same work and in-flight concurrency, each model by its best idiom,
yardsticks (the serial loop, the ceiling, in-process rows on a transfer workload) never
ranked. This module says it in words.

Two answers per row:

- *run many times* (steady state): the fastest model by median work time. Every model
  whose difference from it is not meaningful (`stats.ratio_of_medians`: the interval
  includes 1 or the difference is under `PRACTICAL_THRESHOLD`) is a co-winner: a tie.
- *run once*: set-up + first run + teardown, what a user who runs the job once waits
  for. Where another model wins it, the break-even job length says from how much work on
  the steady-state winner pays for its start-up.
"""

from __future__ import annotations

from typing import Any

from comparisons import formatting as fmt
from comparisons.measure.stats import PRACTICAL_THRESHOLD, Ratio
from comparisons.records.cells import Cell, baseline_key
from comparisons.records.crossover import Boundary, nearest_boundary, placed_on_map
from comparisons.records.ranking import (
    NOTICEABLE_START_S,
    VerdictRow,
    executor_of,
    measured_once,
    one_shot_s,
    speed_s,
    verdict_rows,
)
from comparisons.report.sections.context import Cells, Context

# Each sweep point's plain-loop time per task and its sweep's boundaries, by point.
Placed = dict[tuple[Any, ...], tuple[float, list[Boundary]]]

TITLE = "Verdict"
INTRO = (
    "For each kind of work and each in-flight count (models are compared only at the "
    "same concurrency, each by its best idiom), every model's standing against the "
    "fastest when the job runs many times: **best**; **tied** (its time over the best's, "
    f"95% interval over fresh processes, lies wholly within {PRACTICAL_THRESHOLD * 100:.0f}%); "
    "**slower** (wholly beyond it; the fastest such is shown); **undecided** (the interval "
    "straddles the edge: this run cannot say, and says so). Winners are grouped by what "
    "runs the work. Times are each row's lower quartile over its repeats, the verdict's "
    "estimator (a slow spell of the machine only adds time); the tables show it beside "
    "the median. A row of a task-size sweep also says where it sits on the map: its "
    "task size and its winner's boundary against a plain loop (else the nearest). Then "
    "the cheapest model "
    "when the job runs once. Yardsticks (serial, the "
    "ceiling, in-process transfer) are never ranked. Generated from the records below."
)


def _names(rows: list[Cell]) -> str:
    names = [f"**{r['backend']}**" for r in rows]
    return names[0] if len(names) == 1 else "tie: " + ", ".join(names)


def grouped_by_executor(rows: list[Cell], suffix: str = "") -> str:
    """ "**a pool of 2 processes**: processes 254 ms, trio:parallel 260 ms; **2 threads**:
    threads 242 ms", each time the row's own (the verdict's estimator); `suffix` after
    the first (the best's) time."""
    groups: dict[str, list[str]] = {}
    for i, r in enumerate(rows):
        text = f"{r['backend']} {fmt.seconds(speed_s(r))}" + (suffix if i == 0 else "")
        groups.setdefault(executor_of(r), []).append(text)
    return "; ".join(f"**{what}**: {', '.join(names)}" for what, names in groups.items())


def _ceiling_share(r: Cell) -> str:
    """The best row's share of the machine's ceiling, or why none is given: a ceiling
    another row beat. (The serial baseline plays no part in the verdict, so a baseline
    found unreliable is the tables' note, not the verdict's.)"""
    base = r["baseline"]
    if base is None:
        return ""
    share = base.ceiling_efficiency
    if share is None:
        return ""
    if base.ceiling_unreliable:
        return " — ceiling unreliable"
    low, high = base.ceiling_efficiency_ci95 or (share, share)
    return (
        f" — {r['backend']} at {fmt.percent(share)} of the machine's ceiling "
        f"({fmt.percent(low)}–{fmt.percent(high)})"
    )


def _steady(v: VerdictRow, verdicts: list[VerdictRow], placed: Placed) -> str:
    best = v.winners[0]
    if v.slower_than_serial is not None and v.serial is not None:
        return _no_winner(v, v.slower_than_serial, v.serial, verdicts)
    rate = ""
    if best["measures_transfer"] and best["bytes_per_task"]:
        per_gib = speed_s(best) / (best["bytes_per_task"] * best["tasks"]) * 2**30
        rate = f", {fmt.seconds(per_gib)} per GiB moved"
    text = grouped_by_executor(v.winners, rate) + _ceiling_share(best)
    behind, serial = v.undecided_against_serial, v.serial
    if behind is not None and serial is not None:
        text += (
            f"; undecided against a plain loop (serial {fmt.seconds(speed_s(serial))}, "
            f"×{behind.ratio:.2f} ({behind.ci95_low:.2f}–{behind.ci95_high:.2f}))"
        )
    return text + on_the_map(best, placed)


def map_place(row: Cell, placed: Placed) -> tuple[float, Boundary | None, bool] | None:
    """A sweep row's task size, the boundary it is read against and whether that is
    the row's own model's: its boundary against the plain loop where the sweep decided
    one (how far is this row from where its winner stops paying?), else the nearest of
    any model's; None for a row off every sweep."""
    if baseline_key(row) not in placed:
        return None
    x, boundaries = placed[baseline_key(row)]
    own = [b for b in boundaries if b.model == row["backend"]]
    return x, nearest_boundary(x, own or boundaries), bool(own)


def on_the_map(row: Cell, placed: Placed) -> str:
    """Where a row of a task-size sweep sits on its map: its task size and the boundary
    against the plain loop it is read against (`map_place`; "" for a row off every
    sweep)."""
    place = map_place(row, placed)
    if place is None:
        return ""
    x, boundary, own = place
    if boundary is None:
        return f"; on the map: {fmt.seconds(x)} of work a task, no boundary decided on its grid"
    which = "its winner's boundary" if own else "the nearest boundary"
    does = "starts to beat" if boundary.above else "stops beating"
    where = f"where {boundary.model} {does} a plain loop ({fmt.seconds(boundary.at)}"
    if boundary.low is not None and boundary.high is not None:
        where += f", {fmt.seconds(boundary.low)}–{fmt.seconds(boundary.high)}"
        if boundary.low <= x <= boundary.high:
            return (
                f"; on the map: {fmt.seconds(x)} of work a task, inside the interval of "
                f"{which}, {where}): which side it is on is undecided"
            )
    side = "above" if x >= boundary.at else "below"
    factor = max(x / boundary.at, boundary.at / x)
    return f"; on the map: {fmt.seconds(x)} of work a task, ×{factor:.1f} {side} {which}, {where})"


def _no_winner(v: VerdictRow, behind: Ratio, serial: Cell, verdicts: list[VerdictRow]) -> str:
    """Every model is slower than the plain loop: say so, and point at a row of the same
    work where a model does beat it, if the run has one."""
    best = v.winners[0]
    text = (
        f"no model: every one is slower than a plain loop here (serial "
        f"{fmt.seconds(speed_s(serial))}; the fastest, {best['backend']}, ×{behind.ratio:.2f} "
        f"({behind.ci95_low:.2f}–{behind.ci95_high:.2f}))"
    )
    better = [
        w
        for w in verdicts
        if w is not v
        and w.slower_than_serial is None
        and w.winners[0]["workload"] == best["workload"]
        and w.in_flight == v.in_flight
    ]
    if better:
        text += f"; see {better[0].work}, where one is not"
    return text


def _undecided(v: VerdictRow) -> str:
    if not v.undecided:
        return "–"
    return ", ".join(
        f"{s.cell['backend']} ×{s.ratio.ratio:.2f} ({s.ratio.ci95_low:.3f}–{s.ratio.ci95_high:.3f})"
        for s in v.undecided
        if s.ratio is not None
    )


def _margin(v: VerdictRow) -> str:
    runner, margin = v.runner, v.margin
    if runner is None or margin is None:
        return "none decided slower"
    return f"{runner['backend']} ×{margin.ratio:.2f} ({margin.ci95_low:.3f}–{margin.ci95_high:.3f})"


def _once(v: VerdictRow) -> str:
    """The cheapest model to run once with its time; others close to it each with their
    own time and the rule that kept them (a few tens of milliseconds nobody waits for)."""
    once = v.once
    if not once:
        return "– (no first run measured in a process of its own: shared processes)"
    text = f"**{once[0]['backend']}** ({fmt.seconds(one_shot_s(once[0]))})"
    if len(once) > 1:
        text += (
            ", within "
            f"{PRACTICAL_THRESHOLD * 100:.0f}% or {fmt.seconds(NOTICEABLE_START_S)} of it: "
            + ", ".join(f"**{r['backend']}** {fmt.seconds(one_shot_s(r))}" for r in once[1:])
        )
    if v.break_even_s is not None:
        text += (
            f"; {v.winners[0]['backend']} pays off from ~{fmt.seconds(v.break_even_s)} of this work"
        )
    return text


def render(cells: Cells, context: Context) -> list[str]:
    """The verdict's table, the work measured once (not ranked), then the cells given
    extra processes, if any were."""
    return [*verdict_table(cells), *_measured_once(cells), *_extra_invocations(cells)]


def _measured_once(cells: Cells) -> list[str]:
    found = measured_once(cells)
    if not found:
        return []
    named = "; ".join(f"{work} at {level}: {', '.join(names)}" for work, level, names in found)
    return [
        "",
        f"Not ranked, measured in one repeat of one process (no interval to decide on; the "
        f"claims read them): {named}.",
    ]


def verdict_table(records: list[Cell]) -> list[str]:
    """One row per kind of work and in-flight count; a sentence when none has two models."""
    verdicts = verdict_rows(records)
    placed = placed_on_map(records)
    if not verdicts:
        return ["No kind of work had two or more models that succeeded at the same concurrency."]
    lines = [
        "| kind of work | in flight | run many times: best and tied | undecided (95% CI) "
        "| slower: the fastest of them (95% CI) | run once: set-up + first run + teardown |",
        "|---|---|---|---|---|---|",
    ]
    for v in verdicts:
        lines.append(
            f"| {v.category}: {v.work} | {v.in_flight} | {_steady(v, verdicts, placed)} "
            f"| {_undecided(v)} | {_margin(v)} | {_once(v)} |"
        )
    return lines


def _extra_invocations(records: list[Cell]) -> list[str]:
    """A line naming the cells that got extra processes after the planned ones
    (`comparisons.run.adaptive`): yardsticks a figure exposed as unreliable, and cells of
    verdict rows in doubt; nothing if none did."""
    extra = [r for r in records if r["invocations_done"] > r["invocations"] and r["stats"]]
    if not extra:
        return []
    added = sum(r["invocations_done"] - r["invocations"] for r in extra)
    names = ", ".join(
        f"{r['workload']} {r['backend']} at {r['in_flight'] or r['workers']}"
        for r in sorted(extra, key=lambda r: (r["workload"], r["backend"]))
    )
    return [
        "",
        f"Extra processes: {added} more, for {len(extra)} cells after the planned ones: "
        "yardsticks (serial, the ceiling) that a figure exposed as unreliable, and cells of "
        f"verdict rows in doubt (a ratio's interval across the {PRACTICAL_THRESHOLD:.0%} "
        f"edge): {names}.",
    ]
