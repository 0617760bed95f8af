"""``Warehouse``: append-only Parquet tables behind de-duplicating DuckDB views."""
from __future__ import annotations

import datetime as dt
import io
import json
import logging
import re
import threading
import time

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from . import _views
from ._errors import WarehouseError
from ._check import KeyIndex, find_losers
from ._layout import PARTITION_COLUMN, check_name, new_data_name, partition_dir
from ._rows import normalise
from ._schema import KEYS, TABLES
from ._state import CheckRecord, TableState, build_state, checked_candidates
from ._storage import MARKER, Storage, open_storage
from ._viewsql import losers_table, view_sql

log = logging.getLogger(__name__)

_READ_STATEMENTS = {"SELECT", "EXPLAIN"}
_MISSING_FILE_HINTS = ("no such file", "no files found", "not found", "does not exist", "filenotfound",
                       "nosuchkey")
RETRIES = 8


def is_missing_file_error(exc: BaseException) -> bool:
    """A data file vanished under us (a concurrent compaction deleted it): worth a relist."""
    if isinstance(exc, FileNotFoundError):
        return True
    if isinstance(exc, (duckdb.ParserException, duckdb.BinderException, duckdb.CatalogException)):
        return False
    text = str(exc).lower()
    return any(h in text for h in _MISSING_FILE_HINTS)


class Warehouse:
    """Tables ``tasks, generations, scores, runs`` as Parquet files under a local directory or
    ``s3://bucket/prefix``, queried through DuckDB views that show each key once (latest
    ``written_at`` wins). Not thread-safe for concurrent calls on one instance; use one
    instance per thread or process (any number of processes may write at once)."""

    def __init__(self, storage: Storage, uri: str):
        self._storage = storage
        self.uri = uri
        self._lock = threading.RLock()
        self._records: dict[str, CheckRecord] = {}   # check records are immutable: cache them
        self._signatures: dict[str, tuple] = {}
        self._states: dict[str, tuple[tuple, TableState]] = {}
        self._analytics_done = False
        self._key_indexes: dict[str, KeyIndex] = {}   # per table: the other files' keys, read once
        self._con = duckdb.connect(":memory:")
        try:
            self._con.sql("SET TimeZone='UTC'")
        except duckdb.Error:  # pragma: no cover - ICU missing
            pass
        # data files are immutable (new name per write), so caching their footers is safe
        self._con.sql("SET parquet_metadata_cache=true")
        storage.register(self._con)

    # -- opening -------------------------------------------------------------------------------
    @classmethod
    def open(cls, uri: str, *, create: bool = True) -> "Warehouse":
        """Open (and by default create) a warehouse; a missing one with ``create=False``,
        a malformed URI or an unreachable S3 endpoint raise WarehouseError."""
        storage = open_storage(uri)
        if not storage.exists():
            if not create:
                raise WarehouseError(f"warehouse {uri!r} does not exist")
            storage.create()
            storage.write_atomic(MARKER, json.dumps({"format": "codeharvest-warehouse", "version": 1}).encode())
        return cls(storage, uri)

    @property
    def root(self) -> str:
        return self._storage.root

    def close(self) -> None:
        with self._lock:
            try:
                self._con.close()
            except duckdb.Error:  # pragma: no cover
                pass

    def __enter__(self) -> "Warehouse":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- writing -------------------------------------------------------------------------------
    def append(self, table: str, rows) -> int:
        """Write one new Parquet file holding ``rows`` (atomically), then check it; returns rows written."""
        schema, key = self._table(table)
        written_at = dt.datetime.now(dt.timezone.utc)
        data = normalise(table, schema, key, rows, written_at)
        if data.num_rows == 0:
            return 0
        column = PARTITION_COLUMN.get(table)
        values = set(data.column(column).unique().to_pylist()) if column else set()
        directory = partition_dir(table, next(iter(values)) if len(values) == 1 else None,
                                  partitioned=len(values) == 1)
        rel = new_data_name(directory, "part")
        buf = io.BytesIO()
        pq.write_table(data, buf, compression="zstd")
        with self._lock:
            self._storage.write_atomic(rel, buf.getvalue())
            log.debug("published %s (%d rows)", rel, data.num_rows)
            try:
                self._check_and_record(table, key, rel)
            except Exception as exc:  # the rows are durable; readers de-dup unchecked files the slow way
                log.warning("check of %s failed (%s); readers will de-duplicate it the slow way until "
                            "'codeharvest compact' runs", rel, " ".join(str(exc).split())[:200])
        return data.num_rows

    def _check_and_record(self, table: str, key: str, rel: str, *, exclude: set[str] = frozenset(),
                          replaces: tuple[str, ...] = (), group: tuple[str, ...] = ()) -> CheckRecord:
        for attempt in range(RETRIES):
            try:
                index = self._key_indexes.get(table)
                if index is None:
                    index = self._key_indexes[table] = KeyIndex(self._con, self._storage, table, key)
                losers = find_losers(index, table, rel, set(exclude))
                break
            except duckdb.Error as exc:
                if not is_missing_file_error(exc) or attempt == RETRIES - 1:
                    raise
                time.sleep(0.05 * (attempt + 1))  # a concurrent compaction removed a file: relist
        record = CheckRecord(file=rel, losers=losers, replaces=replaces, group=group)
        self._storage.write_atomic(check_name(rel), record.to_json())
        self._records[rel] = record
        return record

    # -- reading -------------------------------------------------------------------------------
    def _table(self, table: str):
        if table not in TABLES:
            raise WarehouseError(f"unknown table '{table}' (tables: {', '.join(TABLES)})")
        return TABLES[table], KEYS[table]

    def state(self, table: str) -> TableState:
        """The files a reader of ``table`` uses right now."""
        self._table(table)
        listing = self._storage.list(table)
        wanted = [f for f in checked_candidates(listing) if f not in self._records]
        if wanted:
            got = self._storage.read_many([check_name(f) for f in wanted])
            for f in wanted:
                raw = got.get(check_name(f))
                if raw is not None:
                    try:
                        self._records[f] = CheckRecord.from_json(raw)
                    except (ValueError, KeyError):
                        log.warning("ignoring unreadable check record of %s", f)
        names = tuple(sorted(listing))
        cached = self._states.get(table)
        if cached is not None and cached[0] == names:
            return cached[1]  # same files, same (immutable) records: same state
        state = build_state(table, listing, self._records)
        self._states[table] = (names, state)
        return state

    def _full(self, rel: str) -> str:
        return f"{self._storage.root}/{rel}"

    def _install_view(self, con, table: str, state: TableState, name: str) -> None:
        schema, key = TABLES[table], KEYS[table]
        losers_name = f"_ch_losers_{name}"
        con.register(losers_name, losers_table(state, self._full))
        con.sql(f"CREATE OR REPLACE VIEW {name} AS {view_sql(state, schema, key, self._full, losers_name)}")

    def _refresh(self, query: str) -> None:
        """Point the base views at the files present now (only tables the query may read),
        installing all views, then the analytic views, on first use."""
        first = not self._signatures
        for table in (TABLES if first else referenced_tables(query)):
            state = self.state(table)
            sig = state.signature()
            if self._signatures.get(table) != sig:
                self._install_view(self._con, table, state, table)
                self._signatures[table] = sig
        if first and not self._analytics_done:
            for name, sql in _views.ANALYTIC_VIEWS:
                try:
                    self._con.sql(f"CREATE OR REPLACE VIEW {name} AS {sql}")
                except duckdb.Error as exc:
                    if is_missing_file_error(exc):
                        raise  # a file vanished while binding: the caller relists and retries
                    log.warning("analytic view %s could not be created: %s", name, _first_line(exc)[:200])
            self._analytics_done = True

    def _run(self, query: str, fetch):
        check_read_only(query)
        with self._lock:
            for attempt in range(RETRIES):
                try:
                    self._refresh(query)
                    return fetch(self._con.sql(query))
                except duckdb.Error as exc:
                    if is_missing_file_error(exc) and attempt < RETRIES - 1:
                        # a compaction removed a file between our listing and the read: relist
                        self._signatures.clear()
                        time.sleep(0.05 * (attempt + 1))
                        continue
                    raise WarehouseError(f"query failed: {_first_line(exc)}") from None
                except FileNotFoundError:
                    if attempt < RETRIES - 1:
                        self._signatures.clear()
                        continue
                    raise WarehouseError("query failed: warehouse files vanished while reading") from None
        raise AssertionError("unreachable")

    def confine(self) -> None:
        """From now on this connection reads only the warehouse's own files (no
        ``read_csv('/etc/passwd')`` in a user's query), and its settings are locked. For
        ``codeharvest query``: call it before running the user's statement."""
        root = self.root.rstrip("/") + "/"
        with self._lock:
            try:
                self._con.sql(f"SET allowed_directories=[{_sql_str(root)}]")
                self._con.sql("SET enable_external_access=false")
                self._con.sql("SET lock_configuration=true")
            except duckdb.Error as exc:
                raise WarehouseError(f"cannot confine the query to the warehouse: {_first_line(exc)}") from None

    def sql(self, query: str) -> pa.Table:
        """Run one read-only statement over the views; returns Arrow."""
        return self._run(query, lambda rel: rel.to_arrow_table() if rel is not None else pa.table({}))

    def df(self, query: str):
        """Like ``sql`` but returns a pandas DataFrame."""
        return self._run(query, lambda rel: rel.df() if rel is not None else None)

    def existing_keys(self, table: str) -> set[str]:
        _schema, key = self._table(table)
        result = self.sql(f'SELECT "{key}" FROM {table}')
        return set(result.column(0).to_pylist())

    # -- maintenance ---------------------------------------------------------------------------
    def compact(self, table: str | None = None) -> dict:
        """Merge each table's files into one de-duplicated file per partition; returns per-table counts."""
        from ._compact import compact_table

        tables = [table] if table is not None else list(TABLES)
        for t in tables:
            self._table(t)
        out = {}
        with self._lock:
            for t in tables:
                for attempt in range(RETRIES):
                    try:
                        out[t] = compact_table(self, t)
                        break
                    except duckdb.Error as exc:
                        # another compaction deleted an input under us; its outputs hold the rows
                        if not is_missing_file_error(exc) or attempt == RETRIES - 1:
                            raise WarehouseError(f"compaction of '{t}' failed: {_first_line(exc)}") from None
                        time.sleep(0.05 * (attempt + 1))
            self._signatures.clear()
        return out


def referenced_tables(query: str) -> list[str]:
    """Base tables a query may read, directly or through analytic views (an over-estimate is
    fine: it only decides which tables get their file listing refreshed)."""
    words = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", query.lower()))
    views = {name.lower(): sql for name, sql in _views.ANALYTIC_VIEWS}
    seen: set[str] = set()
    todo = [w for w in words if w in views]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        inner = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", views[name].lower()))
        words |= inner
        todo.extend(w for w in inner if w in views and w not in seen)
    return [t for t in TABLES if t in words]


def check_read_only(query: str) -> None:
    """Only one SELECT/EXPLAIN statement may run: queries never write."""
    if not isinstance(query, str) or not query.strip():
        raise WarehouseError("empty query")
    try:
        statements = duckdb.extract_statements(query)
    except duckdb.Error as exc:
        raise WarehouseError(f"invalid SQL: {_first_line(exc)}") from None
    if len(statements) != 1:
        raise WarehouseError(f"expected exactly one SQL statement, got {len(statements)}")
    kind = getattr(statements[0].type, "name", str(statements[0].type))
    if kind not in _READ_STATEMENTS:
        raise WarehouseError(f"only read-only queries are allowed (SELECT/EXPLAIN), got {kind}")
    if kind == "EXPLAIN":   # EXPLAIN ANALYZE runs its statement: that one must read only too
        inner = _EXPLAIN_PREFIX.sub("", statements[0].query, count=1)
        try:
            inner_kinds = [getattr(st.type, "name", str(st.type)) for st in duckdb.extract_statements(inner)]
        except duckdb.Error as exc:
            raise WarehouseError(f"invalid SQL: {_first_line(exc)}") from None
        if inner_kinds != ["SELECT"]:
            raise WarehouseError(f"only read-only queries are allowed: EXPLAIN of "
                                 f"{', '.join(inner_kinds) or 'nothing'}")


_EXPLAIN_PREFIX = re.compile(r"^\s*EXPLAIN\s*(\([^)]*\)\s*)?(ANALY[SZ]E\b\s*)?", re.IGNORECASE)


def _sql_str(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _first_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:400] or type(exc).__name__
