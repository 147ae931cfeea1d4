"""`REPORT.md`: the sections of `comparisons.report.sections.SECTIONS`, in order, joined.

Everything is derived from the loaded records (with baselines attached), so rebuilding
from the same `records.jsonl` gives the same bytes. This module only splits the records
into cells and fault probes, names a user's function as the report shows it, and lays
each section out: its heading, its introduction, its lines, one blank line after.
"""

from __future__ import annotations

from typing import Any

from comparisons.records.cells import Cell
from comparisons.report.sections import SECTIONS, Section
from comparisons.report.sections.context import Context
from comparisons.report.sections.target import shown


def render_markdown(
    records: list[Cell],
    figures: list[tuple[str, str]] | None = None,
    suite: dict[str, Any] | None = None,
) -> str:
    """The whole REPORT.md for the records of one run; `figures` are (path, caption);
    `suite` is the run's suite settings, which for a user's function hold its probe."""
    context = Context(
        figures=tuple(figures or ()),
        suite=suite or {},
        probes=tuple(r for r in records if r["fault"]),
    )
    cells = [shown(r) for r in records if not r["fault"]]
    lines: list[str] = []
    for section in SECTIONS:
        body = section.render(cells, context)
        if body or getattr(section, "SHOWN_WHEN_EMPTY", False):
            lines += _laid_out(section, body)
    return "\n".join(lines)


def _laid_out(section: Section, body: list[str]) -> list[str]:
    """Heading, introduction and lines, then the blank line that closes every section;
    the heading alone for a section shown with no lines."""
    heading = [f"## {section.TITLE}", ""] if section.TITLE else []
    if not body:
        return heading
    intro = [section.INTRO, ""] if section.INTRO else []
    return [*heading, *intro, *body, ""]
