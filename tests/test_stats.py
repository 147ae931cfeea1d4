"""Summary statistics and speedup intervals on known samples."""

from __future__ import annotations

import pytest

from comparisons.measure.stats import Summary, ratio_of_medians, summarize


def test_summary_of_known_samples():
    stats = summarize([1.0, 2.0, 3.0, 4.0, 100.0])
    assert stats.median == 3.0
    assert stats.min == 1.0 and stats.max == 100.0
    assert stats.q1 == 2.0 and stats.q3 == 4.0
    assert stats.outliers == 1  # counted, not removed
    assert stats.n == 5
    assert stats.ci95_low <= stats.median <= stats.ci95_high
    assert stats.unstable


def test_summary_is_deterministic():
    samples = [0.31, 0.30, 0.33, 0.29, 0.35, 0.30]
    assert summarize(samples) == summarize(samples)


def test_steady_samples_are_not_flagged():
    stats = summarize([1.0, 1.01, 0.99, 1.02, 0.98])
    assert not stats.unstable and stats.outliers == 0


def test_single_sample_has_a_degenerate_interval():
    stats = summarize([2.0])
    assert stats.ci95_low == stats.ci95_high == 2.0 and stats.stdev == 0.0


def test_no_samples_is_an_error():
    with pytest.raises(ValueError):
        summarize([])


def test_speedup_and_its_interval():
    result = ratio_of_medians([2.0, 2.1, 1.9], [1.0, 1.05, 0.95])
    assert result.ratio == pytest.approx(2.0)
    assert result.ci95_low <= 2.0 <= result.ci95_high


def test_a_summary_survives_its_stored_form():
    stats = summarize([[1.0, 1.1], [1.2, 1.3]])
    assert Summary.from_json(stats.to_json()) == stats


def test_a_summary_stored_before_runs_were_counted_reads_as_one_run():
    stored = {k: v for k, v in summarize([1.0, 2.0]).to_json().items()}
    for newer in ("runs", "run_medians", "between_runs_cv"):
        del stored[newer]
    old = Summary.from_json(stored)
    assert old.runs == 1 and old.run_medians == [old.median] and old.between_runs_cv is None
