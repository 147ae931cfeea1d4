"""The read side's disk cache: the same cells as a fresh read, a miss whenever the
records change, a damaged entry recomputed, old entries pruned, and off when asked."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from comparisons.errors import UserError
from comparisons.records import cache
from comparisons.records.cells import load_cells

REFERENCE = Path(__file__).resolve().parent.parent / "results" / "reference"
RUN = sorted(REFERENCE.glob("*-aa-*"))[-1]


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    copy = tmp_path / RUN.name
    copy.mkdir()
    shutil.copy(RUN / "records.jsonl", copy / "records.jsonl")
    return copy


def entries(tmp_path: Path) -> list[Path]:
    folder = tmp_path / "cache" / cache.SUBFOLDER
    return sorted(folder.glob("*.pickle")) if folder.is_dir() else []


def test_a_cached_read_gives_the_cells_a_fresh_read_gives(run: Path, tmp_path: Path) -> None:
    first, digest, hit = cache.load_cells_cached(run)
    assert not hit and digest and len(entries(tmp_path)) == 1
    second, _, hit = cache.load_cells_cached(run)
    assert hit
    assert second == first == load_cells(run)


def test_changed_records_miss_and_a_damaged_entry_is_recomputed(run: Path, tmp_path: Path) -> None:
    cells, _, _ = cache.load_cells_cached(run)
    lines = (run / "records.jsonl").read_text().splitlines(keepends=True)
    (run / "records.jsonl").write_text("".join(lines[:-1]))
    fewer, _, hit = cache.load_cells_cached(run)
    assert not hit and len(entries(tmp_path)) == 2
    assert fewer == load_cells(run) and fewer != cells
    for entry in entries(tmp_path):
        entry.write_bytes(b"not a pickle")
    again, _, hit = cache.load_cells_cached(run)
    assert not hit and again == fewer


def test_turned_off_it_writes_nothing(
    run: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(cache.CACHE_VARIABLE, "off")
    for _ in range(2):
        _, _, hit = cache.load_cells_cached(run)
        assert not hit
    assert entries(tmp_path) == []


def test_a_folder_that_is_not_a_run_is_the_users_error_and_not_cached(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    with pytest.raises(UserError, match="not a run directory"):
        cache.load_cells_cached(tmp_path)
    assert entries(tmp_path) == []


def test_entries_unused_for_a_month_are_pruned(run: Path, tmp_path: Path) -> None:
    cache.load_cells_cached(run)
    (kept,) = entries(tmp_path)
    stale = kept.with_name("0" * 64 + ".pickle")
    stale.write_bytes(b"old")
    old = time.time() - cache.UNUSED_FOR_S - 60
    os.utime(stale, (old, old))
    assert cache.prune(kept.parent) == [stale]
    assert entries(tmp_path) == [kept]
