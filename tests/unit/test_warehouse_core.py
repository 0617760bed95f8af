"""Warehouse on a local directory: append, de-duplicating views, compaction, schema evolution."""
from __future__ import annotations

import os
import time

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from warehouse import KEYS, TABLES, Warehouse, WarehouseError
from warehouse._layout import partition_dir


def score_rows(ids, *, score=0.5, benchmark="mbpp", model="m1"):
    return [{"score_id": f"s{i}", "benchmark": benchmark, "model_id": model, "score": score,
             "task_id": f"t{i}"} for i in ids]


def data_files(root):
    return sorted(str(p.relative_to(root)) for p in root.rglob("*.parquet"))


@pytest.fixture()
def wh(tmp_path):
    with Warehouse.open(str(tmp_path / "wh")) as w:
        yield w


def test_open_creates_or_refuses(tmp_path):
    with pytest.raises(WarehouseError, match="does not exist"):
        Warehouse.open(str(tmp_path / "missing"), create=False)
    assert not (tmp_path / "missing").exists()
    Warehouse.open(str(tmp_path / "new")).close()
    Warehouse.open(str(tmp_path / "new"), create=False).close()


def test_empty_tables_have_the_schema_columns(wh):
    for table, schema in TABLES.items():
        result = wh.sql(f"SELECT * FROM {table}")
        assert result.num_rows == 0
        assert result.column_names == schema.names


def test_append_fills_written_at_and_nulls(wh):
    assert wh.append("scores", score_rows(range(3))) == 3
    result = wh.sql("SELECT * FROM scores ORDER BY score_id")
    assert result.column("score_id").to_pylist() == ["s0", "s1", "s2"]
    assert result.column("hidden_passed").null_count == 3
    assert result.column("written_at").null_count == 0
    assert result.schema.field("written_at").type == pa.timestamp("us", tz="UTC")


def test_unknown_column_and_null_key_are_errors(wh, tmp_path):
    with pytest.raises(WarehouseError, match="unknown column.*bogus"):
        wh.append("scores", [{"score_id": "x", "bogus": 1}])
    with pytest.raises(WarehouseError, match="must not be null"):
        wh.append("scores", [{"score_id": None, "score": 1.0}])
    with pytest.raises(WarehouseError, match="bad value for column 'score'"):
        wh.append("scores", [{"score_id": "x", "score": "not a number"}])
    with pytest.raises(WarehouseError, match="unknown table"):
        wh.append("nope", [{"x": 1}])
    assert data_files(tmp_path / "wh") == []


def test_append_accepts_arrow_tables(wh):
    table = pa.table({"run_id": ["r1", "r2"], "spend_usd": [1.5, 2.0]})
    assert wh.append("runs", table) == 2
    assert sorted(wh.existing_keys("runs")) == ["r1", "r2"]


def test_duplicates_written_twice_read_once_latest_wins(wh):
    wh.append("scores", score_rows(range(10), score=0.1))
    wh.append("scores", score_rows(range(5, 15), score=0.2))
    wh.append("scores", score_rows([0], score=0.9) + score_rows([0], score=0.95))  # repeated in a batch
    result = wh.sql("SELECT score_id, score FROM scores ORDER BY score_id")
    got = dict(zip(result.column("score_id").to_pylist(), result.column("score").to_pylist()))
    assert len(got) == result.num_rows == 15
    assert got["s0"] == 0.95                      # last row of the newest batch
    assert all(got[f"s{i}"] == 0.1 for i in range(1, 5))
    assert all(got[f"s{i}"] == 0.2 for i in range(5, 15))
    assert wh.existing_keys("scores") == {f"s{i}" for i in range(15)}


def test_append_partitions_by_benchmark_with_safe_names(wh, tmp_path):
    wh.append("scores", score_rows([1], benchmark="../evil/x"))
    wh.append("scores", score_rows([2], benchmark="mbpp"))
    wh.append("scores", score_rows([3], benchmark="a") + score_rows([4], benchmark="b"))
    files = data_files(tmp_path / "wh")
    assert any(f.startswith("scores/benchmark=..%2Fevil%2Fx/part-") for f in files)
    assert any(f.startswith("scores/benchmark=mbpp/part-") for f in files)
    assert any(f.startswith("scores/part-") for f in files)  # a mixed batch stays one file
    assert all(os.path.realpath(tmp_path / "wh" / f).startswith(str(tmp_path / "wh")) for f in files)
    assert partition_dir("scores", None) == "scores/benchmark=__null__"
    assert partition_dir("scores", "..") == "scores/benchmark=%2E%2E"
    assert wh.sql("SELECT count(*) FROM scores").column(0)[0].as_py() == 4
    # pruning by statistics: a filter on benchmark still returns the right rows
    assert wh.sql("SELECT score_id FROM scores WHERE benchmark = '../evil/x'").column(0).to_pylist() == ["s1"]


def test_compact_keeps_every_row_once_and_merges_files(wh, tmp_path):
    for start in range(0, 50, 10):
        wh.append("scores", score_rows(range(start, start + 10), benchmark="mbpp"))
        wh.append("scores", score_rows(range(start, start + 10), benchmark="humaneval" if start % 20 else "mbpp",
                                       score=0.7))
    before = wh.sql("SELECT * EXCLUDE (written_at) FROM scores ORDER BY score_id")
    summary = wh.compact("scores")["scores"]
    assert summary["files_before"] == 10 and summary["files_after"] == 2 and summary["rows"] == 50
    after = wh.sql("SELECT * EXCLUDE (written_at) FROM scores ORDER BY score_id")
    assert after.equals(before)
    files = data_files(tmp_path / "wh")
    assert len(files) == 2 and all("/compact-" in f for f in files)
    assert {f.split("/")[1] for f in files} == {"benchmark=mbpp", "benchmark=humaneval"}
    # nothing left to do: a second compaction changes nothing
    again = wh.compact("scores")["scores"]
    assert again["rows"] is None and data_files(tmp_path / "wh") == files
    # appends after compaction still de-duplicate against the compacted files
    wh.append("scores", score_rows([3], benchmark="mbpp", score=0.01))
    assert wh.sql("SELECT count(*), min(score) FROM scores").to_pylist() == [{"count_star()": 50, "min(score)": 0.01}]


def test_query_must_be_one_read_statement(wh, tmp_path):
    for bad, msg in [("DROP VIEW scores", "read-only"), ("COPY (SELECT 1) TO 'x.csv'", "read-only"),
                     ("CREATE TABLE t AS SELECT 1", "read-only"), ("ATTACH 'x.db'", "read-only"),
                     ("SELECT 1; SELECT 2", "exactly one"), ("SELEC 1", "invalid SQL"), ("", "empty")]:
        with pytest.raises(WarehouseError, match=msg):
            wh.sql(bad)
    with pytest.raises(WarehouseError, match="query failed: Catalog Error"):
        wh.sql("SELECT * FROM no_such_table")
    assert not (tmp_path / "x.csv").exists() and not os.path.exists("x.csv")
    assert wh.sql("EXPLAIN SELECT * FROM scores").num_rows >= 1


def test_explain_analyze_runs_only_a_read(wh, tmp_path):
    """EXPLAIN ANALYZE executes its statement: a COPY or CREATE behind it wrote files and
    replaced the analytic views the report and exports read."""
    target = tmp_path / "pwned.csv"
    for bad in (f"EXPLAIN ANALYZE COPY (SELECT 42 AS x) TO '{target}'",
                "EXPLAIN ANALYZE CREATE OR REPLACE VIEW model_summary AS SELECT 'fake' AS benchmark",
                "explain analyse create table t as select 1"):
        with pytest.raises(WarehouseError, match="read-only"):
            wh.sql(bad)
    assert not target.exists()
    assert "fake" not in str(wh.sql("SELECT * FROM model_summary").to_pylist())
    assert wh.sql("EXPLAIN ANALYZE SELECT * FROM scores").num_rows >= 1


def test_schema_evolution_older_files_lack_a_new_column(tmp_path, monkeypatch):
    root = tmp_path / "wh"
    with Warehouse.open(str(root)) as wh:
        wh.append("runs", [{"run_id": "old", "spend_usd": 1.0}])
    # a hand-written file from an even older writer, without 'counts' and 'spend_usd'
    old_schema = pa.schema([f for f in TABLES["runs"] if f.name not in ("counts", "spend_usd")])
    (root / "runs").mkdir(exist_ok=True)
    pq.write_table(pa.table({"run_id": ["ancient"], "written_at": [None]}, schema=pa.schema(
        [old_schema.field("run_id"), old_schema.field("written_at")])), root / "runs" / "part-0-legacy.parquet")
    new_runs = TABLES["runs"].append(pa.field("gpu_hours", pa.float64()))
    monkeypatch.setitem(TABLES, "runs", new_runs)
    with Warehouse.open(str(root)) as wh:
        wh.append("runs", [{"run_id": "new", "gpu_hours": 2.5}])
        result = wh.sql("SELECT run_id, spend_usd, gpu_hours FROM runs ORDER BY run_id")
        assert result.to_pylist() == [{"run_id": "ancient", "spend_usd": None, "gpu_hours": None},
                                      {"run_id": "new", "spend_usd": None, "gpu_hours": 2.5},
                                      {"run_id": "old", "spend_usd": 1.0, "gpu_hours": None}]
        wh.compact("runs")
        assert wh.sql("SELECT count(*) FROM runs").column(0)[0].as_py() == 3
        assert wh.sql("SELECT gpu_hours FROM runs WHERE run_id='new'").column(0)[0].as_py() == 2.5


def test_unchecked_files_are_deduplicated_the_slow_way(wh, monkeypatch, caplog):
    """A writer that dies between publishing and checking leaves an unchecked file: still read once."""
    wh.append("scores", score_rows(range(10), score=0.1))

    def boom(*args, **kwargs):
        raise RuntimeError("killed before the check")

    monkeypatch.setattr("warehouse._warehouse.find_losers", boom)
    wh.append("scores", score_rows(range(5, 12), score=0.2))
    wh.append("scores", score_rows([11, 12], score=0.3))
    assert "check of" in caplog.text
    monkeypatch.undo()
    state = wh.state("scores")
    assert len(state.unchecked) == 2
    rows = {r["score_id"]: r["score"] for r in wh.sql("SELECT score_id, score FROM scores").to_pylist()}
    assert len(rows) == 13 and wh.sql("SELECT count(*) FROM scores").column(0)[0].as_py() == 13
    assert rows["s0"] == 0.1 and rows["s5"] == 0.2 and rows["s11"] == 0.3 and rows["s12"] == 0.3
    wh.compact("scores")  # repairs: everything checked again
    assert wh.state("scores").unchecked == []
    assert dict((r["score_id"], r["score"]) for r in wh.sql("SELECT score_id, score FROM scores").to_pylist()) == rows


def test_interrupted_compaction_changes_nothing_visible(wh, monkeypatch, tmp_path):
    wh.append("scores", score_rows(range(20), benchmark="mbpp"))
    wh.append("scores", score_rows(range(20, 30), benchmark="humaneval"))
    wh.append("scores", score_rows(range(5), benchmark="mbpp", score=0.9))
    expected = wh.sql("SELECT * FROM scores ORDER BY score_id")
    real = wh._check_and_record
    calls = []

    def fail_on_second_output(table, key, rel, **kw):
        if kw.get("group"):
            calls.append(rel)
            if len(calls) == 2:
                raise RuntimeError("compaction died")
        return real(table, key, rel, **kw)

    monkeypatch.setattr(wh, "_check_and_record", fail_on_second_output)
    with pytest.raises(RuntimeError):
        wh.compact("scores")
    monkeypatch.undo()
    state = wh.state("scores")
    assert len(state.hidden) == 2           # outputs written, group not committed: invisible
    assert wh.sql("SELECT * FROM scores ORDER BY score_id").equals(expected)
    wh.compact("scores")
    assert wh.sql("SELECT * FROM scores ORDER BY score_id").equals(expected)


def test_stale_temp_files_are_ignored_then_removed(wh, tmp_path):
    wh.append("scores", score_rows(range(3)))
    part = tmp_path / "wh" / "scores" / "benchmark=mbpp"
    junk = part / ".tmp-deadbeef"
    junk.write_bytes(b"PAR1 partial garbage")
    assert wh.sql("SELECT count(*) FROM scores").column(0)[0].as_py() == 3
    wh.compact("scores")
    assert junk.exists()                    # might belong to a live writer: kept
    old = time.time() - 7200
    os.utime(junk, (old, old))
    wh.compact("scores")
    assert not junk.exists()
    assert wh.sql("SELECT count(*) FROM scores").column(0)[0].as_py() == 3


def test_keys_of_every_table_are_declared():
    assert set(KEYS) == set(TABLES)
    for table, key in KEYS.items():
        assert key in TABLES[table].names and "written_at" in TABLES[table].names


def test_check_records_cover_concurrent_publishes(wh, tmp_path):
    """Two files published before either is checked: the later check still finds the overlap."""
    import io

    from warehouse._layout import new_data_name
    from warehouse._rows import normalise
    import datetime as dt

    rels = []
    for score in (0.1, 0.2):
        table = normalise("scores", TABLES["scores"], "score_id", score_rows(range(4), score=score),
                          dt.datetime.now(dt.timezone.utc))
        buf = io.BytesIO()
        pq.write_table(table, buf)
        rel = new_data_name("scores/benchmark=mbpp", "part")
        wh._storage.write_atomic(rel, buf.getvalue())
        rels.append(rel)
    for rel in rels:  # both checks see both files; records agree on the loser
        wh._check_and_record("scores", "score_id", rel)
    assert wh.sql("SELECT count(*), min(score), max(score) FROM scores").to_pylist() == [
        {"count_star()": 4, "min(score)": 0.2, "max(score)": 0.2}]


def test_scattered_and_contiguous_rewrites_both_read_once(wh):
    from warehouse._viewsql import MAX_RANGES, runs

    assert runs((1, 2, 3, 7, 9, 10)) == [(1, 3), (7, 7), (9, 10)]
    n = 4 * MAX_RANGES
    wh.append("scores", score_rows(range(n), score=0.0))
    wh.append("scores", score_rows(range(0, n, 2), score=1.0))          # scattered: anti-join path
    wh.append("scores", score_rows(range(n, n + 50), score=0.0))
    wh.append("scores", score_rows(range(n + 10, n + 20), score=2.0))   # contiguous: range path
    result = {r["score_id"]: r["score"] for r in wh.sql("SELECT score_id, score FROM scores").to_pylist()}
    assert wh.sql("SELECT count(*) FROM scores").column(0)[0].as_py() == len(result) == n + 50
    assert all(result[f"s{i}"] == (1.0 if i % 2 == 0 else 0.0) for i in range(n))
    assert all(result[f"s{i}"] == (2.0 if n + 10 <= i < n + 20 else 0.0) for i in range(n, n + 50))
    losers = wh.state("scores").losers
    assert sorted(len(v) for v in losers.values()) == [10, n // 2]


def test_every_moment_of_a_compaction_reads_the_same(wh, monkeypatch):
    """Freeze the compaction after each file operation and read: never a row missing or doubled."""
    wh.append("scores", score_rows(range(30), benchmark="mbpp"))
    wh.append("scores", score_rows(range(30, 40), benchmark="apps"))
    wh.append("scores", score_rows(range(0, 40, 3), benchmark="mbpp", score=0.9))
    wh.append("scores", score_rows(range(38, 45), benchmark="apps", score=0.8))
    expected = wh.sql("SELECT * FROM scores ORDER BY score_id")
    assert expected.num_rows == 45
    storage = wh._storage
    seen = []

    def observe():
        with Warehouse.open(wh.uri, create=False) as reader:  # an independent reader
            seen.append(reader.sql("SELECT * FROM scores ORDER BY score_id").equals(expected))

    for name in ("write_atomic", "publish", "delete"):
        real = getattr(storage, name)

        def wrapped(*args, _real=real, **kwargs):
            result = _real(*args, **kwargs)
            observe()
            return result

        monkeypatch.setattr(storage, name, wrapped)
    wh.compact("scores")
    monkeypatch.undo()
    # 2 outputs published + 2 check records + 4 inputs and 4 records deleted
    assert len(seen) >= 12 and all(seen), seen
    assert wh.sql("SELECT * FROM scores ORDER BY score_id").equals(expected)


def test_each_file_is_read_once_by_the_checks_of_later_appends(wh, monkeypatch):
    """The post-publish check reads the keys of the table's other files from an index that
    loads each (immutable) file once per process; compaction's removed files leave it."""
    import warehouse._check as check

    scanned: list[str] = []
    real_scan = check.scan
    monkeypatch.setattr(check, "scan", lambda paths, extra="": (scanned.extend(paths), real_scan(paths, extra))[1])
    for i in range(6):
        wh.append("scores", score_rows([i, i + 1], score=i / 10))      # each overlaps the last
    assert len(scanned) == len(set(scanned)) == 5                      # files 1..5, once each
    rows = wh.sql("SELECT score_id, score FROM scores ORDER BY score_id")
    assert list(zip(*[rows.column(c).to_pylist() for c in ("score_id", "score")])) == \
        [("s0", 0.0)] + [(f"s{i}", i / 10) for i in range(1, 6)] + [("s6", 0.5)]   # latest wins
    wh.compact("scores")
    wh.append("scores", score_rows([3], score=0.9))
    rows = wh.sql("SELECT score FROM scores WHERE score_id = 's3'")
    assert rows.column("score").to_pylist() == [0.9]
    from warehouse._layout import is_data_file

    present = {f"{wh._storage.root}/{rel}" for rel, _ in wh._storage.list("scores") if is_data_file(rel)}
    loaded = wh._key_indexes["scores"].loaded
    assert loaded < present and len(present - loaded) == 1      # every file but the newest


def test_a_warehouse_is_made_only_in_a_new_or_empty_folder(tmp_path):
    other = tmp_path / "home"
    other.mkdir()
    (other / "notes.txt").write_text("mine")
    with pytest.raises(WarehouseError, match="not empty and not a codeharvest warehouse"):
        Warehouse.open(str(other))
    assert sorted(p.name for p in other.iterdir()) == ["notes.txt"]       # nothing written there
    empty = tmp_path / "empty"
    empty.mkdir()
    Warehouse.open(str(empty)).close()
    Warehouse.open(str(empty)).close()                                    # now it is one: reopened
    assert (empty / "_codeharvest_warehouse.json").is_file()
