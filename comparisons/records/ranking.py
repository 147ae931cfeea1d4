"""Ranking the cells of one piece of work: the computation behind the verdict.

Rows are compared only with rows doing the same work (workload, tasks, params) at the
same in-flight concurrency (`levels`): a model given more concurrency has not beaten one
given less. Each model is represented by its best idiom at that level
(`best_per_model`), and yardsticks are never ranked (`contenders`). `rank` names the
winners (the fastest and every row tied with it) and the runner-up; `one_shot_winners`
and `break_even_s` answer for a job run once. `verdict_rows` does this for every row of
a run; the report renders it (`comparisons.report.sections.verdict`) and the adaptive rounds read
it (`comparisons.run.adaptive`).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from comparisons.backends import model_of
from comparisons.measure.stats import PRACTICAL_THRESHOLD, Ratio, ratio_of_medians
from comparisons.records.cells import Cell, baseline_key, is_measured, median_s, samples_of
from workloads.vocabulary import Category

# Categories in the order the verdict lists them (faults have a table of their own).
CATEGORY_ORDER = tuple(c for c in Category if c is not Category.FAULTS)


# One-shot costs closer than this (relative, or absolute below) are a tie.
NOTICEABLE_START_S = 0.05


def group_label(row: Cell) -> str:
    params = ", ".join(f"{k}={v}" for k, v in sorted(row["params"].items()))
    return f"{row['workload']} ({row['tasks']} tasks{', ' + params if params else ''})"


def model(r: Cell) -> str:
    return r["model"] or model_of(r["backend"])


def contenders(rows: list[Cell]) -> list[Cell]:
    """Rows that may win: measured, and not a yardstick."""
    return [r for r in rows if is_measured(r) and not r["yardstick"]]


def levels(rows: list[Cell]) -> dict[int, list[Cell]]:
    """Rows by in-flight concurrency."""
    by_level: dict[int, list[Cell]] = defaultdict(list)
    for r in rows:
        by_level[r["in_flight"] or min(r["workers"], r["tasks"])].append(r)
    return dict(sorted(by_level.items()))


def best_per_model(rows: list[Cell]) -> list[Cell]:
    """Each model's fastest contender (its best idiom), fastest first."""
    best: dict[str, Cell] = {}
    for r in contenders(rows):
        if model(r) not in best or median_s(r) < median_s(best[model(r)]):
            best[model(r)] = r
    return sorted(best.values(), key=lambda r: (median_s(r), r["backend"]))


@dataclass(frozen=True)
class Ranking:
    """Rows of one piece of work at one in-flight level, ranked: the winners (the fastest
    and every row tied with it), the runner-up and its margin over the fastest."""

    winners: list[Cell]
    runner: Cell | None
    margin: Ratio | None  # runner-up / fastest
    rows: list[Cell]  # every model's best idiom, fastest first


def rank(rows: list[Cell]) -> Ranking | None:
    """The `Ranking` of rows already at one level, fastest first; None with fewer than
    two rows.

    Ties are taken in order of median: the first row meaningfully slower than the best
    is the runner-up, and no slower row is a winner, however wide its interval (a noisy
    model at 1.8x must not tie with the best while a steady one at 1.5x does not).
    """
    if len(rows) < 2:
        return None
    best = rows[0]
    winners: list[Cell] = [best]
    runner: Cell | None = None
    for r in rows[1:]:
        if ratio_of_medians(samples_of(r), samples_of(best)).meaningful:
            runner = r
            break
        winners.append(r)
    margin = ratio_of_medians(samples_of(runner), samples_of(best)) if runner else None
    return Ranking(winners, runner, margin, rows)


@dataclass(frozen=True)
class VerdictRow(Ranking):
    """One row of the verdict: a piece of work at one in-flight level, ranked for a job
    run many times (`Ranking`) and once (`once`: set-up and first run included)."""

    category: str
    work: str
    in_flight: int
    once: list[Cell]  # the cheapest to run once, and every row tied with it
    break_even_s: float | None  # work from which the steady winner pays for its start-up


def first_run_s(r: Cell) -> float | None:
    """The first (warm-up) run's time, the median over the cell's processes."""
    warm = sorted(r["warmup_s"] or [])
    return warm[len(warm) // 2] if warm else None


def one_shot_s(r: Cell) -> float:
    """What running the work once costs: set-up + delivering a shared input (if the
    workload has one) + first run + teardown."""
    first = first_run_s(r)
    first = median_s(r) if first is None else first
    return (r["setup_s"] or 0) + (r["share_s"] or 0) + first + (r["teardown_s"] or 0)


def one_shot_winners(rows: list[Cell]) -> list[Cell]:
    """The cheapest row to run once, and every row within the practical threshold."""
    ordered = sorted(rows, key=one_shot_s)
    cheapest = one_shot_s(ordered[0])
    margin = max(cheapest * PRACTICAL_THRESHOLD, NOTICEABLE_START_S)
    return [r for r in ordered if one_shot_s(r) - cheapest <= margin]


def break_even_s(steady: Cell, once: Cell) -> float | None:
    """Job length, in `steady`'s work seconds, from which `steady` beats `once` with
    start-up counted; None when `once` is also as fast per run."""
    gain = median_s(once) - median_s(steady)
    if gain <= 0:
        return None
    runs = 1 + (one_shot_s(steady) - one_shot_s(once)) / gain
    return max(runs, 1.0) * median_s(steady)


def verdict_rows(cells: list[Cell]) -> list[VerdictRow]:
    """One verdict per (category, work, in-flight level) that two or more models ran,
    in the order the report lists them."""
    groups: dict[tuple[Any, ...], list[Cell]] = defaultdict(list)
    for r in cells:
        if not r["fault"]:
            groups[baseline_key(r)].append(r)
    order: dict[str, int] = {name: i for i, name in enumerate(CATEGORY_ORDER)}
    found = []
    for rows in groups.values():
        category = rows[0]["category"] or rows[0]["kind"]
        for level, at_level in levels(rows).items():
            ranked = rank(best_per_model(at_level))
            if ranked is None:
                continue
            once = one_shot_winners(ranked.rows)
            steady_models = {model(r) for r in ranked.winners}
            switch = None
            if not steady_models & {model(r) for r in once}:
                switch = break_even_s(ranked.winners[0], once[0])
            row = VerdictRow(
                **vars(ranked),
                category=category,
                work=group_label(rows[0]),
                in_flight=level,
                once=once,
                break_even_s=switch,
            )
            found.append(((order.get(category, len(order)), category, row.work, level), row))
    return [row for _, row in sorted(found, key=lambda item: item[0])]
