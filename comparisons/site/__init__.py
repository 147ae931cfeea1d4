"""`make site`: every run side by side, as a static site (results/site/).

Sits beside `report/` (one run's outputs) and reads runs the same way: `collect` finds
and loads run folders (older schemas upgraded, unreadable ones skipped with the reason),
`changes` pairs consecutive runs of one machine and suite and judges them with `make
diff`'s own rules, `history` gathers each cell's medians across runs, `steps` finds the
series whose latest runs stepped away from the runs before them, `pages` writes the
HTML with inline SVG plots (no library, nothing fetched when viewed) and `build` ties
them together and prints what it read, skipped and wrote.
"""

from comparisons.site.build import build_site

__all__ = ["build_site"]
