"""SVEN vulnerability detection (eth-sri/sven ``data_train_val``), Python records only.

Each record yields two classification tasks: the vulnerable function (label ``yes``) and the
fixed one (label ``no``). Scored by accuracy (plus the bias penalty downstream). Their ids end
in ``a`` and ``b``, in an order drawn from the code (a hash), never from the label: an id that
said "vulnerable" would hand the answer to anything trained on exported ids (version 1.1; 1.0
ended its ids in ``/vulnerable`` and ``/fixed``). The two share their record's id prefix, the
problem an export split keeps whole.
"""
from __future__ import annotations

import hashlib
import textwrap
from pathlib import Path

from ._data import record_context, iter_jsonl, need, resolve
from ._registry import BenchmarkInfo, register
from ._types import Task

CWES = ("022", "078", "079", "089", "125", "190", "416", "476", "787")
FIELDS = ("func_name", "func_src_before", "func_src_after", "file_name", "vul_type")
VERSION = "1.1"


def _load(data_dir: str | Path | None, split: str | None) -> list[Task]:
    splits = ("train", "val") if split in (None, "all") else (split,)
    tasks = []
    for part in splits:
        for cwe in CWES:
            path = resolve(f"sven/data_train_val/{part}/cwe-{cwe}.jsonl", data_dir)
            for lineno, rec in iter_jsonl(path):
                with record_context(path, f"line {lineno}"):
                    need(rec, FIELDS, path, f"line {lineno}")
                    if not str(rec["file_name"]).endswith(".py"):
                        continue
                    base = f"{part}/cwe-{cwe}/{lineno}"
                    meta = {"cwe": rec["vul_type"], "func_name": rec["func_name"], "file_name": rec["file_name"],
                            "commit_link": rec.get("commit_link"), "source_line": lineno}
                    pair = (("vulnerable", rec["func_src_before"], "yes"), ("fixed", rec["func_src_after"], "no"))
                    flip = hashlib.sha256((pair[0][1] + "\0" + pair[1][1]).encode("utf-8", "surrogatepass")).digest()[0] & 1
                    for suffix, (variant, source, label) in zip("ab", pair[::-1] if flip else pair):
                        tasks.append(Task(
                            benchmark="sven", version=VERSION, task_id=f"{base}/{suffix}", kind="classification",
                            language="python", dimension="vulnerability_detection",
                        prompt=textwrap.dedent(source).strip("\n"), reference=label,
                            metadata={**meta, "variant": variant},
                        ))
    return tasks


register(BenchmarkInfo(
    name="sven", kind="classification", version=VERSION,
    source="SVEN vulnerability data (eth-sri/sven data_train_val), Python records",
    default_files=tuple(f"sven/data_train_val/{p}/cwe-{c}.jsonl" for p in ("train", "val") for c in CWES),
    dimension="vulnerability_detection", splits=("all", "train", "val"), default_split="all", loader=_load,
))
