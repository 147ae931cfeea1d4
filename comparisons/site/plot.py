"""A history plot as inline SVG: medians with their 95% intervals across runs in time
order, one trace per machine and model. Drawn here, not by a plotting library, so the
site is plain files that open from file:// and fetch nothing; each point carries its
numbers as data attributes (read back by the browser test) and a <title> (the hover);
each legend entry hides or shows its trace when clicked (`static/site.js`).
"""

from __future__ import annotations

import math
from html import escape

from comparisons import formatting as fmt
from comparisons.site.history import Point

COLOURS = (
    "#1f77b4",
    "#d62728",
    "#2ca02c",
    "#9467bd",
    "#ff7f0e",
    "#8c564b",
    "#e377c2",
    "#17becf",
    "#7f7f7f",
    "#bcbd22",
)
WIDTH, HEIGHT, LEFT, RIGHT, TOP, BOTTOM = 760, 300, 70, 20, 15, 40


def svg_plot(traces: dict[tuple[str, str], list[Point]], machines: list[str]) -> str:
    """The plot and its legend as HTML; `machines` numbers the machines (M1, M2...)."""
    run_ids = sorted({p.run_id for points in traces.values() for p in points})
    values = [v for pts in traces.values() for p in pts for v in (p.low_s, p.high_s, p.median_s)]
    low, high = min(values), max(values)
    # A log scale: the models of one setting can differ by orders of magnitude.
    lo, hi = math.log10(low * 0.9), math.log10(high * 1.1)
    if hi - lo < 1e-9:
        lo, hi = lo - 0.05, hi + 0.05
    span_x = max(len(run_ids) - 1, 1)

    def x(run_id: str) -> float:
        return LEFT + (WIDTH - LEFT - RIGHT) * (
            run_ids.index(run_id) / span_x if len(run_ids) > 1 else 0.5
        )

    def y(seconds: float) -> float:
        return TOP + (HEIGHT - TOP - BOTTOM) * (1 - (math.log10(seconds) - lo) / (hi - lo))

    parts = [f'<svg class="plot" width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}">']
    for tick in (lo, (lo + hi) / 2, hi):
        ty = y(10**tick)
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{ty:.1f}" y2="{ty:.1f}" stroke="#eee"/>'
        )
        parts.append(f'<text x="4" y="{ty + 4:.1f}">{escape(fmt.seconds(10**tick))}</text>')
    for i, run_id in enumerate(run_ids):
        if len(run_ids) <= 12 or i % math.ceil(len(run_ids) / 12) == 0:
            parts.append(
                f'<text x="{x(run_id) - 20:.1f}" y="{HEIGHT - 22}">{escape(run_id[4:13])}</text>'
            )
    parts.append(
        f'<text x="{LEFT}" y="{HEIGHT - 5}">runs in time order (MMDD-HHMM UTC); '
        "median with 95% interval, log scale</text>"
    )
    legend = []
    for n, ((machine, backend), points) in enumerate(sorted(traces.items())):
        colour = COLOURS[n % len(COLOURS)]
        label = f"{backend} on M{machines.index(machine) + 1}"
        parts.append(
            f'<g class="trace" data-trace="{n}" data-backend="{escape(backend)}" '
            f'data-machine="{escape(machine)}" stroke="{colour}" stroke-width="1.5" '
            f'fill="{colour}">'
        )
        if len(points) > 1:
            path = " ".join(f"{x(p.run_id):.1f},{y(p.median_s):.1f}" for p in points)
            parts.append(f'<polyline points="{path}" fill="none"/>')
        for p in points:
            px = x(p.run_id)
            parts.append(
                f'<line x1="{px:.1f}" x2="{px:.1f}" y1="{y(p.low_s):.1f}" y2="{y(p.high_s):.1f}"/>'
            )
            hover = (
                f"{label}, run {p.run_id}: median {fmt.seconds(p.median_s)} "
                f"(95% {fmt.seconds(p.low_s)}-{fmt.seconds(p.high_s)}); {p.versions}"
            )
            parts.append(
                f'<circle class="point" cx="{px:.1f}" cy="{y(p.median_s):.1f}" r="4" '
                f'data-run="{escape(p.run_id)}" data-backend="{escape(backend)}" '
                f'data-median="{p.median_s!r}" data-low="{p.low_s!r}" data-high="{p.high_s!r}">'
                f"<title>{escape(hover)}</title></circle>"
            )
        parts.append("</g>")
        legend.append(
            f'<span class="toggle" data-trace="{n}" data-backend="{escape(backend)}" '
            f'style="color:{colour}" title="click to hide or show">&#9679; {escape(label)}</span>'
        )
    parts.append("</svg>")
    return (
        '<div class="figure">'
        + "".join(parts)
        + '<div class="small legend">'
        + " &nbsp; ".join(legend)
        + "</div></div>"
    )
