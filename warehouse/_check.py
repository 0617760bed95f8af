"""The post-publish check: which rows of a new file, or of the files it overlaps, lose.

Run after the file is visible (see ``_state`` for why that order makes concurrent writers
safe). The key, ``written_at`` and position of every other data file's rows come from a
:class:`KeyIndex`: data files never change once published (compaction writes new files and
removes the old ones), so each file's columns are read once per process, not once per append
(on S3 a re-read of every file on every append grew with the table).
"""
from __future__ import annotations

import posixpath
from collections import defaultdict

from ._layout import is_data_file
from ._viewsql import lit, q, scan

_EPOCH = "TIMESTAMPTZ '1970-01-01 00:00:00+00'"


class KeyIndex:
    """Key, ``written_at`` and row position of every data file of one table seen so far, in
    a temporary DuckDB table of the warehouse's connection."""

    def __init__(self, con, storage, table: str, key: str) -> None:
        self.con, self.storage, self.key = con, storage, key
        self.name = q(f"_codeharvest_keys_{table}")
        self.loaded: set[str] = set()          # full paths of the files in the index

    def full(self, rel: str) -> str:
        return f"{self.storage.root}/{rel}"

    def sync(self, present: list[str]) -> None:
        """Make the index hold exactly the files ``present`` (relative names)."""
        want = {self.full(rel) for rel in present}
        gone = self.loaded - want
        if gone:
            self.con.execute(f"DELETE FROM {self.name} WHERE filename IN ({', '.join(lit(f) for f in sorted(gone))})")
            self.loaded -= gone
        new = sorted(want - self.loaded)
        if not new:
            return
        select = (f"SELECT {q(self.key)} AS k, written_at, filename, file_row_number AS pos "
                  f"FROM {scan(new, ', filename=true, file_row_number=true')}")
        if self.loaded or self._exists():
            self.con.execute(f"INSERT INTO {self.name} {select}")
        else:
            self.con.execute(f"CREATE TEMP TABLE {self.name} AS {select}")
        self.loaded.update(new)

    def _exists(self) -> bool:
        name = self.name.strip('"').replace('""', '"')
        return bool(self.con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = ?",
                                     [name]).fetchone()[0])


def find_losers(index: KeyIndex, table: str, new_rel: str, exclude: set[str]) -> dict[str, tuple[int, ...]]:
    """Rows losing between ``new_rel`` and every other data file now present (minus ``exclude``)."""
    storage = index.storage
    others = sorted(rel for rel, _ in storage.list(table)
                    if is_data_file(rel) and rel != new_rel and rel not in exclude)
    index.sync(others)
    if not others:
        return {}
    new_full = index.full(new_rel)
    new_base = posixpath.basename(new_rel)
    sql = (
        f"SELECT CASE WHEN o_wins THEN {lit(new_full)} ELSE ofile END AS file, "
        f"CASE WHEN o_wins THEN npos ELSE opos END AS pos FROM ("
        f"SELECT o.filename AS ofile, o.pos AS opos, n.file_row_number AS npos, "
        f"(coalesce(o.written_at, {_EPOCH}) > coalesce(n.written_at, {_EPOCH}) OR "
        f"(coalesce(o.written_at, {_EPOCH}) = coalesce(n.written_at, {_EPOCH}) AND parse_filename(o.filename) > {lit(new_base)})) AS o_wins "
        f"FROM {index.name} AS o "
        f"JOIN read_parquet({lit(new_full)}, file_row_number=true) AS n ON o.k = n.{q(index.key)})")
    rows = index.con.sql(sql).fetchall()
    prefix = storage.root + "/"
    losers: dict[str, set[int]] = defaultdict(set)
    for file, pos in rows:
        rel = file[len(prefix):] if file.startswith(prefix) else file
        losers[rel].add(int(pos))
    return {f: tuple(sorted(p)) for f, p in sorted(losers.items())}
