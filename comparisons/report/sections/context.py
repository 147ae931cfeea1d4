"""What a section of REPORT.md is given besides the cells: `Context`, and the `Cells` type.

`comparisons.report.markdown` builds one `Context` per report and passes it, with the
cells, to every section's `render(cells, context)` (`comparisons.report.sections`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from comparisons.records.cells import Cell

# The run's cells as loaded (baselines attached), fault probes left out.
Cells = list[Cell]


@dataclass(frozen=True)
class Context:
    """The run's facts that are not cells."""

    # (path relative to the run folder, caption) of each figure drawn for this build.
    figures: tuple[tuple[str, str], ...] = ()
    # The suite settings kept in `cells.json`; a run on a user's function holds its probe
    # under "target".
    suite: dict[str, Any] = field(default_factory=dict)
    # Fault probes' records: they answer what went wrong, not how fast, so no section
    # that times or ranks cells may see them.
    probes: tuple[Cell, ...] = ()

    @property
    def target(self) -> dict[str, Any] | None:
        """The characterisation probe of the user's function, or None for a suite run."""
        return self.suite.get("target")
