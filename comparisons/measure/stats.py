"""Summary statistics of a cell's raw timing samples, and ratios between cells.

Every number the report shows comes from here: median, quartiles, a 95% interval for the
median (percentile bootstrap with a fixed seed, so rebuilding a report from the same
records gives the same bytes), coefficient of variation, and Tukey-fence outlier counts
(counted, never removed). Speedups carry their own bootstrap interval, resampling both
cells' samples independently.

A cell measured in several fresh processes ("runs", as pyperf calls them) has its
samples grouped by run. Its interval then comes from a two-level bootstrap: resample the
runs, then the samples within each, so the interval covers run-to-run variance (another
process, another moment of the machine) and not only the repeats inside one process.

`meaningful` is the one rule for "these two differ": the interval of the ratio excludes 1
*and* the difference is at least `PRACTICAL_THRESHOLD`. Anything less is a tie, whatever
its p-value; the verdict, the tables and `make diff` all use it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

BOOTSTRAP_RESAMPLES = 2000
BOOTSTRAP_SEED = 20261125
# A cell whose coefficient of variation exceeds this is flagged as unstable (pyperf warns
# at 10% of the mean for the standard deviation).
UNSTABLE_CV = 0.10
# pyperf also warns when the min or max is this far from the mean, and when a value is
# shorter than a millisecond (timer and scheduling noise then dominate).
FAR_FROM_MEAN = 0.50
SHORTEST_TRUSTED_S = 1e-3
# A difference smaller than this is a tie, however significant: asv's default factor
# (1.1). At 5%, two back-to-back runs of one commit on the 2-core reference VM (whose
# vCPU runs 50% slower in spells, `comparisons.measure.machine_speed`) crowned different
# co-winners in 4 of 14 verdict rows, every one a margin of 6-9%.
PRACTICAL_THRESHOLD = 0.10

Samples = Sequence[float] | Sequence[Sequence[float]]


@dataclass(frozen=True)
class Summary:
    """What `summarize` says of a cell's samples: stored in its record as a plain mapping
    (`to_json`), restated from the raw samples whenever a run is read."""

    n: int
    median: float
    mean: float
    stdev: float
    min: float
    max: float
    q1: float
    q3: float
    iqr: float
    ci95_low: float  # the 95% interval of the median, over runs and repeats
    ci95_high: float
    cv: float
    runs: int  # fresh processes the samples came from
    run_medians: list[float]
    between_runs_cv: float | None  # None for one run
    outliers: int  # Tukey fences: counted, never removed
    unstable: bool
    warnings: list[str]

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Summary:
        """A stored summary; one written before runs were counted is one run's."""
        return cls(**{"runs": 1, "run_medians": [data["median"]], "between_runs_cv": None, **data})


@dataclass(frozen=True)
class Ratio:
    """median(numerator) / median(denominator) with its 95% bootstrap interval.

    `significant`: the interval excludes 1. `meaningful`: significant and at least
    `PRACTICAL_THRESHOLD` away from 1, the one rule for "these two differ".
    """

    ratio: float
    ci95_low: float
    ci95_high: float
    significant: bool
    meaningful: bool


def as_runs(samples: Samples) -> list[list[float]]:
    """Samples grouped by run: a flat list is one run."""
    values: list[Any] = list(samples)
    if values and isinstance(values[0], (list, tuple, np.ndarray)):
        return [[float(v) for v in run] for run in values if len(run)]
    return [[float(v) for v in values]] if values else []


def _bootstrap_medians(runs: list[list[float]], rng: np.random.Generator) -> np.ndarray:
    """Medians of resampled data: samples alone for one run; runs, then samples within
    each, for several."""
    return _bootstrap(runs, rng, 50)


def _bootstrap(runs: list[list[float]], rng: np.random.Generator, percent: float) -> np.ndarray:
    """The `percent` percentile of resampled data: samples alone for one run; runs, then
    samples within each, for several."""
    if len(runs) == 1:
        samples = np.asarray(runs[0], dtype=float)
        picks = rng.integers(0, len(samples), size=(BOOTSTRAP_RESAMPLES, len(samples)))
        return _percentile_rows(samples[picks], percent)
    longest = max(len(run) for run in runs)
    padded = np.array([run + [run[-1]] * (longest - len(run)) for run in runs], dtype=float)
    lengths = np.array([len(run) for run in runs])
    chosen = rng.integers(0, len(runs), size=(BOOTSTRAP_RESAMPLES, len(runs)))
    within = (
        rng.random((BOOTSTRAP_RESAMPLES, len(runs), longest)) * lengths[chosen][:, :, None]
    ).astype(int)
    values = padded[chosen[:, :, None], within]
    return _percentile_rows(values.reshape(BOOTSTRAP_RESAMPLES, -1), percent)


def resampled_percentiles(
    runs: list[list[float]], percent: float, rng: np.random.Generator
) -> np.ndarray:
    """`BOOTSTRAP_RESAMPLES` bootstrap replicates of the `percent` percentile of `runs`
    (fresh processes resampled, then samples within each; samples alone for one run):
    what every interval here is made of, for readers that combine replicates
    themselves (`comparisons.records.crossover`)."""
    return _bootstrap(runs, rng, percent)


def _percentile_rows(values: np.ndarray, percent: float) -> np.ndarray:
    # np.median for the median, as before: the same bytes in reports of old runs.
    if percent == 50:
        return np.median(values, axis=1)
    return np.percentile(values, percent, axis=1)


def summarize(samples: Samples) -> Summary:
    """Median, spread, 95% interval of the median, CV and outlier count of `samples`
    (a flat list, or a list of runs: then the interval covers run-to-run variance)."""
    runs = as_runs(samples)
    values = np.asarray([v for run in runs for v in run], dtype=float)
    if values.size == 0:
        raise ValueError("no samples to summarize")
    q1, median, q3 = (float(v) for v in np.percentile(values, [25, 50, 75]))
    mean = float(values.mean())
    stdev = float(values.std(ddof=1)) if values.size > 1 else 0.0
    iqr = q3 - q1
    outliers = int(np.sum((values < q1 - 1.5 * iqr) | (values > q3 + 1.5 * iqr)))
    if values.size > 1:
        rng = np.random.default_rng(BOOTSTRAP_SEED)
        low, high = (float(v) for v in np.percentile(_bootstrap_medians(runs, rng), [2.5, 97.5]))
    else:
        low = high = median
    cv = stdev / mean if mean > 0 else 0.0
    warnings = []
    if values.size > 1 and cv > UNSTABLE_CV:
        warnings.append(f"CV {cv * 100:.0f}% is above {UNSTABLE_CV * 100:.0f}%")
    if mean > 0 and values.max() >= mean * (1 + FAR_FROM_MEAN):
        warnings.append(f"max is {(values.max() / mean - 1) * 100:.0f}% above the mean")
    if mean > 0 and values.min() <= mean * (1 - FAR_FROM_MEAN):
        warnings.append(f"min is {(1 - values.min() / mean) * 100:.0f}% below the mean")
    if median < SHORTEST_TRUSTED_S:
        warnings.append("repeats shorter than 1 ms: timer and scheduler noise dominate")
    run_medians = [float(np.median(run)) for run in runs]
    between = float(np.std(run_medians, ddof=1) / np.mean(run_medians)) if len(runs) > 1 else None
    if between is not None and between > UNSTABLE_CV:
        warnings.append(
            f"runs differ: their medians vary by {between * 100:.0f}% (another process, "
            "another moment of the machine)"
        )
    return Summary(
        n=int(values.size),
        median=median,
        mean=mean,
        stdev=stdev,
        min=float(values.min()),
        max=float(values.max()),
        q1=q1,
        q3=q3,
        iqr=iqr,
        ci95_low=low,
        ci95_high=high,
        cv=cv,
        runs=len(runs),
        run_medians=run_medians,
        between_runs_cv=between,
        outliers=outliers,
        unstable=bool(warnings),
        warnings=warnings,
    )


def ratio_of_medians(numerator: Samples, denominator: Samples) -> Ratio:
    """median(numerator) / median(denominator) with a 95% bootstrap interval (`Ratio`).

    `significant` is True when the interval excludes 1: the two sample sets differ by
    more than their own spread explains. `meaningful` adds that the difference is at
    least `PRACTICAL_THRESHOLD`: only then is one called faster or slower.
    """
    return ratio_of_percentiles(numerator, denominator, 50)


def ratio_of_lower_quartiles(numerator: Samples, denominator: Samples) -> Ratio:
    """The same ratio of the samples' lower quartiles (25th percentiles): what the verdict
    compares (`comparisons.records.ranking`). A slow spell of the machine only ever adds
    time, so the lower quartile of a cell's repeats is the time it takes outside such
    spells while it still has a sample on either side of it."""
    return ratio_of_percentiles(numerator, denominator, 25)


def ratio_of_percentiles(numerator: Samples, denominator: Samples, percent: float) -> Ratio:
    """`percent` percentile of numerator / of denominator, with a two-level bootstrap
    interval over runs and samples."""
    top, bottom = as_runs(numerator), as_runs(denominator)
    top_all = [v for run in top for v in run]
    bottom_all = [v for run in bottom for v in run]
    point = float(_percentile(top_all, percent) / _percentile(bottom_all, percent))
    if len(top_all) > 1 and len(bottom_all) > 1:
        rng = np.random.default_rng(BOOTSTRAP_SEED)
        ratios = _bootstrap(top, rng, percent) / _bootstrap(bottom, rng, percent)
        low, high = (float(v) for v in np.percentile(ratios, [2.5, 97.5]))
    else:
        low = high = point
    significant = bool(low > 1 or high < 1)
    return Ratio(
        ratio=point,
        ci95_low=low,
        ci95_high=high,
        significant=significant,
        meaningful=significant and abs(point - 1) >= PRACTICAL_THRESHOLD,
    )


def _percentile(values: list[float], percent: float) -> float:
    return float(np.median(values) if percent == 50 else np.percentile(values, percent))
