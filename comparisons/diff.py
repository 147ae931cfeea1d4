"""`make diff A=<run> B=<run>`: per-cell change between two runs, with its interval.

For every cell present in both runs, the ratio of medians B/A with a 95% bootstrap
interval. A change counts as *faster* or *slower* only when that interval excludes 1
(it is larger than both runs' spread explains) and the change is at least `threshold`
(5% by default: smaller real changes are seldom worth acting on, as asv's default of 10%
also reflects). The summary counts faster / slower / same, compares the winner of each
workload, and lists how the two environments differ, since a diff across machines
measures the machines as much as the code.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

from comparisons.errors import UserError
from comparisons.records import CorruptRecords, baseline_key, load_records, unique_records
from comparisons.report import RECORDS_FILE, restate
from comparisons.report import formatting as fmt
from comparisons.report.clusters_section import LOCAL, placements
from comparisons.stats import ratio_of_medians

DEFAULT_THRESHOLD = 0.05
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


def load_run_records(run_dir: Path) -> list[dict[str, Any]]:
    path = run_dir / RECORDS_FILE
    if not path.is_file():
        raise UserError(f"{run_dir} is not a run directory (it has no {RECORDS_FILE})")
    try:
        return [restate(r) for r in unique_records(load_records(path))]
    except CorruptRecords as exc:
        raise UserError(str(exc)) from None


def classify(a: dict[str, Any], b: dict[str, Any], threshold: float) -> dict[str, Any]:
    result = ratio_of_medians(b["samples_s"], a["samples_s"])
    big_enough = abs(result["ratio"] - 1) >= threshold
    if result["significant"] and big_enough:
        verdict = "faster" if result["ratio"] < 1 else "slower"
    else:
        verdict = "same"
    return {**result, "verdict": verdict}


def environment_differences(a: list[dict], b: list[dict]) -> list[str]:
    env_a = next((r["env"] for r in a if r.get("env")), None)
    env_b = next((r["env"] for r in b if r.get("env")), None)
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


def fastest_models(records: list[dict[str, Any]]) -> dict[tuple, dict[str, Any]]:
    """Per group of cells doing the same work, the fastest model's record (the ceiling
    and other yardsticks excluded)."""
    groups: dict[tuple, list[dict[str, Any]]] = defaultdict(list)
    for r in records:
        if r["status"] == "ok" and r.get("stats") and not r.get("reference"):
            groups[baseline_key(r)].append(r)
    return {key: min(rows, key=lambda r: r["stats"]["median"]) for key, rows in groups.items()}


def winner_change(
    group: tuple, old: dict[str, Any], new: dict[str, Any], b_records: list[dict[str, Any]]
) -> str | None:
    """None when the winner is the same, or when in B the old winner is statistically
    indistinguishable from the new one (a tie is not a change of winner)."""
    if old["backend"] == new["backend"]:
        return None
    old_in_b = [
        r
        for r in b_records
        if r["status"] == "ok"
        and baseline_key(r) == group
        and r["backend"] == old["backend"]
        and r.get("stats")
    ]
    if old_in_b:
        best_old = min(old_in_b, key=lambda r: r["stats"]["median"])
        if not ratio_of_medians(best_old["samples_s"], new["samples_s"])["significant"]:
            return None
    return f"{group[0]} ({group[1]} tasks): {old['backend']} -> {new['backend']}"


def render_diff(a_dir: Path, b_dir: Path, threshold: float = DEFAULT_THRESHOLD) -> str:
    """The whole diff as Markdown text."""
    a, b = load_run_records(a_dir), load_run_records(b_dir)
    by_key_a = {r["key"]: r for r in a}
    by_key_b = {r["key"]: r for r in b}
    lines = [f"# Diff: {a_dir.name} (A) -> {b_dir.name} (B)", ""]
    differences = environment_differences(a, b)
    if differences:
        lines += ["Environments differ, so changes mix machine and code:", ""]
        lines += [f"- {d}" for d in differences] + [""]
    else:
        lines += ["Same machine and software in both runs.", ""]

    lines += ["| cell | A median | B median | B/A (95% CI) | change |", "|---|---|---|---|---|"]
    counts = {"faster": 0, "slower": 0, "same": 0}
    failed = []
    for key in sorted(set(by_key_a) & set(by_key_b)):
        ra, rb = by_key_a[key], by_key_b[key]
        if ra["status"] != "ok" or rb["status"] != "ok":
            failed.append(f"{key}: A {ra['status']}, B {rb['status']}")
            continue
        if not ra.get("stats") or not rb.get("stats"):
            continue  # a fault probe: nothing timed to compare
        result = classify(ra, rb, threshold)
        counts[result["verdict"]] += 1
        mark = {"faster": "**faster**", "slower": "**slower**", "same": "same"}
        lines.append(
            f"| `{key}` | {fmt.seconds(ra['stats']['median'])} | "
            f"{fmt.seconds(rb['stats']['median'])} | {result['ratio']:.3f} "
            f"({result['ci95_low']:.3f}–{result['ci95_high']:.3f}) | "
            f"{mark[result['verdict']]} |"
        )
    compared = sum(counts.values())
    only_a = sorted(set(by_key_a) - set(by_key_b))
    only_b = sorted(set(by_key_b) - set(by_key_a))
    # A model that failed or was skipped in one run cannot win or lose the other.
    completed = {
        k
        for k in set(by_key_a) & set(by_key_b)
        if by_key_a[k]["status"] == "ok" and by_key_b[k]["status"] == "ok"
    }
    winners_a = fastest_models([r for r in a if r["key"] in completed])
    winners_b = fastest_models([r for r in b if r["key"] in completed])
    shared_groups = sorted(set(winners_a) & set(winners_b), key=str)
    changed = [
        change
        for g in shared_groups
        if (change := winner_change(g, winners_a[g], winners_b[g], b)) is not None
    ]
    lines += [
        "",
        "## Summary",
        "",
        f"{compared} cells compared: {counts['faster']} faster, {counts['slower']} slower, "
        f"{counts['same']} same (a change counts when its 95% interval excludes 1 and it is "
        f"at least {threshold * 100:.0f}%).",
        f"Fastest model per workload: {len(shared_groups) - len(changed)} of "
        f"{len(shared_groups)} unchanged (a new fastest model that B cannot tell apart "
        "from the old one counts as unchanged; models that completed in both runs only)"
        + (": " + "; ".join(changed) if changed else "."),
    ]
    if failed:
        lines += ["", "Failed in either run:", *(f"- {f}" for f in failed)]
    if only_a or only_b:
        lines += ["", f"Only in A: {len(only_a)} cells; only in B: {len(only_b)} cells."]
    return "\n".join(lines) + "\n"
