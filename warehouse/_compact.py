"""``compact``: merge a table's files into one de-duplicated file per partition.

Outputs are written and checked first; the last output's check record commits the switch
(outputs visible, inputs invisible, see ``_state``); only then are the inputs deleted.
Leftovers of crashed writers (old temp files, uncommitted outputs, stray records) are removed.
"""
from __future__ import annotations

import logging
import os
import time

from ._layout import PARTITION_COLUMN, check_name, is_compact_file, new_data_name, partition_dir
from ._schema import KEYS, TABLES
from ._viewsql import lit, q

log = logging.getLogger(__name__)

STALE_S = 3600.0  # temp files and uncommitted outputs older than this belong to dead writers


def _nothing_to_do(state) -> bool:
    if state.unchecked or state.losers or state.replaced or state.temps or state.stray_checks or state.hidden:
        return False
    dirs = [f.rsplit("/", 1)[0] for f in state.live]
    return len(set(dirs)) == len(dirs) and all(is_compact_file(f) for f in state.live)


def compact_table(wh, table: str) -> dict:
    storage, con = wh._storage, wh._con
    schema, key = TABLES[table], KEYS[table]
    state = wh.state(table)
    now = time.time()
    stale_temps = [t for t, m in state.temps.items() if now - m > STALE_S]
    stale_hidden = [f for f in state.hidden if now - state.data[f] > STALE_S]
    stale_checks = [c for c, m in state.stray_checks.items() if now - m > STALE_S]
    summary = {"files_before": len(state.live), "files_after": len(state.live), "rows": None,
               "removed": 0}
    if _nothing_to_do(state):
        return summary
    inputs = list(state.live)
    outputs: list[str] = []
    rows = 0
    if inputs:
        src = f"_ch_compact_{table}"
        wh._install_view(con, table, state, src)
        column = PARTITION_COLUMN.get(table)
        values = [r[0] for r in con.sql(f"SELECT DISTINCT {q(column)} FROM {src}").fetchall()] if column else [None]
        for value in values:
            where = ""
            if column:
                where = (f"WHERE {q(column)} IS NULL" if value is None
                         else f"WHERE {q(column)} = {lit(str(value))}")
            rel = new_data_name(partition_dir(table, value, partitioned=column is not None), "compact")
            tmp = storage.temp_path_for(rel)
            try:
                con.sql(f"COPY (SELECT * FROM {src} {where} ORDER BY {q(key)}) TO {lit(tmp)} "
                        "(FORMAT parquet, COMPRESSION zstd)")
                storage.publish(tmp, rel)
            except BaseException:
                try:
                    os.unlink(tmp)
                except OSError:
                    pass
                for done in outputs:
                    storage.delete(done)
                raise
            outputs.append(rel)
        con.sql(f"DROP VIEW IF EXISTS {src}")
        rows = sum(con.sql(f"SELECT count(*) FROM read_parquet({lit(wh._full(o))})").fetchall()[0][0] for o in outputs)
        replaces = tuple(sorted(set(inputs) | set(state.replaced) | set(stale_hidden)))
        group = tuple(outputs)
        siblings = set(outputs)
        for rel in outputs:  # the last record written commits the switch
            wh._check_and_record(table, key, rel, exclude=(siblings - {rel}) | set(replaces),
                                 replaces=replaces, group=group)
    removed = 0
    for rel in sorted(set(inputs) | state.replaced | set(stale_hidden)):
        storage.delete(rel)
        storage.delete(check_name(rel))
        removed += 1
    for rel in stale_temps + stale_checks:
        storage.delete(rel)
        removed += 1
    log.info("compacted %s: %d files -> %d (%d rows)", table, len(inputs), len(outputs), rows)
    return {"files_before": len(state.live), "files_after": len(outputs), "rows": rows, "removed": removed}
