"""The verdict: for each kind of work, the best model here, by how much, and when not.

Derived from the records alone. Cells are grouped by the work they do (workload, tasks,
params, as for speedup); each group belongs to its workload's category (GIL-bound CPU,
network I/O, ...). Per category the verdict reads the group with the most successful
rows (ties: the most work), names the fastest row and the runner-up among other models,
gives the margin with its 95% interval, and says when the answer changes: the job length
below which a model with a cheaper start-up wins once start-up is counted, and any other
size or concurrency in the same category where a different model wins.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from comparisons.backends import model_of
from comparisons.records import baseline_key
from comparisons.report import formatting as fmt
from comparisons.stats import ratio_of_medians

# A start-up difference below this is no reason to choose a model.
NOTICEABLE_START_S = 0.05
# Categories in the order the verdict lists them.
CATEGORY_ORDER = (
    "GIL-bound CPU",
    "GIL-releasing CPU",
    "high-concurrency I/O",
    "network I/O",
    "file I/O",
    "mixed I/O + CPU",
    "tiny tasks",
    "data transfer",
)


def _group_label(rows: list[dict[str, Any]]) -> str:
    first = rows[0]
    params = ", ".join(f"{k}={v}" for k, v in sorted(first["params"].items()))
    return f"{first['workload']} ({first['tasks']} tasks{', ' + params if params else ''})"


def _model(r: dict[str, Any]) -> str:
    return r.get("model") or model_of(r["backend"])


def _fastest_by_backend(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each model's fastest ok row in a group (its best idiom, variants included),
    fastest first: the runner-up is another model, not another way of using the best."""
    best: dict[str, dict[str, Any]] = {}
    for r in rows:
        if r["status"] != "ok" or r.get("reference"):
            continue
        model = _model(r)
        if model not in best or r["stats"]["median"] < best[model]["stats"]["median"]:
            best[model] = r
    return sorted(best.values(), key=lambda r: (r["stats"]["median"], r["backend"]))


def break_even_seconds(best: dict[str, Any], other: dict[str, Any]) -> float | None:
    """Job length (in work seconds of `best`) below which `other` wins with start-up counted.

    Counting set-up and teardown once, a job of n repeats costs setup + n * median.
    `other` is slower per repeat but cheaper to start: it wins while n is below
    (start_best - start_other) / (median_other - median_best).
    """
    start_best = (best.get("setup_s") or 0) + (best.get("teardown_s") or 0)
    start_other = (other.get("setup_s") or 0) + (other.get("teardown_s") or 0)
    gain = other["stats"]["median"] - best["stats"]["median"]
    if start_best - start_other < NOTICEABLE_START_S or gain <= 0:
        return None
    repeats = (start_best - start_other) / gain
    return repeats * best["stats"]["median"]


def category_verdicts(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    groups: dict[tuple, list[dict[str, Any]]] = defaultdict(list)
    for r in records:
        groups[baseline_key(r)].append(r)
    by_category: dict[str, list[list[dict[str, Any]]]] = defaultdict(list)
    for rows in groups.values():
        by_category[rows[0].get("category") or rows[0]["kind"]].append(rows)

    verdicts = []
    order = {name: i for i, name in enumerate(CATEGORY_ORDER)}
    for category in sorted(by_category, key=lambda c: (order.get(c, len(order)), c)):
        candidates = [rows for rows in by_category[category] if len(_fastest_by_backend(rows)) >= 2]
        if not candidates:
            continue

        def weight(rows: list[dict[str, Any]]) -> tuple:
            ranked = _fastest_by_backend(rows)
            return (len(ranked), max(r["stats"]["median"] for r in ranked))

        main = max(candidates, key=weight)
        ranked = _fastest_by_backend(main)
        best, runner = ranked[0], ranked[1]
        margin = ratio_of_medians(runner["samples_s"], best["samples_s"])
        conditions = []
        cheaper = [
            (break_even_seconds(best, other), other)
            for other in ranked[1:]
            if break_even_seconds(best, other) is not None
        ]
        if cheaper:
            seconds, other = max(cheaper, key=lambda item: item[0])
            conditions.append(
                f"for a job under ~{fmt.seconds(seconds)} of this work, {other['backend']} "
                f"wins once start-up is counted ({best['backend']} needs "
                f"{fmt.seconds((best.get('setup_s') or 0) + (best.get('teardown_s') or 0))} "
                "to start and stop)"
            )
        for rows in by_category[category]:
            if rows is main:
                continue
            others = _fastest_by_backend(rows)
            if len(others) >= 2 and _model(others[0]) != _model(best):
                conditions.append(
                    f"at {_group_label(rows)}, {others[0]['backend']} wins "
                    f"({others[0]['workers']} workers)"
                )
        verdicts.append(
            {
                "category": category,
                "work": _group_label(main),
                "best": best,
                "runner": runner,
                "margin": margin,
                "conditions": conditions,
            }
        )
    return verdicts


def _ceiling_share(record: dict[str, Any]) -> str:
    share = (record.get("baseline") or {}).get("ceiling_efficiency")
    return "" if share is None else f", {fmt.percent(share)} of the machine's ceiling"


def render_verdict(records: list[dict[str, Any]]) -> list[str]:
    verdicts = category_verdicts(records)
    if not verdicts:
        return ["No kind of work had two or more models that succeeded."]
    lines = [
        "| kind of work | best here | runner-up | margin (95% CI) | the answer changes when |",
        "|---|---|---|---|---|",
    ]
    for v in verdicts:
        best, runner, margin = v["best"], v["runner"], v["margin"]
        tie = "" if margin["significant"] else " (not significant: a tie)"
        lines.append(
            f"| {v['category']}: {v['work']} | **{best['backend']}** ({best['workers']} "
            f"workers, {fmt.seconds(best['stats']['median'])}{_ceiling_share(best)}) | "
            f"{runner['backend']} "
            f"({fmt.seconds(runner['stats']['median'])}) | ×{margin['ratio']:.2f} "
            f"({margin['ci95_low']:.2f}–{margin['ci95_high']:.2f}){tie} | "
            f"{'; '.join(v['conditions']) or 'not within the sizes measured'} |"
        )
    return lines
