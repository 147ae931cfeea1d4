"""The site's pages as HTML text: the runs (index), a history page per workload, the
machines side by side, the changes, and each run's REPORT.md. Plain HTML with the
shipped style.css and site.js; links are relative so the site works from any folder.
"""

from __future__ import annotations

from collections import defaultdict
from html import escape
from typing import Any

from comparisons import formatting as fmt
from comparisons.report.diff import compare_verdicts, environment_differences
from comparisons.site.changes import PairChanges
from comparisons.site.collect import Run, Skipped
from comparisons.site.history import History, slug
from comparisons.site.plot import svg_plot
from comparisons.site.steps import BEFORE, RECENT, SPREADS, Step


def page(title: str, body: str, depth: int = 0) -> str:
    up = "../" * depth
    nav = " ".join(
        f'<a href="{up}{href}">{name}</a>'
        for href, name in (
            ("index.html", "Runs"),
            ("history/index.html", "History"),
            ("machines.html", "Machines"),
            ("changes.html", "Changes"),
        )
    )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title>"
        f'<link rel="stylesheet" href="{up}static/style.css">'
        f'<script src="{up}static/site.js"></script>'
        f"</head><body><nav>{nav}</nav><h1>{escape(title)}</h1>{body}</body></html>\n"
    )


def header(*names: str) -> str:
    return "<tr>" + "".join(f"<th>{escape(n)}</th>" for n in names) + "</tr>"


def run_link(run: Run, depth: int = 0) -> str:
    return f'<a href="{"../" * depth}runs/{escape(run.run_id)}.html">{escape(run.run_id)}</a>'


def verdict_lines(verdict: dict[str, Any] | None) -> list[str]:
    """One line per kind of work: the models best or tied in its rows, and how many rows
    each won, from the run's verdict.json."""
    if not verdict or not verdict.get("rows"):
        return []
    won: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    rows: dict[str, int] = defaultdict(int)
    for row in verdict["rows"]:
        rows[row["category"]] += 1
        for m in row["models"]:
            if m["outcome"] in ("best", "tied"):
                won[row["category"]][m["model"]] += 1
    return [
        f"{category}: "
        + ", ".join(
            f"{m} {n}/{rows[category]}" for m, n in sorted(models.items(), key=lambda i: -i[1])
        )
        for category, models in won.items()
    ]


def index(runs: list[Run], skipped: list[Skipped]) -> str:
    head = header(
        "when (UTC)",
        "run",
        "machine",
        "interpreter",
        "commit",
        "suite",
        "cells",
        "verdict: best or tied, rows won",
    )
    body = []
    for run in reversed(runs):
        env = run.env
        machine = (
            f"{escape(str(env.get('cpu_model', '?')))}, {env.get('logical_cores', '?')} cores "
            f"({env.get('usable_cores', '?')} usable), "
            f"{(env.get('memory_total_bytes') or 0) / 2**30:.1f} GiB, "
            f"{escape(str(env.get('hostname', '?')))}"
        )
        lines = verdict_lines(run.verdict) or ["no verdict rows"]
        body.append(
            f"<tr><td>{run.when}</td><td>{run_link(run)}</td><td>{machine}</td>"
            f"<td>{escape(run.python)}</td><td>{escape(run.commit or '?')}</td>"
            f"<td>{escape(run.suite)}</td><td>{len(run.cells)}</td>"
            f'<td class="small">{"<br>".join(escape(line) for line in lines)}</td></tr>'
        )
    text = f"<p>{len(runs)} runs, newest first.</p><table>{head}{''.join(body)}</table>"
    if skipped:
        text += (
            "<h2>Skipped</h2><ul>"
            + "".join(f"<li>{escape(str(s.path))}: {escape(s.reason)}</li>" for s in skipped)
            + "</ul>"
        )
    return page("Runs", text)


def history_index(found: History) -> str:
    items = "".join(
        f'<li><a href="{escape(slug(w))}.html">{escape(w)}</a> ({len(s)} settings)</li>'
        for w, s in sorted(found.items())
    )
    return page("History by workload", f"<ul>{items}</ul>", depth=1)


def history_page(workload: str, settings: dict[str, Any], machines: list[str]) -> str:
    legend = "".join(f"<li>M{i + 1}: {escape(m)}</li>" for i, m in enumerate(machines))
    body = [f'<p>Machines:</p><ul class="small">{legend}</ul>']
    # The settings most models raced first: a sweep's many one-model points come last.
    for setting, traces in sorted(settings.items(), key=lambda i: (-len(i[1]), i[0])):
        body.append(f'<h2 class="setting">{escape(setting)}</h2>{svg_plot(traces, machines)}')
    return page(f"History: {workload}", "".join(body), depth=1)


def machines_page(runs: list[Run]) -> str:
    """For each suite run on two or more machines: the newest run of each, side by
    side (each verdict, each map) and where their verdicts contradict."""
    from comparisons.target.placement import read_map

    by_suite: dict[str, dict[str, Run]] = defaultdict(dict)
    for run in runs:
        by_suite[run.suite][run.machine] = run  # runs are in time order: newest wins
    # Each machine's decision map: its newest run with a task-size sweep (SUITE=map).
    maps = {run.machine: run for run in runs if run.suite == "map"}
    body = []
    for suite, latest in sorted(by_suite.items()):
        if len(latest) < 2:
            continue
        chosen = list(latest.values())
        for a, b in zip(chosen, chosen[1:], strict=False):
            body.append(f"<h2>{escape(suite)}: {run_link(a)} vs {run_link(b)}</h2>")
            cols = []
            for run in (a, b):
                lines = verdict_lines(run.verdict) or ["no verdict rows"]
                map_run = maps.get(run.machine)
                mapped = read_map(map_run.path) if map_run else None
                map_text = (
                    "; ".join(
                        f"{m['model']} {'above' if m['above'] else 'below'} {fmt.seconds(m['at'])}"
                        for m in mapped["boundaries"]
                    )
                    or "no boundary placed"
                    if mapped
                    else "no map run (make compare SUITE=map) on this machine"
                )
                cols.append(
                    f"<div><h3>{escape(run.machine)}</h3><ul>"
                    + "".join(f"<li>{escape(line)}</li>" for line in lines)
                    + f"</ul><p>Decision map{f' ({run_link(map_run)})' if map_run else ''}: "
                    + f"{escape(map_text)}</p></div>"
                )
            agreed = compare_verdicts(a.cells, b.cells)
            diffs = environment_differences(a.cells, b.cells)
            body.append(f'<div class="cols">{"".join(cols)}</div>')
            body.append(
                f"<p>Where they differ: {agreed.rows} verdict rows in both, "
                f"{len(agreed.contradictions)} contradictions (a model best or tied on one "
                "machine, slower on the other).</p><ul>"
                + "".join(f'<li class="slower">{escape(c)}</li>' for c in agreed.contradictions)
                + '</ul><p class="small">Environments: '
                + escape("; ".join(diffs) or "same")
                + "</p>"
            )
    if not body:
        body = ["<p>No suite has runs on two machines (or two interpreters) yet.</p>"]
    return page("Machines side by side", "".join(body))


def changes_page(pairs: list[PairChanges], found_steps: list[Step] | None = None) -> str:
    body = [
        *_steps(found_steps or []),
        "<p>Consecutive runs of one machine and suite, judged by <code>make diff</code>'s "
        "rules: a cell moved when its B/A interval, divided by the run-wide drift, excludes "
        "1 and is at least 10% off; a verdict row contradicts when a model is best or tied "
        "in one run and slower in the other.</p>",
    ]
    for c in reversed(pairs):
        body.append(
            f'<h2 class="pair">{run_link(c.a)} &rarr; {run_link(c.b)}</h2>'
            f'<p class="small">{escape(c.b.machine)}, suite {escape(c.b.suite)}; drift '
            f"{(c.drift - 1) * 100:+.1f}% over {c.compared} cells; {len(c.moved)} moved beyond "
            f"it; {len(c.contradictions)} contradictions in {c.verdict_rows} verdict rows.</p>"
        )
        if c.moved:
            body.append(
                "<table>"
                + header("cell", "A median", "B median", "B/A over drift", "change")
                + "".join(
                    f"<tr><td><code>{escape(m.key)}</code></td><td>{fmt.seconds(m.a_median_s)}</td>"
                    f"<td>{fmt.seconds(m.b_median_s)}</td><td>{m.relative:.3f}</td>"
                    f'<td class="{m.verdict}">{m.verdict}'
                    f"{' (machine too)' if m.machine_too else ''}</td></tr>"
                    for m in c.moved
                )
                + "</table>"
            )
        if c.contradictions:
            body.append(
                "<ul>"
                + "".join(f'<li class="slower">{escape(x)}</li>' for x in c.contradictions)
                + "</ul>"
            )
    if not pairs:
        body.append("<p>No machine has two runs of one suite yet.</p>")
    return page("Changes between consecutive runs", "".join(body))


def _steps(found: list[Step]) -> list[str]:
    """The steps over history (`comparisons.site.steps`), before the pairs."""
    rule = (
        f"a model whose last {RECENT} runs on one machine each lie beyond {SPREADS:g} "
        f"standard deviations of the up to {BEFORE} runs before them, on one side, and "
        "at least 10% off their mean"
    )
    if not found:
        return [f'<h2>Steps over history</h2><p class="small">None: no series ends in {rule}.</p>']
    rows = "".join(
        f"<tr><td>{escape(s.workload)}</td><td><code>{escape(s.setting)}</code></td>"
        f"<td>{escape(s.backend)}</td><td>{escape(s.machine)}</td>"
        f"<td>{fmt.seconds(s.before_s)}</td><td>{fmt.seconds(s.after_s)}</td>"
        f'<td class="{"slower" if s.slower else "faster"}">'
        f"{'slower' if s.slower else 'faster'} from {escape(s.first_run)}</td></tr>"
        for s in found
    )
    return [
        f'<h2>Steps over history</h2><p class="small">{rule[0].upper() + rule[1:]}.</p>'
        "<table>"
        + header("workload", "setting", "model", "machine", "before", "last runs", "step")
        + rows
        + "</table>"
    ]


def report_page(run: Run) -> str:
    """The run's REPORT.md, shown as text (its links point into the run folder)."""
    try:
        text = (run.path / "REPORT.md").read_text()
    except OSError:
        text = "This run has no REPORT.md (make report RUN=... writes it)."
    return page(
        f"Report: {run.run_id}",
        f'<p class="small">{escape(str(run.path))}</p><pre>{escape(text)}</pre>',
        depth=1,
    )
