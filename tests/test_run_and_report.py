"""A whole suite run writes every output, and the report is re-derivable from records."""

from __future__ import annotations

import csv
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from cli_helper import run_cli

from comparisons.records.cells import load_cells, merge_invocations
from comparisons.records.store import load_records
from comparisons.report.markdown import (
    FRONT_MAX_COLUMNS,
    FRONT_MAX_LINES,
    FRONT_MAX_WORDS,
    anchor,
)

SUITE = """
description = "test suite"
# A fixed order, as every run of this test had before runs drew their own.
seed = 20261125
repeats = 2
warmups = 1
invocations = 2
timeout_s = 120

[[cells]]
workload = "cpu.primes"
backends = ["serial", "threads", "processes", "trio"]
workers = 2
tasks = 4
params = { span = 300 }

[[cells]]
workload = "io.sleep"
backends = ["serial", "asyncio", "threads"]
workers = 3
tasks = 3
params = { latency = 0.01 }
"""


cli = run_cli


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("results")
    suite = root / "mini.toml"
    suite.write_text(SUITE)
    done = cli("compare", "--suite", str(suite), "--results", str(root / "out"))
    assert done.returncode == 0, done.stderr
    return (root / "out" / "latest").resolve()


def test_a_run_writes_records_csv_env_and_report(finished_run):
    assert finished_run.name.endswith(tuple("0123456789abcdef")) and "-mini-" in finished_run.name
    # Two fresh processes per cell, each its own record, merged into one cell on reading.
    records = load_records(finished_run / "records.jsonl")
    assert len(records) == 14 and sorted({r["invocation"] for r in records}) == [0, 1]
    assert all(r["machine"]["probes"] >= 1 and r["machine"]["slowdown"] > 0 for r in records)
    assert all(r["status"] == "ok" and r["verification"]["ok"] for r in records)
    cells = merge_invocations(records)
    assert len(cells) == 7 and all(len(c["runs_s"]) == 2 and c["stats"].runs == 2 for c in cells)
    assert {r["run_id"] for r in records} == {finished_run.name}
    with open(finished_run / "summary.csv") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 7 and {row["backend"] for row in rows} == {
        "serial",
        "threads",
        "processes",
        "trio",
        "asyncio",
    }
    env = json.loads((finished_run / "env.json").read_text())
    assert env["environment"]["logical_cores"] >= 1 and env["suite"] == "mini"
    report = (finished_run / "DETAILS.md").read_text()
    # The title names the suite and interpreter the records say they ran under, on both
    # pages.
    python = records[0]["env"]["python"]
    title = (
        f"# Concurrency comparison: {finished_run.name} (suite `mini`, "
        f"{python['implementation']} {python['version']})"
    )
    front = (finished_run / "REPORT.md").read_text()
    assert report.splitlines()[0] == title == front.splitlines()[0]
    assert f"(`{records[0]['python']}`)" in front.splitlines()[2]
    assert "(REPORT.md)" in report.splitlines()[2]
    for heading in (
        "## Machine",
        "## Verdict",
        "## Fastest per workload",
        "## Published claims, checked",
        "## Plots",
        "### cpu.primes: 4 tasks",
        "### io.sleep: 3 tasks",
        "## Failed cells",
    ):
        assert heading in report
    # Every figure the report embeds exists, and nothing else is in plots/.
    embedded = {
        line.split("](")[1].rstrip(")") for line in report.splitlines() if line.startswith("![")
    }
    assert embedded and embedded == {f"plots/{p.name}" for p in (finished_run / "plots").iterdir()}


def test_speedup_is_attached_against_the_serial_baseline(finished_run):
    records = load_cells(finished_run)
    for record in records:
        baseline = record["baseline"]
        assert baseline is not None and baseline.backend == "serial"
        serial = next(
            r for r in records if r["backend"] == "serial" and r["workload"] == record["workload"]
        )
        expected = serial["stats"].median / record["stats"].median
        assert baseline.speedup == pytest.approx(expected)
        assert baseline.efficiency == pytest.approx(expected / record["workers"])


def test_report_is_rebuilt_byte_identical_from_records_alone(finished_run, tmp_path):
    copy = tmp_path / "run"
    copy.mkdir()
    shutil.copy(finished_run / "records.jsonl", copy)
    for _ in range(2):
        done = cli("report", str(copy))
        assert done.returncode == 0, done.stderr
        for page in ("REPORT.md", "DETAILS.md"):
            assert (copy / page).read_bytes() == (finished_run / page).read_bytes()
        assert (copy / "summary.csv").read_bytes() == (finished_run / "summary.csv").read_bytes()


def test_a_corrupt_records_line_is_named_and_nothing_is_written(finished_run, tmp_path):
    copy = tmp_path / "run"
    copy.mkdir()
    lines = (finished_run / "records.jsonl").read_text().splitlines()
    lines[2] = lines[2][: len(lines[2]) // 2]
    (copy / "records.jsonl").write_text("\n".join(lines) + "\n")
    done = cli("report", str(copy))
    assert done.returncode == 2
    assert "records.jsonl:3: not valid JSON" in done.stderr and "Traceback" not in done.stderr
    assert not (copy / "REPORT.md").exists() and not (copy / "summary.csv").exists()


def test_the_front_page_answers_within_its_limits_and_links_each_detail(finished_run):
    """REPORT.md: the machine in two lines, one answer line per kind of work with its
    state, the claims' verdicts, and a link to every section of DETAILS.md; at most 120
    lines and 1,500 words, no table wider than 7 columns."""
    front = (finished_run / "REPORT.md").read_text()
    details = (finished_run / "DETAILS.md").read_text()
    lines = front.splitlines()
    assert len(lines) <= FRONT_MAX_LINES and len(front.split()) <= FRONT_MAX_WORDS
    widths = [line.count("|") - 1 for line in lines if line.startswith("|")]
    assert widths and max(widths) <= FRONT_MAX_COLUMNS
    assert any(line.startswith("**Machine**: ") for line in lines)
    answers = front.split("## Which model for which work", 1)[1].split("## ", 1)[0]
    kinds = [line for line in answers.splitlines() if line.startswith("- **")]
    # cpu.primes (GIL-bound CPU) and io.sleep (waiting I/O): a line each, with a state.
    assert len(kinds) == 2 and all(
        re.search(r"\*(decided|tied|undecided|depends)\*$", line) for line in kinds
    )
    assert "Pure-Python CPU work" in kinds[0] and "Waiting on timers" in kinds[1]
    assert "| claim | source | here |" in front
    headings = [line[3:] for line in details.splitlines() if line.startswith("## ")]
    for heading in headings:
        assert f"(DETAILS.md#{anchor(heading)})" in front, heading


def test_github_anchors_of_the_details_headings():
    assert anchor("Which idiom for a shared input") == "which-idiom-for-a-shared-input"
    assert anchor("Published claims, checked") == "published-claims-checked"
    assert anchor("The tutorial's 3 x 2 s") == "the-tutorials-3-x-2-s"


def test_an_unwritable_results_directory_is_refused(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    done = cli("compare", "--suite", "smoke", "--results", str(blocker / "sub"))
    assert done.returncode == 2 and "cannot write results" in done.stderr
    assert done.stderr.count("\n") == 1


def test_diff_of_a_run_with_itself_reports_no_change(finished_run):
    done = cli("diff", str(finished_run), str(finished_run))
    assert done.returncode == 0, done.stderr
    assert "Same machine and software in both runs." in done.stdout
    assert "B ran 0.0% faster than A overall" in done.stdout
    assert "Relative to that, 0 faster, 0 slower, 7 same" in done.stdout
    rows = re.search(
        r"Verdict rows: (\d+) in both runs; 0 contradictions .* in (\d+) of (\d+) rows each "
        r"run's best is best or tied in the other",
        done.stdout,
    )
    assert rows and rows.group(1) == rows.group(2) == rows.group(3), done.stdout


def test_diff_flags_a_cell_that_became_twice_as_slow(finished_run, tmp_path):
    slower = tmp_path / "slower"
    slower.mkdir()
    records = [
        json.loads(line) for line in (finished_run / "records.jsonl").read_text().splitlines()
    ]
    for record in records:
        if record["backend"] == "threads" and record["workload"] == "cpu.primes":
            record["samples_s"] = [2 * s for s in record["samples_s"]]
    (slower / "records.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    done = cli("diff", str(finished_run), str(slower))
    assert done.returncode == 0, done.stderr
    assert "Relative to that, 0 faster, 1 slower, 6 same" in done.stdout
    row = next(line for line in done.stdout.splitlines() if "cpu.primes|threads" in line)
    assert "**slower**" in row and "| 2.000 (" in row


def test_diff_lists_a_cell_skipped_alike_in_both_runs_apart_from_failures(finished_run, tmp_path):
    records = [
        json.loads(line) for line in (finished_run / "records.jsonl").read_text().splitlines()
    ]
    skipped = dict(records[0], key="cpu.primes|absent|w=2|t=4|", backend="absent")
    skipped.update(status="skipped", error="absent needs Python 9.9+", samples_s=[], stats=None)
    runs = []
    for name, reason in (("a", skipped["error"]), ("b", skipped["error"]), ("c", "other")):
        run = tmp_path / name
        run.mkdir()
        extra = dict(skipped, error=reason)
        (run / "records.jsonl").write_text("".join(json.dumps(r) + "\n" for r in [*records, extra]))
        runs.append(run)
    alike = cli("diff", str(runs[0]), str(runs[1]))
    assert alike.returncode == 0, alike.stderr
    assert "Skipped in both runs for the same reason: 1 cells." in alike.stdout
    assert "Not measured in both runs" not in alike.stdout
    changed = cli("diff", str(runs[0]), str(runs[2]))
    assert "Not measured in both runs:\n- cpu.primes|absent|w=2|t=4|: A skipped, B skipped" in (
        changed.stdout
    )


def test_diff_of_something_that_is_not_a_run_is_refused(finished_run, tmp_path):
    done = cli("diff", str(finished_run), str(tmp_path))
    assert done.returncode == 2 and "is not a run directory" in done.stderr


def test_pyperf_reads_the_exported_run(finished_run):
    exported = finished_run / "pyperf.json"
    stats = subprocess.run(
        [sys.executable, "-m", "pyperf", "stats", str(exported)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert stats.returncode == 0, stats.stderr
    assert "cpu.primes|processes" in stats.stdout
    compared = subprocess.run(
        [sys.executable, "-m", "pyperf", "compare_to", str(exported), str(exported)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert compared.returncode == 0, compared.stderr


def test_both_pages_render_as_html_with_every_table_parsed(finished_run):
    """As GitHub renders them (CommonMark with tables, markdown-it-py: rich's own
    Markdown parser): every table in the source becomes an HTML table, and every link
    from the front page to the details resolves to a heading there."""
    from markdown_it import MarkdownIt

    render = MarkdownIt("commonmark").enable("table").render
    for page in ("REPORT.md", "DETAILS.md"):
        text = (finished_run / page).read_text()
        html = render(text)
        assert html.count("<table>") == sum(line.startswith("|---") for line in text.splitlines())
        assert "<p>|" not in html
    details = (finished_run / "DETAILS.md").read_text()
    anchors = {anchor(line[3:]) for line in details.splitlines() if line.startswith("## ")}
    front = (finished_run / "REPORT.md").read_text()
    linked = set(re.findall(r"\(DETAILS\.md#([\w-]+)\)", front))
    assert linked and linked <= anchors
