"""The post-publish check: which rows of a new file, or of the files it overlaps, lose.

Run after the file is visible (see ``_state`` for why that order makes concurrent writers
safe). Cost: one scan of the key and ``written_at`` columns of the table's other files.
"""
from __future__ import annotations

import posixpath
from collections import defaultdict

from ._layout import is_data_file
from ._viewsql import lit, q, scan


def find_losers(con, storage, table: str, key: str, new_rel: str, exclude: set[str]) -> dict[str, tuple[int, ...]]:
    """Rows losing between ``new_rel`` and every other data file now present (minus ``exclude``)."""
    others = sorted(rel for rel, _ in storage.list(table)
                    if is_data_file(rel) and rel != new_rel and rel not in exclude)
    if not others:
        return {}
    full = lambda rel: f"{storage.root}/{rel}"  # noqa: E731
    new_full = full(new_rel)
    new_base = posixpath.basename(new_rel)
    k = q(key)
    epoch = "TIMESTAMPTZ '1970-01-01 00:00:00+00'"
    sql = (
        f"SELECT CASE WHEN o_wins THEN {lit(new_full)} ELSE ofile END AS file, "
        f"CASE WHEN o_wins THEN npos ELSE opos END AS pos FROM ("
        f"SELECT o.filename AS ofile, o.file_row_number AS opos, n.file_row_number AS npos, "
        f"(coalesce(o.written_at, {epoch}) > coalesce(n.written_at, {epoch}) OR "
        f"(coalesce(o.written_at, {epoch}) = coalesce(n.written_at, {epoch}) AND parse_filename(o.filename) > {lit(new_base)})) AS o_wins "
        f"FROM {scan([full(r) for r in others], ', filename=true, file_row_number=true')} AS o "
        f"JOIN read_parquet({lit(new_full)}, file_row_number=true) AS n ON o.{k} = n.{k})")
    rows = con.sql(sql).fetchall()
    prefix = storage.root + "/"
    losers: dict[str, set[int]] = defaultdict(set)
    for file, pos in rows:
        rel = file[len(prefix):] if file.startswith(prefix) else file
        losers[rel].add(int(pos))
    return {f: tuple(sorted(p)) for f, p in sorted(losers.items())}
