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
from enum import StrEnum
from typing import Any

from comparisons.backends import BASELINE, TWINS, backend_class, model_of
from comparisons.backends import REGISTRY as BACKENDS
from comparisons.backends.base import BATCHED
from comparisons.measure.stats import PRACTICAL_THRESHOLD, Ratio, ratio_of_lower_quartiles
from comparisons.records.cells import (
    Cell,
    baseline_key,
    is_measured,
    samples_of,
    stats_of,
)
from workloads.vocabulary import Category

# Categories in the order the verdict lists them (faults have a table of their own).
CATEGORY_ORDER = tuple(c for c in Category if c is not Category.FAULTS)


# One-shot costs closer than this (relative, or absolute below) are a tie.
NOTICEABLE_START_S = 0.05


# How a shared input reaches the tasks (`cpu.shared`'s `per_task`: with every task, or
# by the model's idiom) is a way of running the work, not other work.
WAYS_OF_RUNNING = ("per_task",)


def work_key(row: Cell) -> tuple[Any, ...]:
    """Rows that do the same work and compete in one verdict row: `baseline_key`, less
    the parameters that only choose how a model runs it (`WAYS_OF_RUNNING`, for a shared
    input), so each model is judged by its best way as by its best variant."""
    workload, tasks, params = baseline_key(row)
    if row.get("shared_input"):
        params = tuple((k, v) for k, v in params if k not in WAYS_OF_RUNNING)
    return (workload, tasks, params)


def group_label(row: Cell) -> str:
    _, _, params = work_key(row)
    named = ", ".join(f"{k}={v}" for k, v in params)
    return f"{row['workload']} ({row['tasks']} tasks{', ' + named if named else ''})"


def model(r: Cell) -> str:
    return r["model"] or model_of(r["backend"])


def executor_of(row: Cell) -> str:
    """What runs the row's work, in words ("a pool of 2 processes"): winners are named by
    it as well as by the front end that drives it."""
    if row["backend"] not in BACKENDS:
        return row["backend"]
    backend = backend_class(row["backend"])
    what = backend.executor.format(n=row["workers"])
    # Batches are a mechanism of their own: a per-task cost is not one message each.
    return what + (", tasks sent in batches" if backend.dispatch == BATCHED else "")


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
        if model(r) not in best or speed_s(r) < speed_s(best[model(r)]):
            best[model(r)] = r
    return sorted(best.values(), key=lambda r: (speed_s(r), r["backend"]))


class Outcome(StrEnum):
    """Where a model stands against the best of its row, decided on its interval."""

    BEST = "best"
    TIED = "tied"  # the ratio's interval wholly inside the tie band
    SLOWER = "slower"  # wholly beyond it
    UNDECIDED = "undecided"  # straddling its edge: the run cannot say which


@dataclass(frozen=True)
class Standing:
    """One model's best idiom in a row, its outcome, and its time over the best's (by
    the verdict's estimator; None for the best itself)."""

    cell: Cell
    outcome: Outcome
    ratio: Ratio | None


def speed_s(row: Cell) -> float:
    """What the verdict ranks by: the lower quartile of the row's repeats
    (`comparisons.measure.stats.ratio_of_lower_quartiles` says why), shown beside the
    median in every table."""
    return stats_of(row).q1


def against_best(row: Cell, best: Cell) -> Ratio:
    """The row's time over the best's, by the verdict's estimator, with its interval."""
    return ratio_of_lower_quartiles(samples_of(row), samples_of(best))


def outcome_of(ratio: Ratio) -> Outcome:
    """Tied when the interval lies wholly inside the tie band (1 / (1 + t) to 1 + t),
    slower when wholly beyond it, undecided when it straddles an edge: never rounded
    into a tie or a loss."""
    edge = 1 + PRACTICAL_THRESHOLD
    if ratio.ci95_low > edge:
        return Outcome.SLOWER
    if ratio.ci95_high <= edge and ratio.ci95_low >= 1 / edge:
        return Outcome.TIED
    return Outcome.UNDECIDED


@dataclass(frozen=True)
class Ranking:
    """Rows of one piece of work at one in-flight level, ranked: every model's standing;
    the winners (the best and every row tied with it), the undecided, and the runner-up
    (the fastest row decided slower) with its margin over the best."""

    standings: list[Standing]

    @property
    def rows(self) -> list[Cell]:
        """Every model's best idiom, fastest first."""
        return [s.cell for s in self.standings]

    @property
    def winners(self) -> list[Cell]:
        return [s.cell for s in self.standings if s.outcome in (Outcome.BEST, Outcome.TIED)]

    @property
    def undecided(self) -> list[Standing]:
        return [s for s in self.standings if s.outcome is Outcome.UNDECIDED]

    @property
    def runner(self) -> Cell | None:
        return next((s.cell for s in self.standings if s.outcome is Outcome.SLOWER), None)

    @property
    def margin(self) -> Ratio | None:
        """The runner-up's time over the best's."""
        return next((s.ratio for s in self.standings if s.outcome is Outcome.SLOWER), None)


def rank(rows: list[Cell]) -> Ranking | None:
    """The `Ranking` of rows already at one level, fastest first; None with fewer than
    two rows. Each row against the fastest (`against_best`) is tied, slower or
    undecided (`outcome_of`): a noisy model whose interval reaches across the band's
    edge is undecided, never a co-winner by its point estimate."""
    if len(rows) < 2:
        return None
    best = rows[0]
    standings = [Standing(best, Outcome.BEST, None)]
    for r in rows[1:]:
        ratio = against_best(r, best)
        standings.append(Standing(r, outcome_of(ratio), ratio))
    return Ranking(standings)


@dataclass(frozen=True)
class VerdictRow(Ranking):
    """One row of the verdict: a piece of work at one in-flight level, ranked for a job
    run many times (`Ranking`) and once (`once`: set-up and first run included)."""

    category: str
    work: str
    in_flight: int
    once: list[Cell]  # the cheapest to run once, and every row tied with it
    break_even_s: float | None  # work from which the steady winner pays for its start-up
    # The best model's time over a plain loop's, when even the best is decided slower
    # than serial at this work: no model is worth it here.
    slower_than_serial: Ratio | None = None
    serial: Cell | None = None
    # The same comparison when it straddles the band's edge: the best may lose to a loop.
    undecided_against_serial: Ratio | None = None
    # Models left out: measured in one repeat of one process, no interval to decide on.
    once_measured: tuple[str, ...] = ()
    # Models whose own default way (plain `asyncio` beside a winning `asyncio:uvloop`)
    # is also tied with the best: the code a developer writes first does as well here.
    defaults_tied: tuple[str, ...] = ()


def first_run_s(r: Cell) -> float | None:
    """The first (warm-up) run's time, the median over the cell's processes."""
    warm = sorted(r["warmup_s"] or [])
    return warm[len(warm) // 2] if warm else None


def one_shot_s(r: Cell) -> float:
    """What running the work once costs: set-up + delivering a shared input (if the
    workload has one) + first run + teardown."""
    first = first_run_s(r)
    first = speed_s(r) if first is None else first
    return (r["setup_s"] or 0) + (r["share_s"] or 0) + first + (r["teardown_s"] or 0)


def has_own_first_run(r: Cell) -> bool:
    """Whether the row's first run was measured in a process of its own (or as the first
    point of a shared one): the others' first runs were warm (`schema.carried_over`)."""
    return bool(r["warmup_s"]) or not r["shared_process"]


def one_shot_winners(rows: list[Cell]) -> list[Cell]:
    """The cheapest row to run once, and every row within the practical threshold; only
    rows whose first run was measured alone take part (none: an empty list)."""
    rows = [r for r in rows if has_own_first_run(r)]
    if not rows:
        return []
    ordered = sorted(rows, key=one_shot_s)
    cheapest = one_shot_s(ordered[0])
    margin = max(cheapest * PRACTICAL_THRESHOLD, NOTICEABLE_START_S)
    return [r for r in ordered if one_shot_s(r) - cheapest <= margin]


def break_even_s(steady: Cell, once: Cell) -> float | None:
    """Job length, in `steady`'s work seconds, from which `steady` beats `once` with
    start-up counted; None when `once` is also as fast per run."""
    gain = speed_s(once) - speed_s(steady)
    if gain <= 0:
        return None
    runs = 1 + (one_shot_s(steady) - one_shot_s(once)) / gain
    return max(runs, 1.0) * speed_s(steady)


def verdict_rows(cells: list[Cell]) -> list[VerdictRow]:
    """One verdict per (category, work, in-flight level) that two or more models ran,
    in the order the report lists them."""
    groups: dict[tuple[Any, ...], list[Cell]] = defaultdict(list)
    for r in cells:
        if not r["fault"]:
            groups[work_key(r)].append(r)
    order: dict[str, int] = {name: i for i, name in enumerate(CATEGORY_ORDER)}
    found = []
    for rows in groups.values():
        category = rows[0]["category"] or rows[0]["kind"]
        for level, at_level in levels(rows).items():
            models = best_per_model(at_level)
            single = [r for r in models if stats_of(r).n < 2]
            ranked = rank([r for r in models if stats_of(r).n >= 2])
            if ranked is None:
                continue
            once = one_shot_winners(ranked.rows)
            steady_models = {model(r) for r in ranked.winners}
            switch = None
            # A break-even only where the run-once winner is decided slower when run many
            # times: against one undecided or tied, the "gain" is noise and its job length
            # (hundreds of seconds from a 1% difference) means nothing.
            once_outcome = next(
                (x.outcome for x in ranked.standings if once and x.cell is once[0]),
                Outcome.SLOWER,
            )
            if (
                once
                and not steady_models & {model(r) for r in once}
                and once_outcome is Outcome.SLOWER
            ):
                switch = break_even_s(ranked.winners[0], once[0])
            # A transfer's serial loop moves no bytes: losing to it says nothing.
            best = ranked.rows[0]
            serial = None if best["measures_transfer"] else _serial(rows, like=best)
            behind = against_best(ranked.rows[0], serial) if serial else None
            judged = _against_serial(behind) if behind else None
            row = VerdictRow(
                standings=ranked.standings,
                slower_than_serial=behind if judged is Outcome.SLOWER else None,
                serial=serial,
                undecided_against_serial=behind if judged is Outcome.UNDECIDED else None,
                once_measured=tuple(r["backend"] for r in single),
                defaults_tied=defaults_tied(at_level, ranked),
                category=category,
                work=group_label(rows[0]),
                in_flight=level,
                once=once,
                break_even_s=switch,
            )
            found.append(((order.get(category, len(order)), category, row.work, level), row))
    return [row for _, row in sorted(found, key=lambda item: item[0])]


def defaults_tied(at_level: list[Cell], ranked: Ranking) -> tuple[str, ...]:
    """The models that won by a variant whose default way, measured at this level, is
    also tied with the best: "asyncio" when `asyncio:uvloop` won and stock asyncio's
    interval lies wholly within the band of the best."""
    best = ranked.rows[0]
    found = []
    for w in ranked.winners:
        stock = model(w)
        if w["backend"] == stock:
            continue
        plain = [r for r in contenders(at_level) if r["backend"] == stock and stats_of(r).n >= 2]
        if plain and outcome_of(against_best(plain[0], best)) is Outcome.TIED:
            found.append(stock)
    return tuple(found)


def _against_serial(behind: Ratio) -> Outcome | None:
    """The best model's time over a plain loop's, judged on one side only: slower when
    wholly beyond the band, undecided when it straddles the edge, else nothing to say
    (faster, or within the band of the loop)."""
    edge = 1 + PRACTICAL_THRESHOLD
    if behind.ci95_low > edge:
        return Outcome.SLOWER
    if behind.ci95_high > edge:
        return Outcome.UNDECIDED
    return None


def _serial(rows: list[Cell], like: Cell | None = None) -> Cell | None:
    """The plain loop doing this work, if the run measured it: with the same parameters
    as `like` where there is one (a shared input's two forms each have a serial row)."""
    loops = [r for r in rows if r["backend"] == BASELINE and is_measured(r)]
    same = [r for r in loops if like is not None and baseline_key(r) == baseline_key(like)]
    return next(iter(same or loops), None)


@dataclass(frozen=True)
class TwinCheck:
    """One A/A pair in one piece of work: a model and its twin (the same class under
    another name, `comparisons.backends.TWINS`), the slower of the two over the faster
    by the verdict's rule. Anything but tied is a decision the design should never make."""

    work: str
    in_flight: int
    original: str
    ratio: Ratio
    outcome: Outcome  # tied: right; slower: a false decision; undecided: no decision


def twin_checks(cells: list[Cell]) -> list[TwinCheck]:
    """Every (work, in-flight count) where a twin and its original both measured."""
    checks = []
    groups: dict[tuple[Any, ...], list[Cell]] = defaultdict(list)
    for c in contenders(cells):
        groups[baseline_key(c)].append(c)
    for rows in groups.values():
        for level, at_level in levels(rows).items():
            by_name = {r["backend"]: r for r in at_level}
            for twin, original in TWINS.items():
                if twin not in by_name or original not in by_name:
                    continue
                fast, slow = sorted((by_name[twin], by_name[original]), key=speed_s)
                ratio = against_best(slow, fast)
                checks.append(
                    TwinCheck(group_label(rows[0]), level, original, ratio, outcome_of(ratio))
                )
    return checks


def measured_once(cells: list[Cell]) -> list[tuple[str, int, list[str]]]:
    """(work, in flight, models) of the contenders the verdict leaves out for having one
    sample (one repeat in one process): no interval, so no word can be decided."""
    found: dict[tuple[str, int], list[str]] = {}
    for r in contenders([c for c in cells if not c["fault"]]):
        if stats_of(r).n < 2:
            level = r["in_flight"] or min(r["workers"], r["tasks"])
            found.setdefault((group_label(r), level), []).append(r["backend"])
    return [(work, level, names) for (work, level), names in sorted(found.items())]
