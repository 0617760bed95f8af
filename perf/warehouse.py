"""Per-model aggregation through the de-duplicating views vs. the raw Parquet files.

Writes 10 million synthetic ``scores`` rows (40 appends of 250k rows, realistic columns, all
through ``Warehouse.append``), then re-writes 100k of them the way a resumed run and a
re-scoring do (two appends holding new versions of existing keys), and times, in this one run,
the same per-model aggregation (a) through the ``scores`` view, which must de-duplicate,
and (b) straight over the raw Parquet files with DuckDB (the peer; it double-counts the
re-written rows). Prints both times and the view/raw ratio as the last line (target <= 1.5).

    .venv/bin/python perf/warehouse.py [--rows 10000000] [--files 40] [--keep]
"""
from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import duckdb  # noqa: E402

from warehouse import Warehouse  # noqa: E402

AGG = ("SELECT model_id, count(*) AS n, avg(score) AS mean_score, avg(pass_hidden::INT) AS pass_rate, "
       "sum(duration_s) AS seconds FROM {src} GROUP BY model_id ORDER BY model_id")

BATCH_SQL = """
SELECT md5('score' || i::VARCHAR) AS score_id, md5('gen' || i::VARCHAR) AS generation_id,
       'run-' || (i // 1000000)::VARCHAR AS run_id, md5('task' || (i // 64)::VARCHAR) AS task_key,
       ['humaneval', 'humaneval-plus', 'mbpp', 'mbpp-plus', 'apps'][1 + (i // 64) % 5] AS benchmark,
       'T/' || ((i // 64) % 974)::VARCHAR AS task_id,
       ['gpt-4o', 'gpt-4o-mini', 'claude-sonnet', 'claude-haiku', 'qwen2.5-coder-7b',
        'llama-3.1-8b', 'deepseek-coder', 'codestral'][1 + i % 8] AS model_id,
       ((i // 8) % 8)::INT AS sample_index, 'exec@1' AS scorer,
       CASE WHEN hash(i) % 50 = 0 THEN 'sandbox_error' ELSE 'scored' END AS status,
       1 AS visible_passed, 1 AS visible_total, (hash(i) % 10)::INT AS hidden_passed, 10 AS hidden_total,
       hash(i) % 3 > 0 AS pass_visible, hash(i) % 10 = 9 AS pass_hidden,
       (hash(i) % 10) / 10.0 + {bump} AS score,
       CASE WHEN hash(i) % 10 = 9 THEN NULL ELSE 'assertion_failed' END AS error_type,
       (hash(i) % 1000) / 1000.0 AS duration_s, '{{"timeout_s": 4}}' AS limits, 'host-1' AS host,
       'docker:sha256:abc' AS sandbox, TIMESTAMPTZ '2026-01-01 00:00:00+00' + to_microseconds(i) AS created_at
FROM range({lo}, {hi}) t(i) {where}
"""


def timed(con, sql: str) -> float:
    start = time.perf_counter()
    con.sql(sql).fetchall()
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--files", type=int, default=40)
    ap.add_argument("--rewrite", type=int, default=100_000, help="rows written again as newer versions")
    ap.add_argument("--repeats", type=int, default=9)
    ap.add_argument("--keep", action="store_true", help="keep the temp warehouse")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="codeharvest-perf-"))
    try:
        gen = duckdb.connect()
        wh = Warehouse.open(str(tmp / "wh"))
        per = args.rows // args.files
        t0 = time.perf_counter()
        for f in range(args.files):
            batch = gen.sql(BATCH_SQL.format(lo=f * per, hi=(f + 1) * per, bump=0, where="")).to_arrow_table()
            wh.append("scores", batch)
        half = args.rewrite // 2
        # A resumed run re-writes a slice of one earlier batch ...
        lo = (args.files // 8) * per
        wh.append("scores", gen.sql(BATCH_SQL.format(lo=lo, hi=lo + half, bump=0, where="")).to_arrow_table())
        # ... and a re-scoring writes new versions of one model's rows on one benchmark.
        lo = (args.files // 2) * per
        wh.append("scores", gen.sql(BATCH_SQL.format(
            lo=lo, hi=lo + 8 * half, bump=0.05, where="WHERE i % 8 = 2")).to_arrow_table())
        write_s = time.perf_counter() - t0
        files = sorted(str(p) for p in (tmp / "wh" / "scores").rglob("*.parquet"))
        total = args.rows + half + half
        print(f"wrote {total:,} rows in {len(files)} files through Warehouse.append in {write_s:.1f} s")

        expected = wh.sql("SELECT count(*) FROM scores").column(0)[0].as_py()
        assert expected == args.rows, f"view shows {expected} rows, expected {args.rows}"
        raw_con = duckdb.connect()
        raw_con.sql("SET parquet_metadata_cache=true")  # same footer cache the warehouse uses: a fair peer
        raw_sql = AGG.format(src="read_parquet([" + ", ".join(f"'{p}'" for p in files) + "], union_by_name=true)")
        view_sql = AGG.format(src="scores")
        wh.sql(view_sql)                      # warm both (file metadata, page cache)
        timed(raw_con, raw_sql)
        raw_t, view_t = [], []
        for _ in range(args.repeats):         # interleaved pairs, so both see the same machine load
            raw_t.append(timed(raw_con, raw_sql))
            start = time.perf_counter()
            wh.sql(view_sql)
            view_t.append(time.perf_counter() - start)
        ratios = [v / r for v, r in zip(view_t, raw_t)]
        print(f"raw parquet (duckdb read_parquet over all {len(files)} files, double-counts {args.rewrite:,} "
              f"re-written rows): median {statistics.median(raw_t) * 1000:.1f} ms, min {min(raw_t) * 1000:.1f} ms")
        print(f"de-duplicating view 'scores' via Warehouse.sql (incl. file listing and view refresh): "
              f"median {statistics.median(view_t) * 1000:.1f} ms, min {min(view_t) * 1000:.1f} ms")
        print(f"ratio of the minima: {min(view_t) / min(raw_t):.2f}; per-pair ratios: "
              + ", ".join(f"{r:.2f}" for r in ratios))
        print(f"view/raw ratio (median of {len(ratios)} interleaved pairs): {statistics.median(ratios):.2f} "
              "(target <= 1.5)")
        wh.close()
    finally:
        if args.keep:
            print(f"kept {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
