"""`REPORT.md` and `DETAILS.md`: the front page that answers, and every section in full.

The front page (`FRONT`) is the run's title, the machine in two lines, *Which model for
which work* (`sections.answers`), the published claims with their verdicts (the rules
and numbers are one click away) and links to each section of the details; it stays
within `FRONT_MAX_LINES` lines and `FRONT_MAX_WORDS` words, and no table on it is wider
than `FRONT_MAX_COLUMNS` columns. `DETAILS.md` is every section of
`comparisons.report.sections.SECTIONS`, in order.

Everything is derived from the loaded records (with baselines attached), so rebuilding
from the same `records.jsonl` gives the same bytes. This module only splits the records
into cells and fault probes, names a user's function as the report shows it, and lays
each section out: its heading, its introduction, its lines, one blank line after.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from comparisons.layout import DETAILS_FILE, REPORT_FILE
from comparisons.records.cells import Cell
from comparisons.report.sections import (
    SECTIONS,
    Section,
    answers,
    crossovers,
    faults,
    ledger,
    machine,
    maps,
    preamble,
    target,
)
from comparisons.report.sections.context import Cells, Context
from comparisons.report.sections.target import shown

FRONT_MAX_LINES = 120
FRONT_MAX_WORDS = 1500
FRONT_MAX_COLUMNS = 7


@dataclass(frozen=True)
class Part:
    """A front-page section that is a view of another's (`Section`'s shape)."""

    TITLE: str | None
    INTRO: str
    render: Callable[[Cells, Context], list[str]]


def anchor(title: str) -> str:
    """The link fragment GitHub gives a `##` heading."""
    return re.sub(r"[^\w\- ]", "", title.lower()).replace(" ", "-")


def _claims_verdicts(cells: Cells, context: Context) -> list[str]:
    """The claims this run measured, with their source and verdict; how many it did not
    (the details name the suite that measures each); the rules and numbers one click
    away."""
    found = ledger.findings(ledger.claim_rows(cells))
    measured = [(claim, verdict) for claim, verdict, _ in found if verdict != "not measured"]
    link = f"[{ledger.TITLE}]({DETAILS_FILE}#{anchor(ledger.TITLE)})"
    lines = ["| claim | source | here |", "|---|---|---|"] if measured else []
    lines += [f"| {claim.text} | {claim.source} | **{verdict}** |" for claim, verdict in measured]
    unmeasured = len(found) - len(measured)
    if context.target:
        return [*lines, "", f"Each claim's rule and numbers: {link}."] if measured else []
    if not measured:
        return [
            f"None of the {len(found)} claims is measured by this run; {link} names the "
            "suite that measures each."
        ]
    rest = (
        f"{unmeasured} more this run did not measure, each with the suite that does; "
        if unmeasured
        else ""
    )
    return [*lines, "", f"{rest}each claim's rule and the numbers: {link}."]


def _faults(cells: Cells, context: Context) -> list[str]:
    """A run of fault probes alone answers with them."""
    return faults.render(cells, context) if not cells else []


def _contents(cells: Cells, context: Context) -> list[str]:
    """A link to each section of the details this run has."""
    shown_sections = [
        s.TITLE
        for s in SECTIONS
        if s.TITLE and (s.render(cells, context) or getattr(s, "SHOWN_WHEN_EMPTY", False))
    ]
    return [" · ".join(f"[{t}]({DETAILS_FILE}#{anchor(t)})" for t in shown_sections)]


FRONT: tuple[Section, ...] = (
    preamble,
    Part(None, "", machine.brief),
    Part(target.TITLE, "", target.front),
    answers,
    Part(
        crossovers.TITLE,
        "Where one way of running the work overtakes another along the task size (a "
        "plain loop's time per task), with its 95% interval; each model against a plain "
        "loop, and against the process pool that hands tasks over as it does (every pair, "
        "and where the winner is 10% ahead, in the details):",
        crossovers.front,
    ),
    Part(
        maps.TITLE,
        "Where one way of running the work overtakes another along each line of a grid "
        "of two axes (CPU work: task size and bytes per task; waiting I/O: requests in "
        "flight and the wait), with its 95% interval; every pair in the details:",
        maps.front,
    ),
    Part(faults.TITLE, faults.INTRO, _faults),
    Part(
        "Published claims",
        "Each checked by a rule this run's cells could fail: *holds*, *does not hold*, "
        "*depends* (holds on some of the rows it applies to, not on others), or *undecided* "
        "(a row's 95% interval straddles the rule's edge and no row contradicts it; a row "
        "decided against a claim makes it *does not hold*, or *depends* where others "
        "hold).",
        _claims_verdicts,
    ),
    Part("Details", "Every table, plot and note, with the reading guide:", _contents),
)


def _context(records: list[Cell], figures: list[tuple[str, str]] | None, suite: Any) -> Context:
    return Context(
        figures=tuple(figures or ()),
        suite=suite or {},
        probes=tuple(r for r in records if r["fault"]),
    )


def render_markdown(
    records: list[Cell],
    figures: list[tuple[str, str]] | None = None,
    suite: dict[str, Any] | None = None,
) -> str:
    """The front page, REPORT.md, for the records of one run; `figures` are (path,
    caption); `suite` is the run's suite settings, which for a user's function hold its
    probe."""
    return _page(FRONT, records, figures, suite)


def render_details(
    records: list[Cell],
    figures: list[tuple[str, str]] | None = None,
    suite: dict[str, Any] | None = None,
) -> str:
    """DETAILS.md: every section in full, after a link back to the front page."""
    page = _page(SECTIONS, records, figures, suite).split("\n", 1)
    back = f"[← the front page: which model for which work]({REPORT_FILE})"
    return "\n".join([page[0], "", back, *page[1:]])


def _page(
    sections: tuple[Section, ...],
    records: list[Cell],
    figures: list[tuple[str, str]] | None,
    suite: dict[str, Any] | None,
) -> str:
    context = _context(records, figures, suite)
    cells = [shown(r) for r in records if not r["fault"]]
    lines: list[str] = []
    for section in sections:
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
