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

from comparisons import formatting as fmt
from comparisons.measure.stats import PRACTICAL_THRESHOLD
from comparisons.records.cells import Cell, median_s
from comparisons.records.ranking import VerdictRow, one_shot_s, verdict_rows
from comparisons.report.sections.context import Cells, Context

TITLE = "Verdict"
INTRO = (
    "For each kind of work and each in-flight count (models are compared only at the "
    "same concurrency, each by its best idiom): the fastest model here when the job "
    "runs many times, every model tied with it (a difference under "
    f"{PRACTICAL_THRESHOLD * 100:.0f}% or within the interval is a tie), the runner-up "
    "with its margin (its median / the best's, 95% interval over fresh processes), and "
    "the cheapest model when the job runs once. Yardsticks (serial, the ceiling, "
    "in-process transfer) are never ranked. Generated from the records below."
)


def _names(rows: list[Cell]) -> str:
    names = [f"**{r['backend']}**" for r in rows]
    return names[0] if len(names) == 1 else "tie: " + ", ".join(names)


def _ceiling_share(r: Cell) -> str:
    base = r["baseline"]
    share = base.ceiling_efficiency if base else None
    if base is None or share is None:
        return ""
    low, high = base.ceiling_efficiency_ci95 or (share, share)
    beaten = base.ceiling_beaten_by
    limit = (
        f"; the ceiling row was slower than {beaten}, whose time stands for it" if beaten else ""
    )
    return (
        f", {fmt.percent(share)} of the machine's ceiling "
        f"({fmt.percent(low)}–{fmt.percent(high)}{limit})"
    )


def _steady(v: VerdictRow) -> str:
    best = v.winners[0]
    rate = ""
    if best["measures_transfer"] and best["bytes_per_task"]:
        per_gib = median_s(best) / (best["bytes_per_task"] * best["tasks"]) * 2**30
        rate = f", {fmt.seconds(per_gib)} per GiB moved"
    median = fmt.seconds(median_s(best))
    return f"{_names(v.winners)} ({median}{rate}{_ceiling_share(best)})"


def _margin(v: VerdictRow) -> str:
    runner, margin = v.runner, v.margin
    if runner is None or margin is None:
        return "every model ran within the tie band"
    return (
        f"{runner['backend']} ×{margin.ratio:.2f} slower "
        f"({margin.ci95_low:.2f}–{margin.ci95_high:.2f})"
    )


def _once(v: VerdictRow) -> str:
    once = v.once
    text = f"{_names(once)} ({fmt.seconds(one_shot_s(once[0]))})"
    if v.break_even_s is not None:
        text += (
            f"; {v.winners[0]['backend']} pays off from ~{fmt.seconds(v.break_even_s)} of this work"
        )
    return text


def render(cells: Cells, context: Context) -> list[str]:
    """The verdict's table, then the cells given extra processes, if any were."""
    return [*verdict_table(cells), *_extra_invocations(cells)]


def verdict_table(records: list[Cell]) -> list[str]:
    """One row per kind of work and in-flight count; a sentence when none has two models."""
    verdicts = verdict_rows(records)
    if not verdicts:
        return ["No kind of work had two or more models that succeeded at the same concurrency."]
    lines = [
        "| kind of work | in flight | run many times: best here | runner-up (95% CI) "
        "| run once: set-up + first run + teardown |",
        "|---|---|---|---|---|",
    ]
    for v in verdicts:
        lines.append(
            f"| {v.category}: {v.work} | {v.in_flight} | {_steady(v)} | {_margin(v)} | {_once(v)} |"
        )
    return lines


def _extra_invocations(records: list[Cell]) -> list[str]:
    """A line naming the cells that got extra processes because their verdict row was
    in doubt after the planned ones (`comparisons.run.adaptive`), if any did."""
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
        f"Extra processes: {added} more, for {len(extra)} cells whose verdict row was in "
        f"doubt after the planned ones (a ratio's interval across the {PRACTICAL_THRESHOLD:.0%} "
        f"edge): {names}.",
    ]
