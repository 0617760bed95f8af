"""Routing evaluation: cheap-vs-strong policies with paired-bootstrap CIs, and multi-model tables.

Two-model setting (DESIGN.md section 1, verifier-aware routing): per task the cheap model's
answer, its visible-test outcome and both models' hidden outcomes and costs. Policies:

- ``always_cheap`` / ``always_strong``: one model for every task.
- ``prompt_length``: send the longest prompts straight to the strong model; the length
  threshold is chosen per lambda on a validation split of tasks (maximising mean reward there)
  and every policy is reported on the remaining evaluation tasks, so all are paired (with no
  validation split the threshold is fitted on the evaluation tasks themselves: optimistic).
- ``cheap_then_escalate``: run the cheap model; keep its answer iff its visible tests pass,
  else pay for the strong model too. A task without a visible verdict keeps the cheap answer.
- ``random``: up-front routing to the strong model with the escalation rate of
  cheap-then-escalate, evaluated in expectation (no sampling noise).
- ``oracle``: hindsight sequential oracle: per task keep the cheap answer or escalate (paying
  cheap + strong), whichever has the higher reward; ties keep the cheap answer.

Quality ``s`` is the hidden all-pass verdict (0/1; the score where a benchmark has no tests);
cost ``c`` is normalised so the mean strong-model spend over the evaluation tasks is 1.0;
reward ``R = s - lambda * c``; regret = R(oracle) - R(policy) (up-front policies can beat the
sequential oracle, which always pays for the cheap call first: their regret may be negative).
One scored sample per task and model is used (the lowest sample index).
"""
from __future__ import annotations

import math
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ._analytics import check_selection, first_samples, query_df
from ._errors import WarehouseError
from ._numbers import check_count, finite

DEFAULT_LAMBDAS: tuple[float, ...] = (0.0, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0)
POLICIES: tuple[str, ...] = ("always_cheap", "always_strong", "prompt_length",
                             "cheap_then_escalate", "random", "oracle")
METRICS: tuple[str, ...] = ("pass_rate", "cost", "reward", "escalation_rate", "regret")


@dataclass(frozen=True)
class RoutingTasks:
    """Per-task arrays of the two-model setting (all of length n, aligned by task)."""

    task_ids: np.ndarray
    s_cheap: np.ndarray          # quality of the cheap answer in [0, 1]
    s_strong: np.ndarray
    c_cheap: np.ndarray          # cost in USD
    c_strong: np.ndarray
    visible_cheap: np.ndarray    # 1.0 passed, 0.0 failed, nan no visible verdict
    prompt_len: np.ndarray


@dataclass
class RoutingResult:
    """Policy x lambda table with point estimates and paired-bootstrap 95 % CIs."""

    benchmark: str
    cheap: str
    strong: str
    lambdas: list[float]
    n_tasks: int                 # evaluation tasks (all policies are measured on these)
    n_val: int                   # validation tasks used to calibrate prompt_length
    bootstrap: int
    seed: int
    strong_mean_cost_usd: float  # the strong model's mean spend per evaluation task (USD; may be 0)
    table: pd.DataFrame = field(repr=False)
    # cost 1.0 in ``table`` is this many USD: the mean strong spend, or 1.0 (costs in USD)
    # when the strong model has no recorded spend
    cost_unit_usd: float = 1.0

    @property
    def cost_normalised(self) -> bool:
        """Costs are relative to the mean strong spend (False: in USD, the strong model is free)."""
        return self.strong_mean_cost_usd > 0 and math.isfinite(self.strong_mean_cost_usd)

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()


def split_validation(task_ids: Sequence[str], fraction: float, seed: int) -> np.ndarray:
    """Boolean mask of validation tasks: deterministic for a seed, independent of row order."""
    n = len(task_ids)
    if fraction <= 0 or n < 4:
        return np.zeros(n, dtype=bool)
    order = np.argsort([zlib.crc32(f"{seed}:{t}".encode()) for t in task_ids], kind="stable")
    k = max(1, int(round(n * fraction)))
    mask = np.zeros(n, dtype=bool)
    mask[order[:k]] = True
    return mask


def _decisions(t: RoutingTasks, lam: float, threshold: float, norm: float) -> dict[str, tuple]:
    """Per policy: (quality, normalised cost, escalation) arrays for one lambda."""
    cc, cs = t.c_cheap / norm, t.c_strong / norm
    n = len(cc)
    ones, zeros = np.ones(n), np.zeros(n)
    esc_cte = (t.visible_cheap == 0.0).astype(float)
    rate = esc_cte.mean() if n else 0.0
    esc_len = (t.prompt_len > threshold).astype(float)
    r_keep = t.s_cheap - lam * cc
    r_esc = t.s_strong - lam * (cc + cs)
    esc_orc = (r_esc > r_keep).astype(float)
    return {
        "always_cheap": (t.s_cheap, cc, zeros),
        "always_strong": (t.s_strong, cs, ones),
        "prompt_length": (np.where(esc_len > 0, t.s_strong, t.s_cheap), np.where(esc_len > 0, cs, cc),
                          esc_len),
        "cheap_then_escalate": (np.where(esc_cte > 0, t.s_strong, t.s_cheap), cc + esc_cte * cs, esc_cte),
        "random": ((1 - rate) * t.s_cheap + rate * t.s_strong, (1 - rate) * cc + rate * cs,
                   np.full(n, rate)),
        "oracle": (np.where(esc_orc > 0, t.s_strong, t.s_cheap), cc + esc_orc * cs, esc_orc),
    }


def calibrate_threshold(t: RoutingTasks, lam: float, norm: float) -> float:
    """Prompt-length threshold maximising mean reward on ``t`` (ties: fewer escalations).

    Escalating every prompt longer than a threshold: sorting by length once, the reward of each
    candidate threshold is a cumulative sum (O(n log n) for all candidates).
    """
    if len(t.prompt_len) == 0:
        return float("inf")
    keep = t.s_cheap - lam * t.c_cheap / norm
    gain = (t.s_strong - lam * t.c_strong / norm) - keep
    lengths, inverse = np.unique(t.prompt_len, return_inverse=True)
    gain_per_length = np.bincount(inverse, weights=gain, minlength=len(lengths))
    # escalate lengths[j:] for j = len .. 0 (none .. all): total gain of the longest suffix
    suffix = np.concatenate([[0.0], np.cumsum(gain_per_length[::-1])])  # suffix[k]: top-k lengths
    best_k = 0
    for k in range(1, len(suffix)):       # ties keep fewer escalations
        if suffix[k] > suffix[best_k] + 1e-12:
            best_k = k
    if best_k == 0:
        return float("inf")
    if best_k == len(lengths):
        return float("-inf")
    return float(lengths[len(lengths) - best_k - 1])


def evaluate_tasks(tasks: RoutingTasks, *, lambdas: Sequence[float] = DEFAULT_LAMBDAS,
                   bootstrap: int = 2000, seed: int = 0, val_mask: np.ndarray | None = None,
                   benchmark: str = "", cheap: str = "cheap", strong: str = "strong") -> RoutingResult:
    """Evaluate every policy and lambda on per-task arrays (the pure core, unit-tested)."""
    n_all = len(tasks.task_ids)
    val_mask = np.zeros(n_all, dtype=bool) if val_mask is None else np.asarray(val_mask, dtype=bool)
    ev = _subset(tasks, ~val_mask)
    val = _subset(tasks, val_mask)
    n = len(ev.task_ids)
    if n == 0:
        raise WarehouseError("no evaluation tasks left after the validation split")
    strong_mean = float(ev.c_strong.mean())
    norm = strong_mean
    if not np.isfinite(norm) or norm <= 0:
        norm = 1.0  # no recorded strong spend: costs stay in USD
    counts = _resample_counts(n, bootstrap, seed)  # B x n, shared by all policies (paired)

    # One n x (lambdas*policies*metrics) matrix; one matmul gives every bootstrap mean at once.
    blocks, meta = [], []
    for lam in lambdas:
        lam = float(lam)
        threshold = calibrate_threshold(val if len(val.task_ids) else ev, lam, norm)
        per = _decisions(ev, lam, threshold, norm)
        r_oracle = per["oracle"][0] - lam * per["oracle"][1]
        for name, (s, c, e) in per.items():
            r = s - lam * c
            blocks += [s, c, r, e, r_oracle - r]
            meta.append((name, lam, threshold if name == "prompt_length" else np.nan))
    m = np.column_stack(blocks)
    point = m.mean(axis=0)
    if bootstrap > 0:
        lo, hi = np.percentile(counts @ m / n, [2.5, 97.5], axis=0)
    else:
        lo = hi = np.full(m.shape[1], np.nan)
    rows: list[dict[str, Any]] = []
    for i, (name, lam, threshold) in enumerate(meta):
        row: dict[str, Any] = {"policy": name, "lambda": lam}
        for j, metric in enumerate(METRICS):
            k = i * len(METRICS) + j
            row[metric], row[f"{metric}_lo"], row[f"{metric}_hi"] = point[k], lo[k], hi[k]
        row["threshold"] = threshold
        rows.append(row)
    table = pd.DataFrame(rows)
    return RoutingResult(benchmark=benchmark, cheap=cheap, strong=strong,
                         lambdas=[float(x) for x in lambdas], n_tasks=n, n_val=int(val_mask.sum()),
                         bootstrap=bootstrap, seed=seed,
                         strong_mean_cost_usd=strong_mean if np.isfinite(strong_mean) else 0.0,
                         table=table, cost_unit_usd=norm)


def _resample_counts(n: int, bootstrap: int, seed: int) -> np.ndarray:
    if bootstrap <= 0:
        return np.zeros((0, n))
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, n, size=(bootstrap, n))
    flat = (np.arange(bootstrap)[:, None] * n + idx).ravel()
    return np.bincount(flat, minlength=bootstrap * n).reshape(bootstrap, n).astype(float)


def _subset(t: RoutingTasks, mask: np.ndarray) -> RoutingTasks:
    return RoutingTasks(*(getattr(t, f)[mask] for f in RoutingTasks.__dataclass_fields__))


def _check_benchmark(source: Any, df: pd.DataFrame, benchmark: str) -> None:
    """``df`` (first samples of ``benchmark``) is empty: say which benchmarks are scored, from
    the whole warehouse (``df`` holds only the one asked for)."""
    if not df.empty:
        return
    scored = query_df(source, "SELECT DISTINCT benchmark FROM outcomes WHERE outcome_status = 'scored'")
    check_selection(scored["benchmark"].dropna().astype(str) if not scored.empty else [], [benchmark],
                    "benchmark")
    raise WarehouseError(f"benchmark {benchmark!r} has no scored outcomes")  # (not reached)


def check_routing_options(*, lambdas: Sequence[float] | None = None, bootstrap: int = 0, seed: int = 0,
                          val_fraction: float = 0.0) -> None:
    """The numbers a user gives, checked before any work (NaN passes every comparison)."""
    check_count("--bootstrap", bootstrap)
    check_count("--seed", seed)
    if not (finite(val_fraction) and 0 <= val_fraction < 1):
        raise WarehouseError(f"--val (the validation fraction) must be in [0, 1) (got {val_fraction})")
    if lambdas is not None:
        if not len(lambdas):
            raise WarehouseError("no lambda given")
        bad = [lam for lam in lambdas if not (finite(lam) and lam >= 0)]
        if bad:
            raise WarehouseError(f"lambda {bad[0]} must be a finite number >= 0")


def routing_tasks(source: Any, benchmark: str, cheap: str, strong: str) -> RoutingTasks:
    """Per-task arrays for ``cheap`` vs ``strong`` on ``benchmark`` (tasks both models scored)."""
    if cheap == strong:
        raise WarehouseError("--cheap and --strong must be different models")
    df = first_samples(source, benchmarks=[benchmark])
    _check_benchmark(source, df, benchmark)
    check_selection(df["model_id"], [cheap, strong], "model", f" on benchmark {benchmark!r}")
    c = df[df.model_id == cheap].set_index("task_key")
    s = df[df.model_id == strong].set_index("task_key")
    keys = sorted(set(c.index) & set(s.index), key=lambda k: str(c.at[k, "task_id"]))
    if not keys:
        raise WarehouseError(f"no task of {benchmark!r} has scored outcomes for both {cheap!r} and {strong!r}")
    c, s = c.loc[keys], s.loc[keys]
    visible = c["pass_visible"].astype("float64").to_numpy()
    return RoutingTasks(
        task_ids=c["task_id"].astype(str).to_numpy(),
        s_cheap=c["quality"].fillna(0.0).to_numpy(float),
        s_strong=s["quality"].fillna(0.0).to_numpy(float),
        c_cheap=c["cost_usd"].fillna(0.0).to_numpy(float),
        c_strong=s["cost_usd"].fillna(0.0).to_numpy(float),
        visible_cheap=visible,
        prompt_len=c["prompt_chars"].fillna(0).to_numpy(float),
    )


def evaluate_routing(source: Any, benchmark: str, cheap: str, strong: str, *,
                     lambdas: Sequence[float] = DEFAULT_LAMBDAS, bootstrap: int = 2000, seed: int = 0,
                     val_fraction: float = 0.2) -> RoutingResult:
    """Evaluate the two-model routing policies on a warehouse (``codeharvest routing``)."""
    check_routing_options(lambdas=lambdas, bootstrap=bootstrap, seed=seed, val_fraction=val_fraction)
    tasks = routing_tasks(source, benchmark, cheap, strong)
    mask = split_validation(list(tasks.task_ids), val_fraction, seed)
    return evaluate_tasks(tasks, lambdas=lambdas, bootstrap=bootstrap, seed=seed, val_mask=mask,
                          benchmark=benchmark, cheap=cheap, strong=strong)


def cost_ratios(prices: np.ndarray) -> np.ndarray:
    """CS = price / the cheapest positive price (>= 1), per model.

    A free model (price 0 or unknown: replay and reference models, vLLM without gpu_hour_usd)
    counts as cheap as the cheapest, CS = 1: dividing its zero price would give CS = 0 and push
    its CS^-1 above 1. With no priced model every CS is 1.
    """
    p = np.nan_to_num(np.asarray(prices, dtype=float), nan=0.0)
    positive = p[p > 0]
    if not len(positive):
        return np.ones_like(p)
    return np.maximum(p / positive.min(), 1.0)


def cs_inverse(cs: np.ndarray) -> np.ndarray:
    """CS^-1 = 1 - (CS - 1) / (max CS - 1) (DESIGN.md section 1), in [0, 1].

    1.0 for every model when all cost the same; a CS below 1 (a free model's ratio taken
    against a positive minimum) counts as 1, the cheapest, so CS^-1 never exceeds 1.
    """
    cs = np.maximum(np.asarray(cs, dtype=float), 1.0)
    top = np.nanmax(cs) if len(cs) else 1.0
    if not np.isfinite(top) or top <= 1.0:
        return np.ones_like(cs)
    return 1.0 - (cs - 1.0) / (top - 1.0)


def multi_model_table(source: Any, benchmark: str, models: Sequence[str] | None = None, *,
                      lambda2s: Sequence[float] = (0.0, 0.25, 0.5)) -> pd.DataFrame:
    """Per model and router on one benchmark: ES, relative cost, CS, CS^-1 and RS per lambda2.

    Models: ES = mean score; price = mean cost per call; ``relative_cost`` = price / max price;
    CS = price / min positive price (the cost ratio, >= 1; a free model's is 1, see
    ``cost_ratios``), so CS^-1 is in [0, 1]. Routers (``oracle``: per-task best score, ties to
    the cheaper model; ``rs@l2``: the model with the best RS): ``relative_cost`` = sum over
    models of share of calls x price / max price. RS = lambda1 * ES + lambda2 * CS^-1 with
    lambda1 = 1 - lambda2.
    """
    bad = [l2 for l2 in lambda2s if not 0.0 <= float(l2) <= 1.0]
    if bad:
        raise WarehouseError(f"lambda2 must be in [0, 1] (got {bad[0]:g})")
    df = first_samples(source, benchmarks=[benchmark])
    _check_benchmark(source, df, benchmark)
    chosen = check_selection(df["model_id"], models, "model", f" on benchmark {benchmark!r}")
    df = df[df.model_id.isin(chosen)]
    wide = df.pivot_table(index="task_key", columns="model_id", values="score", aggfunc="first")
    wide = wide.dropna()
    if wide.empty:
        raise WarehouseError(f"no task of {benchmark!r} is scored for every selected model")
    price = df.groupby("model_id")["cost_usd"].mean().reindex(chosen).fillna(0.0)
    max_price = float(price.max())
    es = wide.mean().reindex(chosen)
    rel = price / max_price if max_price > 0 else price * np.nan
    cs = pd.Series(cost_ratios(price.to_numpy()), index=chosen)
    cs_inv = pd.Series(cs_inverse(cs.to_numpy()), index=chosen)
    rows = []
    for m in chosen:
        row = {"benchmark": benchmark, "name": m, "kind": "model", "tasks": len(wide), "es": es[m],
               "price_usd": price[m], "relative_cost": rel[m], "cs": cs[m], "cs_inv": cs_inv[m]}
        for l2 in lambda2s:
            row[f"rs@{l2:g}"] = (1 - l2) * es[m] + l2 * cs_inv[m]
        rows.append(row)
    # Oracle router: per task the best score, ties to the cheaper model.
    order = sorted(chosen, key=lambda m: (price[m], m))
    w = wide[order].to_numpy()
    pick = np.argmax(w, axis=1)  # first max in price order = cheapest among ties
    shares = np.bincount(pick, minlength=len(order)) / len(pick)
    prices = price[order].to_numpy()
    rows.append({"benchmark": benchmark, "name": "oracle", "kind": "router", "tasks": len(wide),
                 "es": float(w.max(axis=1).mean()), "price_usd": float(shares @ prices),
                 "relative_cost": float(shares @ prices / max_price) if max_price > 0 else np.nan})
    for l2 in lambda2s:
        best = max(chosen, key=lambda m: ((1 - l2) * es[m] + l2 * cs_inv[m], -price[m]))
        rows.append({"benchmark": benchmark, "name": f"rs@{l2:g}", "kind": "router", "tasks": len(wide),
                     "es": es[best], "price_usd": price[best], "relative_cost": rel[best],
                     "chosen_model": best})
    return pd.DataFrame(rows)
