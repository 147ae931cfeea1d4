"""A disk cache for readers of many runs (`make site`): a run's cells, and what two runs'
cells say of each other.

Reading a run restates every statistic from the raw samples (bootstrap intervals, a few
thousand per run), and comparing two runs bootstraps every pair of cells and both
verdicts: fine for one report, most of a site's build over fifty runs. Both depend only
on the records files and on this code, so a pickle keyed by both is reused until either
changes: the key names the records' hashes and every source file of the `comparisons`
and `workloads` packages (any change of code invalidates every entry; a rebuild after
an edit pays the full read once, never reads a stale restatement).

The cache lives under `$XDG_CACHE_HOME/concurrency-comparisons/cells` (else
`~/.cache/...`); `COMPARISONS_CACHE=off` turns it off. A cache that cannot be written
(a read-only home) or an entry that cannot be read is passed over: it only saves time.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import time
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import TypeVar

import comparisons
import workloads
from comparisons.layout import RECORDS_FILE
from comparisons.records.cells import Cell, load_cells

CACHE_VARIABLE = "COMPARISONS_CACHE"
SUBFOLDER = Path("concurrency-comparisons") / "cells"
# Entries unused this long are deleted when a new one is written: each code change
# leaves a generation behind.
UNUSED_FOR_S = 30 * 24 * 3600

T = TypeVar("T")


def cache_folder() -> Path | None:
    """Where entries live, or None when the cache is turned off."""
    if os.environ.get(CACHE_VARIABLE, "").lower() in ("off", "0", "no", "false"):
        return None
    root = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(root) / SUBFOLDER


@cache
def code_fingerprint() -> str:
    """A hash of every source file that turns records into cells (both packages whole:
    narrower sets miss an import that changes a figure)."""
    digest = hashlib.sha256()
    for package in (comparisons, workloads):
        root = Path(str(package.__file__)).parent
        for path in sorted(root.rglob("*.py")):
            digest.update(str(path.relative_to(root)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def records_digest(run_dir: Path) -> str | None:
    """The hash of a run's records file; None when it has none (`load_cells` then says
    why)."""
    path = run_dir / RECORDS_FILE
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None


def cached(key: str, compute: Callable[[], T]) -> tuple[T, bool]:
    """`compute()`, or its value stored under `key` (with this code's fingerprint) by an
    earlier call; True when it came from the cache. `key` must name every input."""
    folder = cache_folder()
    if folder is None:
        return compute(), False
    name = hashlib.sha256(f"{key}:{code_fingerprint()}".encode()).hexdigest()
    entry = folder / f"{name}.pickle"
    if entry.is_file():
        try:
            value = pickle.loads(entry.read_bytes())
            entry.touch()
            return value, True
        except Exception:  # noqa: BLE001 - a damaged entry is recomputed, never fatal
            pass
    value = compute()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        partial = entry.with_suffix(f".{os.getpid()}.tmp")
        partial.write_bytes(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
        partial.replace(entry)  # atomic: a parallel build never reads half an entry
        prune(folder)
    except OSError:
        pass
    return value, False


def load_cells_cached(run_dir: Path) -> tuple[list[Cell], str | None, bool]:
    """`load_cells(run_dir)`, its records' digest, and True when the cells came from the
    cache. Errors are `load_cells`'s own (a folder that is not a run is never cached)."""
    digest = records_digest(run_dir)
    if digest is None:
        return load_cells(run_dir), None, False
    cells, hit = cached(f"cells:{digest}", lambda: load_cells(run_dir))
    return cells, digest, hit


def prune(folder: Path, now: float | None = None) -> list[Path]:
    """Delete the entries (and orphaned partial writes) unused for `UNUSED_FOR_S`; the
    paths deleted."""
    now = time.time() if now is None else now
    gone = []
    for path in folder.iterdir():
        try:
            if now - path.stat().st_mtime > UNUSED_FOR_S:
                path.unlink()
                gone.append(path)
        except OSError:
            continue
    return gone
