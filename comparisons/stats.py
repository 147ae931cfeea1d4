"""Summary statistics of a cell's raw timing samples, and ratios between cells.

Every number the report shows comes from here: median, quartiles, a 95% interval for the
median (percentile bootstrap with a fixed seed, so rebuilding a report from the same
records gives the same bytes), coefficient of variation, and Tukey-fence outlier counts
(counted, never removed). Speedups carry their own bootstrap interval, resampling both
cells' samples independently.
"""

from __future__ import annotations

from collections.abc import Sequence
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


def _bootstrap_medians(samples: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    picks = rng.integers(0, len(samples), size=(BOOTSTRAP_RESAMPLES, len(samples)))
    return np.median(samples[picks], axis=1)


def summarize(samples: Sequence[float]) -> dict[str, Any]:
    """Median, spread, 95% interval of the median, CV and outlier count of `samples`."""
    values = np.asarray(samples, dtype=float)
    if values.size == 0:
        raise ValueError("no samples to summarize")
    q1, median, q3 = (float(v) for v in np.percentile(values, [25, 50, 75]))
    mean = float(values.mean())
    stdev = float(values.std(ddof=1)) if values.size > 1 else 0.0
    iqr = q3 - q1
    outliers = int(np.sum((values < q1 - 1.5 * iqr) | (values > q3 + 1.5 * iqr)))
    if values.size > 1:
        rng = np.random.default_rng(BOOTSTRAP_SEED)
        low, high = (float(v) for v in np.percentile(_bootstrap_medians(values, rng), [2.5, 97.5]))
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
    return {
        "n": int(values.size),
        "median": median,
        "mean": mean,
        "stdev": stdev,
        "min": float(values.min()),
        "max": float(values.max()),
        "q1": q1,
        "q3": q3,
        "iqr": iqr,
        "ci95_low": low,
        "ci95_high": high,
        "cv": cv,
        "outliers": outliers,
        "unstable": bool(warnings),
        "warnings": warnings,
    }


def ratio_of_medians(numerator: Sequence[float], denominator: Sequence[float]) -> dict[str, Any]:
    """median(numerator) / median(denominator) with a 95% bootstrap interval.

    `significant` is True when the interval excludes 1: the two sample sets differ by
    more than their own spread explains.
    """
    top = np.asarray(numerator, dtype=float)
    bottom = np.asarray(denominator, dtype=float)
    point = float(np.median(top) / np.median(bottom))
    if top.size > 1 and bottom.size > 1:
        rng = np.random.default_rng(BOOTSTRAP_SEED)
        ratios = _bootstrap_medians(top, rng) / _bootstrap_medians(bottom, rng)
        low, high = (float(v) for v in np.percentile(ratios, [2.5, 97.5]))
    else:
        low = high = point
    return {
        "ratio": point,
        "ci95_low": low,
        "ci95_high": high,
        "significant": bool(low > 1 or high < 1),
    }


def speedup(baseline: Sequence[float], samples: Sequence[float]) -> dict[str, float]:
    """Baseline median / cell median, with a 95% bootstrap interval of that ratio."""
    result = ratio_of_medians(baseline, samples)
    return {
        "speedup": result["ratio"],
        "ci95_low": result["ci95_low"],
        "ci95_high": result["ci95_high"],
    }
