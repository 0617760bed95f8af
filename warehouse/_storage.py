"""Where the warehouse lives: a local directory or ``s3://bucket/prefix`` (through s3fs).

One small interface (list, atomic write, read, delete) so the rest never cares which it is.
Local writes go to a dot-prefixed temp name in the same directory and are renamed into place;
S3 writes are one PUT of the complete object (objects appear whole or not at all).
"""
from __future__ import annotations

import logging
import os
import re
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from ._errors import WarehouseError

log = logging.getLogger(__name__)

TEMP_PREFIX = ".tmp-"
_BUCKET_RE = re.compile(r"^[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]$")
_SCHEME_RE = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*)://")


class Storage(Protocol):
    root: str  # the prefix DuckDB reads from (a path or s3://bucket/prefix), no trailing slash

    def exists(self) -> bool: ...
    def create(self) -> None: ...
    def list(self, rel: str) -> list[tuple[str, float]]: ...  # (relative path, mtime) under rel
    def write_atomic(self, rel: str, data: bytes) -> None: ...
    def read(self, rel: str) -> bytes: ...
    def read_many(self, rels: list[str]) -> dict[str, bytes | None]: ...
    def delete(self, rel: str) -> None: ...
    def register(self, con) -> None: ...
    def temp_path_for(self, rel: str) -> str: ...  # a local path DuckDB may write, then publish()
    def publish(self, tmp: str, rel: str) -> None: ...


@dataclass
class LocalStorage:
    root: str

    def exists(self) -> bool:
        """A warehouse is a directory holding the marker file (as on S3): any other directory
        is not one, however it looks."""
        return os.path.isdir(self.root) and os.path.isfile(os.path.join(self.root, MARKER))

    def create(self) -> None:
        """A new folder, or an empty one: a warehouse is never made inside other files
        (``-w /tmp`` would have spread its tables among them)."""
        try:
            os.makedirs(self.root, exist_ok=True)
            others = [n for n in os.listdir(self.root) if not n.startswith(".")]  # (temp names)
        except OSError as exc:
            raise WarehouseError(f"cannot create warehouse directory {self.root}: {exc.strerror}") from None
        if others and not os.path.isfile(os.path.join(self.root, MARKER)):
            raise WarehouseError(f"{self.root} is not empty and not a codeharvest warehouse (no {MARKER}): "
                                 f"give a new or empty folder")

    def list(self, rel: str) -> list[tuple[str, float]]:
        base = os.path.join(self.root, rel)
        out: list[tuple[str, float]] = []
        for dirpath, _dirs, files in os.walk(base):
            for name in files:
                full = os.path.join(dirpath, name)
                try:
                    mtime = os.stat(full).st_mtime
                except FileNotFoundError:
                    continue
                out.append((os.path.relpath(full, self.root).replace(os.sep, "/"), mtime))
        return out

    def write_atomic(self, rel: str, data: bytes) -> None:
        final = os.path.join(self.root, rel)
        directory = os.path.dirname(final)
        os.makedirs(directory, exist_ok=True)
        tmp = os.path.join(directory, f"{TEMP_PREFIX}{uuid.uuid4().hex}")
        try:
            with open(tmp, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, final)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise

    def read(self, rel: str) -> bytes:
        with open(os.path.join(self.root, rel), "rb") as fh:
            return fh.read()

    def read_many(self, rels: list[str]) -> dict[str, bytes | None]:
        out: dict[str, bytes | None] = {}
        for rel in rels:
            try:
                out[rel] = self.read(rel)
            except FileNotFoundError:
                out[rel] = None
        return out

    def delete(self, rel: str) -> None:
        try:
            os.unlink(os.path.join(self.root, rel))
        except FileNotFoundError:
            pass

    def register(self, con) -> None:
        return None

    def temp_path_for(self, rel: str) -> str:
        directory = os.path.dirname(os.path.join(self.root, rel))
        os.makedirs(directory, exist_ok=True)
        return os.path.join(directory, f"{TEMP_PREFIX}{uuid.uuid4().hex}")

    def publish(self, tmp: str, rel: str) -> None:
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, os.path.join(self.root, rel))


@dataclass
class S3Storage:
    root: str  # s3://bucket/prefix
    bucket: str
    prefix: str
    fs: object

    def _key(self, rel: str) -> str:
        return "/".join(p for p in (self.bucket, self.prefix, rel) if p)

    def _call(self, what: str, fn, *args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except FileNotFoundError:
            raise
        except PermissionError as exc:
            raise WarehouseError(f"S3 access denied for {self.root} while {what}: {_one_line(exc)}") from None
        except Exception as exc:  # botocore/aiohttp errors: endpoint unreachable, bad credentials, ...
            raise WarehouseError(f"S3 error for {self.root} while {what}: {_one_line(exc)}") from None

    def _bucket_exists(self) -> bool:
        try:
            self._call("checking the bucket", self.fs.call_s3, "head_bucket", Bucket=self.bucket)
        except FileNotFoundError:
            return False
        return True

    def exists(self) -> bool:
        if not self._bucket_exists():
            return False
        try:
            self._call("checking the warehouse marker", self.fs.info, self._key(MARKER))
        except FileNotFoundError:
            return False
        return True

    def create(self) -> None:
        if not self._bucket_exists():
            raise WarehouseError(f"S3 bucket '{self.bucket}' does not exist (create it first)")

    def list(self, rel: str) -> list[tuple[str, float]]:
        base = self._key(rel).rstrip("/")
        try:
            self.fs.invalidate_cache(base)
            found = self._call("listing files", self.fs.find, base, detail=True)
        except FileNotFoundError:
            return []
        strip = len(self._key("")) + (1 if self.prefix else 0)
        out = []
        for key, info in found.items():
            mtime = info.get("LastModified")
            out.append((key[strip:] if self.prefix else key[len(self.bucket) + 1:],
                        mtime.timestamp() if hasattr(mtime, "timestamp") else 0.0))
        return out

    def write_atomic(self, rel: str, data: bytes) -> None:
        self._call("writing", self.fs.pipe_file, self._key(rel), data)

    def read(self, rel: str) -> bytes:
        return self._call("reading", self.fs.cat_file, self._key(rel))

    def read_many(self, rels: list[str]) -> dict[str, bytes | None]:
        if not rels:
            return {}
        keys = [self._key(r) for r in rels]
        got = self._call("reading", self.fs.cat, keys, on_error="return")
        out: dict[str, bytes | None] = {}
        for rel, key in zip(rels, keys):
            value = got.get(key)
            if value is None:
                value = got.get("s3://" + key)
            out[rel] = value if isinstance(value, bytes) else None
        return out

    def delete(self, rel: str) -> None:
        try:
            self._call("deleting", self.fs.rm_file, self._key(rel))
        except FileNotFoundError:
            pass

    def register(self, con) -> None:
        con.register_filesystem(self.fs)

    def temp_path_for(self, rel: str) -> str:
        import tempfile

        fd, path = tempfile.mkstemp(prefix="codeharvest-", suffix=".parquet")
        os.close(fd)
        return path

    def publish(self, tmp: str, rel: str) -> None:
        try:
            # put_file uses multipart for large files: the object still appears only when complete.
            self._call("uploading", self.fs.put_file, tmp, self._key(rel))
        finally:
            try:
                os.unlink(tmp)
            except OSError:
                pass


MARKER = "_codeharvest_warehouse.json"


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:300]


def open_storage(uri: str) -> Storage:
    """Parse a warehouse URI; malformed ones raise WarehouseError with one line."""
    if not isinstance(uri, str) or not uri.strip():
        raise WarehouseError("empty warehouse URI")
    m = _SCHEME_RE.match(uri)
    if m is None:
        return LocalStorage(root=os.path.abspath(os.path.expanduser(uri)).rstrip(os.sep) or os.sep)
    scheme = m.group(1).lower()
    if scheme == "file":
        return LocalStorage(root=os.path.abspath(uri[len("file://"):]).rstrip(os.sep) or os.sep)
    if scheme not in ("s3", "s3a"):
        raise WarehouseError(f"unsupported warehouse URI scheme '{scheme}://' in {uri!r} "
                             "(use a local path or s3://bucket/prefix)")
    rest = uri[m.end():]
    bucket, _, prefix = rest.partition("/")
    prefix = prefix.strip("/")
    if not bucket:
        raise WarehouseError(f"malformed S3 URI {uri!r}: missing bucket (use s3://bucket/prefix)")
    if not _BUCKET_RE.match(bucket) or ".." in bucket:
        raise WarehouseError(f"malformed S3 URI {uri!r}: invalid bucket name '{bucket}' "
                             "(3-63 lowercase letters, digits, '.' or '-')")
    if any(part in (".", "..") for part in prefix.split("/")) or "//" in prefix:
        raise WarehouseError(f"malformed S3 URI {uri!r}: invalid prefix")
    fs = _s3fs()
    root = f"s3://{bucket}" + (f"/{prefix}" if prefix else "")
    return S3Storage(root=root, bucket=bucket, prefix=prefix, fs=fs)


def _s3fs():
    import s3fs

    endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
    client_kwargs = {"endpoint_url": endpoint} if endpoint else {}
    # Fail in seconds, not minutes, when the endpoint is unreachable.
    config_kwargs = {"connect_timeout": 5, "read_timeout": 60, "retries": {"max_attempts": 2, "mode": "standard"}}
    return s3fs.S3FileSystem(client_kwargs=client_kwargs, config_kwargs=config_kwargs,
                             use_listings_cache=False, skip_instance_cache=True)


def local_path(storage: Storage) -> Path | None:
    return Path(storage.root) if isinstance(storage, LocalStorage) else None
