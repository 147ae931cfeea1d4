"""Steps over a history: a model whose latest runs on one machine all sit beyond what
the runs before them spread over, as a team tracking its benchmarks is warned of a
regression (asv's step detection; coiled's benchmark dashboard's rule, used here: the
last three runs above the mean and spread of the ten before).

A series is one cell setting on one machine and model, its medians in time order
(`comparisons.site.history`). It has a step when each of its last `RECENT` medians lies
beyond `SPREADS` standard deviations of the up to `BEFORE` medians before them, all on
the same side, and their mean differs from the earlier mean by at least the tie band
(`PRACTICAL_THRESHOLD`): a shift smaller than that is a tie by the verdict's own rule,
however steady. A series shorter than `RECENT + MIN_BEFORE` is not judged. The changes
page lists every step with the runs it spans; one run after a slow spell is not a step,
three in a row are.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from comparisons.measure.stats import PRACTICAL_THRESHOLD
from comparisons.site.history import History, Point

RECENT = 3
BEFORE = 10
MIN_BEFORE = 3
SPREADS = 2.0


@dataclass(frozen=True)
class Step:
    workload: str
    setting: str
    machine: str
    backend: str
    before_s: float  # mean of the earlier medians
    after_s: float  # mean of the last RECENT
    first_run: str  # the first run of the step
    last_run: str

    @property
    def slower(self) -> bool:
        return self.after_s > self.before_s


def step_in(points: list[Point]) -> tuple[float, float] | None:
    """(earlier mean, recent mean) when the series ends in a step, else None."""
    if len(points) < RECENT + MIN_BEFORE:
        return None
    recent = [p.median_s for p in points[-RECENT:]]
    earlier = [p.median_s for p in points[-RECENT - BEFORE : -RECENT]]
    mean = statistics.fmean(earlier)
    spread = statistics.stdev(earlier)
    above = all(v > mean + SPREADS * spread for v in recent)
    below = all(v < mean - SPREADS * spread for v in recent)
    after = statistics.fmean(recent)
    if not (above or below) or abs(after / mean - 1) < PRACTICAL_THRESHOLD:
        return None
    return mean, after


def steps(found: History) -> list[Step]:
    """Every series of the history that ends in a step, slower ones first."""
    out = []
    for workload, settings in found.items():
        for setting, traces in settings.items():
            for (machine, backend), points in traces.items():
                shift = step_in(points)
                if shift is not None:
                    out.append(
                        Step(
                            workload,
                            setting,
                            machine,
                            backend,
                            *shift,
                            points[-RECENT].run_id,
                            points[-1].run_id,
                        )
                    )
    return sorted(out, key=lambda s: (not s.slower, s.workload, s.setting, s.backend))
