"""Paired bootstrap of the routing evaluation: vectorised (one matmul) vs. a per-resample loop.

Peer: the straightforward implementation that draws each resample's task indices and averages
every policy's per-task columns in a Python loop (what one writes first). Both use the same
per-task matrices, so the ratio isolates the resampling strategy. Prints times and the ratio.

    .venv/bin/python perf/routing_bootstrap.py [n_tasks] [resamples]
"""
from __future__ import annotations

import sys
import time

from pathlib import Path

import numpy as np

# perf/ holds other scripts named like packages (perf/warehouse.py): import the real ones.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE] + [str(_HERE.parent)]

from warehouse import DEFAULT_LAMBDAS, RoutingTasks, evaluate_tasks  # noqa: E402


def tasks(n: int, seed: int = 0) -> RoutingTasks:
    rng = np.random.default_rng(seed)
    return RoutingTasks(task_ids=np.array([f"t{i}" for i in range(n)]),
                        s_cheap=(rng.random(n) < 0.6).astype(float), s_strong=(rng.random(n) < 0.85).astype(float),
                        c_cheap=rng.random(n) * 1e-3, c_strong=rng.random(n) * 2e-2,
                        visible_cheap=(rng.random(n) < 0.65).astype(float), prompt_len=rng.integers(50, 3000, n) * 1.0)


def peer_loop(t: RoutingTasks, lambdas, resamples: int, seed: int) -> np.ndarray:
    """Per-resample loop over the same (n x k) metric matrix per lambda."""
    base = evaluate_tasks(t, lambdas=lambdas, bootstrap=0)   # point estimates, thresholds
    n = len(t.task_ids)
    rng = np.random.default_rng(seed)
    out = []
    from warehouse._routing import _decisions, calibrate_threshold
    norm = float(t.c_strong.mean())
    for lam in lambdas:
        per = _decisions(t, lam, calibrate_threshold(t, lam, norm), norm)
        r_or = per["oracle"][0] - lam * per["oracle"][1]
        cols = []
        for s, c, e in per.values():
            r = s - lam * c
            cols += [s, c, r, e, r_or - r]
        m = np.column_stack(cols)
        boots = np.empty((resamples, m.shape[1]))
        for b in range(resamples):
            boots[b] = m[rng.integers(0, n, n)].mean(axis=0)
        out.append(np.percentile(boots, [2.5, 97.5], axis=0))
    return base, out


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 427      # MBPP-sanitized size
    b = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
    t = tasks(n)
    t0 = time.perf_counter()
    evaluate_tasks(t, lambdas=DEFAULT_LAMBDAS, bootstrap=b, seed=0)
    ours = time.perf_counter() - t0
    t0 = time.perf_counter()
    peer_loop(t, DEFAULT_LAMBDAS, b, 0)
    peer = time.perf_counter() - t0
    print(f"tasks={n} resamples={b} lambdas={len(DEFAULT_LAMBDAS)} policies=6")
    print(f"codeharvest evaluate_tasks (vectorised): {ours:.3f} s")
    print(f"peer per-resample loop:                  {peer:.3f} s")
    print(f"speed-up vs peer: {peer / ours:.1f}x")


if __name__ == "__main__":
    main()
