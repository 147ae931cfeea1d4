"""Number formatting shared by the report's exporters: durations, sizes, ratios."""

from __future__ import annotations


def seconds(value: float | None) -> str:
    """A duration with a unit that keeps three significant figures readable."""
    if value is None:
        return "–"
    magnitude = abs(value)
    if magnitude >= 100:
        return f"{value:.0f} s"
    if magnitude >= 1:
        return f"{value:.3g} s"
    if magnitude >= 1e-3:
        return f"{value * 1e3:.3g} ms"
    return f"{value * 1e6:.3g} µs"


def mebibytes(value: float | None) -> str:
    return "–" if value is None else f"{value / 2**20:,.0f} MiB"


def ratio(value: float | None, digits: int = 2) -> str:
    return "–" if value is None else f"{value:.{digits}f}x"


def percent(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.0f}%"


def rate(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:,.0f}" if value >= 100 else f"{value:.3g}"
