"""REPORT.md's "Which way of using each model": variants grouped under their model; left
out of a run without variants.

For each model that ran with variants (`processes:spawn`, `asyncio:uvloop`, ...), one
table per amount of work: the model's default idiom first, then each variant, with its
median and its time relative to the model's default at the same in-flight count (95%
interval). Above the tables, the cells where a variant changed the answer: the fastest
contender at an in-flight count is a variant, and it beats the fastest default idiom at
that count by more than the spread explains. Yardsticks (the serial loop, the ceiling)
are never "the best default idiom", and rows at unequal concurrency are never compared:
a variant given two workers has not beaten a loop given one.
"""

from __future__ import annotations

from collections import defaultdict

from comparisons import formatting as fmt
from comparisons.backends import MODELS
from comparisons.cell.outcome import Status
from comparisons.measure.stats import ratio_of_medians
from comparisons.records.cells import (
    Cell,
    baseline_key,
    is_measured,
    median_s,
    memory_bytes,
    samples_of,
)
from comparisons.records.ranking import levels
from comparisons.report.sections.context import Cells, Context

TITLE = "Which way of using each model"
INTRO = (
    "Where a variant changed the answer (it is the fastest row of its cells at its "
    "in-flight count and beats every model's default idiom there by more than the "
    "spread explains; yardsticks are not idioms):"
)


def _timed(r: Cell) -> bool:
    return is_measured(r) and not r.get("reference")


def _relative(r: Cell, default: Cell | None) -> str:
    if r is default:
        return "1 (the model's default)"
    if not _timed(r):
        return ""
    if default is None:
        return "– (no default idiom measured at this in-flight count)"
    result = ratio_of_medians(samples_of(r), samples_of(default))
    word = "≈" if not result.meaningful else ("faster" if result.ratio < 1 else "slower")
    return f"{result.ratio:.3g} ({result.ci95_low:.3g}–{result.ci95_high:.3g}) {word}"


def _level(r: Cell) -> int:
    return r["in_flight"] or min(r["workers"], r["tasks"])


def verdict_changes(records: list[Cell]) -> list[str]:
    """One line per piece of work and in-flight count where a variant, not a default
    idiom, is the fastest contender (yardsticks are no idiom of any model)."""
    groups: dict[tuple, list[Cell]] = defaultdict(list)
    for r in records:
        if _timed(r) and not r.get("yardstick"):
            groups[baseline_key(r)].append(r)
    lines = []
    for rows in sorted(groups.values(), key=lambda rows: fmt.group_title(rows[0])):
        for level, at_level in levels(rows).items():
            best = min(at_level, key=lambda r: median_s(r))
            defaults = [r for r in at_level if r.get("variant", "default") == "default"]
            if best.get("variant", "default") == "default" or not defaults:
                continue
            best_default = min(defaults, key=lambda r: median_s(r))
            result = ratio_of_medians(samples_of(best), samples_of(best_default))
            if result.meaningful:
                lines.append(
                    f"- **{fmt.group_title(best)}**, {level} in flight: `{best['backend']}` "
                    f"({fmt.seconds(median_s(best))}) beats the best default idiom, "
                    f"`{best_default['backend']}` ({fmt.seconds(median_s(best_default))}), "
                    f"in {result.ratio:.2g}x its time ({result.ci95_low:.2g}–"
                    f"{result.ci95_high:.2g})"
                )
    return lines


def render(cells: Cells, context: Context) -> list[str]:
    """Where a variant changed the answer, then one heading per model that ran variants,
    with a table per amount of work; empty when no variant ran."""
    with_variants = _models_with_variants(cells)
    if not with_variants:
        return []
    lines = [
        *(verdict_changes(cells) or ["- nowhere in this run: the default idioms' ranking stands."]),
        "",
    ]
    order = [m for m in MODELS if m in with_variants] + sorted(set(with_variants) - set(MODELS))
    for model in order:
        lines += [f"### {model}", "", *_model_tables(with_variants[model])]
    return lines[:-1]  # the report closes every section with its blank line


def _models_with_variants(records: list[Cell]) -> dict[str, list[Cell]]:
    """Model -> its rows (reference rows left out), for each model some variant ran of."""
    by_model: dict[str, list[Cell]] = defaultdict(list)
    for r in records:
        if not r.get("reference"):
            by_model[r.get("model") or r["backend"].partition(":")[0]].append(r)
    return {
        m: rows
        for m, rows in by_model.items()
        if any(r.get("variant") not in (None, "default") for r in rows)
    }


def _model_tables(rows_of_model: list[Cell]) -> list[str]:
    """One table per amount of work a variant ran: the default idiom first, each followed
    by a blank line."""
    groups: dict[tuple, list[Cell]] = defaultdict(list)
    for r in rows_of_model:
        groups[baseline_key(r)].append(r)
    lines = []
    for rows in sorted(groups.values(), key=lambda rows: fmt.group_title(rows[0])):
        if all(r.get("variant", "default") == "default" for r in rows):
            continue
        rows.sort(key=lambda r: (r.get("variant", "default") != "default", r["backend"]))
        # Each row against the model's default at its own in-flight count, never another.
        defaults = {
            level: next((r for r in at_level if r.get("variant") == "default" and _timed(r)), None)
            for level, at_level in levels(rows).items()
        }
        lines += [
            f"{fmt.group_title(rows[0])}",
            "",
            "| variant | workers | median | time vs default (95% CI) | set-up | peak RSS | notes |",
            "|---|---|---|---|---|---|---|",
            *(_variant_row(r, defaults.get(_level(r))) for r in rows),
            "",
        ]
    return lines


def _variant_row(r: Cell, default: Cell | None) -> str:
    median = fmt.seconds(median_s(r)) if _timed(r) else f"**{r['status']}**"
    note = "" if r["status"] == Status.OK else (r.get("error") or "").splitlines()[0][:160]
    return (
        f"| `{r['backend']}` | {r['workers']} | {median} | {_relative(r, default)} | "
        f"{fmt.seconds(r.get('setup_s'))} | {fmt.mebibytes(memory_bytes(r))} "
        f"| {note} |"
    )
