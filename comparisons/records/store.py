"""`records.jsonl`: appending one record at a time, and reading them back.

`append_record` writes one line atomically, the moment an invocation ends, so an
interrupted run keeps everything finished. `load_records` reads the file back, upgrades
records of older schema versions (`upgrade`) and refuses a corrupt line with its line
number; `unique_records` keeps the last record of each invocation (a resumed or re-run
one replaces the earlier).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any, cast

from comparisons.backends import BASELINE
from comparisons.cell.contract import in_flight
from comparisons.errors import UserError
from comparisons.measure.stats import Summary
from comparisons.records.schema import (
    CEILING,
    REQUIRED_FIELDS,
    SCHEMA_VERSION,
    STATUSES,
    Baseline,
    Record,
)
from workloads.vocabulary import Category

# Fields of `Record` that records of schema 1 (or early schema 2) may lack: None there.
OPTIONAL_SINCE_SCHEMA_1 = (
    "ideal_s",
    "kernel_cpu_s",
    "cpu_accounting",
    "machine",
    "service_requests",
)


class CorruptRecords(UserError, ValueError):
    """A records file that cannot be read back (a user-facing problem)."""


def append_record(path: Path, record: Record) -> None:
    """Append one record as one line with a single write, so a crash never leaves half."""
    line = (json.dumps(record, sort_keys=True, default=_stored_form) + "\n").encode()
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line)
        os.fsync(fd)
    finally:
        os.close(fd)


def _stored_form(value: Any) -> Any:
    """A typed value (`Summary`, `Baseline`) as its plain mapping; anything else JSON
    cannot write as its repr, rather than losing the record."""
    to_json = getattr(value, "to_json", None)
    return to_json() if callable(to_json) else repr(value)


def upgrade(record: dict[str, Any]) -> Record:
    """A stored record of any schema version in today's shape, typed: fields it lacks
    are None or empty (so readers need no version checks), `stats` a `Summary` and
    `baseline` a `Baseline`."""
    version = record.get("schema_version", 1)
    if version < 2:
        record.setdefault("invocation", 0)
        record.setdefault("invocations", 1)
        record.setdefault("warmup_s", [])
        record.setdefault("cpu_window_s", [])
        record.setdefault("peak_pss_bytes", None)
        record.setdefault("memory", None)
        record.setdefault("service_cpu_s", None)
        record.setdefault("yardstick", record["backend"] in (BASELINE, CEILING))
        record.setdefault("in_process", None)
        record.setdefault("in_flight", in_flight(record["workers"], record["tasks"]))
        record.setdefault("measures_transfer", record.get("category") == Category.DATA_TRANSFER)
        record.setdefault("yardstick_reason", None)
        record["schema_version"] = 2
    record.setdefault("share_s", None)
    record.setdefault("shared_input", None)
    record.setdefault("shared_process", [])
    for name in OPTIONAL_SINCE_SCHEMA_1:
        record.setdefault(name, None)
    if record.get("stats") is not None:
        record["stats"] = Summary.from_json(record["stats"])
    if record.get("baseline") is not None:
        record["baseline"] = Baseline.from_json(record["baseline"])
    return cast(Record, record)


def load_records(path: Path) -> list[Record]:
    """Read `records.jsonl`, upgraded to the current schema; a line that is not a valid
    record raises `CorruptRecords`."""
    records = []
    try:
        lines = path.read_text().splitlines()
    except OSError as exc:
        raise CorruptRecords(f"cannot read {path}: {exc.strerror}") from None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError:
            raise CorruptRecords(f"{path}:{number}: not valid JSON") from None
        missing = [f for f in REQUIRED_FIELDS if not isinstance(record, dict) or f not in record]
        if missing:
            raise CorruptRecords(f"{path}:{number}: record lacks {', '.join(missing[:5])}")
        if record["status"] not in STATUSES:
            raise CorruptRecords(f"{path}:{number}: unknown status {record['status']!r}")
        if (
            not isinstance(record["schema_version"], int)
            or record["schema_version"] > SCHEMA_VERSION
        ):
            raise CorruptRecords(
                f"{path}:{number}: schema version {record['schema_version']!r} is newer than "
                f"this code reads ({SCHEMA_VERSION}); update the project"
            )
        records.append(upgrade(record))
    return records


def invocation_id(record: Record) -> str:
    return f"{record['key']}#{record['invocation']}"


def unique_records(records: Iterable[Record]) -> list[Record]:
    """The last record of each cell invocation (a resumed or re-run one replaces the
    earlier)."""
    latest: dict[str, Record] = {}
    for record in records:
        latest.pop(invocation_id(record), None)
        latest[invocation_id(record)] = record
    return list(latest.values())
