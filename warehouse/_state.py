"""Which files a reader uses, and which of their rows are superseded.

Every data file is immutable. After a writer *publishes* a data file it *checks* it: it joins
the file's keys against every other data file present at that moment and records, in the
file's check record, the rows that lose (older ``written_at``; ties broken by file name).
Because each check starts after its own publish, for any two files the later checker saw the
earlier one, so the check records of two checked files always cover their overlap. Readers
therefore skip recorded losers and need a full de-dup only for *unchecked* files (a writer
that died between publish and check, or one still checking), which ``compact`` repairs.

Compaction outputs carry ``group`` (all outputs of one compaction) and ``replaces`` (its
inputs). They stay invisible until every member of the group is checked; from that moment
the inputs are invisible instead. That switch is the only way files change meaning, so a
reader never sees a row missing or doubled.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field

from ._layout import check_name, data_name_of_check, is_compact_file, is_data_file, is_temp_file, CHECK_SUFFIX


@dataclass(frozen=True)
class CheckRecord:
    file: str
    losers: dict[str, tuple[int, ...]]
    replaces: tuple[str, ...] = ()
    group: tuple[str, ...] = ()

    def to_json(self) -> bytes:
        return json.dumps({"v": 1, "file": self.file, "losers": {k: list(v) for k, v in self.losers.items()},
                           "replaces": list(self.replaces), "group": list(self.group)}).encode()

    @classmethod
    def from_json(cls, data: bytes) -> "CheckRecord":
        obj = json.loads(data)
        return cls(file=obj["file"], losers={k: tuple(v) for k, v in obj.get("losers", {}).items()},
                   replaces=tuple(obj.get("replaces", ())), group=tuple(obj.get("group", ())))


@dataclass
class TableState:
    table: str
    data: dict[str, float]                 # every data file present -> mtime
    records: dict[str, CheckRecord]        # data file -> its check record (checked files only)
    live: list[str] = field(default_factory=list)
    unchecked: list[str] = field(default_factory=list)
    losers: dict[str, tuple[int, ...]] = field(default_factory=dict)  # live checked file -> loser rows
    replaced: set[str] = field(default_factory=set)   # present but superseded by a compaction
    hidden: set[str] = field(default_factory=set)     # compaction outputs not (yet) committed
    stray_checks: dict[str, float] = field(default_factory=dict)  # records whose data file is gone
    temps: dict[str, float] = field(default_factory=dict)

    def signature(self) -> tuple:
        return (tuple(self.live), tuple(self.unchecked), tuple(self.losers.items()))


def build_state(table: str, listing: list[tuple[str, float]], records: dict[str, CheckRecord]) -> TableState:
    """Decide live files from a listing and the check records of the checked files."""
    data = {rel: mtime for rel, mtime in listing if is_data_file(rel)}
    checks = {rel: mtime for rel, mtime in listing if rel.endswith(CHECK_SUFFIX)}
    temps = {rel: mtime for rel, mtime in listing if is_temp_file(rel)}
    state = TableState(table=table, data=data, records={f: r for f, r in records.items() if f in data}, temps=temps)
    state.stray_checks = {c: m for c, m in checks.items() if data_name_of_check(c) not in data}
    checked = set(state.records)

    def committed(rec: CheckRecord) -> bool:
        return bool(rec.group) and all(member in checked for member in rec.group)

    for f, rec in state.records.items():
        if committed(rec):
            state.replaced.update(r for r in rec.replaces if r in data)
    for f in sorted(data):
        if f in state.replaced:
            continue
        if is_compact_file(f):
            rec = state.records.get(f)
            if rec is None or not committed(rec):
                state.hidden.add(f)
                continue
        state.live.append(f)
    live = set(state.live)
    state.unchecked = [f for f in state.live if f not in checked]
    losers: dict[str, set[int]] = {}
    for f in state.live:
        rec = state.records.get(f)
        if rec is None:
            continue
        for target, rows in rec.losers.items():
            if target in live and target in checked:
                losers.setdefault(target, set()).update(rows)
    state.losers = {k: tuple(sorted(v)) for k, v in sorted(losers.items())}
    return state


def checked_candidates(listing: list[tuple[str, float]]) -> list[str]:
    """Data files whose check record is present in the listing."""
    names = {rel for rel, _ in listing}
    return [rel for rel, _ in listing if is_data_file(rel) and check_name(rel) in names]
