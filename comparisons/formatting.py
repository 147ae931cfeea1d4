"""Numbers as the report, the progress lines and `make diff` print them: three significant
figures, units chosen for the size."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def _three_figures(value: float) -> str:
    """Three significant figures, trailing zeros kept (2.00, not 2)."""
    magnitude = abs(value)
    if magnitude >= 100:
        return f"{value:.0f}"
    if magnitude >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def time_unit(value: float) -> tuple[float, str]:
    """(scale, unit) a duration of this size is printed in: s, ms or µs."""
    magnitude = abs(value)
    if magnitude >= 1:
        return 1.0, "s"
    if magnitude >= 1e-3:
        return 1e-3, "ms"
    return 1e-6, "µs"


def seconds(value: float | None) -> str:
    """A duration in s, ms or µs, with three significant figures."""
    if value is None:
        return "–"
    scale, unit = time_unit(value)
    return f"{_three_figures(value / scale)} {unit}"


def mebibytes(value: float | None) -> str:
    return "–" if value is None else f"{value / 2**20:,.0f} MiB"


def size(value: float | None) -> str:
    """Bytes in the unit that reads best: 512 B, 3.2 KiB, 48.0 MiB, 1.50 GiB."""
    if value is None:
        return "-"
    for unit, scale in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if value >= scale:
            return f"{_three_figures(value / scale)} {unit}"
    return f"{value:.0f} B"


def ratio(value: float | None, digits: int = 2) -> str:
    return "–" if value is None else f"{value:.{digits}f}x"


def percent(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.0f}%"


def rate(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:,.0f}" if value >= 100 else f"{value:.3g}"


def group_title(record: Mapping[str, Any]) -> str:
    """The work a group of cells shares: 'cpu.primes: 32 tasks, span=30000'."""
    params = ", ".join(f"{k}={v}" for k, v in sorted(record["params"].items()))
    return f"{record['workload']}: {record['tasks']} tasks" + (f", {params}" if params else "")
