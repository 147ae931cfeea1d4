"""`make diff A=<run> B=<run>`: per-cell change between two runs, with its interval.

For every cell present in both runs, the ratio of medians B/A with a 95% bootstrap
interval (over both runs' processes and repeats). The machine itself drifts: the same
commit a few hours apart on a shared VM can be 10-20% slower everywhere. So the run-wide
drift is estimated first (the median of the per-cell ratios), and each cell is judged
against it: a change counts as *faster* or *slower* only when the cell's ratio divided
by the drift has an interval that excludes 1 and differs from 1 by at least `threshold`
(`PRACTICAL_THRESHOLD`, 10%, as everywhere in the report). The raw per-cell ratios stay in the
table. Where both runs have the machine's speed probe (`comparisons.measure.machine_speed`), a
change that the probe moved with as far during that cell is marked "machine too": a
hint, never a verdict (the probe runs between the cell's repeats, or in older runs beside
the cell, and the cell's own use of shared caches slows it too).
The summary counts faster / slower / same against the drift, compares each
verdict row's winners (same winner or the same declared tie), sets each crossover both
runs placed side by side (do the intervals overlap?), and lists how the two
environments differ, since a diff across machines measures the machines as much as the
code.
"""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from comparisons import formatting as fmt
from comparisons.cell.outcome import Status
from comparisons.measure.stats import PRACTICAL_THRESHOLD, Ratio, ratio_of_medians
from comparisons.records import maps
from comparisons.records.cells import (
    Cell,
    load_cells,
    median_s,
    samples_of,
)
from comparisons.records.crossover import Answer, Crossover, sweep_crossovers, sweeps
from comparisons.records.maps import Axis
from comparisons.records.ranking import Outcome, model, verdict_rows
from comparisons.report.sections.clusters import LOCAL, placements

DEFAULT_THRESHOLD = PRACTICAL_THRESHOLD
ENV_FIELDS = (
    ("cpu_model", lambda e: e["cpu_model"]),
    ("logical cores", lambda e: e["logical_cores"]),
    ("physical cores", lambda e: e["physical_cores"]),
    ("usable cores", lambda e: e["usable_cores"]),
    ("memory", lambda e: f"{e['memory_total_bytes'] / 2**30:.1f} GiB"),
    ("os", lambda e: e["os"]),
    ("python", lambda e: f"{e['python']['implementation']} {e['python']['version']}"),
    ("GIL", lambda e: "enabled" if e["python"]["gil_enabled"] else "disabled"),
    ("Python build", lambda e: " + ".join(e["python"]["optimizations"]) or "no PGO/LTO"),
    ("start method", lambda e: e["multiprocessing_start_method"]),
    ("packages", lambda e: ", ".join(f"{k} {v}" for k, v in e["packages"].items() if v)),
    ("commit", lambda e: (e.get("git") or {}).get("commit")),
)


@dataclass(frozen=True)
class Change:
    """One cell's B/A (`ratio`, raw) and its verdict once the run-wide drift is divided
    out (`relative`); `machine` is the probe's own B/A during the cell."""

    ratio: Ratio
    relative: float
    machine: float
    verdict: str  # faster, slower or same
    machine_too: bool  # the machine's own slowdown may account for it


def classify(
    a: Cell,
    b: Cell,
    threshold: float,
    drift: float = 1.0,
    machine: float = 1.0,
) -> Change:
    """B/A for one cell, and its verdict once the run-wide `drift` is divided out.

    `machine` is the probe's slowdown during B's invocations of the cell over A's
    (`machine_ratio`). A change that dividing by it too would make "same" keeps its
    verdict and is flagged `machine_too`: the machine may account for it. Only a flag:
    the probe is noisy (the cell's own use of shared caches slows it too), and waiting
    I/O does not slow with the CPU, so it never hides a change.
    """
    result = ratio_of_medians(samples_of(b), samples_of(a))
    verdict = _judge(result, threshold, drift)
    machine_too = verdict != "same" and _judge(result, threshold, drift * machine) == "same"
    return Change(result, result.ratio / drift, machine, verdict, machine_too)


def _judge(result: Ratio, threshold: float, divisor: float) -> str:
    low, high = result.ci95_low / divisor, result.ci95_high / divisor
    relative = result.ratio / divisor
    if (low > 1 or high < 1) and abs(relative - 1) >= threshold:
        return "faster" if relative < 1 else "slower"
    return "same"


def machine_ratio(a: Cell, b: Cell) -> float:
    """The machine's slowdown during B's invocations of a cell over A's (1 when either
    run predates the probe): each relative to its own run's usual speed."""
    if not (a["machine"] and b["machine"]):
        return 1.0
    return float(b["machine"]["slowdown"] / a["machine"]["slowdown"])


def run_drift(pairs: list[tuple[Cell, Cell]]) -> float:
    """The machine's drift from A to B: the median B/A over the cells both measured
    in the same place (`drift_cells`)."""
    ratios = [median_s(b) / median_s(a) for a, b in drift_cells(pairs)]
    return statistics.median(ratios) if ratios else 1.0


def drift_cells(
    pairs: list[tuple[Cell, Cell]],
) -> list[tuple[Cell, Cell]]:
    """The pairs the drift is estimated from: cells that ran in the same place in both
    runs. A cell moved from a local engine to a cluster (or between clusters) changed
    by design, so it says nothing of the machine; when every cell moved, all count."""

    def place(record: Cell) -> str | None:
        return (record["cluster"] or {}).get("address")

    stayed = [(a, b) for a, b in pairs if place(a) == place(b)]
    return stayed or pairs


def _probe_line(a: list[Cell], b: list[Cell]) -> list[str]:
    """Each run's usual machine speed (`comparisons.measure.machine_speed`), apart from every
    model: a fixed loop's CPU time."""
    machines = [[m for r in run if (m := r["machine"])] for run in (a, b)]
    if not all(machines):
        return []
    ua, ub = (statistics.median(m["usual_probe_cpu_s"] for m in run) for run in machines)
    share = [statistics.fmean(m["slow_share"] for m in run) for run in machines]
    return [
        f"Machine speed probe (a fixed loop's CPU time, usual in each run): A "
        f"{ua * 1e3:.3f} ms, B {ub * 1e3:.3f} ms (B/A {ub / ua:.3f}); probes in a slow "
        f"spell: A {share[0] * 100:.0f}%, B {share[1] * 100:.0f}%."
    ]


def environment_differences(a: list[Cell], b: list[Cell]) -> list[str]:
    env_a = next((r["env"] for r in a if r["env"]), None)
    env_b = next((r["env"] for r in b if r["env"]), None)
    if env_a is None or env_b is None:
        return ["one run recorded no environment"]
    lines = []
    for name, read in ENV_FIELDS:
        try:
            left, right = read(env_a), read(env_b)
        except (KeyError, TypeError):
            continue
        if left != right:
            lines.append(f"{name}: {left} -> {right}")
    where_a, where_b = placements(a), placements(b)
    for engine in sorted(set(where_a) | set(where_b)):
        left, right = where_a.get(engine, LOCAL), where_b.get(engine, LOCAL)
        if left != right:
            lines.append(f"{engine} cells: {left} -> {right}")
    return lines


RowKey = tuple[str, str, int]


def verdict_outcomes(cells: list[Cell]) -> dict[RowKey, dict[str, Outcome]]:
    """Each verdict row's outcome per model, by (kind of work, work, in flight).

    Models, not idioms: the verdict answers "which model", and a model's best idiom
    (processes or processes:executor) may differ between runs when both tie.
    """
    return {
        (v.category, v.work, v.in_flight): {model(s.cell): s.outcome for s in v.standings}
        for v in verdict_rows(cells)
    }


@dataclass(frozen=True)
class VerdictAgreement:
    """How two runs' verdicts agree, by the verdict's own four words."""

    rows: int  # verdict rows both runs have
    contradictions: list[str]  # a model best or tied in one run, slower in the other
    best_kept: int  # rows where each run's best is best or tied in the other
    undecided: tuple[float, float]  # each run's share of (row, model) entries undecided


def compare_verdicts(a: list[Cell], b: list[Cell]) -> VerdictAgreement:
    """Contradictions are the only disagreement that counts: a reshuffle among tied
    models, or a model undecided in one run, is not a change of answer."""
    in_a, in_b = verdict_outcomes(a), verdict_outcomes(b)
    shared = sorted(set(in_a) & set(in_b), key=str)
    won = (Outcome.BEST, Outcome.TIED)
    contradictions, best_kept, entries, undecided = [], 0, 0, [0, 0]
    for row in shared:
        ra, rb = in_a[row], in_b[row]
        for name in sorted(set(ra) & set(rb)):
            entries += 1
            undecided[0] += ra[name] is Outcome.UNDECIDED
            undecided[1] += rb[name] is Outcome.UNDECIDED
            if {ra[name], rb[name]} & set(won) and Outcome.SLOWER in (ra[name], rb[name]):
                contradictions.append(
                    f"{row[0]}: {row[1]} at {row[2]} in flight: {name} {ra[name]} -> {rb[name]}"
                )
        best_a = next(m for m, o in ra.items() if o is Outcome.BEST)
        best_b = next(m for m, o in rb.items() if o is Outcome.BEST)
        best_kept += rb.get(best_a) in won and ra.get(best_b) in won
    shares = (undecided[0] / entries, undecided[1] / entries) if entries else (0.0, 0.0)
    return VerdictAgreement(len(shared), contradictions, best_kept, shares)


def render_diff(a_dir: Path, b_dir: Path, threshold: float = DEFAULT_THRESHOLD) -> str:
    """The whole diff as Markdown text."""
    a, b = load_cells(a_dir), load_cells(b_dir)
    lines = [f"# Diff: {a_dir.name} (A) -> {b_dir.name} (B)", ""]
    differences = environment_differences(a, b)
    if differences:
        lines += ["Environments differ, so changes mix machine and code:", ""]
        lines += [f"- {d}" for d in differences] + [""]
    else:
        lines += ["Same machine and software in both runs.", ""]
    paired = _paired(a, b)
    drift = run_drift(paired.pairs)
    changes = [
        (ra, rb, classify(ra, rb, threshold, drift, machine_ratio(ra, rb)))
        for ra, rb in paired.pairs
    ]
    lines += _change_table(changes)
    lines += ["", "## Summary", "", _drift_line(paired.pairs, changes, drift, threshold)]
    lines += [*_probe_line(a, b), _verdict_line(a, b, paired), *_crossover_lines(a, b)]
    lines += _grid_lines(a, b)
    if paired.failed:
        lines += ["", "Not measured in both runs:", *(f"- {f}" for f in paired.failed)]
    if paired.skipped_alike:
        lines += ["", f"Skipped in both runs for the same reason: {paired.skipped_alike} cells."]
    if paired.only_a or paired.only_b:
        lines += ["", f"Only in A: {paired.only_a} cells; only in B: {paired.only_b} cells."]
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class Paired:
    """The cells of two runs matched by key: timed in both (`pairs`), failed in either,
    skipped alike, or present in one run only (counts)."""

    pairs: list[tuple[Cell, Cell]]
    failed: list[str]
    skipped_alike: int
    only_a: int
    only_b: int


def paired(a: list[Cell], b: list[Cell]) -> Paired:
    """Two runs' cells matched by key (the site's changes page uses it too)."""
    by_key_a, by_key_b = {r["key"]: r for r in a}, {r["key"]: r for r in b}
    pairs, failed, skipped_alike = [], [], 0
    for key in sorted(set(by_key_a) & set(by_key_b)):
        ra, rb = by_key_a[key], by_key_b[key]
        if ra["status"] == rb["status"] == Status.SKIPPED and ra["error"] == rb["error"]:
            skipped_alike += 1  # not news: the same reason both times (a model not here)
            continue
        if ra["status"] != Status.OK or rb["status"] != Status.OK:
            failed.append(f"{key}: A {ra['status']}, B {rb['status']}")
            continue
        if ra["stats"] and rb["stats"]:  # a fault probe has nothing timed
            pairs.append((ra, rb))
    return Paired(
        pairs,
        failed,
        skipped_alike,
        len(set(by_key_a) - set(by_key_b)),
        len(set(by_key_b) - set(by_key_a)),
    )


_paired = paired  # the name render_diff has always used


MARKS = {"faster": "**faster**", "slower": "**slower**", "same": "same"}


def _change_table(changes: list[tuple[Cell, Cell, Change]]) -> list[str]:
    lines = [
        "| cell | A median | B median | B/A (95% CI) | B/A relative to drift "
        "| machine B/A | change |",
        "|---|---|---|---|---|---|---|",
    ]
    for ra, rb, change in changes:
        ratio = change.ratio
        lines.append(
            f"| `{ra['key']}` | {fmt.seconds(median_s(ra))} | "
            f"{fmt.seconds(median_s(rb))} | {ratio.ratio:.3f} "
            f"({ratio.ci95_low:.3f}–{ratio.ci95_high:.3f}) | "
            f"{change.relative:.3f} | {change.machine:.3f} | "
            f"{MARKS[change.verdict]}{' (machine too)' if change.machine_too else ''} |"
        )
    return lines


def _drift_line(
    pairs: list[tuple[Cell, Cell]],
    changes: list[tuple[Cell, Cell, Change]],
    drift: float,
    threshold: float,
) -> str:
    """The drift, and the changes counted against it and without it."""
    counts = Counter(change.verdict for *_, change in changes)
    raw = Counter(classify(ra, rb, threshold).verdict for ra, rb, _ in changes)
    machine_too = sum(change.machine_too for *_, change in changes)
    stayed = len(drift_cells(pairs))
    direction = "slower" if drift > 1 else "faster"
    return (
        f"Machine drift: B ran {abs(drift - 1) * 100:.1f}% {direction} than A overall (the "
        + (
            f"median B/A over {stayed} of {len(pairs)} cells, those that ran in the same "
            "place in both runs"
            if stayed < len(pairs)
            else f"median B/A over {len(pairs)} cells"
        )
        + f"). Relative to that, {counts['faster']} faster, "
        f"{counts['slower']} slower, {counts['same']} same (a change "
        "counts when its 95% interval, divided by the drift, excludes 1 and it is at least "
        f"{threshold * 100:.0f}%)"
        + (
            f"; {machine_too} of the changes moved no further than the machine's own speed "
            "probe did during that cell (marked machine too: a hint, not an excuse)"
            if machine_too
            else ""
        )
        + f". Without the drift correction: {raw['faster']} faster, "
        f"{raw['slower']} slower, {raw['same']} same."
    )


def _crossover_lines(a: list[Cell], b: list[Cell]) -> list[str]:
    """Where both runs have a task-size sweep: each boundary both placed, with whether
    their intervals overlap (a boundary that moves beyond its interval between two runs
    of one commit is the map's own false decision)."""
    found_a, found_b = sweeps(a), sweeps(b)
    lines = []
    for key in sorted(found_a.keys() & found_b.keys()):
        placed_b = {(c.first, c.second): c for c in sweep_crossovers(found_b[key])}
        for c in sweep_crossovers(found_a[key]):
            other = placed_b.get((c.first, c.second))
            if other is None or Answer.CROSSES not in (c.answer, other.answer):
                continue
            if c.answer is not other.answer or None in (c.low, c.high, other.low, other.high):
                lines.append(
                    f"- {key[0]}, {key[1]} workers, {c.first} / {c.second}: A {c.answer}, "
                    f"B {other.answer}: **moved**"
                )
                continue
            assert c.low is not None and c.high is not None
            assert other.low is not None and other.high is not None
            overlap = c.low <= other.high and other.low <= c.high
            lines.append(
                f"- {key[0]}, {key[1]} workers, {c.first} / {c.second}: A "
                f"{fmt.seconds(c.at or 0)} ({fmt.seconds(c.low)}–{fmt.seconds(c.high)}), B "
                f"{fmt.seconds(other.at or 0)} ({fmt.seconds(other.low)}–"
                f"{fmt.seconds(other.high)}) per task: "
                + ("intervals overlap" if overlap else "**intervals apart**")
            )
    if not lines:
        return []
    return ["", "Crossovers both runs placed (task size at which the two are equal):", *lines]


def grid_answers(cells: list[Cell]) -> dict[tuple[Any, ...], tuple[Axis, Crossover]]:
    """Every pair's answer along every line of every grid, keyed so that two runs' keys
    meet: (workload, workers, held parameters, the axis varied, the fixed axis and its
    coordinate as set, the pair)."""
    found = {}
    for grid in maps.grids(cells):
        for line in maps.lines(grid):
            for c in line.crossovers:
                key = (
                    grid.workload,
                    grid.workers,
                    grid.held,
                    line.varies.parameter,
                    line.fixed.parameter,
                    line.fixed_as_set,
                    c.first,
                    c.second,
                )
                found[key] = (line.varies, c)
    return found


def _grid_lines(a: list[Cell], b: list[Cell]) -> list[str]:
    """Where both runs have a map of two axes: along each line both measured, each pair
    that crosses in both, with whether the intervals overlap, and every pair whose
    answer differs (a side decided in one run and the other side in the other)."""
    in_a, in_b = grid_answers(a), grid_answers(b)
    shared = sorted(in_a.keys() & in_b.keys(), key=str)
    if not shared:
        return []
    crossing, apart, opposed = 0, [], []
    for key in shared:
        axis, ca = in_a[key]
        _, cb = in_b[key]
        where = f"{key[0]}, along {axis.name} at {key[4]}={key[5]}, {ca.first} / {ca.second}"
        if ca.answer is Answer.CROSSES and cb.answer is Answer.CROSSES:
            if None in (ca.low, ca.high, cb.low, cb.high):
                continue
            if ca.first_wins_above != cb.first_wins_above:
                opposed.append(f"- {where}: the two cross the other way round: **opposite**")
                continue
            crossing += 1
            assert ca.low is not None and ca.high is not None
            assert cb.low is not None and cb.high is not None
            if not (ca.low <= cb.high and cb.low <= ca.high):
                apart.append(
                    f"- {where}: A {axis.show(ca.at or 0)} ({axis.show(ca.low)}–"
                    f"{axis.show(ca.high)}), B {axis.show(cb.at or 0)} ({axis.show(cb.low)}–"
                    f"{axis.show(cb.high)}): **intervals apart**"
                )
        elif _opposed(ca.answer, cb.answer):
            opposed.append(f"- {where}: A {ca.answer}, B {cb.answer}: **opposite**")
    return [
        "",
        f"Maps of two axes: {len(shared)} (line, pair) answers in both runs; {crossing} cross "
        f"in both, {crossing - len(apart)} of them with overlapping intervals; "
        f"{len(opposed)} decided for opposite sides (a side faster along the whole line "
        "in one run, the other side in the other, or crossing the other way).",
        *apart,
        *opposed,
    ]


def _opposed(a: Answer, b: Answer) -> bool:
    sides = {Answer.FIRST_THROUGHOUT: 1, Answer.SECOND_THROUGHOUT: -1}
    return a in sides and b in sides and sides[a] != sides[b]


def _verdict_line(a: list[Cell], b: list[Cell], paired: Paired) -> str:
    """The verdicts compared by their four words, over the models that completed in both
    runs: a model that failed or was skipped in one run cannot win or lose the other."""
    completed = {ra["key"] for ra, _ in paired.pairs}
    agreed = compare_verdicts(
        [r for r in a if r["key"] in completed], [r for r in b if r["key"] in completed]
    )
    found = agreed.contradictions
    return (
        f"Verdict rows: {agreed.rows} in both runs; {len(found)} contradictions (a model best "
        "or tied in one run and slower in the other)"
        + (": " + "; ".join(found) if found else "")
        + f"; in {agreed.best_kept} of {agreed.rows} rows each run's best is best or tied in "
        f"the other; undecided: A {agreed.undecided[0]:.0%}, B {agreed.undecided[1]:.0%} of "
        "the (row, model) entries both have."
    )
