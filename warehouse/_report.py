"""A self-contained HTML report: tables and inline SVG plots drawn here, no scripts, no network.

Sections: the model table (``model_summary``), the oracle-gap table, per benchmark a
cost-quality frontier (models and two-model routing policies as points with bootstrap CIs,
the hindsight oracle over lambda as a line, all-model Oracle and SBS as horizontal lines) with
its routing table, and an error-type breakdown per model.
"""
from __future__ import annotations

import html
import logging
import os
import re
import tempfile
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ._analytics import check_selection, first_samples, model_summary, oracle_gap, query_df
from ._errors import WarehouseError
from ._exports import check_output_path, readable_mode, write_error
from ._routing import (DEFAULT_LAMBDAS, RoutingResult, check_routing_options, evaluate_routing,
                       multi_model_table)

log = logging.getLogger(__name__)

PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
           "#bcbd22", "#17becf"]
POLICY_STYLE = {"always_cheap": "#1f77b4", "always_strong": "#d62728", "prompt_length": "#9467bd",
                "cheap_then_escalate": "#2ca02c", "random": "#7f7f7f", "oracle": "#000000"}

CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:24px;color:#222;max-width:1200px}
h1{font-size:24px} h2{font-size:19px;margin-top:32px;border-bottom:1px solid #ddd} h3{font-size:16px}
table{border-collapse:collapse;margin:8px 0 16px;font-size:13px}
th,td{border:1px solid #ccc;padding:3px 7px;text-align:right} th{background:#f3f3f3}
td.l,th.l{text-align:left} .note{color:#555;font-size:13px} svg{background:#fff;border:1px solid #ddd}
"""


def _e(x: Any) -> str:
    return html.escape(str(x), quote=True)


def _fmt(v: Any, digits: int = 3) -> str:
    if v is None or (isinstance(v, float) and not np.isfinite(v)) or v is pd.NA:
        return "–"
    if isinstance(v, (float, np.floating)):
        return f"{v:.{digits}f}"
    if isinstance(v, (int, np.integer)):
        return f"{int(v):,}"
    return _e(v)


def _table(df: pd.DataFrame, columns: Sequence[tuple[str, str]], digits: int = 3) -> str:
    head = "".join(f"<th class='{'l' if i < 2 else ''}'>{_e(label)}</th>" for i, (_, label) in enumerate(columns))
    body = []
    for _, row in df.iterrows():
        tds = "".join(f"<td class='{'l' if i < 2 else ''}'>{_fmt(row.get(col), digits)}</td>"
                      for i, (col, _) in enumerate(columns))
        body.append(f"<tr>{tds}</tr>")
    return f"<table><tr>{head}</tr>{''.join(body)}</table>"


def _ci(row: pd.Series, metric: str) -> str:
    lo, hi = row.get(f"{metric}_lo"), row.get(f"{metric}_hi")
    if lo is None or not np.isfinite(lo):
        return _fmt(row[metric])
    return f"{row[metric]:.3f} [{lo:.3f}, {hi:.3f}]"


class _Plot:
    """A tiny SVG scatter plot with axes (x: relative cost, y: quality in [0, 1])."""

    W, H, L, R, T, B = 640, 400, 60, 190, 20, 50

    def __init__(self, x_max: float, title: str):
        # no recorded costs (offline backends): a unit axis instead of six ticks of 0.00
        self.x_max = (x_max if x_max > 1e-9 else 1.0) * 1.08
        self.parts: list[str] = []
        self.legend: list[tuple[str, str, str]] = []
        self.title = title

    def x(self, v: float) -> float:
        return self.L + (self.W - self.L - self.R) * v / self.x_max

    def y(self, v: float) -> float:
        return self.H - self.B - (self.H - self.T - self.B) * v

    def hline(self, v: float, color: str, label: str) -> None:
        self.parts.append(f"<line x1='{self.x(0):.1f}' x2='{self.x(self.x_max):.1f}' y1='{self.y(v):.1f}' "
                          f"y2='{self.y(v):.1f}' stroke='{color}' stroke-dasharray='6 4' stroke-width='1.5'/>")
        self.legend.append(("dash", color, label))

    def line(self, xs: Sequence[float], ys: Sequence[float], color: str, label: str) -> None:
        pts = " ".join(f"{self.x(a):.1f},{self.y(b):.1f}" for a, b in zip(xs, ys))
        self.parts.append(f"<polyline points='{pts}' fill='none' stroke='{color}' stroke-width='1.5'/>")
        self.legend.append(("line", color, label))

    def point(self, xv: float, yv: float, color: str, label: str, shape: str = "circle",
              y_lo: float | None = None, y_hi: float | None = None) -> None:
        cx, cy = self.x(xv), self.y(yv)
        if y_lo is not None and np.isfinite(y_lo):
            self.parts.append(f"<line x1='{cx:.1f}' x2='{cx:.1f}' y1='{self.y(y_lo):.1f}' y2='{self.y(y_hi):.1f}' "
                              f"stroke='{color}' stroke-width='1.5'/>")
        if shape == "square":
            self.parts.append(f"<rect x='{cx - 5:.1f}' y='{cy - 5:.1f}' width='10' height='10' fill='{color}'>"
                              f"<title>{_e(label)}</title></rect>")
        else:
            self.parts.append(f"<circle cx='{cx:.1f}' cy='{cy:.1f}' r='5' fill='{color}'><title>{_e(label)}</title></circle>")
        self.legend.append((shape, color, label))

    def svg(self) -> str:
        axes = [f"<line x1='{self.L}' y1='{self.y(0):.1f}' x2='{self.x(self.x_max):.1f}' y2='{self.y(0):.1f}' stroke='#333'/>",
                f"<line x1='{self.L}' y1='{self.y(0):.1f}' x2='{self.L}' y2='{self.y(1):.1f}' stroke='#333'/>"]
        for i in range(6):
            yv = i / 5
            axes.append(f"<text x='{self.L - 6}' y='{self.y(yv) + 4:.1f}' font-size='11' text-anchor='end'>{yv:.1f}</text>")
            axes.append(f"<line x1='{self.L}' x2='{self.x(self.x_max):.1f}' y1='{self.y(yv):.1f}' y2='{self.y(yv):.1f}' stroke='#eee'/>")
            xv = self.x_max * i / 5
            axes.append(f"<text x='{self.x(xv):.1f}' y='{self.y(0) + 16:.1f}' font-size='11' text-anchor='middle'>{xv:.2f}</text>")
        axes.append(f"<text x='{(self.L + self.W - self.R) / 2:.0f}' y='{self.H - 12}' font-size='12' text-anchor='middle'>"
                    "cost relative to the most expensive model</text>")
        axes.append(f"<text x='14' y='{(self.T + self.H - self.B) / 2:.0f}' font-size='12' text-anchor='middle' "
                    f"transform='rotate(-90 14 {(self.T + self.H - self.B) / 2:.0f})'>quality (hidden all-pass)</text>")
        legend, seen = [], set()
        lx, ly = self.W - self.R + 14, self.T + 8
        for kind, color, label in self.legend:
            if label in seen:
                continue
            seen.add(label)
            if kind in ("dash", "line"):
                dash = " stroke-dasharray='6 4'" if kind == "dash" else ""
                legend.append(f"<line x1='{lx}' x2='{lx + 16}' y1='{ly}' y2='{ly}' stroke='{color}' stroke-width='2'{dash}/>")
            elif kind == "square":
                legend.append(f"<rect x='{lx + 3}' y='{ly - 5}' width='10' height='10' fill='{color}'/>")
            else:
                legend.append(f"<circle cx='{lx + 8}' cy='{ly}' r='5' fill='{color}'/>")
            legend.append(f"<text x='{lx + 22}' y='{ly + 4}' font-size='11'>{_e(label)}</text>")
            ly += 17
        return (f"<svg width='{self.W}' height='{max(self.H, ly + 10)}' viewBox='0 0 {self.W} {max(self.H, ly + 10)}' "
                f"role='img' aria-label='{_e(self.title)}' class='frontier'>"
                + "".join(axes) + "".join(self.parts) + "".join(legend) + "</svg>")


def _error_bars(counts: pd.DataFrame) -> str:
    """Stacked horizontal bars: share of each outcome kind per model (one row per model)."""
    kinds = list(counts.columns)
    failure_colors = [c for c in PALETTE if c not in ("#2ca02c", "#7f7f7f")]
    grays = ["#7f7f7f", "#a6a6a6", "#5a5a5a", "#c8c8c8"]
    colors: dict[str, str] = {}
    for k in kinds:
        if k == "passed":
            colors[k] = "#2ca02c"
        elif k.startswith("infra:") or k == "unscored":
            colors[k] = grays[sum(c in grays for c in colors.values()) % len(grays)]
        else:
            colors[k] = failure_colors[sum(c in failure_colors for c in colors.values()) % len(failure_colors)]
    w, left, bar_h, gap = 560, 170, 18, 8
    h = 20 + len(counts) * (bar_h + gap) + 22 * ((len(kinds) + 3) // 4) + 10
    parts = []
    for i, (model, row) in enumerate(counts.iterrows()):
        y = 10 + i * (bar_h + gap)
        parts.append(f"<text x='{left - 6}' y='{y + 13}' font-size='12' text-anchor='end'>{_e(model)}</text>")
        total = float(row.sum()) or 1.0
        x = float(left)
        for k in kinds:
            width = (w - left - 10) * float(row[k]) / total
            if width > 0:
                parts.append(f"<rect x='{x:.1f}' y='{y}' width='{width:.1f}' height='{bar_h}' fill='{colors[k]}'>"
                             f"<title>{_e(model)}: {_e(k)} {int(row[k])}</title></rect>")
            x += width
    ly = 20 + len(counts) * (bar_h + gap)
    for j, k in enumerate(kinds):
        lx = 10 + (j % 4) * 140
        yy = ly + (j // 4) * 22
        parts.append(f"<rect x='{lx}' y='{yy - 9}' width='10' height='10' fill='{colors[k]}'/>"
                     f"<text x='{lx + 14}' y='{yy}' font-size='11'>{_e(k)}</text>")
    return f"<svg width='{w}' height='{h}' viewBox='0 0 {w} {h}' role='img' class='errors'>{''.join(parts)}</svg>"


def _default_pair(fs: pd.DataFrame) -> tuple[str, str] | None:
    price = fs.groupby("model_id")["cost_usd"].mean().fillna(0.0)
    if len(price) < 2:
        return None
    order = sorted(price.index, key=lambda m: (price[m], m))
    return order[0], order[-1]


def _frontier(bench: str, fs: pd.DataFrame, routing: RoutingResult | None) -> str:
    per_model = fs.groupby("model_id").agg(quality=("quality", "mean"), cost=("cost_usd", "mean"))
    max_cost = float(per_model.cost.max() or 0.0)
    rel = per_model.cost / max_cost if max_cost > 0 else per_model.cost * 0.0
    xs = list(rel)
    scale = 1.0
    if routing is not None:
        # routing costs are in units of cost_unit_usd (the strong model's mean spend, or USD when
        # it is free); re-express them relative to the priciest model
        scale = routing.cost_unit_usd / max_cost if max_cost > 0 else 0.0
        xs += list(routing.table.cost * scale)
    plot = _Plot(max(xs + [1e-9]), f"cost-quality frontier on {bench}")
    # Oracle and SBS on the plotted quality (all-pass), over tasks every model answered
    wide = fs.pivot_table(index="task_key", columns="model_id", values="quality", aggfunc="first").dropna()
    if len(wide.columns) >= 2 and len(wide):
        means = wide.mean()
        plot.hline(float(wide.max(axis=1).mean()), "#000", f"Oracle, all models ({wide.max(axis=1).mean():.2f})")
        plot.hline(float(means.max()), "#888", f"SBS {means.idxmax()} ({means.max():.2f})")
    if routing is not None:
        t = routing.table
        orc = t[t.policy == "oracle"].sort_values("cost")
        plot.line(list(orc.cost * scale), list(orc.pass_rate), POLICY_STYLE["oracle"], "sequential oracle over λ")
        lam0 = t[t["lambda"] == t["lambda"].min()]
        for _, r in lam0.iterrows():
            if r.policy in ("always_cheap", "always_strong"):
                continue  # drawn as model points
            plot.point(r.cost * scale, r.pass_rate, POLICY_STYLE.get(r.policy, "#555"),
                       f"{r.policy} (λ={r['lambda']:g})", "square", r.pass_rate_lo, r.pass_rate_hi)
    for i, (model, row) in enumerate(per_model.iterrows()):
        plot.point(float(rel[model]), float(row.quality), PALETTE[i % len(PALETTE)], f"model {model}")
    return plot.svg()


def build_report(source: Any, *, benchmarks: Sequence[str] | None = None,
                 pairs: dict[str, tuple[str, str]] | None = None, lambdas: Sequence[float] = DEFAULT_LAMBDAS,
                 bootstrap: int = 2000, seed: int = 0, title: str = "codeharvest report") -> str:
    """The report as one HTML string (no scripts, no external resources)."""
    check_routing_options(lambdas=lambdas, bootstrap=bootstrap, seed=seed)
    ms = model_summary(source)
    if ms.empty:
        raise WarehouseError("the warehouse has no outcomes to report")
    benchmarks = check_selection(ms.benchmark, list(benchmarks or ()), "benchmark")
    ms = ms[ms.benchmark.isin(benchmarks)]
    stray = sorted(set(pairs or {}) - set(ms.benchmark))
    if stray:
        raise WarehouseError(f"--pair names unknown benchmark {', '.join(map(repr, stray))}")
    og = oracle_gap(source, benchmarks=benchmarks)
    fs_all = first_samples(source, benchmarks=benchmarks)
    out = [f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{_e(title)}</title>"
           f"<style>{CSS}</style></head><body><h1>{_e(title)}</h1>",
           f"<p class='note'>Generated {datetime.now(timezone.utc):%Y-%m-%d %H:%M UTC}. Rates exclude infrastructure "
           "failures (API errors after retries, sandbox or scorer errors), which are counted separately. "
           f"Bootstrap: {bootstrap} paired resamples over tasks, seed {seed}.</p>",
           "<h2>Models</h2>",
           _table(ms, [("benchmark", "benchmark"), ("model_id", "model"), ("tasks", "tasks"),
                       ("all_pass_rate", "all-pass rate"), ("mean_score", "mean score"),
                       ("visible_pass_rate", "visible pass rate"), ("input_tokens", "input tokens"),
                       ("output_tokens", "output tokens"), ("total_cost_usd", "total $"),
                       ("mean_latency_s", "mean latency s"), ("infra_errors", "infra errors"),
                       ("unscored", "unscored")]),
           "<h2>Oracle gap</h2>",
           "<p class='note'>SBS: single best model by mean score; Oracle: mean of the per-task best score; "
           "OG = Oracle − SBS; WCR: share of tasks whose best model is not the SBS. Tasks scored for every model.</p>",
           _table(og, [("benchmark", "benchmark"), ("sbs_model", "SBS model"), ("models", "models"), ("tasks", "tasks"),
                       ("sbs", "SBS"), ("oracle", "Oracle"), ("og", "OG"), ("wcr", "WCR")])]
    for bench in sorted(set(ms.benchmark)):
        fs = fs_all[fs_all.benchmark == bench]
        if fs.empty:
            continue
        out.append(f"<h2>{_e(bench)}</h2>")
        pair = (pairs or {}).get(bench) or _default_pair(fs)
        routing = None
        if pair is not None:
            try:
                routing = evaluate_routing(source, bench, pair[0], pair[1], lambdas=lambdas, bootstrap=bootstrap, seed=seed)
            except WarehouseError as exc:
                if pairs and bench in pairs:
                    raise
                log.info("no routing section for %s: %s", bench, exc)
        if fs.model_id.nunique() >= 2:
            try:
                mm = multi_model_table(source, bench)
            except WarehouseError as exc:
                log.info("no multi-model table for %s: %s", bench, exc)
            else:
                out.append("<h3>Models and routers</h3><p class='note'>ES: mean score; relative cost: share of "
                           "calls × price / the most expensive model's price; CS: price / cheapest price; "
                           "CS⁻¹ = 1 − (CS − 1)/(max CS − 1); RS = (1 − λ2)·ES + λ2·CS⁻¹; rs@λ2 routes every "
                           "task to the model with the best RS, oracle to the per-task best (ties to the cheaper).</p>")
                rs_cols = [(c, c.replace("rs@", "RS λ2=")) for c in mm.columns if c.startswith("rs@")]
                mm = mm.assign(chosen_model=mm.get("chosen_model"))
                out.append(_table(mm, [("name", "model / router"), ("kind", "kind"), ("tasks", "tasks"), ("es", "ES"),
                                       ("relative_cost", "relative cost"), ("cs", "CS"), ("cs_inv", "CS⁻¹")]
                                  + rs_cols + [("chosen_model", "routes to")]))
        out.append("<h3>Cost–quality frontier</h3>")
        out.append(_frontier(bench, fs, routing))
        if routing is not None:
            out.append(f"<h3>Routing: {_e(routing.cheap)} (cheap) → {_e(routing.strong)} (strong)</h3>"
                       f"<p class='note'>{routing.n_tasks} evaluation tasks ({routing.n_val} validation tasks calibrate "
                       f"the prompt-length threshold). "
                       + (f"Cost normalised so the mean strong spend is 1.0 (${routing.strong_mean_cost_usd:.6f} "
                          "per task)" if routing.cost_normalised else
                          "Costs in USD (the strong model has no recorded spend)")
                       + ". R = s − λ·c. 95% CIs in brackets.</p>")
            t = routing.table.copy()
            for metric in ("pass_rate", "cost", "reward", "regret"):
                t[f"{metric}_ci"] = t.apply(lambda r, m=metric: _ci(r, m), axis=1)
            out.append(_table(t, [("policy", "policy"), ("lambda", "λ"), ("pass_rate_ci", "hidden pass rate"),
                                  ("cost_ci", "cost"), ("reward_ci", "reward R"), ("escalation_rate", "escalation"),
                                  ("regret_ci", "regret to oracle")]))
    out.append("<h2>Error types per model</h2><p class='note'>Every sample: "
               "passed, graded (a score without a pass/fail verdict: CodeBLEU), model failures by "
               "error type, and infrastructure failures (excluded from rates).</p>")
    err = query_df(source, "SELECT benchmark, model_id, CASE WHEN outcome_status = 'unscored' THEN 'unscored' "
                           "WHEN outcome_status = 'infra_error' THEN 'infra:' || coalesce(infra_kind, 'unknown') "
                           "WHEN pass_hidden THEN 'passed' "
                           "WHEN pass_hidden IS NULL AND error_type IS NULL THEN 'graded' "
                           "ELSE coalesce(error_type, 'failed') END AS kind, count(*) AS n "
                           "FROM outcomes GROUP BY ALL ORDER BY ALL")
    if benchmarks:
        err = err[err.benchmark.isin(benchmarks)]
    for bench, grp in err.groupby("benchmark"):
        counts = grp.pivot_table(index="model_id", columns="kind", values="n", aggfunc="sum", fill_value=0)
        first = [c for c in ("passed", "graded") if c in counts.columns]
        order = first + sorted(c for c in counts.columns if c not in first)
        counts = counts[order]
        out.append(f"<h3>{_e(bench)}</h3>")
        out.append(_error_bars(counts))
        tbl = counts.reset_index()
        tbl.insert(0, "benchmark", bench)
        out.append(_table(tbl, [("model_id", "model"), ("benchmark", "benchmark")] + [(c, c) for c in order]))
    out.append("</body></html>")
    return "\n".join(out)


def write_report(source: Any, out: str | Path, **kwargs: Any) -> Path:
    """Write ``build_report`` to ``out`` atomically (temp file + rename); the path is checked
    before the report is built, and a failed write leaves nothing behind."""
    if re.match(r"^[A-Za-z][A-Za-z0-9+.-]+:/", str(out)):  # s3://..., also as a Path (s3:/...)
        raise WarehouseError(f"--out must be a local path (got {str(out)!r})")
    out = check_output_path(out)
    text = build_report(source, **kwargs)
    tmp: str | None = None
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        readable_mode(tmp)
        os.replace(tmp, out)
    except OSError as exc:
        raise write_error(out, exc) from None
    finally:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
    return out
