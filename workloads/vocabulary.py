"""The checked words the project uses for kinds and categories of work.

A workload names its `kind` (how suites and the verdict group it) and its `category`
(the kind of work a user would name: "GIL-bound CPU", "network I/O"). The report's
verdict, claims and plots branch on these, so they are one `StrEnum` each rather than
strings repeated across modules: a misspelt category fails when the workload is built,
not silently in the report. Being `str` subclasses, members compare equal to, and are
written to records as, their plain values, so records of every schema version read the
same.
"""

from __future__ import annotations

from enum import StrEnum


class Kind(StrEnum):
    CPU = "cpu"
    IO = "io"
    MIXED = "mixed"
    OVERHEAD = "overhead"
    FAULT = "fault"


class Category(StrEnum):
    """In the order the report's verdict lists them."""

    GIL_BOUND_CPU = "GIL-bound CPU"
    GIL_RELEASING_CPU = "GIL-releasing CPU"
    WAITING_IO = "waiting I/O"
    NETWORK_IO = "network I/O"
    FILE_IO = "file I/O"
    MIXED = "mixed I/O + CPU"
    SHARED_INPUT = "shared read-only input"
    TINY_TASKS = "tiny tasks"
    DATA_TRANSFER = "data transfer"
    FAULTS = "faults"
    # A user's function (`workloads.target`) run without its characterisation.
    YOUR_FUNCTION = "your function"


CPU_CATEGORIES = (Category.GIL_BOUND_CPU, Category.GIL_RELEASING_CPU)
# Per-task cost rather than work: a model's overhead decides these rows.
OVERHEAD_CATEGORIES = (Category.TINY_TASKS, Category.DATA_TRANSFER)


def waits_on_peers(kind: str, category: str | None) -> bool:
    """I/O whose time is spent waiting on something else (a timer, a server), where
    thousands in flight make sense; file I/O is bounded by the local disk instead."""
    return kind == Kind.IO and category != Category.FILE_IO
