"""File names and partition directories of a table (pure functions, no I/O).

``<table>/[benchmark=<quoted>/]{part,compact}-<utc µs>-<uuid>.parquet`` are data files;
``<same stem>.check.json`` is a data file's check record (see ``_state``); names starting with
``.tmp-`` are in-flight temp files and never read.
"""
from __future__ import annotations

import posixpath
import time
import uuid
from urllib.parse import quote

PARTITION_COLUMN: dict[str, str | None] = {
    "tasks": "benchmark",
    "generations": "benchmark",
    "scores": "benchmark",
    "runs": None,
}
NULL_PARTITION = "__null__"
CHECK_SUFFIX = ".check.json"


def partition_dir(table: str, value: object | None, *, partitioned: bool = True) -> str:
    """The directory for rows whose partition column is ``value`` (safe for any string)."""
    column = PARTITION_COLUMN.get(table)
    if column is None or not partitioned:
        return table
    text = NULL_PARTITION if value is None else quote(str(value), safe="")
    if text in (".", ".."):
        text = quote(text.replace(".", "%2E"), safe="%")
    return f"{table}/{column}={text}"


def new_data_name(directory: str, kind: str) -> str:
    assert kind in ("part", "compact")
    return f"{directory}/{kind}-{time.time_ns() // 1000:017d}-{uuid.uuid4().hex}.parquet"


def is_data_file(rel: str) -> bool:
    base = posixpath.basename(rel)
    return base.endswith(".parquet") and (base.startswith("part-") or base.startswith("compact-"))


def is_compact_file(rel: str) -> bool:
    return posixpath.basename(rel).startswith("compact-")


def is_temp_file(rel: str) -> bool:
    return posixpath.basename(rel).startswith(".tmp-")


def check_name(data_rel: str) -> str:
    return data_rel[: -len(".parquet")] + CHECK_SUFFIX


def data_name_of_check(check_rel: str) -> str:
    return check_rel[: -len(CHECK_SUFFIX)] + ".parquet"
