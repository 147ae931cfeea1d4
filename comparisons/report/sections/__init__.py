"""The sections of REPORT.md, one module each, in the order the report prints them.

Every section module declares:

- `TITLE`: its `##` heading's text, or None for the untitled opening (`preamble`);
- `INTRO`: the paragraph printed under the heading, or "" for none;
- `render(cells, context) -> list[str]`: the section's lines below that paragraph; an
  empty list leaves the whole section out (heading and paragraph too), except in a
  module that sets `SHOWN_WHEN_EMPTY = True` (`workloads`), whose heading stands alone.

`cells` are the run's cells (fault probes left out, a user's function shown by
`target.display_name`), `context` the rest of what sections read (`context.Context`).
`comparisons.report.markdown` walks `SECTIONS` and joins the sections into the file;
a new section is a module here and one entry in `SECTIONS`. Modules in this package that
are not in `SECTIONS` serve them: `context` (what `render` is given), `rows` (groups and
marks several sections share) and `clusters` (part of the machine section, also read by
`make diff`), `claims` and `engine_claims` (the rules `ledger` prints).
"""

from __future__ import annotations

from typing import Protocol

from comparisons.report.sections import (
    aa_control,
    crossovers,
    failures,
    fastest,
    faults,
    granularity,
    ledger,
    machine,
    maps,
    plots,
    preamble,
    reading_guide,
    reproduce,
    shared_input,
    target,
    variants,
    verdict,
    workloads,
)
from comparisons.report.sections.context import Cells, Context


class Section(Protocol):
    """What `comparisons.report.markdown` reads of a section module."""

    @property
    def TITLE(self) -> str | None: ...

    @property
    def INTRO(self) -> str: ...

    def render(self, cells: Cells, context: Context) -> list[str]: ...


SECTIONS: tuple[Section, ...] = (
    preamble,
    target,
    machine,
    verdict,
    aa_control,
    fastest,
    granularity,
    crossovers,
    maps,
    ledger,
    plots,
    faults,
    shared_input,
    variants,
    workloads,
    failures,
    reading_guide,
    reproduce,
)
