"""`plots/*.png`: the figures REPORT.md embeds, drawn with matplotlib from the records.

Each figure is made only when the run has the data for it: speedup against workers
(with the ideal line, and the machine's ceiling when measured), efficiency against task
size, I/O throughput and memory against concurrency, start-up and per-task overhead,
and peak memory per model. Axes carry units, titles name the machine, error bars show
the 95% intervals. PNGs are written without a timestamp, so a rebuild gives the same
bytes. `write_plots` returns each figure's path and caption, which REPORT.md's "Plots"
section (`comparisons.report.sections.plots`) embeds. A speedup or efficiency against
a serial cell shown broken (`Baseline.unreliable`) is not drawn: its panel says
"baseline unreliable" instead, as the tables do.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import matplotlib

from comparisons import formatting as fmt
from comparisons.backends import BASELINE, display_order
from comparisons.cell.outcome import Status
from comparisons.records.cells import (
    Cell,
    baseline_of,
    is_measured,
    kernel_peak_bytes,
    median_s,
    memory_bytes,
    stats_of,
)
from comparisons.records.crossover import (
    Answer,
    sizes,
    sweep_crossovers,
    sweeps,
    winners_at,
)
from comparisons.records.maps import (
    IO_POOL,
    Axis,
    Grid,
    MemoryLine,
    OnceAtPoint,
    grids,
    lines,
    memory_lines,
    once_at_points,
    point_winners,
)
from comparisons.records.ranking import model, speed_s
from comparisons.records.service import server_bound
from workloads.vocabulary import Category, waits_on_peers

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
from matplotlib.ticker import FuncFormatter, NullFormatter  # noqa: E402

Records = list[Cell]
# Draws one group's panel; returns its x label, y label and title.
Panel = Callable[[Axes, Any, Records], tuple[str, str, str]]
PNG_METADATA = {"Software": None}  # no version/time stamp: rebuilds are byte-identical


def _machine(records: Records) -> str:
    env = next((r["env"] for r in records if r.get("env")), None)
    if not env:
        return "unknown machine"
    return f"{env['cpu_model']}, {env['usable_cores']} cores"


def _ok(records: Records) -> Records:
    return [r for r in records if r["status"] == Status.OK]


def _backends(rows: Records) -> list[str]:
    present = {r["backend"] for r in rows}
    return sorted(present, key=display_order)


def _save(fig: Figure, path: Path, title: str | None = None) -> None:
    if title:
        fig.suptitle(title)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=110, metadata=PNG_METADATA)
    plt.close(fig)


def _colours(backends: list[str]) -> dict[str, str]:
    """Each backend's colour on a map, in display order: the maps of one run agree."""
    return {b: f"C{i % 10}" for i, b in enumerate(backends)}


def _grid(panels: int, columns: int = 2) -> tuple[Any, list[Any]]:
    """A figure with `panels` axes, at most `columns` per row; unused axes hidden."""
    columns = min(columns, panels)
    rows = -(-panels // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(6 * columns, 4.4 * rows), squeeze=False)
    flat = [ax for row in axes for ax in row]
    for ax in flat[panels:]:
        ax.set_visible(False)
    return fig, flat[:panels]


def _label(ax: Axes, xlabel: str, ylabel: str, title: str) -> None:
    """A panel's axis labels and title, its grid and its legend of the models drawn."""
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)


def _params_key(r: Cell) -> tuple:
    return tuple(sorted(r["params"].items()))


def _grouped(rows: Records, key: Callable[[Cell], Any]) -> dict[Any, Records]:
    groups: dict[Any, Records] = defaultdict(list)
    for r in rows:
        groups[key(r)].append(r)
    return groups


def _panel_grid(groups: dict[Any, Records], panel: Panel, title: str, path: Path) -> None:
    """One panel per group, in the groups' order, each drawn and then labelled by `panel`."""
    fig, axes = _grid(len(groups))
    for ax, (key, rows) in zip(axes, sorted(groups.items()), strict=False):
        _label(ax, *panel(ax, key, rows))
    _save(fig, path, title)


def speedup_vs_workers(records: Records, path: Path) -> str | None:
    cpu = [r for r in _ok(records) if r["kind"] == "cpu" and r.get("baseline")]
    groups = {
        k: v
        for k, v in _grouped(cpu, lambda r: (r["workload"], r["tasks"], _params_key(r))).items()
        if len({r["workers"] for r in v if r["backend"] != "serial"}) >= 2
    }
    if not groups:
        return None
    _panel_grid(groups, _speedup_panel, f"Speedup against workers: {_machine(records)}", path)
    return (
        "Speedup against workers, one panel per CPU workload: each point is a model's "
        "median time over serial's at that worker count, with its 95% interval (dashed: "
        "the ideal, one per worker; dotted grey: the machine's ceiling, where measured)."
    )


def _unreliable(rows: Records) -> bool:
    return any(baseline_of(r).unreliable for r in rows)


def _say_unreliable(ax: Axes, rows: Records) -> None:
    """Where the panel's figures against serial were left out, it says so."""
    if _unreliable(rows):
        ax.text(
            0.02,
            0.98,
            "baseline unreliable: figures against serial not drawn (see REPORT.md)",
            transform=ax.transAxes,
            fontsize=8,
            verticalalignment="top",
        )


def _speedup_panel(ax: Axes, key: tuple, rows: Records) -> tuple[str, str, str]:
    workload, tasks, _ = key
    top = max(r["workers"] for r in rows)
    ax.plot([1, top], [1, top], "k--", linewidth=1, label="ideal")
    _say_unreliable(ax, rows)
    for backend in _backends(rows):
        mine = sorted(
            (r for r in rows if r["backend"] == backend and not baseline_of(r).unreliable),
            key=lambda r: r["workers"],
        )
        if not mine or backend == BASELINE:
            continue
        x = [r["workers"] for r in mine]
        y = [baseline_of(r).speedup for r in mine]
        low = [s - baseline_of(r).speedup_ci95[0] for s, r in zip(y, mine, strict=True)]
        high = [baseline_of(r).speedup_ci95[1] - s for s, r in zip(y, mine, strict=True)]
        style: dict[str, Any] = (
            {"linestyle": ":", "color": "grey"} if mine[0].get("reference") else {}
        )
        ax.errorbar(x, y, yerr=[low, high], marker="o", capsize=3, label=backend, **style)
    return (
        "workers (OS threads or processes)",
        "speedup over serial (×)",
        f"{workload}, {tasks} tasks",
    )


def efficiency_vs_task_size(records: Records, path: Path) -> str | None:
    # The sweeps the map and the granularity table read: one parameter varying.
    groups = {
        key: [r for r in rows if r.get("baseline") and r["backend"] != BASELINE]
        for key, rows in sweeps(_ok(records)).items()
    }
    if not groups:
        return None
    title = f"Efficiency against task size: {_machine(records)}"
    _panel_grid(groups, _efficiency_panel, title, path)
    return (
        "Efficiency against task size, one panel per CPU workload and worker count: each "
        "point is a model's speedup per worker at one task size (serial time per task); "
        "dotted: 80%. How small a task each model can afford."
    )


def _efficiency_panel(ax: Axes, key: tuple, rows: Records) -> tuple[str, str, str]:
    workload, workers = key
    _say_unreliable(ax, rows)
    for backend in _backends(rows):
        mine = sorted(
            (r for r in rows if r["backend"] == backend and not baseline_of(r).unreliable),
            key=lambda r: baseline_of(r).median_s / r["tasks"],
        )
        if not mine:
            continue
        x = [baseline_of(r).median_s / r["tasks"] for r in mine]
        y = [baseline_of(r).efficiency for r in mine]
        ax.plot(x, y, marker="o", label=backend)
    ax.set_xscale("log")
    ax.axhline(0.8, color="grey", linewidth=0.8, linestyle=":")
    return (
        "task size: serial time per task (s, log scale)",
        "efficiency (speedup / workers)",
        f"{workload}, {workers} workers",
    )


def io_concurrency(records: Records, path: Path) -> str | None:
    rows = [r for r in _ok(records) if waits_on_peers(r["kind"], r.get("category"))]
    by_workload = {
        k: v
        for k, v in _grouped(rows, lambda r: r["workload"]).items()
        if len({r["workers"] for r in v}) >= 2
    }
    if not by_workload:
        return None
    fig, axes = plt.subplots(
        2, len(by_workload), figsize=(5.5 * len(by_workload), 8), squeeze=False
    )
    for column, (workload, mine) in enumerate(sorted(by_workload.items())):
        top, bottom = axes[0][column], axes[1][column]
        for backend in _backends(mine):
            points = sorted(
                (r for r in mine if r["backend"] == backend), key=lambda r: r["workers"]
            )
            x = [r["workers"] for r in points]
            rate = [r["tasks"] / median_s(r) for r in points]
            rate_low = [r["tasks"] / stats_of(r).ci95_high for r in points]
            rate_high = [r["tasks"] / stats_of(r).ci95_low for r in points]
            top.errorbar(
                x,
                rate,
                yerr=[
                    [a - b for a, b in zip(rate, rate_low, strict=True)],
                    [b - a for a, b in zip(rate, rate_high, strict=True)],
                ],
                marker="o",
                capsize=3,
                label=backend,
            )
            memory = [(memory_bytes(r) or 0) / 2**20 for r in points]
            bottom.plot(x, memory, marker="o", label=_marginal_label(backend, x, memory))
        in_flight = "tasks in flight (workers / concurrency limit, log)"
        top.set_xscale("log")
        top.set_yscale("log")
        bottom.set_xscale("log")
        _label(top, in_flight, "throughput (tasks/s, log)", f"{workload}: throughput")
        _label(
            bottom,
            in_flight,
            "peak PSS of the tree (MiB)",
            f"{workload}: memory against tasks in flight",
        )
    _save(fig, path, f"I/O against concurrency: {_machine(records)}")
    return (
        "I/O against concurrency, one column per workload. Top: tasks per second "
        "(median, with its 95% interval) against tasks in flight. Bottom: the tree's peak "
        "PSS against tasks in flight; each "
        "model's legend gives what one more task in flight costs (the least-squares "
        "slope over its points) and its fixed part (the line's value at none in flight)."
    )


def marginal_cost(in_flight: list[int], mebibytes: list[float]) -> tuple[float, float] | None:
    """(MiB per task in flight, fixed MiB): the least-squares line through the points;
    None with fewer than two in-flight counts."""
    if len(set(in_flight)) < 2:
        return None
    mean_x = statistics.fmean(in_flight)
    mean_y = statistics.fmean(mebibytes)
    spread = sum((x - mean_x) ** 2 for x in in_flight)
    slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(in_flight, mebibytes, strict=True))
    slope /= spread
    return slope, mean_y - slope * mean_x


def _marginal_label(backend: str, in_flight: list[int], mebibytes: list[float]) -> str:
    fit = marginal_cost(in_flight, mebibytes)
    if fit is None:
        return backend
    slope, fixed = fit
    return f"{backend}: {slope * 1024:+.0f} KiB each, {fixed:.0f} MiB fixed"


def overheads(records: Records, path: Path) -> str | None:
    rows = _ok(records)
    backends = [b for b in _backends(rows) if b != "ceiling"]
    if len(backends) < 2:
        return None
    starts = {
        b: [(r["setup_s"] or 0) + (r["teardown_s"] or 0) for r in rows if r["backend"] == b]
        for b in backends
    }
    noop = {r["backend"]: r for r in rows if r.get("category") == Category.TINY_TASKS}
    panels = 2 if noop else 1
    width = _bar_chart_width(len(backends), 6)
    fig, axes = plt.subplots(1, panels, figsize=(width * panels, 4.6), squeeze=False)
    ax = axes[0][0]
    medians = [statistics.median(starts[b]) for b in backends]
    spread = [
        [m - min(starts[b]) for m, b in zip(medians, backends, strict=True)],
        [max(starts[b]) - m for m, b in zip(medians, backends, strict=True)],
    ]
    ax.bar(backends, medians, yerr=spread, capsize=3, color="tab:blue")
    ax.set_yscale("log")
    ax.set_ylabel("set-up + teardown (s, log; bars: min–max over cells)")
    ax.set_title("start-up cost, paid once per job")
    ax.grid(alpha=0.3, axis="y")
    if noop:
        ax = axes[0][1]
        names = [b for b in backends if b in noop]
        per_task = [median_s(noop[b]) / noop[b]["tasks"] * 1e6 for b in names]
        errors = [
            [
                (median_s(noop[b]) - stats_of(noop[b]).ci95_low) / noop[b]["tasks"] * 1e6
                for b in names
            ],
            [
                (stats_of(noop[b]).ci95_high - median_s(noop[b])) / noop[b]["tasks"] * 1e6
                for b in names
            ],
        ]
        ax.bar(names, per_task, yerr=errors, capsize=3, color="tab:orange")
        ax.set_yscale("log")
        ax.set_ylabel("time per empty task (µs, log)")
        ax.set_title("per-task overhead (overhead.noop)")
        ax.grid(alpha=0.3, axis="y")
    for ax in axes[0]:
        _label_bars(ax, len(backends))
    _save(fig, path, f"What each model costs before any work: {_machine(records)}")
    return (
        "What each model costs before any work. Left: set-up + teardown, paid once per "
        "job: each bar is the median over the model's cells, its whisker the min–max. "
        "Right: time per empty task on overhead.noop (a batch of empty tasks at the "
        "run's in-flight count, one bar per model or variant that ran it), with the 95% "
        "interval; a batched idiom (Pool.map chunks) pays per batch, not per task."
    )


def _bar_chart_width(bars: int, minimum: float) -> float:
    """Inches: room for each bar's label once variants multiply the bars."""
    return max(minimum, 0.32 * bars + 1.5)


def _label_bars(ax: Axes, bars: int) -> None:
    # Long `model:variant` names overlap at 30 degrees once there are many of them.
    if bars > 9:
        ax.tick_params(axis="x", rotation=90, labelsize=8)
    else:
        ax.tick_params(axis="x", rotation=30)


def equal_footing(records: Records) -> Records:
    """The rows of the one piece of work, at one in-flight count, that the most models
    ran (ties: the work listed first): peak memory compared at equal work and
    concurrency."""
    groups = _grouped(
        [r for r in _ok(records) if memory_bytes(r) and r["backend"] != "ceiling"],
        lambda r: (
            r["workload"],
            r["tasks"],
            _params_key(r),
            r.get("in_flight") or min(r["workers"], r["tasks"]),
        ),
    )
    if not groups:
        return []
    return max(groups.values(), key=lambda rows: len({r["backend"] for r in rows}))


def peak_memory(records: Records, path: Path) -> str | None:
    rows = equal_footing(records)
    backends = _backends(rows)
    if len(backends) < 2:
        return None
    by_backend = {r["backend"]: r for r in rows}
    kernel = all(kernel_peak_bytes(r) for r in rows)
    measure = "the kernel's peak" if kernel else "peak PSS"
    values = [
        ((kernel_peak_bytes(by_backend[b]) if kernel else memory_bytes(by_backend[b])) or 0) / 2**20
        for b in backends
    ]
    first = rows[0]
    level = first.get("in_flight") or min(first["workers"], first["tasks"])
    work = f"{first['workload']} ({first['tasks']} tasks) at {level} in flight"
    fig, ax = plt.subplots(figsize=(_bar_chart_width(len(backends), 7), 4.6))
    ax.bar(backends, values, color="tab:green")
    ax.set_yscale("log")
    ax.set_ylabel(f"{measure} of the cell's tree (MiB, log)")
    ax.set_title(f"Peak memory on {work}: {_machine(records)}", fontsize=10)
    ax.grid(alpha=0.3, axis="y")
    _label_bars(ax, len(backends))
    _save(fig, path)
    how = (
        "the cgroup counter, which no spike between samples escapes"
        if kernel
        else "shared pages counted once"
    )
    return (
        f"Peak memory of each model's whole process tree doing the same work, {work} "
        f"(the piece of work the most models ran): one bar per model that ran it, "
        f"{measure} ({how}), median over its fresh processes."
    )


def task_size_map(records: Records, path: Path) -> str | None:
    """The map of a task-size sweep: each model's time over the fastest's at every task
    size (top), the winner at each size measured (bottom: the best model and every model
    tied with it, grey and hatched for a tie, `?` where one is undecided; nothing is
    drawn between sizes), and each model's boundary against the plain loop with its
    interval (the boundaries against the pools are in the report's table)."""
    found = sweeps(_ok(records))
    if not found:
        return None
    fig, axes = plt.subplots(
        2 * len(found),
        1,
        figsize=(10, 5.6 * len(found)),
        squeeze=False,
        gridspec_kw={"height_ratios": [4, 1] * len(found)},
    )
    flat = [ax for row in axes for ax in row]
    for i, ((workload, workers), rows) in enumerate(found.items()):
        _map_panels(flat[2 * i], flat[2 * i + 1], f"{workload}, {workers} workers", rows)
    _save(fig, path, f"Where the answer changes with task size: {_machine(records)}")
    return (
        "Where the answer changes with task size, one map per sweep: top, each model's "
        "time (lower quartile of its repeats) over the fastest model's at each task size "
        "(a plain loop's time per task, log scale); bottom, at each size measured, the "
        "fastest model and every model tied with it (grey and hatched: a tie; *?*: some "
        "model undecided against it); dashed lines: where a model's time equals the plain "
        "loop's, with the 95% interval shaded."
    )


def _map_panels(top: Axes, strip: Axes, title: str, rows: Records) -> None:
    grid = sizes(rows)
    xs = [x for x, _ in grid]
    rankings = [winners_at(at) for _, at in grid]
    backends = _backends([r for r in rows if r["backend"] != "ceiling"])
    colours = _colours(backends)
    for backend in backends:
        mine = [
            (x, speed_s(r) / speed_s(ranked.rows[0]))
            for (x, at), ranked in zip(grid, rankings, strict=True)
            if ranked is not None
            for r in at
            if r["backend"] == backend and is_measured(r)
        ]
        if mine:
            top.plot(*zip(*mine, strict=True), marker="o", label=backend, color=colours[backend])
    top.set_xscale("log")
    top.set_yscale("log")
    top.axhline(1.1, color="grey", linewidth=0.8, linestyle=":")
    for c in sweep_crossovers(rows):
        if c.second != BASELINE or c.answer is not Answer.CROSSES or c.at is None:
            continue
        top.axvline(c.at, color=colours.get(c.first, "grey"), linestyle="--", linewidth=1)
        if c.low is not None and c.high is not None:
            top.axvspan(c.low, c.high, color=colours.get(c.first, "grey"), alpha=0.08)
    _label(top, "", "time over the fastest (log; dotted: the 10% tie band)", title)
    # A block at each grid point only: what lies between two points is the boundaries'
    # (dashed above), not a colour drawn here.
    for x, ranked in zip(xs, rankings, strict=True):
        if ranked is None:
            continue
        # Regions by model, each by its best variant (as the verdict judges them).
        winners = [model(r) for r in ranked.winners]
        tie = len(winners) > 1
        strip.axvspan(
            x / 1.35,
            x * 1.35,
            color="lightgrey" if tie else colours.get(winners[0], "grey"),
            alpha=0.7,
            hatch="//" if tie else None,
        )
        mark = "?" if ranked.undecided else ""
        strip.text(x, 0.5, "\n".join(winners[:3]) + mark, ha="center", va="center", fontsize=7)
    edges = [xs[0] / 1.6, xs[-1] * 1.6]
    strip.set_xscale("log")
    strip.set_xlim(edges[0], edges[-1])
    top.set_xlim(edges[0], edges[-1])
    strip.set_yticks([])
    strip.set_xlabel("task size: a plain loop's time per task (s, log scale)")


def grid_maps(records: Records, path: Path) -> str | None:
    """The maps of two axes (`comparisons.records.maps`), one panel per grid: each point
    measured a square coloured by its fastest model (grey and hatched for a tie, with the
    tied models named; `?` where one is undecided; nothing between points), and along
    each line every crossover as a tick with its 95% interval as a bar."""
    found = grids(_ok(records))
    if not found:
        return None
    colours = _colours(_backends([r for g in found for r in g.cells if r["backend"] != "ceiling"]))
    memory = [(grid, lines) for grid in found if (lines := memory_lines(grid))]
    once = {id(grid): at for grid in found for at in [once_at_points(grid)]}
    once = {key: at for key, at in once.items() if any(o.differs for o in at)}
    fig, axes = _grid(len(found) + len(once) + len(memory))
    panels = iter(axes)
    for grid in found:
        _grid_panel(next(panels), grid, colours)
        if id(grid) in once:
            _once_panel(next(panels), grid, once[id(grid)], colours)
    for grid, lines_of in memory:
        _memory_panel(next(panels), grid, lines_of, colours)
    _save(fig, path, f"Where the answer changes on two axes: {_machine(records)}")
    return (
        "Where the answer changes on two axes, one panel per grid (CPU work by task size "
        "and bytes per task; waiting I/O by requests in flight and the wait of each): each "
        "square is a point measured, coloured by its fastest model (grey and hatched: a "
        "tie, the tied models named; *?*: some model undecided against it), nothing drawn "
        "between points; each tick is where a model's time equals a plain loop's (CPU "
        "work) or the thread pool's (waiting I/O) along a line, in the model's colour, its "
        "bar the 95% interval (noise of fresh processes and repeats, not the "
        "interpolation between points; every other pair is in the tables); *S*: the "
        "test server set the pace there, not the model. Beside a grid whose answer "
        "differs when the job runs once: the same points coloured by the cheapest to run "
        "once (set-up + first run + teardown, start-up included). Then each "
        "waiting-I/O grid's peak memory (PSS) per model over the requests in flight, "
        "at its longest wait."
    )


def _once_panel(ax: Axes, grid: Grid, found: list[OnceAtPoint], colours: dict[str, str]) -> None:
    """The grid's points coloured by the cheapest model to run the job once (grey and
    hatched where others are within the practical threshold of it, named)."""
    for o in found:
        tie = len(o.once) > 1
        ax.scatter(
            [o.point.x],
            [o.point.y],
            marker="s",
            s=320,
            color="lightgrey" if tie else colours.get(o.once[0], "grey"),
            hatch="//" if tie else None,
            edgecolor="black" if o.differs else "white",
            zorder=2,
        )
        if tie:
            text = "\n".join(o.once[:3])
            ax.text(o.point.x, o.point.y, text, ha="center", va="center", fontsize=6, zorder=3)
    _axis_scale(ax, grid.x, [o.point.x for o in found], "x")
    _axis_scale(ax, grid.y, [o.point.y for o in found], "y")
    ax.margins(x=0.08, y=0.12)
    where = grid.workload + (f", {grid.workers} workers" if grid.workers else "")
    ax.set_xlabel(f"{grid.x.name} ({grid.x.unit})")
    ax.set_ylabel(f"{grid.y.name} ({grid.y.unit})")
    ax.set_title(f"{where}: run once, start-up included (outlined: another answer)", fontsize=9)
    ax.grid(alpha=0.3)
    shown = sorted({o.once[0] for o in found if len(o.once) == 1})
    handles = [Patch(color=colours[b], label=b) for b in shown if b in colours]
    if handles:
        ax.legend(handles=handles, fontsize=7, loc="best")


def _memory_panel(ax: Axes, grid: Grid, found: list[MemoryLine], colours: dict[str, str]) -> None:
    """Peak PSS against the requests in flight, one line per model (at the grid's longest
    wait, as `memory_lines` reads it), labelled with what each request added costs."""
    for m in found:
        xs, ys = zip(*m.peaks, strict=True)
        slope = m.per_request_bytes
        label = m.backend + (f" (+{fmt.size(slope)} a request)" if slope is not None else "")
        ax.plot(xs, [y / 2**20 for y in ys], marker="o", color=colours.get(m.backend), label=label)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    longest = grid.y.show(max(p.y for p in grid.points))
    _label(
        ax,
        "requests in flight (log)",
        "peak PSS (MiB, log)",
        f"{grid.workload}: memory at {longest}",
    )


def _grid_panel(ax: Axes, grid: Grid, colours: dict[str, str]) -> None:
    shown: set[str] = set()
    for p in grid.points:
        ranked = point_winners(p)
        if ranked is None:
            continue
        winners = [model(r) for r in ranked.winners]
        tie = len(winners) > 1
        ax.scatter(
            [p.x],
            [p.y],
            marker="s",
            s=320,
            color="lightgrey" if tie else colours.get(winners[0], "grey"),
            hatch="//" if tie else None,
            edgecolor="white",
            zorder=2,
        )
        shown.update([] if tie else winners[:1])
        label = ("\n".join(winners[:3]) if tie else "") + ("?" if ranked.undecided else "")
        if grid.kind == "io" and server_bound(ranked.rows[0]):
            label += " S"
        ax.text(p.x, p.y, label, ha="center", va="center", fontsize=6, zorder=3)
    shown.update(_crossover_ticks(ax, grid, colours))
    _axis_scale(ax, grid.x, [p.x for p in grid.points], "x")
    _axis_scale(ax, grid.y, [p.y for p in grid.points], "y")
    ax.margins(x=0.08, y=0.12)  # the squares at the edges drawn whole
    where = grid.workload + (f", {grid.workers} workers" if grid.workers else "")
    ax.set_xlabel(f"{grid.x.name} ({grid.x.unit})")
    ax.set_ylabel(f"{grid.y.name} ({grid.y.unit})")
    ax.set_title(where, fontsize=10)
    ax.grid(alpha=0.3)
    handles = [Patch(color=colours[b], label=b) for b in sorted(shown) if b in colours]
    if handles:
        ax.legend(handles=handles, fontsize=7, loc="best")


def _crossover_ticks(ax: Axes, grid: Grid, colours: dict[str, str]) -> set[str]:
    """Every crossover along every line against the work's yardstick (a plain loop for
    CPU work, the thread pool for waiting I/O): a tick across the line at the crossing
    in the model's colour, its interval a bar along it."""
    drawn = set()
    against = BASELINE if grid.kind == "cpu" else IO_POOL
    for line in lines(grid):
        along_x = line.varies is grid.x
        for c in line.crossovers:
            # Only against the yardstick of the work, as the front page states them: every
            # pair's ticks on one line overprint each other (each pair is in the table).
            if c.answer is not Answer.CROSSES or c.at is None or c.second != against:
                continue
            bar = [[c.at - (c.low or c.at)], [(c.high or c.at) - c.at]]
            x, y = (c.at, line.fixed_at) if along_x else (line.fixed_at, c.at)
            ax.errorbar(
                [x],
                [y],
                xerr=bar if along_x else None,
                yerr=None if along_x else bar,
                marker="|" if along_x else "_",
                markersize=14,
                capsize=2,
                color=colours.get(c.first, "grey"),
                zorder=4,
            )
            drawn.add(c.first)
    return drawn


# An axis with at most this many positions is ticked at each of them.
MAX_TICKS = 8


def _axis_scale(ax: Axes, axis: Axis, values: list[float], which: str) -> None:
    """Log where the values span more than 10x, symlog where they hold zero (so it
    shows), linear otherwise; ticks in the axis's unit, at the values set where they are
    few (a task size is placed by its plain loop, so its positions are many)."""
    positive = [v for v in values if v > 0]
    setter = ax.set_xscale if which == "x" else ax.set_yscale
    if len(positive) < len(values):
        setter("symlog", linthresh=min(positive, default=1.0))
    elif max(values) > 10 * min(values):
        setter("log")
    target = ax.xaxis if which == "x" else ax.yaxis
    if len(set(values)) <= MAX_TICKS:
        target.set_ticks(sorted(set(values)))
    target.set_major_formatter(FuncFormatter(lambda v, _: axis.show(v)))
    target.set_minor_formatter(NullFormatter())


FIGURES = (
    ("task_size_map.png", task_size_map),
    ("grid_maps.png", grid_maps),
    ("speedup_vs_workers.png", speedup_vs_workers),
    ("efficiency_vs_task_size.png", efficiency_vs_task_size),
    ("io_concurrency.png", io_concurrency),
    ("overheads.png", overheads),
    ("peak_memory.png", peak_memory),
)


def write_plots(records: Records, plots_dir: Path) -> list[tuple[str, str]]:
    """Draw every figure the records support; return (relative path, caption) pairs."""
    made = []
    for name, draw in FIGURES:
        target = plots_dir / name
        caption = draw(records, target)
        if caption:
            made.append((f"{plots_dir.name}/{name}", caption))
        elif target.exists():
            target.unlink()  # a stale figure from an earlier build of this run
    return made
