"""`make site`: the decisions (which runs are consecutive runs of one machine and suite,
which folders are skipped and why) and the built site in a real headless Chromium."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from comparisons.errors import UserError
from comparisons.records.cells import is_measured, load_cells, stats_of
from comparisons.site import build_site
from comparisons.site.changes import consecutive, series
from comparisons.site.collect import Skipped, collect, read_run
from comparisons.site.history import Point, setting_of, slug
from comparisons.site.pages import changes_page
from comparisons.site.steps import step_in, steps

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "results" / "reference"
PY313 = REFERENCE / "20261130-194246-default-af49"
# The committed default pair, whichever it is (it is regenerated when the suite changes).
DEFAULT_A, DEFAULT_B = sorted(p for p in REFERENCE.glob("*-default-*") if p != PY313)[-2:]
MAP = sorted(REFERENCE.glob("*-map-*"))[-1]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
COPIED = ("records.jsonl", "env.json", "cells.json", "verdict.json", "REPORT.md")


def copy_run(source: Path, dest_root: Path, run_id: str) -> Path:
    dest = dest_root / run_id
    dest.mkdir(parents=True)
    for name in COPIED:
        if (source / name).is_file():
            shutil.copy(source / name, dest / name)
    return dest


def test_consecutive_runs_share_machine_and_suite(tmp_path: Path) -> None:
    a = copy_run(DEFAULT_A, tmp_path, "20270101-000000-default-aaaa")
    b = copy_run(DEFAULT_B, tmp_path, "20270101-010000-default-bbbb")
    c = copy_run(PY313, tmp_path, "20270101-020000-default-cccc")
    runs, skipped = collect([tmp_path])
    assert not skipped and [r.path for r in runs] == [a, b, c]
    # Same suite, same host, but 3.13: another "machine", never the next run of 3.11's.
    assert [(x.path, y.path) for x, y in consecutive(runs)] == [(a, b)]
    assert len(series(runs)) == 2


def test_no_consecutive_pair_across_suites(tmp_path: Path) -> None:
    copy_run(DEFAULT_A, tmp_path, "20270101-000000-default-aaaa")
    copy_run(MAP, tmp_path, "20270101-010000-map-bbbb")
    runs, _ = collect([tmp_path])
    assert consecutive(runs) == []


def test_unreadable_runs_are_skipped_with_reason(tmp_path: Path) -> None:
    good = copy_run(DEFAULT_A, tmp_path, "20270101-000000-default-aaaa")
    newer = copy_run(DEFAULT_A, tmp_path, "20270101-010000-default-newr")
    record = json.loads((newer / "records.jsonl").read_text().splitlines()[0])
    record["schema_version"] = 99
    (newer / "records.jsonl").write_text(json.dumps(record) + "\n")
    broken = copy_run(DEFAULT_A, tmp_path, "20270101-020000-default-brkn")
    (broken / "records.jsonl").write_text("{not json\n")
    no_records = tmp_path / "20270101-030000-default-none"
    no_records.mkdir()
    (no_records / "env.json").write_text("{}")
    runs, skipped = collect([tmp_path])
    assert [r.path for r in runs] == [good]
    reasons = {s.path.name: s.reason for s in skipped}
    assert "newer than this code reads" in reasons[newer.name]
    assert "not valid JSON" in reasons[broken.name]
    assert "no records.jsonl" in reasons[no_records.name]


def test_old_schema_is_upgraded_and_named(tmp_path: Path) -> None:
    run = tmp_path / "20270101-000000-smoke-old1"
    run.mkdir()
    shutil.copy(ROOT / "tests" / "data" / "schema1_records.jsonl", run / "records.jsonl")
    loaded = read_run(run)
    assert not isinstance(loaded, Skipped)
    assert loaded.upgraded_from == 1 and loaded.cells


def test_setting_and_slug() -> None:
    assert setting_of("cpu.primes|threads|w=2|t=32|span=7000") == "cpu.primes|w=2|t=32|span=7000"
    assert "/" not in slug("target:examples/collatz.py:longest_chain?work=gil")


def test_cli_names_a_bad_folder_in_one_line(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "comparisons", "site", "--results", str(tmp_path / "nope")],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0 and done.stderr.startswith("error:")


def test_a_rebuild_never_deletes_a_folder_it_did_not_build(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    runs.mkdir()
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "keep.txt").write_text("mine")
    with pytest.raises(UserError, match="not a site built by"):
        build_site([runs], precious, say=lambda line: None)
    assert (precious / "keep.txt").read_text() == "mine"
    site = tmp_path / "site"
    build_site([runs], site, say=lambda line: None)
    build_site([runs], site, say=lambda line: None)  # its own site: rebuilt
    assert (site / "index.html").exists()


class Points(HTMLParser):
    """The plotted points of a page as the browser rendered it."""

    def __init__(self) -> None:
        super().__init__()
        self.points: list[dict[str, str]] = []
        self.setting = ""
        self._in_h2 = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {k: v or "" for k, v in attrs}
        if tag == "h2" and found.get("class") == "setting":
            self._in_h2 = True
            self.setting = ""
        if tag == "circle" and "data-median" in found:
            self.points.append({**found, "setting": self.setting})

    def handle_data(self, data: str) -> None:
        if self._in_h2:
            self.setting += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "h2":
            self._in_h2 = False


def chromium(args: list[str], profile: Path) -> subprocess.CompletedProcess[str]:
    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--enable-logging=stderr",
        "--v=0",
        f"--user-data-dir={profile}",
    ]
    assert CHROMIUM is not None
    return subprocess.run([CHROMIUM, *flags, *args], capture_output=True, text=True, timeout=120)


@pytest.mark.skipif(CHROMIUM is None, reason="no chromium (apt-get install -y chromium)")
def test_site_over_fifty_runs_in_a_browser(tmp_path: Path) -> None:
    copies = tmp_path / "colleague"
    sources = sorted(p for p in REFERENCE.iterdir() if (p / "records.jsonl").is_file())
    for i in range(50 - len(sources)):
        source = sources[i % len(sources)]
        suite = source.name.split("-")[2]
        copy_run(source, copies, f"202701{i // 24 + 1:02d}-{i % 24:02d}0000-{suite}-cp{i:02d}")
    out = tmp_path / "site"
    said: list[str] = []
    built = build_site([REFERENCE, copies], out, said.append)
    assert built.runs == 50 and built.skipped == 0
    assert re.match(r"site: 50 runs read \(\d+ from the cache\), 0 skipped", said[-1])
    assert " MB in " in said[-1]
    # Built again, every run and pair comes from the cache, and every page is the same.
    again: list[str] = []
    build_site([REFERENCE, copies], tmp_path / "again", again.append)
    assert again[-1].startswith("site: 50 runs read (50 from the cache), 0 skipped")
    for page in out.rglob("*.html"):
        assert (tmp_path / "again" / page.relative_to(out)).read_text() == page.read_text(), page
    shots = tmp_path / "screenshots"
    shots.mkdir()
    history = out / "history" / "cpu.primes.html"
    pages = [out / "index.html", history, out / "machines.html", out / "changes.html"]
    pages += sorted((out / "history").glob("*.html"))
    for n, html in enumerate(pages):
        done = chromium(["--dump-dom", html.as_uri()], tmp_path / f"profile{n}")
        assert 'data-rendered="yes"' in done.stdout, (html, done.stderr[-2000:])
        assert "data-errors" not in done.stdout, html
        console = [
            line
            for line in done.stderr.splitlines()
            if "CONSOLE" in line and re.search(r"error|uncaught", line, re.I)
        ]
        assert not console, (html, console)
        if html == history:
            rendered = Points()
            rendered.feed(done.stdout)
            check_points(rendered.points, [DEFAULT_A, DEFAULT_B, PY313])
    # A legend entry hides its trace; `#hide=` does the same when the page opens.
    narrowed = chromium(["--dump-dom", history.as_uri() + "#hide=serial"], tmp_path / "hide")
    hidden = re.findall(r'<g class="trace hidden"[^>]*data-backend="([^"]+)"', narrowed.stdout)
    assert hidden and set(hidden) == {"serial"}, narrowed.stdout[:2000]
    assert 'class="toggle off"' in narrowed.stdout
    for html, name in zip(
        pages, ("index", "history-cpu.primes", "machines", "changes"), strict=False
    ):
        shot = shots / f"{name}.png"
        chromium(
            [f"--screenshot={shot}", "--window-size=1280,1600", "--hide-scrollbars", html.as_uri()],
            tmp_path / f"shot-{name}",
        )
        assert shot.is_file() and shot.stat().st_size > 1000
    keep = os.environ.get("SITE_SCREENSHOTS")
    if keep:  # a developer's copy for a note or a README
        shutil.copytree(shots, keep, dirs_exist_ok=True)
    print(f"screenshots in {keep or shots}; {said[-1]}")


def check_points(points: list[dict[str, str]], runs: list[Path]) -> None:
    """Each plotted median of these runs equals the median from its records."""
    assert points
    checked = 0
    for run in runs:
        for cell in load_cells(run):
            if cell["workload"] != "cpu.primes" or not is_measured(cell):
                continue
            setting = setting_of(cell["key"])
            shown = [
                p
                for p in points
                if p["data-run"] == run.name
                and p["data-backend"] == cell["backend"]
                and p["setting"] == setting
            ]
            assert len(shown) == 1, (run.name, cell["key"])
            assert float(shown[0]["data-median"]) == pytest.approx(stats_of(cell).median, rel=1e-12)
            checked += 1
    assert checked > 10


def series_of(*medians: float) -> list[Point]:
    return [Point(f"run{i:02d}", "?", m, m * 0.99, m * 1.01, "") for i, m in enumerate(medians)]


def test_three_runs_beyond_the_spread_before_them_are_a_step_and_noise_is_not() -> None:
    steady = [1.00, 1.02, 0.98, 1.01, 0.99, 1.00]
    assert step_in(series_of(*steady, 1.30, 1.28, 1.31)) == pytest.approx((1.0, 1.2967), rel=1e-3)
    assert step_in(series_of(*steady, 0.70, 0.72, 0.71)) is not None  # faster is a step too
    # One slow run, or two, is not a step; nor a mixed ending.
    assert step_in(series_of(*steady, 1.00, 1.01, 1.30)) is None
    assert step_in(series_of(*steady, 1.30, 0.70, 1.30)) is None
    # Beyond the spread but within the tie band: steady, yet a tie.
    assert step_in(series_of(1.0, 1.0, 1.0, 1.0, 1.05, 1.05, 1.05)) is None
    # Too short to judge.
    assert step_in(series_of(1.0, 1.0, 1.5, 1.5, 1.5)) is None


def test_the_changes_page_lists_each_step_with_its_runs() -> None:
    ray = series_of(1, 1, 1.02, 0.98, 2, 2, 2)
    found = {"cpu.primes": {"cpu.primes|w=2": {("vm", "ray"): ray}}}
    listed = steps(found)
    assert [(s.backend, s.slower, s.first_run) for s in listed] == [("ray", True, "run04")]
    html = changes_page([], listed)
    assert "Steps over history" in html and "slower from run04" in html
    assert "None: no series ends in" in changes_page([], [])
