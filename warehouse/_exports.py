"""Training-split exports for router trainers (DESIGN.md section 7).

Every export: one scored outcome per task x model (the lowest sample index), a ``split`` column
assigned per problem group (a problem never in two splits, whichever benchmark or version posed
it; see ``_problems``), stratified by benchmark family and deterministic for a seed; features
are the task prompt (never tests), model responses and visible-test outcomes only (no hidden
verdict details, no stderr, no references); Parquet or JSONL by the output's extension; a
``<stem>.manifest.json`` beside it. Formats register themselves in ``EXPORTS``.
"""
from __future__ import annotations

import json
import logging
import math
import os
import re
import subprocess
import tempfile
import zlib
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from itertools import combinations
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ._analytics import check_selection, first_samples
from ._errors import WarehouseError
from ._numbers import check_count, finite
from ._problems import grouping_manifest, problem_group
from ._routing import cost_ratios, cs_inverse

log = logging.getLogger(__name__)

SPLITS = ("train", "val", "test")


@dataclass(frozen=True)
class ExportOptions:
    """Selection, split and per-format knobs (defaults are the documented CLI defaults)."""

    benchmarks: tuple[str, ...] = ()
    models: tuple[str, ...] = ()
    seed: int = 0
    val: float = 0.1
    test: float = 0.2
    cheap: str | None = None            # routellm weak / sft local model (default: cheapest)
    strong: str | None = None           # routellm strong / sft API model (default: priciest)
    lam: float = 0.0                    # sft: oracle label under R = s - lam * c
    lambda2s: tuple[float, ...] = (0.0, 0.25, 0.5)  # regression: RS per lambda2
    scale: bool = False                 # regression: standard-scale targets per benchmark (train fit)
    logging_policy: str = "uniform"     # bandit: uniform | epsilon_greedy
    greedy_model: str | None = None     # bandit: the policy epsilon-greedy follows
    epsilon: float = 0.1
    w_q: float = 1.0                    # bandit reward r = w_q * q - w_c * min(c / tau, 1)
    w_c: float = 1.0
    tau: float | None = None            # default: the largest per-call cost exported


@dataclass
class ExportResult:
    format: str
    files: dict[str, int]               # path -> rows
    manifest: Path
    rows_per_split: dict[str, int] = field(default_factory=dict)


Builder = Callable[[pd.DataFrame, ExportOptions], dict[str, pd.DataFrame]]
EXPORTS: dict[str, Builder] = {}


def register(name: str) -> Callable[[Builder], Builder]:
    def deco(fn: Builder) -> Builder:
        EXPORTS[name] = fn
        return fn
    return deco


def assign_splits(tasks: pd.DataFrame, *, seed: int = 0, val: float = 0.1, test: float = 0.2) -> pd.Series:
    """A Series task_key -> train | val | test, drawn per problem group, stratified by family.

    ``tasks`` needs ``task_key``, ``benchmark`` and ``task_id``. Every task_key of one problem
    (HumanEval/7 in humaneval, humaneval-plus or any version of either) gets one split, else a
    router would be tested on a problem it was trained on.
    """
    if not (finite(val) and finite(test)) or val < 0 or test < 0 or val + test >= 1:
        raise WarehouseError(f"--val and --test must be >= 0 and sum to less than 1 (got {val}, {test})")
    uniq = tasks[["task_key", "benchmark", "task_id"]].drop_duplicates("task_key")
    groups = [problem_group(b, t) for b, t in zip(uniq["benchmark"], uniq["task_id"])]
    by_family: dict[str, set[tuple[str, str]]] = {}
    for group in groups:
        by_family.setdefault(group[0], set()).add(group)
    split_of: dict[tuple[str, str], str] = {}
    for family, members in by_family.items():
        split_of.update(_split_family(members, family, seed, val, test))
    return pd.Series([split_of[g] for g in groups], index=uniq["task_key"].to_numpy(), name="split")


def _split_family(groups: set[tuple[str, str]], family: str, seed: int, val: float,
                  test: float) -> dict[tuple[str, str], str]:
    """One stratum: shuffle its groups (seeded per family, independent of row order) and cut."""
    ordered = sorted(groups)
    rng = np.random.default_rng([seed, zlib.crc32(family.encode())])
    shuffled = [ordered[i] for i in rng.permutation(len(ordered))]
    n_test, n_val = int(round(len(ordered) * test)), int(round(len(ordered) * val))
    return {g: "test" if i < n_test else "val" if i < n_test + n_val else "train" for i, g in enumerate(shuffled)}


def _sample_id(df: pd.DataFrame) -> pd.Series:
    return df["benchmark"].astype(str) + "/" + df["task_id"].astype(str)


def _prices(df: pd.DataFrame) -> pd.DataFrame:
    """Per benchmark x model mean cost per call."""
    return df.groupby(["benchmark", "model_id"])["cost_usd"].mean().fillna(0.0).rename("price").reset_index()


def _task_base(df: pd.DataFrame) -> pd.DataFrame:
    base = df.drop_duplicates("task_key")[["task_key", "benchmark", "task_id", "task_prompt", "split",
                                           "dimension", "difficulty"]]
    base = base.rename(columns={"task_prompt": "prompt"})
    base.insert(0, "sample_id", _sample_id(base))
    return base.reset_index(drop=True)


@register("routerbench")
def _routerbench(df: pd.DataFrame, opt: ExportOptions) -> dict[str, pd.DataFrame]:
    base = _task_base(df)[["sample_id", "task_key", "prompt", "benchmark", "split"]]
    base = base.rename(columns={"benchmark": "eval_name"})
    models = sorted(df.model_id.unique())
    price = _prices(df).set_index(["benchmark", "model_id"])["price"]
    wide = base.set_index("task_key")
    for m in models:
        sub = df[df.model_id == m].set_index("task_key")
        wide[m] = sub["quality"]
        wide[f"{m}|model_response"] = sub["raw_output"]
        wide[f"{m}|total_cost"] = sub["cost_usd"]
    best = []
    for key, row in wide.iterrows():
        cands = [(row[m], row[f"{m}|total_cost"], price.get((row.eval_name, m), 0.0), m)
                 for m in models if pd.notna(row[m])]
        top = max((c[0] for c in cands), default=None)
        if top is None or top <= 0:
            best.append("no_model_correct")
        else:
            # ties to the cheapest; a cost not recorded (a free model) counts as 0, as elsewhere
            best.append(min((c for c in cands if c[0] == top),
                            key=lambda c: (_zero_if_na(c[1]), _zero_if_na(c[2]), c[3]))[3])
    wide["oracle_model_to_route_to"] = best
    return {"": wide.reset_index(drop=True)}


def _cheap_strong(df: pd.DataFrame, opt: ExportOptions) -> tuple[str, str]:
    models = sorted(df.model_id.unique())
    if len(models) < 2:
        raise WarehouseError("this export needs at least two models in the selection")
    for given in (opt.cheap, opt.strong):
        if given is not None:
            check_selection(models, [given], "model")
    price = df.groupby("model_id")["cost_usd"].mean().fillna(0.0)
    by_price = sorted(models, key=lambda m: (price[m], m))
    cheap = opt.cheap or next(m for m in by_price if m != opt.strong)
    strong = opt.strong or next(m for m in reversed(by_price) if m != cheap)
    if cheap == strong:
        raise WarehouseError("the cheap and the strong model must differ")
    return cheap, strong


def _pair_frame(df: pd.DataFrame, cheap: str, strong: str) -> pd.DataFrame:
    c = df[df.model_id == cheap].set_index("task_key")
    s = df[df.model_id == strong].set_index("task_key")
    keys = [k for k in _task_base(df).task_key if k in c.index and k in s.index]
    if not keys:
        raise WarehouseError(f"no task has scored outcomes for both {cheap!r} and {strong!r}")
    return c.loc[keys], s.loc[keys]


@register("routellm")
def _routellm(df: pd.DataFrame, opt: ExportOptions) -> dict[str, pd.DataFrame]:
    weak, strong = _cheap_strong(df, opt)
    base = _task_base(df).set_index("task_key")
    c, s = _pair_frame(df, weak, strong)
    main = base.loc[c.index, ["sample_id", "prompt", "benchmark", "split"]].copy()
    main[strong] = (s["quality"] >= 1.0).to_numpy()
    main[weak] = (c["quality"] >= 1.0).to_numpy()
    idx = {k: i for i, k in enumerate(base.index)}  # one task index shared with the pairwise table
    main.insert(0, "idx", [idx[k] for k in main.index])
    main = main.reset_index(drop=True)
    # Pairwise preferences over every pair of selected models, per task both have answered;
    # by score (fraction of hidden tests passed), so partial credit breaks all-fail ties.
    pref = df.assign(pref=df["score"].astype(float).fillna(df["quality"]))
    q = pref.pivot_table(index="task_key", columns="model_id", values="pref", aggfunc="first")
    rows = []
    for a, b in combinations(sorted(df.model_id.unique()), 2):
        both = q[[a, b]].dropna()
        for key, (qa, qb) in both.iterrows():
            winner = "model_a" if qa > qb else "model_b" if qb > qa else "tie"
            rows.append({"idx": idx[key], "sample_id": base.at[key, "sample_id"], "prompt": base.at[key, "prompt"],
                         "model_a": a, "model_b": b, "winner": winner, "split": base.at[key, "split"]})
    return {"": main, "pairwise": pd.DataFrame(rows)}


@register("regression")
def _regression(df: pd.DataFrame, opt: ExportOptions) -> dict[str, pd.DataFrame]:
    base = _task_base(df).set_index("task_key")
    prices = _prices(df)
    parts = []
    for bench, grp in prices.groupby("benchmark"):
        cs = cost_ratios(grp.price.to_numpy())
        parts.append(grp.assign(cs=cs, cs_inv=cs_inverse(cs)))
    cost = pd.concat(parts)
    out = df[["task_key", "model_id", "benchmark", "quality", "score", "cost_usd"]].merge(
        cost[["benchmark", "model_id", "cs", "cs_inv"]], on=["benchmark", "model_id"])
    out = out.rename(columns={"quality": "es"})
    for l2 in opt.lambda2s:
        out[f"rs@{l2:g}"] = (1 - l2) * out["es"] + l2 * out["cs_inv"]
    front = base.loc[out.task_key, ["sample_id", "prompt", "task_id", "dimension", "difficulty", "split"]]
    out = pd.concat([front.reset_index(drop=True), out.reset_index(drop=True)], axis=1)
    if opt.scale:
        targets = ["es", "cs_inv"] + [f"rs@{l2:g}" for l2 in opt.lambda2s]
        for col in targets:
            out[f"{col}_scaled"] = np.nan
        for bench, grp in out.groupby("benchmark"):
            train = grp[grp.split == "train"]
            fit = train if len(train) else grp
            for col in targets:
                mu, sd = fit[col].mean(), fit[col].std(ddof=0)
                out.loc[grp.index, f"{col}_scaled"] = (grp[col] - mu) / (sd if sd > 0 else 1.0)
    cols = ["sample_id", "task_key", "benchmark", "task_id", "model_id", "split"]
    return {"": out[cols + [c for c in out.columns if c not in cols]].sort_values(["sample_id", "model_id"])
            .reset_index(drop=True)}


@register("bandit")
def _bandit(df: pd.DataFrame, opt: ExportOptions) -> dict[str, pd.DataFrame]:
    if opt.logging_policy not in ("uniform", "epsilon_greedy"):
        raise WarehouseError(f"unknown logging policy {opt.logging_policy!r} (uniform, epsilon_greedy)")
    if opt.logging_policy == "epsilon_greedy":
        if opt.greedy_model is None:
            raise WarehouseError("epsilon_greedy logging needs a greedy model (--policy MODEL)")
        check_selection(df.model_id, [opt.greedy_model], "model")
        if not 0 <= opt.epsilon <= 1:
            raise WarehouseError("epsilon must be in [0, 1]")
    highest = df["cost_usd"].max()      # (NaN when no model has a recorded cost: free models)
    tau = opt.tau if opt.tau is not None else (float(highest) if pd.notna(highest) and highest > 0 else 1.0)
    if not (math.isfinite(tau) and tau > 0):
        raise WarehouseError("tau must be a finite number > 0")
    rng = np.random.default_rng(opt.seed)
    base = _task_base(df).set_index("task_key")
    rows = []
    for key, grp in df.sort_values("model_id").groupby("task_key", sort=False):
        arms = list(grp.model_id)
        k = len(arms)
        if opt.logging_policy == "uniform" or opt.greedy_model not in arms:
            p = np.full(k, 1.0 / k)
        else:
            p = np.full(k, opt.epsilon / k)
            p[arms.index(opt.greedy_model)] += 1.0 - opt.epsilon
        i = int(rng.choice(k, p=p))
        chosen = grp.iloc[i]
        q, c = float(chosen.quality), float(chosen.cost_usd if pd.notna(chosen.cost_usd) else 0.0)
        rows.append({"sample_id": base.at[key, "sample_id"], "task_key": key, "benchmark": chosen.benchmark,
                     "task_id": chosen.task_id, "prompt": base.at[key, "prompt"], "split": base.at[key, "split"],
                     "arms": arms, "action": arms[i], "propensity": float(p[i]),
                     "logging_policy": opt.logging_policy, "quality": q, "cost_usd": c,
                     "reward": opt.w_q * q - opt.w_c * min(c / tau, 1.0)})
    out = pd.DataFrame(rows).sort_values("sample_id").reset_index(drop=True)
    return {"": out}


def _zero_if_na(value: Any) -> float:
    return 0.0 if pd.isna(value) else float(value)


def _flag(value: Any) -> bool | None:
    """A nullable boolean from pandas (None, NaN, pd.NA, numpy bools)."""
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return None
    return bool(value)


def sft_prompt(task_prompt: str, completion: str, pass_visible: Any, visible_passed: Any,
               visible_total: Any, error_type: Any) -> str:
    """The verifier-aware router prompt: task, local completion, visible verdict only."""
    passed = _flag(pass_visible)
    if passed is None or _flag(visible_total) is None or not visible_total:
        verdict = "no visible tests"
    elif passed:
        verdict = f"passed {int(visible_passed)}/{int(visible_total)} visible tests"
    else:
        verdict = f"failed visible tests ({int(visible_passed or 0)}/{int(visible_total)} passed)"
        if isinstance(error_type, str) and error_type:
            verdict += f", error: {error_type}"
    return (f"### Task\n{task_prompt}\n\n### Local model's solution\n{completion}\n\n"
            f"### Visible test outcome\n{verdict}\n\n"
            "### Answer LOCAL to keep the local solution or API to ask the API model.\n")


@register("sft")
def _sft(df: pd.DataFrame, opt: ExportOptions) -> dict[str, pd.DataFrame]:
    cheap, strong = _cheap_strong(df, opt)
    c, s = _pair_frame(df, cheap, strong)
    base = _task_base(df).set_index("task_key")
    norm = s.groupby("benchmark")["cost_usd"].transform("mean").replace(0, 1.0).fillna(1.0)
    cc = c["cost_usd"].fillna(0.0) / norm
    cs = s["cost_usd"].fillna(0.0) / norm
    keep = c["quality"] - opt.lam * cc >= s["quality"] - opt.lam * (cc + cs)
    rows = []
    for key in c.index:
        cr = c.loc[key]
        # A visible *pass* is reported without an error type: the stored error type may come
        # from a hidden test, which would leak the hidden verdict.
        error = cr.error_type if _flag(cr.pass_visible) is False else None
        completion = cr.extracted_code if isinstance(cr.extracted_code, str) and cr.extracted_code else cr.raw_output
        label = "LOCAL" if bool(keep[key]) else "API"
        rows.append({"sample_id": base.at[key, "sample_id"], "benchmark": cr.benchmark, "task_id": cr.task_id,
                     "split": base.at[key, "split"],
                     "prompt": sft_prompt(base.at[key, "prompt"], completion or "", cr.pass_visible,
                                          cr.visible_passed, cr.visible_total, error),
                     "completion": label, "label": label, "local_model": cheap, "api_model": strong,
                     "lambda": opt.lam})
    return {"": pd.DataFrame(rows)}


def _code_version() -> str:
    try:
        from importlib.metadata import version
        v = version("codeharvest")
    except Exception:  # noqa: BLE001 - not installed
        v = "unknown"
    try:
        rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=Path(__file__).parent,
                             capture_output=True, text=True, timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        rev = ""
    return f"{v}+{rev}" if rev else v


def readable_mode(path: str | Path) -> None:
    """mkstemp files are 0600; give the published file the usual umask-based mode."""
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(path, 0o666 & ~umask)


def check_output_path(path: str | Path, option: str = "--out") -> Path:
    """Refuse, before any work, an output file that could not be written: the target is a
    directory (or another non-file), its parent is a file, or nothing can be created in the
    parent (read-only, ``/proc``). A missing parent is fine where it can be created (the
    writer creates it). Nothing is left behind (one probe file, removed at once)."""
    text = str(path)
    if re.match(r"^[A-Za-z][A-Za-z0-9+.-]+:/", text):  # s3://..., also as a Path (s3:/...)
        raise WarehouseError(f"{option} must be a local path (got {text!r})")
    p = Path(path)
    try:
        if text.endswith(("/", os.sep)) or p.name in ("", ".", "..") or p.is_dir():
            raise WarehouseError(f"{option} {text}: is a directory, not a file")
        if p.exists() and not p.is_file():
            raise WarehouseError(f"{option} {text}: exists and is not a regular file")
        ancestor = p.absolute().parent
        while not os.path.lexists(ancestor) and ancestor != ancestor.parent:
            ancestor = ancestor.parent
        if not ancestor.is_dir():
            raise WarehouseError(f"{option} {text}: {ancestor} is not a directory")
    except OSError as exc:
        raise WarehouseError(f"{option} {text}: {exc.strerror or exc}") from None
    try:
        fd, probe = tempfile.mkstemp(prefix=".codeharvest-probe-", suffix=".tmp", dir=ancestor)
    except OSError as exc:
        raise WarehouseError(f"{option} {text}: cannot create files in {ancestor} "
                             f"({exc.strerror or exc})") from None
    os.close(fd)
    os.unlink(probe)
    return p


def write_error(path: str | Path, exc: OSError) -> WarehouseError:
    """An OSError while writing an output file, as one line."""
    return WarehouseError(f"cannot write {path}: {exc.strerror or exc}")


def _write(frame: pd.DataFrame, path: Path, kind: str) -> None:
    if kind == "parquet":
        pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path)
    else:
        with open(path, "w", encoding="utf-8") as fh:
            for record in frame.to_dict("records"):
                fh.write(json.dumps({k: _plain(v) for k, v in record.items()}, ensure_ascii=False,
                                    allow_nan=False) + "\n")


def _plain(value: Any) -> Any:
    """JSON-ready Python values: numpy scalars/arrays unwrapped, NaN/NA as null."""
    if isinstance(value, np.ndarray):
        return [_plain(v) for v in value.tolist()]
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


def _check_options(opt: ExportOptions) -> None:
    """Numbers a user gives: before anything is read or written (NaN passes every comparison)."""
    check_count("--seed", opt.seed)
    for name, value in (("--val", opt.val), ("--test", opt.test), ("--lambda", opt.lam),
                        ("--epsilon", opt.epsilon), ("--wq", opt.w_q), ("--wc", opt.w_c)):
        if not finite(value):
            raise WarehouseError(f"{name} must be a finite number (got {value})")
    if opt.lam < 0:
        raise WarehouseError(f"--lambda must be >= 0 (got {opt.lam:g})")
    if opt.tau is not None and not (finite(opt.tau) and opt.tau > 0):
        raise WarehouseError(f"--tau must be a finite number > 0 (got {opt.tau})")
    bad = [l2 for l2 in opt.lambda2s if not (finite(l2) and 0 <= l2 <= 1)]
    if bad:
        raise WarehouseError(f"lambda2 must be in [0, 1] (got {bad[0]})")


def export_data(source: Any, fmt: str, out: str | Path, options: ExportOptions | None = None) -> ExportResult:
    """Write export ``fmt`` to ``out`` (``.parquet`` or ``.jsonl``) plus a manifest; atomic.

    The data files are renamed into place first and the manifest last; on any failure every
    temp file goes (nothing half-written is left, and no manifest names files not written)."""
    opt = options or ExportOptions()
    if fmt not in EXPORTS:
        raise WarehouseError(f"unknown export format {fmt!r} (formats: {', '.join(sorted(EXPORTS))})")
    if re.match(r"^[A-Za-z][A-Za-z0-9+.-]+:/", str(out)):  # s3://..., also as a Path (s3:/...)
        raise WarehouseError(f"--out must be a local path (got {str(out)!r})")
    out = Path(out)
    ext = out.suffix.lower()
    kind = {".parquet": "parquet", ".pq": "parquet", ".jsonl": "jsonl", ".ndjson": "jsonl"}.get(ext)
    if kind is None:
        raise WarehouseError(f"--out must end in .parquet or .jsonl (got {out.name!r})")
    _check_options(opt)
    manifest_path = out.with_name(f"{out.stem}.manifest.json")
    check_output_path(out)
    check_output_path(manifest_path, "--out (its manifest)")
    everything = first_samples(source)
    benchmarks = check_selection(everything.benchmark if not everything.empty else [],
                                 list(opt.benchmarks), "benchmark")
    df = everything[everything.benchmark.isin(benchmarks)]
    models = check_selection(df.model_id, list(opt.models), "model")
    df = df[df.model_id.isin(models)].copy()
    if df.empty:
        raise WarehouseError("the selection has no scored outcomes")
    splits = assign_splits(df, seed=opt.seed, val=opt.val, test=opt.test)
    df["split"] = df["task_key"].map(splits)
    frames = EXPORTS[fmt](df, opt)

    targets = {suffix: out if not suffix else out.with_name(f"{out.stem}.{suffix}{out.suffix}")
               for suffix in frames}
    for suffix, target in targets.items():
        if suffix:
            check_output_path(target, f"--out (its {suffix} file)")
    main = frames[""]
    rows_per_split = {s: int((main["split"] == s).sum()) for s in SPLITS}
    manifest = {
        "format": fmt, "file_format": kind,
        "files": {str(targets[k]): len(v) for k, v in frames.items()},
        "rows_per_split": rows_per_split,
        "tasks_per_split": {s: int(main.loc[main["split"] == s, "sample_id"].nunique()) for s in SPLITS},
        "seed": opt.seed, "val": opt.val, "test": opt.test, "split_grouping": grouping_manifest(),
        "filters": {"benchmarks": benchmarks, "models": models},
        "options": {k: v for k, v in asdict(opt).items() if k not in ("benchmarks", "models")},
        "source_run_ids": sorted(str(r) for r in df["run_id"].dropna().unique()),
        "code_version": _code_version(),
        "created_at": datetime.now(timezone.utc).isoformat(),
        "sample_policy": "one scored outcome per task x model: the lowest sample_index",
    }
    # strict JSON (no bare NaN/Infinity): a failure here is before anything is written
    manifest_text = json.dumps(manifest, indent=2, default=str, allow_nan=False)
    temps: list[tuple[Path, Path]] = []
    published: list[Path] = []
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        for k, frame in frames.items():
            fd, tmp = tempfile.mkstemp(prefix=f".{targets[k].name}.", suffix=".tmp", dir=out.parent)
            os.close(fd)
            temps.append((Path(tmp), targets[k]))
            _write(frame, Path(tmp), kind)
            readable_mode(tmp)
        fd, tmp = tempfile.mkstemp(prefix=f".{manifest_path.name}.", suffix=".tmp", dir=out.parent)
        temps.append((Path(tmp), manifest_path))
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(manifest_text)
        readable_mode(tmp)
        for tmp_path, final in temps:      # the data files first, the manifest last
            os.replace(tmp_path, final)
            published.append(final)
    except BaseException as exc:
        if len(published) < len(temps):    # no data file without its manifest
            for final in published:
                final.unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise write_error(out, exc) from None
        raise
    finally:
        for tmp_path, _ in temps:          # (those renamed into place are gone already)
            tmp_path.unlink(missing_ok=True)
    log.info("exported %s: %s", fmt, ", ".join(f"{p} ({n} rows)" for p, n in manifest["files"].items()))
    return ExportResult(format=fmt, files=manifest["files"], manifest=manifest_path, rows_per_split=rows_per_split)
