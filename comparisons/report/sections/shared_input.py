"""REPORT.md's "Which idiom for a shared input": each model's broadcast idiom against the
naive form that passes the object with every task (`cpu.shared`'s `per_task=1`); left
out of a run without both forms.

One row per backend, size and in-flight count that ran both forms on the same work: the
idiom as the record names it, the time of each form (median over fresh processes) with
the ratio naive / idiom and its 95% interval, what delivering the object once cost
(`share_s`, plus set-up where a pool's initializer carries it), the bytes each form
copies (once per job, as a broadcast to every worker does, and per run), and the
tree's peak PSS for both (the shared object counted once per copy that really exists).
"""

from __future__ import annotations

from comparisons import formatting as fmt
from comparisons.backends import display_order
from comparisons.measure.stats import ratio_of_medians
from comparisons.records.cells import Cell, is_measured, median_s, memory_bytes, samples_of
from comparisons.records.ranking import work_key
from comparisons.records.schema import SharedInput
from comparisons.report.sections.context import Cells, Context

TITLE = "Which idiom for a shared input"
INTRO = (
    "Every task reads one large read-only object. Each model's idiom for getting "
    "it to the workers once, against passing it with every task (the naive form, "
    "`per_task=1`); bytes copied are those the idiom implies by construction. "
    "In-process models share it for free and are the reference."
)


def render(cells: Cells, context: Context) -> list[str]:
    """The idiom table over the run's cells."""
    return idiom_table(cells)


def _work(r: Cell) -> tuple:
    """The same work, both forms of it (`work_key`), at one level, on one backend."""
    level = r.get("in_flight") or min(r["workers"], r["tasks"])
    return (*work_key(r), level, r["backend"])


def idiom_pairs(records: list[Cell]) -> list[tuple[Cell, Cell]]:
    """(idiom row, naive row) for each backend that ran both forms of the same work."""
    forms: dict[tuple, dict[bool, Cell]] = {}
    for r in records:
        shared = r.get("shared_input")
        if shared and is_measured(r):
            forms.setdefault(_work(r), {})[bool(shared["per_task_form"])] = r
    pairs = [(f[False], f[True]) for f in forms.values() if False in f and True in f]
    return sorted(
        pairs,
        key=lambda p: (p[0]["params"].get("megabytes", 0), display_order(p[0]["backend"])),
    )


def idiom_table(records: list[Cell]) -> list[str]:
    """One row per idiom and naive pair (`idiom_pairs`); empty when there is none."""
    pairs = idiom_pairs(records)
    if not pairs:
        return []
    lines = [
        "| shared input | in flight | backend | idiom | idiom time | passed with every task "
        "| naive / idiom | delivered once | bytes copied (idiom / naive) "
        "| peak PSS (idiom / naive) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for idiom, naive in pairs:
        slower = ratio_of_medians(samples_of(naive), samples_of(idiom))
        shared, naive_shared = idiom["shared_input"], naive["shared_input"]
        if shared is None or naive_shared is None:
            continue  # `idiom_pairs` pairs only rows that have one
        lines.append(
            f"| {fmt.mebibytes(shared['bytes'])} | {idiom.get('in_flight')} | "
            f"{idiom['backend']} | {shared['idiom']} | "
            f"{fmt.seconds(median_s(idiom))} | "
            f"{fmt.seconds(median_s(naive))} ({naive_shared['idiom']}) | "
            f"{fmt.ratio(slower.ratio)} ({slower.ci95_low:.2f}–"
            f"{slower.ci95_high:.2f}) | "
            f"{fmt.seconds(idiom.get('share_s'))} + set-up {fmt.seconds(idiom.get('setup_s'))} | "
            f"{copied(shared)} / {copied(naive_shared)} | "
            f"{fmt.mebibytes(memory_bytes(idiom))} / {fmt.mebibytes(memory_bytes(naive))} |"
        )
    return lines


def copied(shared: SharedInput) -> str:
    """The bytes a form copies, "once: 128 MiB; per run: 0 MiB": a broadcast idiom's
    one-time copies are not hidden behind its zero per run."""
    once, per_run = shared["bytes_copied_once"], shared["bytes_copied_per_run"]
    return f"once: {fmt.mebibytes(once)}; per run: {fmt.mebibytes(per_run)}"
