"""The site's input: run folders found under the given roots, loaded into plain data.

A run is a folder holding `records.jsonl`; a root may be a run itself or hold runs one
or two levels down (`results/` and `results/reference/`). Symlinks (`results/latest`)
and the site's own output are passed over. A folder that cannot be read (no records, a
corrupt line, a schema newer than this code) is skipped with its reason, never fatal:
one bad copy from a colleague must not stop the site.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from comparisons.errors import UserError
from comparisons.layout import RECORDS_FILE
from comparisons.records.cache import load_cells_cached
from comparisons.records.cells import Cell
from comparisons.records.schema import SCHEMA_VERSION

SKIP_NAMES = {"site", "plots"}


@dataclass
class Run:
    """One run as the site shows it: its cells and what its side files say."""

    path: Path
    run_id: str
    cells: list[Cell]
    env: dict[str, Any]  # env.json's "environment" (else the first cell's env)
    suite: str
    commit: str | None
    verdict: dict[str, Any] | None  # verdict.json, when the run has one
    upgraded_from: int | None = None  # the oldest schema version its records had
    cached: bool = False  # its cells came from the cache (`comparisons.records.cache`)
    digest: str | None = None  # its records file's hash, the cache's key
    packages: dict[str, str] = field(default_factory=dict)

    @property
    def when(self) -> str:
        """The UTC start time in the run id, as 2026-11-30 19:13."""
        stamp = self.run_id[:13]
        if len(stamp) == 13 and stamp[8] == "-" and stamp.replace("-", "").isdigit():
            return f"{stamp[:4]}-{stamp[4:6]}-{stamp[6:8]} {stamp[9:11]}:{stamp[11:13]}"
        return "?"

    @property
    def python(self) -> str:
        py = self.env.get("python") or {}
        return f"{py.get('implementation', '?')} {py.get('version', '?')}"

    @property
    def machine(self) -> str:
        """Which machine ran it, with its interpreter: runs under two interpreters stand
        for two machines, since the answer may differ between them."""
        env = self.env
        memory = (env.get("memory_total_bytes") or 0) / 2**30
        return (
            f"{env.get('hostname', '?')}: {env.get('cpu_model', '?')}, "
            f"{env.get('logical_cores', '?')} cores ({env.get('usable_cores', '?')} usable), "
            f"{memory:.0f} GiB, {self.python}"
        )


@dataclass(frozen=True)
class Skipped:
    path: Path
    reason: str


def find_runs(roots: list[Path], out: Path | None = None) -> tuple[list[Path], list[Skipped]]:
    """Run folders under `roots` (each a run or a folder of runs, two levels deep), and
    the folders that looked like runs but cannot be (no records file)."""
    found: list[Path] = []
    skipped: list[Skipped] = []
    for root in roots:
        if not root.is_dir():
            raise UserError(f"{root} is not a folder of runs")
        before = len(found) + len(skipped)
        _walk(root, 0, found, skipped, out)
        if len(found) + len(skipped) == before:
            skipped.append(Skipped(root, f"no run folders (none holds {RECORDS_FILE})"))
    unique = list(dict.fromkeys(p.resolve() for p in found))
    return unique, skipped


def _walk(
    folder: Path, depth: int, found: list[Path], skipped: list[Skipped], out: Path | None
) -> None:
    if (folder / RECORDS_FILE).is_file():
        found.append(folder)
        return
    if (folder / "env.json").is_file() or (folder / "cells.json").is_file():
        skipped.append(Skipped(folder, f"not a run: it has no {RECORDS_FILE}"))
        return
    if depth >= 2:
        return
    for child in sorted(folder.iterdir()):
        if child.is_symlink() or not child.is_dir() or child.name in SKIP_NAMES:
            continue
        if out is not None and child.resolve() == out.resolve():
            continue
        _walk(child, depth + 1, found, skipped, out)


def oldest_schema(path: Path) -> int | None:
    """The oldest schema version among a records file's lines (None if unreadable)."""
    versions = []
    try:
        for line in path.read_text().splitlines():
            if line.strip():
                versions.append(json.loads(line).get("schema_version"))
    except (OSError, ValueError, AttributeError):
        return None
    ints = [v for v in versions if isinstance(v, int)]
    return min(ints) if ints else None


def _json(path: Path) -> dict[str, Any] | None:
    try:
        loaded = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return loaded if isinstance(loaded, dict) else None


def read_run(path: Path) -> Run | Skipped:
    """One run loaded, or why it cannot be (`load_cells`'s own one-line reason)."""
    try:
        cells, digest, cached = load_cells_cached(path)
    except UserError as exc:
        return Skipped(path, str(exc))
    env_file = _json(path / "env.json") or {}
    env = env_file.get("environment") or next((c["env"] for c in cells if c["env"]), {}) or {}
    cell_env = next((c["env"] for c in cells if c["env"]), None) or {}
    if cell_env.get("python"):
        # The interpreter that ran the cells (PYTHON=...), not the harness's.
        env = {**env, "python": cell_env["python"]}
    commit = ((env_file.get("git") or env.get("git")) or {}).get("commit")
    suite = env_file.get("suite") or next((c["suite"] for c in cells if c.get("suite")), "?")
    oldest = oldest_schema(path / RECORDS_FILE)
    return Run(
        path=path,
        run_id=path.name,
        cells=cells,
        env=env,
        suite=str(suite),
        commit=str(commit)[:10] if commit else None,
        verdict=_json(path / "verdict.json"),
        upgraded_from=oldest if oldest is not None and oldest < SCHEMA_VERSION else None,
        packages={k: v for k, v in (env.get("packages") or {}).items() if v},
        cached=cached,
        digest=digest,
    )


def collect(roots: list[Path], out: Path | None = None) -> tuple[list[Run], list[Skipped]]:
    """Every readable run under `roots` in time order (by run id, which starts with its
    UTC start time), and every folder skipped with its reason."""
    paths, skipped = find_runs(roots, out)
    runs: list[Run] = []
    for path in paths:
        loaded = read_run(path)
        if isinstance(loaded, Skipped):
            skipped.append(loaded)
        else:
            runs.append(loaded)
    runs.sort(key=lambda r: r.run_id)
    return runs, skipped
