"""Which files a reader uses: pure decisions from a listing and check records."""
from __future__ import annotations

from warehouse._layout import check_name
from warehouse._state import CheckRecord, build_state

A = "scores/benchmark=mbpp/part-1-a.parquet"
B = "scores/benchmark=mbpp/part-2-b.parquet"
C1 = "scores/benchmark=mbpp/compact-3-c.parquet"
C2 = "scores/benchmark=apps/compact-3-d.parquet"


def listing(*files, checked=()):
    out = [(f, 1.0) for f in files]
    out += [(check_name(f), 1.0) for f in checked]
    return out


def test_losers_only_count_between_live_checked_files():
    recs = {A: CheckRecord(A, {}), B: CheckRecord(B, {A: (0, 2)})}
    state = build_state("scores", listing(A, B, checked=(A, B)), recs)
    assert state.live == [A, B] and state.unchecked == [] and state.losers == {A: (0, 2)}
    # B's record is lost (e.g. still being written): B is unchecked, its records are not trusted
    state = build_state("scores", listing(A, B, checked=(A,)), {A: recs[A]})
    assert state.unchecked == [B] and state.losers == {}


def test_compaction_switch_is_atomic_over_its_group():
    group = (C1, C2)
    recs = {A: CheckRecord(A, {}), B: CheckRecord(B, {A: (1,)}),
            C1: CheckRecord(C1, {}, replaces=(A, B), group=group),
            C2: CheckRecord(C2, {}, replaces=(A, B), group=group)}
    # outputs published, none or only one checked: invisible, inputs still live
    for checked in ((A, B), (A, B, C1)):
        state = build_state("scores", listing(A, B, C1, C2, checked=checked), {k: recs[k] for k in checked})
        assert state.live == [A, B] and state.hidden == {C1, C2} and state.losers == {A: (1,)}
    # last record written: outputs live, inputs replaced (even before they are deleted)
    state = build_state("scores", listing(A, B, C1, C2, checked=(A, B, C1, C2)), recs)
    assert sorted(state.live) == sorted([C1, C2]) and state.replaced == {A, B} and state.losers == {}
    # inputs deleted: the same view
    state = build_state("scores", listing(C1, C2, checked=(C1, C2)), recs)
    assert sorted(state.live) == sorted([C1, C2]) and state.hidden == set()


def test_temps_and_stray_records_are_never_data():
    state = build_state("scores", [("scores/.tmp-x", 1.0), (check_name(A), 1.0)], {})
    assert state.live == [] and list(state.temps) == ["scores/.tmp-x"] and list(state.stray_checks) == [check_name(A)]


def test_check_record_round_trip():
    rec = CheckRecord(A, {B: (1, 5)}, replaces=(B,), group=(A,))
    assert CheckRecord.from_json(rec.to_json()) == rec
