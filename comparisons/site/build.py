"""`make site`: collect the runs, write every page into the output folder, and print
what was read, skipped and written, with the time taken and the site's size.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from comparisons.errors import UserError
from comparisons.site import pages
from comparisons.site.changes import changes_between, consecutive
from comparisons.site.collect import collect
from comparisons.site.history import history, slug
from comparisons.site.steps import steps

STATIC = Path(__file__).parent / "static"
# Marks a folder as a site this command built, so a rebuild may delete it (and nothing
# else: `--out results` must not wipe the runs).
MARKER = ".comparisons-site"


def _clear(out: Path) -> None:
    """Empty `out` for a fresh build: only an empty folder or a site built here."""
    if not out.exists():
        return
    if any(out.iterdir()) and not (out / MARKER).exists():
        raise UserError(
            f"{out} exists and is not a site built by `make site`: give an empty or new "
            "folder as --out"
        )
    shutil.rmtree(out)


@dataclass(frozen=True)
class Built:
    runs: int
    skipped: int
    pages: int
    size_bytes: int
    seconds: float


def build_site(roots: list[Path], out: Path, say: Callable[[str], None] = print) -> Built:
    started = time.perf_counter()
    runs, skipped = collect(roots, out)
    for run in runs:
        upgraded = (
            f" (records upgraded from schema {run.upgraded_from})" if run.upgraded_from else ""
        )
        cached = " (from the cache)" if run.cached else ""
        say(f"read {run.path}: {len(run.cells)} cells{upgraded}{cached}")
    for s in skipped:
        say(f"skipped {s.path}: {s.reason}")
    _clear(out)
    (out / "history").mkdir(parents=True)
    (out / "runs").mkdir()
    shutil.copytree(STATIC, out / "static")
    machines = sorted({r.machine for r in runs})
    written = {
        "index.html": pages.index(runs, skipped),
        "machines.html": pages.machines_page(runs),
    }
    found = history(runs)
    written["changes.html"] = pages.changes_page(
        [changes_between(a, b) for a, b in consecutive(runs)], steps(found)
    )
    written["history/index.html"] = pages.history_index(found)
    for workload, settings in found.items():
        written[f"history/{slug(workload)}.html"] = pages.history_page(workload, settings, machines)
    for run in runs:
        written[f"runs/{run.run_id}.html"] = pages.report_page(run)
    for name, text in written.items():
        (out / name).write_text(text)
    (out / MARKER).write_text("built by `make site`; rebuilt from scratch each time\n")
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    elapsed = time.perf_counter() - started
    from_cache = sum(r.cached for r in runs)
    say(
        f"site: {len(runs)} runs read ({from_cache} from the cache), {len(skipped)} skipped, "
        f"{len(written)} pages, "
        f"{size / 1e6:.1f} MB in {out} ({elapsed:.1f} s); open {out / 'index.html'}"
    )
    return Built(len(runs), len(skipped), len(written), size, elapsed)
